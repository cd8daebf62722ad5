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
    #[error(transparent)]
    OAuth(crate::oauth::OAuthError),
    #[error("{0}")]
    Network(String),
    #[error(transparent)]
    Ai(#[from] crate::ai::AiError),
    #[error(transparent)]
    Generate(#[from] crate::generate::GenerateError),
    #[error("{0}")]
    Media(String),
    /// A file the user chose could not be written.
    #[error("{0}")]
    File(String),
}

impl From<crate::oauth::OAuthError> for Error {
    fn from(e: crate::oauth::OAuthError) -> Error {
        use crate::oauth::OAuthError;
        // Keep one home for storage and keychain failures.
        match e {
            OAuthError::Store(e) => Error::Store(e),
            OAuthError::Secrets(e) => Error::Secrets(e),
            other => Error::OAuth(other),
        }
    }
}

impl Error {
    /// A stable machine-readable code, see [`reachloop_ipc::codes`].
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation(_) => codes::VALIDATION,
            Error::Store(crate::store::StoreError::NotFound) => "not_found",
            Error::Store(crate::store::StoreError::Changed { .. }) => "changed_elsewhere",
            Error::Store(_) | Error::DataDir(_) => codes::STORAGE,
            Error::Secrets(_) => codes::KEYCHAIN,
            Error::OAuth(e) => e.code(),
            Error::Network(_) => "network",
            Error::Ai(e) => e.code(),
            Error::Generate(e) => e.code(),
            Error::Media(_) => "media",
            Error::File(_) => "file",
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

/// What went wrong with a connection, in words a person can act on (never
/// reqwest's own "error sending request", and never the URL, which may
/// carry a secret).
pub fn transport_words(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "it did not answer in time".into()
    } else if e.is_connect() {
        "nothing answered at that address (is the server running, and the address right?)".into()
    } else if e.is_redirect() {
        "it answered with a redirect, which Reachloop does not follow".into()
    } else if e.is_decode() || e.is_body() {
        "its answer was cut off or unreadable".into()
    } else {
        "the connection failed".into()
    }
}

/// A message as the window shows it: starting with a capital letter.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_start_like_sentences() {
        assert_eq!(
            sentence("cannot reach X: it did not answer"),
            "Cannot reach X: it did not answer"
        );
        assert_eq!(sentence("élan"), "Élan");
        assert_eq!(sentence(""), "");
    }
}
