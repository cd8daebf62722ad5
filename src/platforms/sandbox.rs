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
    /// Its lookup never tells whether it has a post (`CannotTell`), as a
    /// network whose listing is down: a post whose answer was lost stays
    /// waiting to be checked, round after round
    /// (`REACHLOOP_SANDBOX_UNVERIFIABLE=1`, for tests and demos).
    pub unverifiable: bool,
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
    /// `…_LATENCY_MS`, `…_FAILURE_RATE`, `…_LOST_ANSWER_RATE` and
    /// `…_UNVERIFIABLE` (demos and fault tests).
    pub fn from_env() -> SandboxConfig {
        SandboxConfig::from_vars(|name| std::env::var(format!("REACHLOOP_SANDBOX_{name}")).ok())
    }

    /// The same, from `var` (a name without its `REACHLOOP_SANDBOX_` prefix).
    fn from_vars(var: impl Fn(&str) -> Option<String>) -> SandboxConfig {
        let d = SandboxConfig::default();
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
            unverifiable: var("UNVERIFIABLE").map_or(d.unverifiable, |v| v == "1"),
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
            unverifiable: false,
            rate_limit: None,
            speedup: 1.0,
        }
    }
}

/// What the Sandbox answers a lookup when it is set not to tell.
pub const UNVERIFIABLE: &str =
    "the Sandbox cannot tell whether it has the post (REACHLOOP_SANDBOX_UNVERIFIABLE)";

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

    fn audience_speedup(&self) -> f64 {
        self.config.speedup
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
            if self.config.unverifiable {
                // Said on every lookup: the end-to-end test counts the
                // rounds that asked by these lines.
                tracing::info!(post = %req.post_id, "{UNVERIFIABLE}");
                return Lookup::CannotTell(UNVERIFIABLE.into());
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A post whose answer the Sandbox lost, looked up twice.
    async fn lost_then_looked_up(
        unverifiable: bool,
    ) -> (Result<Receipt, PublishError>, [Lookup; 2]) {
        let dir = tempfile::tempdir().expect("temp dir");
        let app = crate::app::App::open(dir.path()).await.expect("open");
        let now = chrono::Utc::now();
        let account = app.connect_sandbox(now, "Lost").await.expect("account");
        let sandbox = Sandbox::new(
            app.store().clone(),
            SandboxConfig {
                seed: Some(3),
                latency: Duration::ZERO,
                failure_rate: 0.0,
                lost_answer_rate: 1.0,
                unverifiable,
                rate_limit: None,
                speedup: 1.0,
            },
        );
        let req = PublishRequest {
            post_id: "post-1".into(),
            account_id: account.id.clone(),
            body: "Warm bread at 7".into(),
            media: Vec::new(),
            attempt: 1,
            attempt_started_at: now,
            attempt_ends_by: now + chrono::Duration::minutes(10),
            progress: Default::default(),
            already_ours: Vec::new(),
        };
        let sent = sandbox.publish(&req).await;
        let looked = [sandbox.find(&req).await, sandbox.find(&req).await];
        app.store().clone().close().await;
        (sent, looked)
    }

    #[tokio::test]
    async fn an_unverifiable_sandbox_never_tells_whether_it_has_a_post() {
        let (sent, looked) = lost_then_looked_up(true).await;
        assert!(matches!(sent, Err(PublishError::Unknown(_))), "{sent:?}");
        for lookup in looked {
            assert_eq!(lookup, Lookup::CannotTell(UNVERIFIABLE.into()));
        }
        // Without the setting, the same lost answer's post is found.
        let (sent, looked) = lost_then_looked_up(false).await;
        assert!(matches!(sent, Err(PublishError::Unknown(_))), "{sent:?}");
        assert!(
            looked.iter().all(|l| matches!(l, Lookup::Found(_))),
            "{looked:?}"
        );
    }

    #[test]
    fn unverifiable_is_set_by_its_variable() {
        let with = |value: &'static str| {
            SandboxConfig::from_vars(|name| (name == "UNVERIFIABLE").then(|| value.to_string()))
                .unverifiable
        };
        assert!(with("1"));
        assert!(!with("0"));
        assert!(!SandboxConfig::from_vars(|_| None).unverifiable);
    }
}
