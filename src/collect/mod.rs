//! The metrics collector: polls published posts on the decaying schedule
//! of [`crate::analytics::next_poll`], a batch per account at a time, and
//! keeps every answer as a snapshot. Reads share the publisher's persisted
//! holds: a platform-wide hold (a usage cap, the breaker) stops reads too,
//! and a 429 on a read holds that account's (or platform's) reads until
//! the stated time, across restarts. One post's or one account's failure
//! never stops the round.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::analytics;
use crate::platforms::{Fetched, MetricsRequest, MetricsSource, PublishError};
use crate::store::{DuePoll, Snapshot, Store, StoreError};

/// The metrics sources by platform.
pub struct Sources(pub Vec<Box<dyn MetricsSource>>);

impl Sources {
    fn for_platform(&self, provider: &str) -> Option<&dyn MetricsSource> {
        self.0
            .iter()
            .find(|s| s.platform().as_str() == provider)
            .map(|s| s.as_ref())
    }

    fn speedup_of(&self, provider: &str) -> f64 {
        self.for_platform(provider).map_or(1.0, |s| s.speedup())
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CollectRound {
    /// Newly published posts whose polls were planned.
    pub planned: u32,
    /// Snapshots kept.
    pub snapshots: u32,
    /// Posts the platform no longer has.
    pub gone: u32,
    /// Posts asked again later (a failed read, no collector yet).
    pub deferred: u32,
    /// Posts left for later because their account or platform is held.
    pub held: u32,
}

/// How long a failed read waits before it is asked again.
pub const RETRY_AFTER: Duration = Duration::minutes(15);
/// How long a refused read (a revoked sign-in) waits.
pub const REFUSED_WAIT: Duration = Duration::hours(6);
/// How long posts of a platform without a collector wait.
const NO_SOURCE_WAIT: Duration = Duration::days(1);
/// At most this many posts per round.
pub const ROUND_LIMIT: u32 = 2_000;

/// The holds that stop reading `account`'s metrics on `provider`.
fn read_scopes(provider: &str, account: &str) -> Vec<String> {
    vec![
        format!("platform:{provider}"),
        format!("reads:platform:{provider}"),
        format!("reads:account:{account}"),
    ]
}

/// One collecting round at `clock()`: plan the polls of new posts, then
/// poll what is due.
pub async fn round(
    store: &Store,
    sources: &Sources,
    clock: &(dyn Fn() -> DateTime<Utc> + Sync),
    limit: u32,
) -> Result<CollectRound, StoreError> {
    let mut report = CollectRound::default();
    let now = clock();
    let fresh = store.published_without_polls(limit).await?;
    let plans: Vec<_> = fresh
        .into_iter()
        .map(|(id, provider, published)| {
            let speedup = sources.speedup_of(&provider);
            let next = crate::time::from_db(&published)
                .ok()
                .and_then(|p| analytics::next_poll_at_speed(p, now, speedup));
            (id, next)
        })
        .collect();
    report.planned = u32::try_from(plans.len()).unwrap_or(u32::MAX);
    store.plan_polls(&plans).await?;

    let due = store.due_polls(now, limit).await?;
    let mut groups: Vec<((String, String), Vec<DuePoll>)> = Vec::new();
    for p in due {
        let key = (p.provider_id.clone(), p.account_id.clone());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g.push(p),
            None => groups.push((key, vec![p])),
        }
    }
    for ((provider, account), group) in groups {
        match crate::background::isolate(poll_account(
            store,
            sources,
            clock,
            &provider,
            &account,
            &group,
            &mut report,
        ))
        .await
        {
            Ok(()) => {}
            Err(e) => {
                tracing::warn!(account = %account, "collecting metrics failed: {e}");
                for p in &group {
                    let _ = store
                        .defer_poll(&p.post_id, clock() + RETRY_AFTER, "Reading metrics failed.")
                        .await;
                }
            }
        }
    }
    Ok(report)
}

async fn poll_account(
    store: &Store,
    sources: &Sources,
    clock: &(dyn Fn() -> DateTime<Utc> + Sync),
    provider: &str,
    account: &str,
    group: &[DuePoll],
    report: &mut CollectRound,
) -> Result<(), StoreError> {
    let Some(source) = sources.for_platform(provider) else {
        for p in group {
            store
                .defer_poll(
                    &p.post_id,
                    clock() + NO_SOURCE_WAIT,
                    "Reachloop cannot read this platform's metrics yet.",
                )
                .await?;
            report.deferred += 1;
        }
        return Ok(());
    };
    if store
        .any_held(clock(), &read_scopes(provider, account))
        .await?
    {
        report.held += u32::try_from(group.len()).unwrap_or(u32::MAX);
        return Ok(());
    }
    let mut requests = Vec::new();
    for p in group {
        match crate::time::from_db(&p.published_at) {
            Ok(published_at) => requests.push(MetricsRequest {
                post_id: p.post_id.clone(),
                account_id: p.account_id.clone(),
                remote_id: p.remote_id.clone(),
                variant_id: p.variant_id.clone(),
                published_at,
            }),
            Err(e) => {
                store
                    .mark_gone(
                        clock(),
                        &p.post_id,
                        &format!("unreadable publishing time: {e}"),
                    )
                    .await?;
                report.gone += 1;
            }
        }
    }
    let platform_reads = format!("reads:platform:{provider}");
    let mut chunks = requests.chunks(source.batch().max(1));
    while let Some(chunk) = chunks.next() {
        let now = clock();
        match source.metrics(account, chunk, now).await {
            Ok(answers) => {
                store.clear_failures(&platform_reads).await?;
                let mut by_id: HashMap<String, Fetched> = answers.into_iter().collect();
                // The batch's snapshots go in one transaction.
                let mut kept = Vec::new();
                for r in chunk {
                    match by_id.remove(&r.post_id) {
                        Some(Fetched::Metrics(m)) => {
                            let next = analytics::next_poll_at_speed(
                                r.published_at,
                                now,
                                source.speedup(),
                            );
                            kept.push((r.post_id.as_str(), m, next));
                        }
                        Some(Fetched::Gone(why)) => {
                            store.mark_gone(now, &r.post_id, &why).await?;
                            report.gone += 1;
                        }
                        failed => {
                            let why = match failed {
                                Some(Fetched::Failed(why)) => why,
                                _ => "The platform's answer left this post out.".to_string(),
                            };
                            store
                                .defer_poll(&r.post_id, now + RETRY_AFTER, &why)
                                .await?;
                            report.deferred += 1;
                        }
                    }
                }
                let snapshots: Vec<Snapshot<'_>> = kept
                    .iter()
                    .map(|(post_id, metrics, next)| Snapshot {
                        captured_at: now,
                        post_id,
                        metrics,
                        next: *next,
                    })
                    .collect();
                store.record_snapshots(&snapshots).await?;
                report.snapshots += u32::try_from(snapshots.len()).unwrap_or(u32::MAX);
            }
            Err(e) => {
                // This batch and the account's others wait.
                let rest: Vec<&MetricsRequest> =
                    chunk.iter().chain(chunks.by_ref().flatten()).collect();
                let (until, why) = match e {
                    PublishError::RateLimited {
                        until,
                        whole_platform,
                        message,
                    } => {
                        let scope = if whole_platform {
                            platform_reads.clone()
                        } else {
                            format!("reads:account:{account}")
                        };
                        store.pause_scope(now, &scope, until, &message).await?;
                        (until, message)
                    }
                    PublishError::Retry { message, .. } => {
                        let failures = store.count_failure(now, &platform_reads).await?;
                        if failures >= crate::publish::BREAKER_AFTER {
                            let until = now + crate::publish::breaker_wait(failures);
                            store
                                .pause_scope(
                                    now,
                                    &platform_reads,
                                    until,
                                    &format!("{failures} failed reads in a row: {message}"),
                                )
                                .await?;
                        }
                        (now + RETRY_AFTER, message)
                    }
                    PublishError::Unknown(message) => (now + RETRY_AFTER, message),
                    PublishError::Permanent { message, .. } => (now + REFUSED_WAIT, message),
                };
                for r in rest {
                    store.defer_poll(&r.post_id, until, &why).await?;
                    report.deferred += 1;
                }
                return Ok(());
            }
        }
    }
    Ok(())
}
