//! The networks Reachloop publishes to, one adapter each behind [`Adapter`].
//! The trait is shaped for the multi-step flows the later adapters bring:
//! `publish` may upload, create a container and poll a remote job before
//! it returns, and `find` answers the question the publisher asks after a
//! crash or a timeout: does the post exist there?

pub mod sandbox;

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use reachloop_ipc::Platform;

/// What to publish.
#[derive(Debug, Clone)]
pub struct PublishRequest {
    pub post_id: String,
    pub account_id: String,
    pub body: String,
    /// When the attempt was recorded (`find` looks from here on)...
    pub attempt_started_at: DateTime<Utc>,
    /// ...to here: the attempt cannot outlive its claim.
    pub attempt_ends_by: DateTime<Utc>,
}

/// What the platform gave back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub remote_id: String,
    pub url: Option<String>,
}

/// Why a post did not go out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// Certainly not created (e.g. refused before processing); may be
    /// retried later.
    #[error("{message}")]
    Retry { code: String, message: String },
    /// Will never work as it is (duplicate, content policy, invalid media,
    /// revoked sign-in): shown to the user with what to do.
    #[error("{message}")]
    Permanent { code: String, message: String },
    /// The request may have been processed (a timeout after sending): the
    /// platform must be asked before anything else.
    #[error("{0}")]
    Unknown(String),
    /// Refused for a rate limit or a quota, not created: the account (or
    /// the whole platform) must wait until `until`, as the platform said
    /// (X's `x-rate-limit-reset`, `Retry-After`, Meta's usage headers,
    /// TikTok's `spam_risk_*`, YouTube's `quotaExceeded`).
    #[error("{message}")]
    RateLimited {
        until: DateTime<Utc>,
        whole_platform: bool,
        message: String,
    },
}

/// Whether the platform has a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(Receipt),
    Absent,
    /// The platform cannot say: the user decides.
    CannotTell(String),
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One network.
pub trait Adapter: Send + Sync {
    fn platform(&self) -> Platform;
    fn publish<'a>(
        &'a self,
        req: &'a PublishRequest,
    ) -> BoxFuture<'a, Result<Receipt, PublishError>>;
    fn find<'a>(&'a self, req: &'a PublishRequest) -> BoxFuture<'a, Lookup>;
}
