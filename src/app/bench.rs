//! `reachloop-cli bench publish`: how fast the publisher claims and drains
//! posts against the Sandbox with a given latency and a per-account rate
//! limit, in a throwaway data directory (never the user's).

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use reachloop_ipc::{
    AnalyticsFilter, CampaignStatus, NewCampaign, NewSchedule, Platform, VariantText,
};

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
            unverifiable: false,
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

/// What `bench analytics` measures.
#[derive(Debug, Clone, Copy)]
pub struct BenchAnalytics {
    pub posts: u32,
    pub snapshots: u64,
}

/// What `bench analytics` measured.
#[derive(Debug, Clone)]
pub struct AnalyticsReport {
    pub posts: u32,
    pub snapshots: u64,
    /// Setting up the published posts (not timed as ingest).
    pub setup: StdDuration,
    pub ingest: StdDuration,
    /// Each dashboard refresh, by filter: the median of 5.
    pub refresh: Vec<(String, StdDuration)>,
    pub csv: StdDuration,
    pub csv_rows: usize,
    /// One post by age beside its campaign's others (median of 5), and
    /// how many posts and snapshots near the ages that read.
    pub post_by_age: StdDuration,
    pub post_peers: usize,
    pub post_snapshots: usize,
    /// That post's chart as PNG (fonts loaded and all).
    pub png: StdDuration,
    pub db_bytes: u64,
    pub peak_rss_kib: Option<u64>,
}

/// Published posts across 10 campaigns, 5 Sandbox and 5 X accounts over
/// 90 days, then `snapshots` snapshots ingested in batches of 1,000 (as a
/// busy collector writes them), then the dashboard with each filter and a
/// campaign's CSV.
pub async fn analytics(opts: BenchAnalytics) -> Result<AnalyticsReport, Error> {
    use crate::analytics::Metrics;
    use crate::store::{ConnectedAccount, Snapshot};
    let dir = tempfile::Builder::new()
        .prefix("reachloop-bench-")
        .tempdir()
        .map_err(|e| Error::Media(format!("cannot make a temporary directory: {e}")))?;
    let app = App::open(dir.path()).await?;
    let store = app.store().clone();
    let now = Utc::now();
    let t0 = now - Duration::days(90);
    let started = Instant::now();
    let mut accounts = Vec::new();
    for a in 0..5 {
        accounts.push((
            Platform::Sandbox,
            app.connect_sandbox(t0, &format!("Bench {a}")).await?.id,
        ));
        // The bench never calls X: its accounts need no working token.
        let id = uuid::Uuid::new_v4().to_string();
        let (external, handle) = (format!("{}", 9_000 + a), format!("@bench{a}"));
        store
            .save_connected_account(
                t0,
                &ConnectedAccount {
                    id: &id,
                    platform: Platform::X,
                    external_id: &external,
                    handle: &handle,
                    display_name: "Bench",
                    scopes: "",
                    access_token_enc: b"bench",
                    refresh_token_enc: None,
                    token_expires_at: None,
                    refresh_expires_at: None,
                    next_refresh_at: None,
                    auth_flavor: None,
                    grant: None,
                },
            )
            .await?;
        accounts.push((Platform::X, id));
    }
    let mut campaigns = Vec::new();
    for c in 0..10 {
        let campaign = app
            .create_campaign(
                t0,
                uuid::Uuid::new_v4(),
                Actor::System,
                &NewCampaign {
                    name: format!("Bench campaign {c}"),
                    platforms: vec!["sandbox".into(), "x".into()],
                    goal: "engagement".into(),
                    ..Default::default()
                },
            )
            .await?;
        let mut variants = Vec::new();
        for platform in [Platform::Sandbox, Platform::X] {
            for v in 0..2 {
                let text = VariantText {
                    title: None,
                    body: format!("Bench variant {v} of campaign {c}, for {platform}"),
                };
                variants.push((
                    platform,
                    app.add_variant(t0, &campaign.id, platform, &text, Actor::System)
                        .await?
                        .id,
                ));
            }
        }
        app.set_campaign_status(t0, &campaign.id, Actor::System, CampaignStatus::Active)
            .await?;
        campaigns.push((campaign.id, variants));
    }
    // Each (campaign, account) gets its share of the posts, spread over
    // the 90 days.
    let pairs = campaigns.len() * accounts.len();
    let per = (opts.posts as usize).div_ceil(pairs).max(1);
    let span = (now - t0).num_seconds() - 3_600;
    let mut made = 0usize;
    'plan: for (c, (campaign, _)) in campaigns.iter().enumerate() {
        for (a, (platform, account)) in accounts.iter().enumerate() {
            if made >= opts.posts as usize {
                break 'plan;
            }
            let n = per.min(opts.posts as usize - made);
            let schedule = app
                .create_schedule(
                    t0,
                    Actor::System,
                    &NewSchedule {
                        campaign_id: campaign.clone(),
                        platform: platform.as_str().into(),
                        account_id: account.clone(),
                        run_at: Some((now + Duration::days(400)).to_rfc3339()),
                        time_zone: "UTC".into(),
                        ..NewSchedule::default()
                    },
                    "UTC",
                )
                .await?;
            let slots: Vec<_> = (0..n)
                .map(|k| {
                    let i = (k * pairs + c * accounts.len() + a) as i64;
                    t0 + Duration::seconds(i * span / i64::from(opts.posts.max(1)))
                })
                .collect();
            store.plan_posts(t0, &schedule, &slots).await?;
            made += n;
        }
    }
    let claimed = store
        .claim_due_posts(
            now,
            "bench",
            Duration::hours(2),
            Duration::days(100),
            opts.posts,
        )
        .await?;
    let mut published = Vec::new();
    for p in &claimed {
        let Some((_, variants)) = campaigns.iter().find(|(id, _)| *id == p.campaign_id) else {
            continue;
        };
        let Some((_, v)) = variants.iter().find(|(pl, _)| pl.as_str() == p.provider_id) else {
            continue;
        };
        if !store.begin_attempt(now, &p.id, "bench", v).await? {
            continue;
        }
        let at = crate::time::from_db(&p.scheduled_at).unwrap_or(now);
        store
            .finish_published(
                at,
                &p.id,
                crate::store::Finisher::Claim("bench"),
                &format!("bench-{}", p.id),
                None,
                "published",
            )
            .await?;
        published.push((p.id.clone(), at));
    }
    let setup = started.elapsed();

    // Snapshots: cumulative, growing, spread over each post's life so far.
    let per_post = (opts.snapshots / published.len().max(1) as u64).max(1);
    let mut total = 0u64;
    let started = Instant::now();
    let mut batch: Vec<(String, DateTime<Utc>, Metrics)> = Vec::with_capacity(1_000);
    let flush = |batch: &mut Vec<(String, DateTime<Utc>, Metrics)>| {
        let store = store.clone();
        let rows = std::mem::take(batch);
        async move {
            let snapshots: Vec<Snapshot<'_>> = rows
                .iter()
                .map(|(post, at, m)| Snapshot {
                    captured_at: *at,
                    post_id: post,
                    metrics: m,
                    next: None,
                })
                .collect();
            store.record_snapshots(&snapshots).await
        }
    };
    'ingest: for k in 0..per_post {
        for (i, (post, at)) in published.iter().enumerate() {
            if total >= opts.snapshots {
                break 'ingest;
            }
            let life = (now - *at).num_seconds().max(60);
            let when = *at + Duration::seconds(life * (k as i64 + 1) / per_post as i64);
            let grow = (k + 1) * (10 + (i as u64 % 7));
            batch.push((
                post.clone(),
                when,
                Metrics {
                    impressions: Some(grow * 40),
                    views: None,
                    likes: Some(grow * 2),
                    comments: Some(grow / 5),
                    shares: Some(grow / 8),
                    clicks: Some(grow),
                    extras: Default::default(),
                },
            ));
            total += 1;
            if batch.len() == 1_000 {
                flush(&mut batch).await?;
            }
        }
    }
    flush(&mut batch).await?;
    let ingest = started.elapsed();

    let zone = "UTC";
    let (x_account, campaign) = (accounts[1].1.clone(), campaigns[0].0.clone());
    let filters = [
        ("all filters off", AnalyticsFilter::default()),
        (
            "platform = X",
            AnalyticsFilter {
                platforms: vec!["x".into()],
                ..Default::default()
            },
        ),
        (
            "one campaign",
            AnalyticsFilter {
                campaign_id: Some(campaign.clone()),
                ..Default::default()
            },
        ),
        (
            "one account",
            AnalyticsFilter {
                account_id: Some(x_account),
                ..Default::default()
            },
        ),
        (
            "last 7 days",
            AnalyticsFilter {
                from: Some((now - Duration::days(7)).to_rfc3339()),
                ..Default::default()
            },
        ),
        (
            "90 days, all filters off",
            AnalyticsFilter {
                from: Some(t0.to_rfc3339()),
                ..Default::default()
            },
        ),
    ];
    let mut refresh = Vec::new();
    for (name, f) in &filters {
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            std::hint::black_box(app.dashboard(f, zone, now).await?);
            times.push(t.elapsed());
        }
        times.sort();
        refresh.push((name.to_string(), times[times.len() / 2]));
    }
    let t = Instant::now();
    let text = app
        .campaign_csv(
            &AnalyticsFilter {
                campaign_id: Some(campaign),
                ..Default::default()
            },
            zone,
            now,
        )
        .await?;
    let csv = t.elapsed();
    let sample = claimed
        .iter()
        .find(|p| p.campaign_id == campaigns[0].0 && p.provider_id == "x")
        .map(|p| p.id.clone())
        .unwrap_or_default();
    let mut times = Vec::new();
    let mut history = None;
    for _ in 0..5 {
        let t = Instant::now();
        history = Some(std::hint::black_box(app.post_history(&sample, now).await?));
        times.push(t.elapsed());
    }
    times.sort();
    let post_by_age = times[times.len() / 2];
    let (post_peers, post_snapshots) = match app
        .store()
        .post_with_peers(&sample, |_| crate::analytics::age::windows(1.0))
        .await?
    {
        Some(p) => (
            p.histories.len(),
            p.histories.iter().map(|h| h.snapshots.len()).sum(),
        ),
        None => (0, 0),
    };
    let t = Instant::now();
    if let Some(h) = history {
        std::hint::black_box(super::analytics::chart_png(&h.chart_svg)?);
    }
    let png = t.elapsed();
    let db_bytes = [
        crate::paths::DATABASE_FILE.to_string(),
        format!("{}-wal", crate::paths::DATABASE_FILE),
    ]
    .iter()
    .filter_map(|f| std::fs::metadata(dir.path().join(f)).ok())
    .map(|m| m.len())
    .sum();
    app.store().clone().close().await;
    Ok(AnalyticsReport {
        posts: published.len() as u32,
        snapshots: total,
        setup,
        ingest,
        refresh,
        csv,
        csv_rows: text.lines().count(),
        post_by_age,
        post_peers,
        post_snapshots,
        png,
        db_bytes,
        peak_rss_kib: peak_rss_kib(),
    })
}

/// What `bench calendar-seed` made and how long the Calendar's reads of
/// it took in the core.
#[derive(Debug, Clone)]
pub struct CalendarSeedReport {
    pub posts: u32,
    pub setup: StdDuration,
    /// The month's days (counts and 4 posts a day), as the month view asks.
    pub month: StdDuration,
    /// One week (20 posts a day), as the week view asks.
    pub week: StdDuration,
    /// One page of 100 posts of one day.
    pub day_page: StdDuration,
    pub busiest_day: u32,
}

/// `posts` upcoming posts spread over the month of `today` (UTC), across
/// two Sandbox accounts and two active campaigns, in `dir`, which must
/// be a new, empty data directory (never the user's); publishing is
/// paused there, so the app opened on it only shows them. Then times the
/// Calendar's reads of that month, a week of it and a day.
pub async fn calendar_seed(
    dir: &std::path::Path,
    posts: u32,
    today: chrono::NaiveDate,
) -> Result<CalendarSeedReport, Error> {
    use chrono::{Datelike, Months, NaiveTime};
    use reachloop_ipc::{CalendarDayQuery, CalendarQuery};
    const MOST_POSTS: u32 = 200_000;
    if posts == 0 || posts > MOST_POSTS {
        return Err(Error::Media(format!("give 1 to {MOST_POSTS} posts")));
    }
    // Never the user's data: a folder that does not exist yet, made here
    // (`create_dir` fails on anything already there, a link included),
    // and not where Reachloop keeps its data.
    let refuse = |why: &str| {
        Error::Media(format!(
            "{}: {why}; the bench only fills a new, throwaway data directory",
            dir.display()
        ))
    };
    if let Ok(real) = crate::paths::data_dir() {
        let inside = |p: &std::path::Path| {
            let p = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
            let real = std::path::absolute(&real).unwrap_or_else(|_| real.clone());
            p.starts_with(&real)
        };
        if inside(dir) {
            return Err(refuse("that is Reachloop's own data directory"));
        }
    }
    std::fs::create_dir(dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => refuse("it already exists"),
        _ => refuse(&format!("cannot create it ({e})")),
    })?;
    let started = Instant::now();
    let app = App::open(dir).await?;
    let first = today.with_day(1).unwrap_or(today);
    let t0 = first.and_time(NaiveTime::MIN).and_utc();
    let end = (first + Months::new(1)).and_time(NaiveTime::MIN).and_utc();
    app.set_publishing_paused(t0, Actor::System, true).await?;
    let mut accounts = Vec::new();
    for a in 0..2 {
        accounts.push(app.connect_sandbox(t0, &format!("Bench {a}")).await?.id);
    }
    let mut pairs = Vec::new();
    for c in 0..2 {
        let campaign = app
            .create_campaign(
                t0,
                uuid::Uuid::new_v4(),
                Actor::System,
                &NewCampaign {
                    name: format!("Calendar bench {c}"),
                    platforms: vec!["sandbox".into()],
                    goal: "reach".into(),
                    ..Default::default()
                },
            )
            .await?;
        for v in 0..2 {
            let text = VariantText {
                title: None,
                body: format!("Calendar bench variant {v} of campaign {c}"),
            };
            app.add_variant(t0, &campaign.id, Platform::Sandbox, &text, Actor::System)
                .await?;
        }
        app.set_campaign_status(t0, &campaign.id, Actor::System, CampaignStatus::Active)
            .await?;
        for account in &accounts {
            pairs.push((campaign.id.clone(), account.clone()));
        }
    }
    let span = (end - t0).num_seconds();
    let per_pair = posts.div_ceil(pairs.len() as u32);
    let mut made = 0u32;
    for (k, (campaign, account)) in pairs.iter().enumerate() {
        let n = per_pair.min(posts - made);
        let schedule = app
            .create_schedule(
                t0,
                Actor::System,
                &NewSchedule {
                    campaign_id: campaign.clone(),
                    platform: "sandbox".into(),
                    account_id: account.clone(),
                    run_at: Some((end + Duration::days(400)).to_rfc3339()),
                    time_zone: "UTC".into(),
                    ..NewSchedule::default()
                },
                "UTC",
            )
            .await?;
        let slots: Vec<DateTime<Utc>> = (0..n)
            .map(|i| {
                let i = i64::from(i) * pairs.len() as i64 + k as i64;
                t0 + Duration::seconds(i * span / i64::from(posts.max(1)))
            })
            .collect();
        app.store().plan_posts(t0, &schedule, &slots).await?;
        made += n;
    }
    let setup = started.elapsed();
    let ask = |from: chrono::NaiveDate, to: chrono::NaiveDate, per_day| CalendarQuery {
        from: from.to_string(),
        to: to.to_string(),
        zone: "UTC".into(),
        per_day,
        selected: None,
    };
    let t = Instant::now();
    let month = app
        .calendar_days(&ask(
            first,
            first + Months::new(1) - chrono::Days::new(1),
            4,
        ))
        .await?;
    let month_time = t.elapsed();
    let t = Instant::now();
    app.calendar_days(&ask(today, today + chrono::Days::new(6), 20))
        .await?;
    let week_time = t.elapsed();
    let t = Instant::now();
    app.calendar_day(&CalendarDayQuery {
        day: today.to_string(),
        zone: "UTC".into(),
        offset: 100,
        limit: 100,
    })
    .await?;
    let day_page = t.elapsed();
    Ok(CalendarSeedReport {
        posts: month.days.iter().map(|d| d.total).sum(),
        setup,
        month: month_time,
        week: week_time,
        day_page,
        busiest_day: month.days.iter().map(|d| d.total).max().unwrap_or(0),
    })
}
