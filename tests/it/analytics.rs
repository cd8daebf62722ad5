//! The dashboard's and the CSV report's figures against a straightforward
//! reference computed from the raw snapshots, on random data: posts on two
//! platforms, campaigns and accounts, snapshots in any order (some counts
//! missing, some going down), and random filters.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use reachloop::analytics::Metrics;
use reachloop::store::Actor;
use reachloop::App;
use reachloop_ipc::{AnalyticsFilter, Figures, Platform};

use crate::data_dir;
use crate::metrics::published;

#[derive(Debug, Clone)]
struct GenPost {
    campaign: usize,
    x: bool,
    account: usize,
    variant: usize,
    /// Hours after the start of the data.
    hour: i64,
    /// (minutes after publishing, counts) in the order they are stored.
    snapshots: Vec<(i64, Metrics)>,
}

fn count() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![1 => Just(None), 4 => (0u64..5_000).prop_map(Some)]
}

fn metrics() -> impl Strategy<Value = Metrics> {
    (count(), count(), count(), count(), count(), count()).prop_map(
        |(impressions, views, likes, comments, shares, clicks)| Metrics {
            impressions,
            views,
            likes,
            comments,
            shares,
            clicks,
            extras: Default::default(),
        },
    )
}

fn post() -> impl Strategy<Value = GenPost> {
    (
        0usize..2,
        any::<bool>(),
        0usize..2,
        0usize..2,
        0i64..(20 * 24),
        prop::collection::vec((15i64..5_000, metrics()), 0..4),
    )
        .prop_map(|(campaign, x, account, variant, hour, snapshots)| GenPost {
            campaign,
            x,
            account,
            variant,
            hour,
            snapshots,
        })
}

#[derive(Debug, Clone)]
struct GenFilter {
    from_day: i64,
    days: i64,
    platforms: Vec<&'static str>,
    campaign: Option<usize>,
    account: Option<usize>,
}

fn filter() -> impl Strategy<Value = GenFilter> {
    (
        0i64..15,
        1i64..20,
        prop_oneof![
            Just(vec![]),
            Just(vec!["x"]),
            Just(vec!["sandbox"]),
            Just(vec!["x", "sandbox"])
        ],
        prop::option::of(0usize..2),
        prop::option::of(0usize..2),
    )
        .prop_map(|(from_day, days, platforms, campaign, account)| GenFilter {
            from_day,
            days,
            platforms,
            campaign,
            account,
        })
}

/// The newest snapshot (the first stored of equal instants).
fn latest(p: &GenPost) -> Option<&Metrics> {
    let mut best: Option<&(i64, Metrics)> = None;
    for s in &p.snapshots {
        if best.is_none_or(|b| s.0 > b.0) {
            best = Some(s);
        }
    }
    best.map(|(_, m)| m)
}

/// The documented rules, written out plainly.
fn reference<'a>(posts: impl Iterator<Item = &'a GenPost>) -> Figures {
    let mut f = Figures::default();
    let sum = |acc: &mut Option<u64>, v: Option<u64>| {
        if let Some(v) = v {
            *acc = Some(acc.unwrap_or(0) + v);
        }
    };
    let (mut en, mut ed, mut cn, mut cd, mut any_e, mut any_c) = (0, 0, 0, 0, false, false);
    for p in posts {
        f.posts += 1;
        let Some(m) = latest(p) else { continue };
        let reach = if m.impressions.is_some() {
            m.impressions
        } else {
            m.views
        };
        sum(&mut f.reach, reach);
        sum(&mut f.likes, m.likes);
        sum(&mut f.comments, m.comments);
        sum(&mut f.shares, m.shares);
        sum(&mut f.clicks, m.clicks);
        let engaged = [m.likes, m.comments, m.shares];
        if let Some(r) = reach {
            if engaged.iter().any(Option::is_some) {
                en += engaged.iter().flatten().sum::<u64>();
                ed += r;
                any_e = true;
            }
            if let Some(c) = m.clicks {
                cn += c;
                cd += r;
                any_c = true;
            }
        }
    }
    f.engagement_rate = (any_e && ed > 0).then(|| en as f64 / ed as f64);
    f.ctr = (any_c && cd > 0).then(|| cn as f64 / cd as f64);
    f
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0)
        .single()
        .expect("start")
}

async fn check(posts: Vec<GenPost>, f: GenFilter) -> Result<(), TestCaseError> {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let store = app.store();
    let t = start() - Duration::days(1);
    let sandbox = [
        app.connect_sandbox(t, "Sandbox A").await.expect("a").id,
        app.connect_sandbox(t, "Sandbox B").await.expect("b").id,
    ];
    let xs = ["acct-x-0", "acct-x-1"];
    for (i, id) in xs.iter().enumerate() {
        store
            .execute_raw(&format!(
                "INSERT INTO social_accounts (id, provider_id, external_id, handle, created_at, updated_at)
                 VALUES ('{id}', 'x', '{i}', '@x{i}', 't', 't')"
            ))
            .await
            .expect("x account");
    }
    let mut campaigns = Vec::new();
    for c in 0..2 {
        let campaign = app
            .create_campaign(
                t,
                uuid::Uuid::new_v4(),
                Actor::User,
                &reachloop_ipc::NewCampaign {
                    name: format!("Campaign {c}, \"quoted\""),
                    platforms: vec!["sandbox".into(), "x".into()],
                    goal: "reach".into(),
                    ..Default::default()
                },
            )
            .await
            .expect("campaign");
        let mut variants = BTreeMap::new();
        for platform in [Platform::Sandbox, Platform::X] {
            for v in 0..2 {
                let body = format!("=Variant {v}, of {c}\nwith \"quotes\" 🍞");
                let id = app
                    .add_variant(
                        t,
                        &campaign.id,
                        platform,
                        &reachloop_ipc::VariantText { title: None, body },
                        Actor::User,
                    )
                    .await
                    .expect("variant")
                    .id;
                variants.insert((platform.as_str(), v), id);
            }
        }
        app.set_campaign_status(
            t,
            &campaign.id,
            Actor::User,
            reachloop_ipc::CampaignStatus::Active,
        )
        .await
        .expect("active");
        campaigns.push((campaign.id, variants));
    }
    let account_of = |p: &GenPost| {
        if p.x {
            xs[p.account].to_string()
        } else {
            sandbox[p.account].clone()
        }
    };
    for (i, p) in posts.iter().enumerate() {
        let platform = if p.x { Platform::X } else { Platform::Sandbox };
        let (campaign, variants) = &campaigns[p.campaign];
        let at = start() + Duration::hours(p.hour) + Duration::seconds(i as i64);
        let made = published(
            &app,
            campaign,
            platform,
            &account_of(p),
            &variants[&(platform.as_str(), p.variant)],
            at,
            &[format!("{}", 1_000 + i)],
        )
        .await;
        for (minutes, m) in &p.snapshots {
            store
                .record_snapshot(at + Duration::minutes(*minutes), &made[0].0, m, None)
                .await
                .expect("snapshot");
        }
    }

    let from = start() + Duration::days(f.from_day);
    let to = from + Duration::days(f.days);
    let filter = AnalyticsFilter {
        from: Some(from.to_rfc3339()),
        to: Some(to.to_rfc3339()),
        platforms: f.platforms.iter().map(|p| p.to_string()).collect(),
        campaign_id: f.campaign.map(|c| campaigns[c].0.clone()),
        account_id: f.account.map(|a| sandbox[a].clone()),
    };
    let f = &f;
    let selected = |lo: DateTime<Utc>, hi: DateTime<Utc>| {
        posts
            .iter()
            .enumerate()
            .filter(move |(i, p)| {
                let at = start() + Duration::hours(p.hour) + Duration::seconds(*i as i64);
                let platform = if p.x { "x" } else { "sandbox" };
                at >= lo
                    && at < hi
                    && (f.platforms.is_empty() || f.platforms.contains(&platform))
                    && f.campaign.is_none_or(|c| c == p.campaign)
                    && f.account.is_none_or(|a| !p.x && a == p.account)
            })
            .map(|(_, p)| p)
            .collect::<Vec<_>>()
    };
    let now = start() + Duration::days(60);
    let d = app.dashboard(&filter, "UTC", now).await.expect("dashboard");
    let inside = selected(from, to);
    prop_assert_eq!(&d.figures, &reference(inside.iter().copied()));
    let len = to - from;
    prop_assert_eq!(
        &d.previous,
        &reference(selected(from - len, from).into_iter())
    );
    for (platform, row) in d.by_platform.iter().map(|r| (r.platform.as_str(), r)) {
        let want = reference(
            inside
                .iter()
                .copied()
                .filter(|p| (if p.x { "x" } else { "sandbox" }) == platform),
        );
        prop_assert_eq!(&row.figures, &want, "{}", platform);
    }
    let posts_by_variant: u32 = d.by_variant.iter().map(|r| r.figures.posts).sum();
    prop_assert_eq!(posts_by_variant, inside.len() as u32);
    // The heat map: every hour of the week, from all history before `to`.
    prop_assert_eq!(d.heatmap.len(), 168);
    let history = selected(to - reachloop::app::analytics::MAX_PERIOD, to);
    for cell in d.heatmap.iter().filter(|c| c.posts > 0 || c.hour % 7 == 0) {
        use chrono::{Datelike, Timelike};
        let here = history.iter().copied().filter(|p| {
            let i = posts.iter().position(|q| std::ptr::eq(q, *p)).unwrap_or(0);
            let at = start() + Duration::hours(p.hour) + Duration::seconds(i as i64);
            at.weekday().num_days_from_monday() as u8 == cell.weekday
                && at.hour() as u8 == cell.hour
        });
        let want = reference(here);
        prop_assert_eq!(
            (cell.posts, cell.engagement_rate),
            (want.posts, want.engagement_rate)
        );
    }
    let per_day: u32 = d.series.iter().map(|s| s.posts).sum();
    prop_assert_eq!(per_day, inside.len() as u32);
    prop_assert_eq!(d.series.len() as i64, f.days);

    // The CSV says the same, read back with the csv crate.
    if let Some(c) = f.campaign {
        let text = app.campaign_csv(&filter, "UTC", now).await.expect("csv");
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let head: Vec<String> = r
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        prop_assert_eq!(head, reachloop::analytics::report::COLUMNS.to_vec());
        let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
        let total = rows.last().expect("a total row");
        prop_assert_eq!(&total[0], "total");
        let cell = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
        let (posts_cell, reach_cell, clicks_cell) = (
            d.figures.posts.to_string(),
            cell(d.figures.reach),
            cell(d.figures.clicks),
        );
        prop_assert_eq!(&total[4], posts_cell.as_str());
        prop_assert_eq!(&total[5], reach_cell.as_str());
        prop_assert_eq!(&total[9], clicks_cell.as_str());
        for row in rows.iter().filter(|r| &r[0] == "variant") {
            // The whole text survives commas, quotes, newlines and emoji,
            // and its leading "=" is neutralised.
            let v: usize = if row[3].contains("Variant 0") { 0 } else { 1 };
            let want = format!("'=Variant {v}, of {c}\nwith \"quotes\" 🍞");
            prop_assert_eq!(&row[3], want.as_str());
        }
    }
    app.store().clone().close().await;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_dashboard_and_the_csv_equal_a_plain_computation_over_the_snapshots(
        posts in prop::collection::vec(post(), 0..14),
        f in filter(),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(check(posts, f))?;
    }
}
