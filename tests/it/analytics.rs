//! The dashboard's and the CSV report's figures against a straightforward
//! reference computed from the raw snapshots, on random data: posts on two
//! platforms, campaigns and accounts, snapshots in any order (some counts
//! missing, some going down), and random filters, in UTC and in zones far
//! from it (+14 and -11 hours), with periods starting at the zone's
//! midnight (as the Analytics page asks) or at UTC's.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use reachloop::analytics::Metrics;
use reachloop::store::Actor;
use reachloop::App;
use reachloop_ipc::{AnalyticsFilter, Figures, HeatCell, Platform, SeriesPoint};

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
    let extras = prop::collection::btree_map(
        prop::sample::select(vec!["quotes", "bookmarks", "profile_clicks"]).prop_map(String::from),
        0u64..500,
        0..3,
    );
    (count(), count(), count(), count(), count(), count(), extras).prop_map(
        |(impressions, views, likes, comments, shares, clicks, extras)| Metrics {
            impressions,
            views,
            likes,
            comments,
            shares,
            clicks,
            extras,
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
    /// The user's zone.
    zone: &'static str,
    /// The period runs from the zone's midnight to its midnight (as the
    /// Analytics page asks), else from UTC's to UTC's.
    local_midnights: bool,
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
        // UTC, and the zones furthest from it on either side: a day or an
        // hour taken in UTC instead is another day there.
        prop::sample::select(vec!["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"]),
        any::<bool>(),
    )
        .prop_map(
            |(from_day, days, platforms, campaign, account, zone, local_midnights)| GenFilter {
                from_day,
                days,
                platforms,
                campaign,
                account,
                zone,
                local_midnights,
            },
        )
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
        for (name, n) in &m.extras {
            let total = f.extras.get(name).copied().unwrap_or(0);
            f.extras.insert(name.clone(), total + n);
        }
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

/// Likes + comments + shares of each post that gives any of them, summed.
fn engagements<'a>(posts: impl Iterator<Item = &'a GenPost>) -> Option<u64> {
    posts
        .filter_map(latest)
        .filter_map(|m| {
            let engaged = [m.likes, m.comments, m.shares];
            engaged
                .iter()
                .any(Option::is_some)
                .then(|| engaged.iter().flatten().sum::<u64>())
        })
        .reduce(|a, b| a + b)
}

/// The day-by-day series of `inside` (when, post) over `[from, to)`: one
/// point per day of the zone the period touches, each from the posts
/// published on that day there.
fn series(
    inside: &[(DateTime<Utc>, &GenPost)],
    zone: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<SeriesPoint> {
    // The period's bounds fall on whole hours in every zone drawn.
    let mut days: Vec<NaiveDate> = Vec::new();
    let mut t = from;
    while t < to {
        let day = t.with_timezone(&zone).date_naive();
        if days.last() != Some(&day) {
            days.push(day);
        }
        t += Duration::hours(1);
    }
    days.into_iter()
        .map(|day| {
            let that_day = || {
                inside
                    .iter()
                    .filter(move |(at, _)| at.with_timezone(&zone).date_naive() == day)
                    .map(|(_, p)| *p)
            };
            let f = reference(that_day());
            SeriesPoint {
                day: day.format("%Y-%m-%d").to_string(),
                posts: f.posts,
                reach: f.reach,
                engagements: engagements(that_day()),
                clicks: f.clicks,
            }
        })
        .collect()
}

/// The heat map of `history`: every hour of the week in `zone`, Monday
/// 00:00 first.
fn heatmap(history: &[(DateTime<Utc>, &GenPost)], zone: Tz) -> Vec<HeatCell> {
    let mut cells = Vec::new();
    for weekday in 0..7u8 {
        for hour in 0..24u8 {
            let f = reference(
                history
                    .iter()
                    .filter(|(at, _)| {
                        let local = at.with_timezone(&zone);
                        local.weekday().num_days_from_monday() == u32::from(weekday)
                            && local.hour() == u32::from(hour)
                    })
                    .map(|(_, p)| *p),
            );
            cells.push(HeatCell {
                weekday,
                hour,
                posts: f.posts,
                engagement_rate: f.engagement_rate,
            });
        }
    }
    cells
}

/// Table rows: the figures of each group, biggest reach first, then by
/// platform and key.
fn table(groups: BTreeMap<(&str, &str), Vec<&GenPost>>) -> Vec<(String, String, Figures)> {
    let mut out: Vec<(String, String, Figures)> = groups
        .into_iter()
        .map(|((platform, key), group)| {
            (
                platform.to_string(),
                key.to_string(),
                reference(group.into_iter()),
            )
        })
        .collect();
    out.sort_by(|a, b| {
        b.2.reach
            .unwrap_or(0)
            .cmp(&a.2.reach.unwrap_or(0))
            .then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1)))
    });
    out
}

fn platform_of(p: &GenPost) -> &'static str {
    if p.x {
        "x"
    } else {
        "sandbox"
    }
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
    // When each post was published (distinct instants).
    let ats: Vec<DateTime<Utc>> = posts
        .iter()
        .enumerate()
        .map(|(i, p)| start() + Duration::hours(p.hour) + Duration::seconds(i as i64))
        .collect();
    for (i, (p, &at)) in posts.iter().zip(&ats).enumerate() {
        let platform = if p.x { Platform::X } else { Platform::Sandbox };
        let (campaign, variants) = &campaigns[p.campaign];
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

    let zone: Tz = f.zone.parse().expect("a zone");
    let midnight = |day: i64| -> DateTime<Utc> {
        let utc = start() + Duration::days(day);
        if !f.local_midnights {
            return utc;
        }
        zone.from_local_datetime(&utc.date_naive().and_time(chrono::NaiveTime::MIN))
            .single()
            .expect("these zones keep no summer time")
            .with_timezone(&Utc)
    };
    let from = midnight(f.from_day);
    let to = midnight(f.from_day + f.days);
    let filter = AnalyticsFilter {
        from: Some(from.to_rfc3339()),
        to: Some(to.to_rfc3339()),
        platforms: f.platforms.iter().map(|p| p.to_string()).collect(),
        campaign_id: f.campaign.map(|c| campaigns[c].0.clone()),
        account_id: f.account.map(|a| sandbox[a].clone()),
    };
    let f = &f;
    // The posts the filter selects in `[lo, hi)`, with when each was
    // published.
    let selected = |lo: DateTime<Utc>, hi: DateTime<Utc>| {
        posts
            .iter()
            .zip(ats.iter().copied())
            .filter(move |(p, at)| {
                *at >= lo
                    && *at < hi
                    && (f.platforms.is_empty() || f.platforms.contains(&platform_of(p)))
                    && f.campaign.is_none_or(|c| c == p.campaign)
                    && f.account.is_none_or(|a| !p.x && a == p.account)
            })
            .map(|(p, at)| (at, p))
            .collect::<Vec<_>>()
    };
    let now = start() + Duration::days(60);
    let d = app
        .dashboard(&filter, f.zone, now)
        .await
        .expect("dashboard");
    let inside = selected(from, to);
    let inside_posts = || inside.iter().map(|(_, p)| *p);
    prop_assert_eq!(&d.figures, &reference(inside_posts()));
    let len = to - from;
    prop_assert_eq!(
        &d.previous,
        &reference(selected(from - len, from).into_iter().map(|(_, p)| p))
    );
    // Every platform's and every variant's row, with all their figures.
    let mut by_platform: BTreeMap<(&str, &str), Vec<&GenPost>> = BTreeMap::new();
    let mut by_variant: BTreeMap<(&str, &str), Vec<&GenPost>> = BTreeMap::new();
    for p in inside_posts() {
        let platform = platform_of(p);
        let variant = campaigns[p.campaign].1[&(platform, p.variant)].as_str();
        by_platform.entry((platform, platform)).or_default().push(p);
        by_variant.entry((platform, variant)).or_default().push(p);
    }
    let got = |rows: &[reachloop_ipc::DashboardRow]| -> Vec<(String, String, Figures)> {
        rows.iter()
            .map(|r| (r.platform.clone(), r.key.clone(), r.figures.clone()))
            .collect()
    };
    prop_assert_eq!(got(&d.by_platform), table(by_platform));
    prop_assert_eq!(got(&d.by_variant), table(by_variant));
    // Every day in the user's zone, with its figures.
    prop_assert_eq!(&d.series, &series(&inside, zone, from, to));
    if f.local_midnights {
        prop_assert_eq!(d.series.len() as i64, f.days);
    }
    // The heat map: every hour of the week in the user's zone, from all
    // history before `to`.
    let history = selected(to - reachloop::app::analytics::MAX_PERIOD, to);
    prop_assert_eq!(&d.heatmap, &heatmap(&history, zone));

    // The CSV says the same, read back with the csv crate.
    if let Some(c) = f.campaign {
        let text = app.campaign_csv(&filter, f.zone, now).await.expect("csv");
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let head: Vec<String> = r
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        prop_assert_eq!(&head, &reachloop::analytics::report::columns());
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
        for (name, _) in reachloop_ipc::EXTRAS {
            let at = head
                .iter()
                .position(|h| h == name)
                .expect("an extra's column");
            let want = cell(d.figures.extras.get(name).copied());
            prop_assert_eq!(&total[at], want.as_str(), "{}", name);
        }
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
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_dashboard_and_the_csv_equal_a_plain_computation_over_the_snapshots(
        posts in prop::collection::vec(post(), 0..14),
        f in filter(),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(check(posts, f))?;
    }
}

fn reach(impressions: u64, likes: u64) -> Metrics {
    Metrics {
        impressions: Some(impressions),
        views: None,
        likes: Some(likes),
        comments: Some(0),
        shares: Some(0),
        clicks: None,
        extras: [("bookmarks".to_string(), likes / 2)].into(),
    }
}

#[tokio::test]
async fn a_post_by_age_stands_beside_its_campaign_s_other_posts_then() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let t0 = start();
    let account = app.connect_sandbox(t0, "Ages").await.expect("account");
    let (campaign, variants) =
        crate::active_campaign(&app, t0, "By age", Platform::Sandbox, &["One"]).await;
    let ids = |p: &str| (0..4).map(|i| format!("{p}-{i}")).collect::<Vec<_>>();
    let posts = published(
        &app,
        &campaign,
        Platform::Sandbox,
        &account.id,
        &variants[0],
        t0,
        &ids("a"),
    )
    .await;
    // Another campaign's post on the same account is no peer.
    let (other, other_variants) =
        crate::active_campaign(&app, t0, "Elsewhere", Platform::Sandbox, &["Two"]).await;
    let stranger = published(
        &app,
        &other,
        Platform::Sandbox,
        &account.id,
        &other_variants[0],
        t0,
        &ids("b")[..1],
    )
    .await;
    let store = app.store();
    let snap = |post: &str, minutes: i64, m: Metrics| {
        let post = post.to_string();
        async move {
            store
                .record_snapshot(t0 + Duration::minutes(minutes), &post, &m, None)
                .await
                .expect("snapshot");
        }
    };
    // The post: polled at 15 min, 1 h (a minute late), 6 h, 1 day and
    // 3 days; nothing near 7 days.
    let me = &posts[0].0;
    snap(me, 15, reach(10, 1)).await;
    snap(me, 61, reach(100, 10)).await;
    snap(me, 361, reach(400, 30)).await;
    snap(me, 1441, reach(900, 50)).await;
    snap(me, 4321, reach(1200, 60)).await;
    // Its peers at 1 h: 50, 80 and 300 (median 80); only one at 6 h.
    snap(&posts[1].0, 60, reach(50, 2)).await;
    snap(&posts[2].0, 62, reach(80, 4)).await;
    snap(&posts[3].0, 59, reach(300, 9)).await;
    snap(&posts[3].0, 365, reach(2000, 40)).await;
    snap(&stranger[0].0, 60, reach(1_000_000, 1)).await;

    let now = t0 + Duration::days(5);
    let h = app.post_history(me, now).await.expect("history");
    let labels: Vec<&str> = h.ages.iter().map(|a| a.label.as_str()).collect();
    assert_eq!(labels, ["1 h", "6 h", "24 h", "72 h", "7 days", "30 days"]);
    let own: Vec<Option<u64>> = h.ages.iter().map(|a| a.own.reach).collect();
    assert_eq!(
        own,
        [Some(100), Some(400), Some(900), Some(1200), None, None]
    );
    let reached: Vec<bool> = h.ages.iter().map(|a| a.reached).collect();
    assert_eq!(reached, [true, true, true, true, false, false]);
    assert_eq!(h.ages[0].own.engagements, Some(10));
    assert_eq!(h.ages[0].own.clicks, None, "not given: unavailable");
    assert_eq!(
        (h.ages[0].peers, h.ages[0].peer_median.reach),
        (3, Some(80))
    );
    assert_eq!(
        (h.ages[1].peers, h.ages[1].peer_median.reach),
        (1, Some(2000))
    );
    assert_eq!(h.ages[2].peers, 0);
    assert_eq!(
        h.compared_with,
        "Compared with the median of the campaign's 3 other Sandbox posts."
    );
    assert!(h.chart_svg.starts_with("<svg") && h.chart_svg.contains("72 h"));

    // Its extras reach the dashboard's tables (bookmarks: half the likes).
    let d = app
        .dashboard(
            &AnalyticsFilter {
                campaign_id: Some(campaign.clone()),
                ..AnalyticsFilter::default()
            },
            "UTC",
            now,
        )
        .await
        .expect("dashboard");
    assert_eq!(d.figures.extras.get("bookmarks"), Some(&(30 + 1 + 2 + 20)));
    assert_eq!(d.by_platform[0].figures.extras, d.figures.extras);

    // A post that is not published has no figures by age; an unknown one
    // is not found.
    let schedules = store
        .list_schedules(Some(&campaign))
        .await
        .expect("schedules");
    store
        .plan_posts(now, &schedules[0], &[now + Duration::days(1)])
        .await
        .expect("plan");
    let planned = app.list_posts(Some("scheduled")).await.expect("scheduled");
    let p = planned.first().expect("a scheduled post");
    let e = app.post_history(&p.id, now).await.expect_err("scheduled");
    assert!(e.to_string().contains("not published (scheduled)"), "{e}");
    let e = app
        .post_history("no-such-post", now)
        .await
        .expect_err("unknown");
    assert!(
        matches!(
            e,
            reachloop::Error::Store(reachloop::store::StoreError::NotFound)
        ),
        "{e:?}"
    );
    app.store().clone().close().await;

    // The same from the CLI, with its chart as PNG; the dashboard's chart
    // as SVG; a file name with neither extension is refused.
    let d = dir.path();
    let png = d.join("post.png");
    let o = crate::cli::cli(
        d,
        &["report", "post", me, "--chart", png.to_str().expect("path")],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        text.contains("1 h") && text.contains("80") && text.contains("7 days"),
        "{text}"
    );
    let bytes = std::fs::read(&png).expect("png saved");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let svg = d.join("chart.svg");
    let o = crate::cli::cli(
        d,
        &[
            "report",
            "chart",
            "--out",
            svg.to_str().expect("path"),
            "--campaign",
            &campaign,
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read_to_string(&svg)
        .expect("svg")
        .starts_with("<svg"));
    let o = crate::cli::cli(d, &["report", "chart", "--out", "chart.txt"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("svg or png"));
    let o = crate::cli::cli(d, &["report", "chart", "--out", "chart"]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("end the file's name with .svg or .png"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!std::path::Path::new("chart.txt").exists());
}
