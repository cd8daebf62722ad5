//! The networks Reachloop publishes to, one adapter each behind [`Adapter`].
//! The trait is shaped for the multi-step flows the later adapters bring:
//! `publish` may upload, create a container and poll a remote job before
//! it returns, and `find` answers the question the publisher asks after a
//! crash or a timeout: does the post exist there?

pub mod sandbox;
pub mod sandbox_world;
pub mod x;

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use reachloop_ipc::{Attachment, Platform};

/// What to publish.
#[derive(Debug, Clone)]
pub struct PublishRequest {
    pub post_id: String,
    pub account_id: String,
    pub body: String,
    /// The variant's attachments (content-addressed copies).
    pub media: Vec<Attachment>,
    /// 1 for the first attempt; more after verifying an earlier one absent.
    pub attempt: u32,
    /// When the attempt was recorded (`find` looks from here on)...
    pub attempt_started_at: DateTime<Utc>,
    /// ...to here: the attempt cannot outlive its claim.
    pub attempt_ends_by: DateTime<Utc>,
    /// Where the adapter says how far the media upload got.
    pub progress: Progress,
    /// For `find`: the platform's ids of the account's other posts that
    /// Reachloop has recorded lately. None of them is this post, however
    /// alike their texts (a text may be posted twice).
    pub already_ours: Vec<String>,
}

/// How far a post's media upload got: bytes of all its attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadProgress {
    pub sent: u64,
    pub total: u64,
    /// Every byte is up; the platform is processing it.
    pub processing: bool,
}

/// Where an adapter reports upload progress (the publisher keeps it on the
/// post for the calendar). The default reports nowhere.
#[derive(Clone, Default)]
pub struct Progress(Option<std::sync::Arc<dyn Fn(UploadProgress) + Send + Sync>>);

impl Progress {
    pub fn new(report: impl Fn(UploadProgress) + Send + Sync + 'static) -> Progress {
        Progress(Some(std::sync::Arc::new(report)))
    }

    pub fn report(&self, p: UploadProgress) {
        if let Some(f) = &self.0 {
            f(p);
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(reported)"
        } else {
            "Progress(none)"
        })
    }
}

/// What the platform gave back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub remote_id: String,
    pub url: Option<String>,
    /// The limits the platform reported with its answer.
    pub limits: Vec<ObservedLimit>,
}

/// A posting limit a platform documents: at most `posts` per account in
/// `window_secs`. The scheduler warns before a plan breaks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap {
    pub posts: u32,
    pub window_secs: i64,
    pub name: &'static str,
}

/// A limit as the platform last reported it (X's `x-rate-limit-*` and
/// 24-hour headers): how many posts are left until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedLimit {
    pub name: String,
    pub window_secs: i64,
    pub limit: u32,
    pub remaining: u32,
    pub resets_at: DateTime<Utc>,
    /// The app's limit, shared by every account.
    pub whole_platform: bool,
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

/// The posting limits `platform` documents (what its adapter's `caps`
/// says), for warnings where no adapter is at hand.
pub fn caps_of(platform: Platform) -> &'static [Cap] {
    match platform {
        Platform::X => x::CAPS,
        _ => &[],
    }
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One network.
pub trait Adapter: Send + Sync {
    fn platform(&self) -> Platform;
    /// The posting limits the platform documents.
    fn caps(&self) -> &'static [Cap] {
        &[]
    }
    /// How long after an attempt `find` can be trusted (a platform whose
    /// lists are eventually consistent shows a new post only after a while).
    fn settle(&self) -> chrono::Duration {
        chrono::Duration::zero()
    }
    /// How much faster than real time its audience lives (the Sandbox in
    /// demos and tests): the optimizer's mature age is divided by it.
    fn audience_speedup(&self) -> f64 {
        1.0
    }
    fn publish<'a>(
        &'a self,
        req: &'a PublishRequest,
    ) -> BoxFuture<'a, Result<Receipt, PublishError>>;
    fn find<'a>(&'a self, req: &'a PublishRequest) -> BoxFuture<'a, Lookup>;
}

/// A published post whose metrics the collector asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsRequest {
    pub post_id: String,
    pub account_id: String,
    /// The platform's id for the post.
    pub remote_id: String,
    pub variant_id: Option<String>,
    pub published_at: DateTime<Utc>,
}

/// What the platform said about one post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    Metrics(crate::analytics::Metrics),
    /// Deleted on the platform (or no longer visible to the account):
    /// polling it ends, its history stays.
    Gone(String),
    /// This post could not be read this time (the others could): asked
    /// again at its next poll.
    Failed(String),
}

/// Reading a network's metrics, for published posts of one account at a
/// time. Failures are classified as for publishing: a 429 holds the
/// account or the platform until the stated time, `Retry` waits for the
/// next poll, `Permanent` (a revoked sign-in) too, with guidance; the
/// publisher's `Unknown` does not occur (a read changes nothing).
pub trait MetricsSource: Send + Sync {
    fn platform(&self) -> Platform;
    /// How many posts one request may ask about (X: 100).
    fn batch(&self) -> usize {
        1
    }
    /// How much faster than real time the network's audience lives (the
    /// Sandbox in demos and tests); its posts are polled as much sooner.
    fn speedup(&self) -> f64 {
        1.0
    }
    /// The metrics of `posts` (all of `account_id`, at most `batch()`),
    /// as of `now`; one answer per post asked about, by post id.
    fn metrics<'a>(
        &'a self,
        account_id: &'a str,
        posts: &'a [MetricsRequest],
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Vec<(String, Fetched)>, PublishError>>;
}
