//! `reachloop-cli bench publish`: how fast the publisher claims and drains
//! posts against the Sandbox with a given latency and a per-account rate
//! limit, in a throwaway data directory (never the user's).

use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use reachloop_ipc::{CampaignStatus, NewCampaign, NewSchedule, Platform, VariantText};

use super::App;
use crate::platforms::sandbox::{Sandbox, SandboxConfig};
use crate::publish::{self, Adapters};
use crate::store::Actor;
use crate::Error;

/// What to measure.
#[derive(Debug, Clone, Copy)]
pub struct BenchPublish {
    pub posts: u32,
    pub accounts: u32,
    pub latency: StdDuration,
    /// Posts per account per window.
    pub rate_limit: (u32, Duration),
}

/// What was measured.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub claim: StdDuration,
    pub drain: StdDuration,
    /// The least time the rate limit and latency allow.
    pub bound: StdDuration,
    pub published: u64,
    pub duplicates: i64,
    pub peak_rss_kib: Option<u64>,
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The least drain time: each account's posts go one after another, at
/// most `n` per `window`; accounts run side by side.
pub fn lower_bound(
    posts_per_account: u32,
    latency: StdDuration,
    (n, window): (u32, Duration),
) -> StdDuration {
    let per = posts_per_account.max(1);
    let windows = per.div_ceil(n.max(1));
    let last = per - (windows - 1) * n.max(1);
    let waits = window.to_std().unwrap_or_default() * (windows - 1);
    (waits + latency * last).max(latency * per)
}

pub async fn publish(opts: BenchPublish) -> Result<BenchReport, Error> {
    let dir = tempfile::Builder::new()
        .prefix("reachloop-bench-")
        .tempdir()
        .map_err(|e| Error::Media(format!("cannot make a temporary directory: {e}")))?;
    let app = App::open(dir.path()).await?;
    let now = Utc::now();
    let c = app
        .create_campaign(
            now,
            uuid::Uuid::new_v4(),
            Actor::System,
            &NewCampaign {
                name: "Bench".into(),
                platforms: vec!["sandbox".into()],
                goal: "reach".into(),
                ..Default::default()
            },
        )
        .await?;
    for body in [
        "Bench variant one",
        "Bench variant two",
        "Bench variant three",
    ] {
        app.add_variant(
            now,
            &c.id,
            Platform::Sandbox,
            &VariantText {
                title: None,
                body: body.into(),
            },
            Actor::System,
        )
        .await?;
    }
    app.set_campaign_status(now, &c.id, Actor::System, CampaignStatus::Active)
        .await?;
    let per = opts.posts / opts.accounts.max(1);
    for a in 0..opts.accounts {
        let account = app.connect_sandbox(now, &format!("Bench {a}")).await?;
        let schedule = app
            .create_schedule(
                now,
                Actor::System,
                &NewSchedule {
                    campaign_id: c.id.clone(),
                    platform: "sandbox".into(),
                    account_id: account.id,
                    run_at: Some((now + Duration::hours(1)).to_rfc3339()),
                    time_zone: "UTC".into(),
                    ..NewSchedule::default()
                },
                "UTC",
            )
            .await?;
        // All due now: one slot a second back from now.
        let slots: Vec<_> = (1..=i64::from(per))
            .map(|k| now - Duration::seconds(k))
            .collect();
        app.store().plan_posts(now, &schedule, &slots).await?;
    }
    let store = app.store();
    let grace = Duration::hours(2);
    let started = Instant::now();
    let claimed = store
        .claim_due_posts(Utc::now(), "bench-claim", publish::LEASE, grace, opts.posts)
        .await?;
    let claim = started.elapsed();
    for p in &claimed {
        store
            .release_claim(Utc::now(), &p.id, "bench-claim")
            .await?;
    }
    let adapters = Adapters(vec![Box::new(Sandbox::new(
        store.clone(),
        SandboxConfig {
            seed: Some(7),
            latency: opts.latency,
            failure_rate: 0.0,
            lost_answer_rate: 0.0,
            rate_limit: Some(opts.rate_limit),
            speedup: 1.0,
        },
    ))]);
    let clock = Utc::now;
    let started = Instant::now();
    let mut published = 0u64;
    let timing = publish::Timing {
        claim: publish::LEASE,
        grace,
        limit: opts.posts,
        ..publish::Timing::default()
    };
    while published < u64::from(per * opts.accounts) {
        let r = publish::round_with(store, &adapters, "bench", &clock, timing).await?;
        published += u64::from(r.published);
        if r.published == 0 {
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
        if started.elapsed() > StdDuration::from_secs(3600) {
            break;
        }
    }
    let drain = started.elapsed();
    let mut on_network = 0;
    for a in app.store().list_accounts().await? {
        on_network += store.sandbox_count(&a.id).await?;
    }
    let report = BenchReport {
        claim,
        drain,
        bound: lower_bound(per, opts.latency, opts.rate_limit),
        published,
        duplicates: on_network - i64::try_from(published).unwrap_or(i64::MAX),
        peak_rss_kib: peak_rss_kib(),
    };
    app.store().clone().close().await;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_counts_rate_limit_windows_and_latency() {
        let l = StdDuration::from_millis(50);
        // 100 posts, 25 per 10 s: three waits of 10 s, then 25 × 50 ms.
        assert_eq!(
            lower_bound(100, l, (25, Duration::seconds(10))),
            StdDuration::from_millis(31_250)
        );
        // Under the limit: latency alone.
        assert_eq!(
            lower_bound(10, l, (25, Duration::seconds(10))),
            StdDuration::from_millis(500)
        );
    }
}
