//! The Sandbox: a simulated network built in, with no internet and no
//! sign-in. Posts "publish" after a realistic latency, with occasional
//! injected failures, including the dangerous one where the post is
//! created but the answer is lost. Every draw is deterministic from the
//! seed and the attempt, so a run can be replayed.

use std::time::Duration;

use reachloop_ipc::Platform;
use sha2::{Digest, Sha256};

use super::{
    Adapter, BoxFuture, Fetched, Lookup, MetricsRequest, MetricsSource, PublishError,
    PublishRequest, Receipt,
};
use crate::store::Store;

/// How the simulated network behaves.
#[derive(Debug, Clone, Copy)]
pub struct SandboxConfig {
    /// The world's seed; `None`: the one in Settings (picked at random on
    /// first use, shown and changeable there and with `reachloop-cli
    /// sandbox seed`).
    pub seed: Option<u64>,
    pub latency: Duration,
    /// Share of attempts refused before anything is created.
    pub failure_rate: f64,
    /// Share of attempts where the post is created but the answer is lost.
    pub lost_answer_rate: f64,
    /// At most this many posts per account in this window (a platform's
    /// rate limit, answered as X does: refused until the window resets).
    pub rate_limit: Option<(u32, chrono::Duration)>,
    /// How much faster than real time its audience lives (1: real time);
    /// `REACHLOOP_SANDBOX_SPEEDUP=900` makes an hour pass in four seconds,
    /// for demos and tests.
    pub speedup: f64,
}

impl SandboxConfig {
    /// The defaults, overridden by `REACHLOOP_SANDBOX_SEED`,
    /// `…_LATENCY_MS`, `…_FAILURE_RATE` and `…_LOST_ANSWER_RATE` (demos and
    /// fault tests).
    pub fn from_env() -> SandboxConfig {
        let d = SandboxConfig::default();
        let var = |name: &str| std::env::var(format!("REACHLOOP_SANDBOX_{name}")).ok();
        let rate = |name: &str, default: f64| {
            var(name)
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|r| (0.0..=1.0).contains(r))
                .unwrap_or(default)
        };
        SandboxConfig {
            seed: var("SEED").and_then(|v| v.parse().ok()).or(d.seed),
            latency: var("LATENCY_MS")
                .and_then(|v| v.parse().ok())
                .map(Duration::from_millis)
                .unwrap_or(d.latency),
            failure_rate: rate("FAILURE_RATE", d.failure_rate),
            lost_answer_rate: rate("LOST_ANSWER_RATE", d.lost_answer_rate),
            // "N/SECONDS", e.g. 100/900 for X's 100 posts per 15 minutes.
            speedup: var("SPEEDUP")
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|s| s.is_finite() && (1.0..=100_000.0).contains(s))
                .unwrap_or(d.speedup),
            rate_limit: var("RATE_LIMIT").and_then(|v| {
                let (n, secs) = v.split_once('/')?;
                Some((
                    n.trim().parse().ok()?,
                    chrono::Duration::seconds(secs.trim().parse().ok()?),
                ))
            }),
        }
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            seed: None,
            latency: Duration::from_millis(300),
            failure_rate: 0.03,
            lost_answer_rate: 0.0,
            rate_limit: None,
            speedup: 1.0,
        }
    }
}

/// A new world's seed: six digits, easy to read out and type back.
pub fn fresh_seed(rng: &mut impl rand::Rng) -> u32 {
    rng.gen_range(100_000..1_000_000)
}

pub struct Sandbox {
    store: Store,
    config: SandboxConfig,
}

impl Sandbox {
    pub fn new(store: Store, config: SandboxConfig) -> Sandbox {
        Sandbox { store, config }
    }

    /// The world's seed: as configured, else the one in Settings.
    async fn seed(&self, now: chrono::DateTime<chrono::Utc>) -> Result<u64, PublishError> {
        match self.config.seed {
            Some(seed) => Ok(seed),
            None => self
                .store
                .sandbox_seed_or_init(now, fresh_seed(&mut rand::rngs::OsRng))
                .await
                .map(u64::from)
                .map_err(|e| PublishError::Retry {
                    code: "sandbox_unavailable".into(),
                    message: format!("The Sandbox could not read its seed: {e}"),
                }),
        }
    }

    /// A uniform draw in `0..1` from the seed and this attempt.
    fn draw(seed: u64, req: &PublishRequest) -> f64 {
        let mut h = Sha256::new();
        h.update(seed.to_le_bytes());
        h.update(req.post_id.as_bytes());
        h.update(crate::time::to_db(req.attempt_started_at).as_bytes());
        let bytes = h.finalize();
        let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
        (n >> 11) as f64 / (1u64 << 53) as f64
    }

    /// What the network does with a post: its rate limit, an injected
    /// hiccup, storing it, and now and then an answer that gets lost.
    async fn accept(&self, req: &PublishRequest) -> Result<Receipt, PublishError> {
        if let Some((max, window)) = self.config.rate_limit {
            let since = req.attempt_started_at - window;
            let (n, first) = self
                .store
                .sandbox_recent(&req.account_id, since)
                .await
                .map_err(|e| PublishError::Retry {
                    code: "sandbox_unavailable".into(),
                    message: format!("The Sandbox could not be read: {e}"),
                })?;
            if n >= i64::from(max) {
                let reset = first
                    .and_then(|f| crate::time::from_db(&f).ok())
                    .map_or(req.attempt_started_at + window, |f| f + window);
                return Err(PublishError::RateLimited {
                    until: reset,
                    whole_platform: false,
                    message: format!(
                        "The Sandbox allows {max} posts per account every {} seconds; this account waits until the limit resets.",
                        window.num_seconds()
                    ),
                });
            }
        }
        let u = Sandbox::draw(self.seed(req.attempt_started_at).await?, req);
        if u < self.config.failure_rate {
            return Err(PublishError::Retry {
                code: "sandbox_unavailable".into(),
                message: "The Sandbox network had a (simulated) hiccup; it will be tried again."
                    .into(),
            });
        }
        let id = format!(
            "sb-{}",
            &hex::encode(Sha256::digest(format!("{}{}", req.post_id, u).as_bytes()))[..16]
        );
        self.store
            .sandbox_insert(req.attempt_started_at, &id, &req.account_id, &req.body)
            .await
            .map_err(|e| {
                PublishError::Unknown(format!("the Sandbox could not store the post: {e}"))
            })?;
        if u < self.config.failure_rate + self.config.lost_answer_rate {
            return Err(PublishError::Unknown(
                "The Sandbox did not answer in time (simulated); it may have the post.".into(),
            ));
        }
        Ok(Receipt {
            url: Some(format!("sandbox://posts/{id}")),
            limits: Vec::new(),
            remote_id: id,
        })
    }
}

/// The Sandbox's audience answers like a platform's analytics: counts from
/// the world's seed (`sandbox_world`), for posts it still holds.
impl MetricsSource for Sandbox {
    fn platform(&self) -> Platform {
        Platform::Sandbox
    }

    fn batch(&self) -> usize {
        100
    }

    fn speedup(&self) -> f64 {
        self.config.speedup
    }

    fn metrics<'a>(
        &'a self,
        _account_id: &'a str,
        posts: &'a [MetricsRequest],
        now: chrono::DateTime<chrono::Utc>,
    ) -> BoxFuture<'a, Result<Vec<(String, Fetched)>, PublishError>> {
        Box::pin(async move {
            let seed = self.seed(now).await?;
            let ids: Vec<&str> = posts.iter().map(|p| p.remote_id.as_str()).collect();
            let held = self
                .store
                .sandbox_holds(&ids)
                .await
                .map_err(|e| PublishError::Retry {
                    code: "sandbox_unavailable".into(),
                    message: format!("The Sandbox could not be read: {e}"),
                })?;
            Ok(posts
                .iter()
                .map(|p| {
                    if !held.contains(&p.remote_id) {
                        return (
                            p.post_id.clone(),
                            Fetched::Gone("The Sandbox no longer has this post.".into()),
                        );
                    }
                    let variant = p.variant_id.as_deref().unwrap_or(&p.post_id);
                    // Its audience's clock, `speedup` times faster.
                    let elapsed = (now - p.published_at).num_milliseconds() as f64;
                    let seen = p.published_at
                        + chrono::Duration::milliseconds((elapsed * self.config.speedup) as i64);
                    let c = super::sandbox_world::counts(
                        seed,
                        variant,
                        &p.post_id,
                        p.published_at,
                        seen,
                    );
                    (
                        p.post_id.clone(),
                        Fetched::Metrics(crate::analytics::Metrics {
                            impressions: Some(c.impressions),
                            views: None,
                            likes: Some(c.likes),
                            comments: Some(c.comments),
                            shares: Some(c.shares),
                            clicks: Some(c.clicks),
                            extras: Default::default(),
                        }),
                    )
                })
                .collect())
        })
    }
}

impl Adapter for Sandbox {
    fn platform(&self) -> Platform {
        Platform::Sandbox
    }

    fn publish<'a>(
        &'a self,
        req: &'a PublishRequest,
    ) -> BoxFuture<'a, Result<Receipt, PublishError>> {
        Box::pin(async move {
            // The network answers `latency` after the request, its own
            // bookkeeping included (as a real one's is).
            let answer_at = tokio::time::Instant::now() + self.config.latency;
            let outcome = self.accept(req).await;
            tokio::time::sleep_until(answer_at).await;
            outcome
        })
    }

    fn find<'a>(&'a self, req: &'a PublishRequest) -> BoxFuture<'a, Lookup> {
        Box::pin(async move {
            match self
                .store
                .sandbox_find(
                    &req.account_id,
                    &req.body,
                    req.attempt_started_at,
                    req.attempt_ends_by,
                )
                .await
            {
                Ok(found) => match found.into_iter().next() {
                    Some(id) => Lookup::Found(Receipt {
                        url: Some(format!("sandbox://posts/{id}")),
                        limits: Vec::new(),
                        remote_id: id,
                    }),
                    None => Lookup::Absent,
                },
                Err(e) => Lookup::CannotTell(format!("the Sandbox could not be read: {e}")),
            }
        })
    }
}
