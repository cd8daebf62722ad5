//! The error every core operation can return, with a stable code per kind.

use reachloop_ipc::{codes, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input broke one or more rules; nothing was written.
    #[error("{}", summarise(.0))]
    Validation(Vec<FieldError>),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretsError),
    #[error(transparent)]
    DataDir(#[from] crate::paths::NoDataDir),
}

impl Error {
    /// A stable machine-readable code, see [`reachloop_ipc::codes`].
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation(_) => codes::VALIDATION,
            Error::Store(_) | Error::DataDir(_) => codes::STORAGE,
            Error::Secrets(_) => codes::KEYCHAIN,
        }
    }

    /// The per-field problems of a validation error, else nothing.
    pub fn fields(&self) -> &[FieldError] {
        match self {
            Error::Validation(f) => f,
            _ => &[],
        }
    }
}

fn summarise(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ")
}
