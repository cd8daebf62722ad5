//! The metrics collector against the Sandbox and the fake X: snapshots on
//! the decaying schedule, kept across restarts, what each platform gives
//! and what it does not (unavailable, never 0), X's 30 days of non-public
//! metrics (the fake X on the test's clock), renamed fields, deleted
//! posts, counts that go down, rate limits, bad answers.

use chrono::{DateTime, Duration, Utc};
use reachloop::analytics::Metrics;
use reachloop::collect::{self, CollectRound, Sources};
use reachloop::platforms::sandbox_world;
use reachloop::store::{Actor, Finisher};
use reachloop::App;
use reachloop_fakes::x::{LookupFault, XMetrics, XPost};
use reachloop_ipc::{NewSchedule, Platform};

use crate::data_dir;
use crate::x::{user_id, x_world, XWorld};

/// Posts of `campaign` to `account`, published at `at` (with variant
/// `variant`), one per platform id in `remote`. Returns (post, remote) ids.
pub async fn published(
    app: &App,
    campaign: &str,
    platform: Platform,
    account: &str,
    variant: &str,
    at: DateTime<Utc>,
    remote: &[String],
) -> Vec<(String, String)> {
    let n = remote.len();
    let store = app.store();
    let schedule = app
        .create_schedule(
            at,
            Actor::User,
            &NewSchedule {
                campaign_id: campaign.into(),
                platform: platform.as_str().into(),
                account_id: account.into(),
                run_at: Some((at + Duration::days(300)).to_rfc3339()),
                time_zone: "UTC".into(),
                ..NewSchedule::default()
            },
            "UTC",
        )
        .await
        .expect("schedule");
    let slots: Vec<_> = (1..=n as i64).map(|k| at - Duration::seconds(k)).collect();
    store.plan_posts(at, &schedule, &slots).await.expect("plan");
    let claimed = store
        .claim_due_posts(
            at,
            "test",
            Duration::minutes(5),
            Duration::hours(2),
            n as u32,
        )
        .await
        .expect("claim");
    assert_eq!(claimed.len(), n);
    let mut out = Vec::new();
    for (i, p) in claimed.iter().enumerate() {
        assert!(store
            .begin_attempt(at, &p.id, "test", variant)
            .await
            .expect("attempt"));
        let id = remote[i].clone();
        store
            .finish_published(at, &p.id, Finisher::Claim("test"), &id, None, "published")
            .await
            .expect("published");
        out.push((p.id.clone(), id));
    }
    out
}

async fn round_at(app: &App, sources: &Sources, at: DateTime<Utc>) -> CollectRound {
    let clock = move || at;
    collect::round(app.store(), sources, &clock, collect::ROUND_LIMIT)
        .await
        .expect("round")
}

#[tokio::test]
async fn the_sandbox_s_counts_become_a_history_that_survives_a_restart() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let t0 = Utc::now();
    app.set_sandbox_seed(t0, Actor::User, "4242")
        .await
        .expect("seed");
    let account = app.connect_sandbox(t0, "Metrics").await.expect("account");
    let (campaign, variants) = crate::active_campaign(
        &app,
        t0,
        "Sandbox metrics",
        Platform::Sandbox,
        &["One", "Two"],
    )
    .await;
    let posts = published(
        &app,
        &campaign,
        Platform::Sandbox,
        &account.id,
        &variants[1],
        t0,
        &(0..3).map(|i| format!("sb-test-{i}")).collect::<Vec<_>>(),
    )
    .await;
    for (_, remote) in &posts {
        app.store()
            .sandbox_insert(t0, remote, &account.id, "Two")
            .await
            .expect("on the Sandbox");
    }
    let sources = app.metrics_sources(&reachloop::secrets::OsKeychain::from_env());

    // Planned at once, first polled a quarter of an hour after publishing.
    let r = round_at(&app, &sources, t0 + Duration::minutes(1)).await;
    assert_eq!((r.planned, r.snapshots), (3, 0), "{r:?}");
    let mut expected = Vec::new();
    for minutes in [20, 20, 130] {
        let at = t0 + Duration::minutes(minutes);
        let r = round_at(&app, &sources, at).await;
        if expected.last() == Some(&at) {
            assert_eq!(r.snapshots, 0, "not due again: {r:?}");
            continue;
        }
        assert_eq!(r.snapshots, 3, "{r:?}");
        expected.push(at);
    }
    let reference = |post: &str, at: DateTime<Utc>| {
        let c = sandbox_world::counts(4242, &variants[1], post, t0, at);
        Metrics {
            impressions: Some(c.impressions),
            views: None,
            likes: Some(c.likes),
            comments: Some(c.comments),
            shares: Some(c.shares),
            clicks: Some(c.clicks),
            extras: Default::default(),
        }
    };
    app.store().clone().close().await;

    // A restart keeps every snapshot, and the newest beside them.
    let app = App::open(dir.path()).await.expect("reopen");
    for (post, _) in &posts {
        let history = app.store().snapshots(post).await.expect("history");
        let want: Vec<_> = expected
            .iter()
            .map(|at| (reachloop::time::to_db(*at), reference(post, *at)))
            .collect();
        assert_eq!(history, want, "the Sandbox's own counts, poll by poll");
        assert!(history[1].1.impressions >= history[0].1.impressions);
        assert_eq!(
            app.store().latest_metrics(post).await.expect("latest"),
            history.last().cloned()
        );
    }
    // The calendar's post carries its newest figures.
    let listed = app.list_posts(Some("published")).await.expect("posts");
    let shown = listed
        .iter()
        .find(|p| p.id == posts[0].0)
        .and_then(|p| p.metrics.clone())
        .expect("figures on the post");
    let newest = reference(&posts[0].0, expected[1]);
    assert_eq!(
        (shown.captured_at, shown.likes, shown.clicks, shown.views),
        (
            Some(reachloop::time::to_db(expected[1])),
            newest.likes,
            newest.clicks,
            None
        )
    );
    assert_eq!(shown.state, "collecting");
    let (state, error) = app
        .store()
        .poll_state(&posts[0].0)
        .await
        .expect("state")
        .expect("planned");
    assert_eq!((state.as_str(), error), ("collecting", None));
}

/// `n` posts on the fake X by account 0 with `metrics`, published at `at`.
async fn on_x(w: &XWorld, at: DateTime<Utc>, n: usize, metrics: XMetrics) -> Vec<(String, String)> {
    let base = 1_990_000_000_000_000_000u64 + (at.timestamp_subsec_nanos() as u64 % 1000) * 1000;
    let ids: Vec<String> = (0..n).map(|i| (base + i as u64).to_string()).collect();
    x_posts(w, at, &ids, metrics).await
}

/// Posts on the fake X by account 0 with `metrics` and these X ids,
/// published (and created on the fake X) at `at`.
async fn x_posts(
    w: &XWorld,
    at: DateTime<Utc>,
    ids: &[String],
    metrics: XMetrics,
) -> Vec<(String, String)> {
    let variants = w.app.list_variants(&w.campaign).await.expect("variants");
    w.fake.with(|x| {
        for (i, id) in ids.iter().enumerate() {
            x.posts.push(XPost {
                id: id.clone(),
                author_id: user_id(0),
                text: format!("Post {i}"),
                media_ids: Vec::new(),
                created_at: at.into(),
                metrics: metrics.clone(),
            });
        }
    });
    published(
        &w.app,
        &w.campaign,
        Platform::X,
        &w.accounts[0],
        &variants[0].id,
        at,
        ids,
    )
    .await
}

/// A round at `at`, the fake X taking `at` as now too (its 30 days of
/// non-public metrics run on the test's clock).
async fn x_round_at(w: &XWorld, sources: &Sources, at: DateTime<Utc>) -> CollectRound {
    w.fake.with(|x| x.clock = Some(at.into()));
    round_at(&w.app, sources, at).await
}

fn sources(w: &XWorld) -> Sources {
    w.app.metrics_sources_with(&w.keys.0, |c| {
        c.request_timeout = std::time::Duration::from_secs(5);
    })
}

fn sample() -> XMetrics {
    XMetrics {
        impressions: 900,
        likes: 40,
        replies: 3,
        reposts: 5,
        quotes: 2,
        bookmarks: 7,
        link_clicks: 11,
        profile_clicks: 4,
        video_views: None,
    }
}

#[tokio::test]
async fn x_is_read_a_hundred_at_a_time_with_its_private_metrics_only_while_young() {
    let w = x_world("metrics-x-batch", 1, &["Batch"]).await;
    let t0 = Utc::now();
    let posts = on_x(&w, t0, 150, sample()).await;
    let sources = sources(&w);
    x_round_at(&w, &sources, t0).await;
    let r = x_round_at(&w, &sources, t0 + Duration::minutes(20)).await;
    assert_eq!(r.snapshots, 150, "{r:?}");
    let lookups = w.fake.with(|x| x.lookups.clone());
    let sizes: Vec<usize> = lookups.iter().map(|(ids, _)| ids.len()).collect();
    assert_eq!(sizes, vec![100, 50], "two requests for 150 posts");
    assert!(lookups
        .iter()
        .all(|(_, f)| f.contains(&"non_public_metrics".to_string())));
    let (_, m) = w
        .app
        .store()
        .latest_metrics(&posts[0].0)
        .await
        .expect("latest")
        .expect("polled");
    assert_eq!(
        (
            m.impressions,
            m.likes,
            m.comments,
            m.shares,
            m.clicks,
            m.views
        ),
        (Some(900), Some(40), Some(3), Some(5), Some(11), None)
    );
    assert_eq!(m.extras.get("quotes"), Some(&2));
    assert_eq!(m.extras.get("bookmarks"), Some(&7));
    assert_eq!(m.extras.get("profile_clicks"), Some(&4));

    // A month on, X keeps only the public metrics: asked for those alone,
    // and link clicks become unavailable, not 0.
    let later = t0 + Duration::days(31);
    let r = x_round_at(&w, &sources, later).await;
    assert_eq!(r.snapshots, 150, "{r:?}");
    let lookups = w.fake.with(|x| x.lookups.clone());
    assert_eq!(lookups.len(), 4);
    assert!(lookups[2..]
        .iter()
        .all(|(_, f)| f == &vec!["public_metrics".to_string()]));
    let (at, m) = w
        .app
        .store()
        .latest_metrics(&posts[0].0)
        .await
        .expect("latest")
        .expect("polled");
    assert_eq!(at, reachloop::time::to_db(later));
    assert_eq!((m.impressions, m.clicks), (Some(900), None));
    assert_eq!(w.fake.with(|x| x.refusals.clone()), Vec::<String>::new());
}

/// X gives a post's non-public metrics (impressions, link and profile
/// clicks) for its first 30 days. The collector asks for them until an
/// hour before that (its requests and X's clock need not agree to the
/// second), by the collector's clock, and for the public ones alone after:
/// one batch with posts on both sides is two lookups. The fake X keeps the
/// 30 days by the same clock, so a post asked for them too late is refused.
#[tokio::test]
async fn x_s_private_metrics_are_asked_for_until_an_hour_before_day_30_by_the_collector_s_clock() {
    let w = x_world("metrics-x-30-days", 1, &["Thirty days"]).await;
    // A year from the wall clock: an adapter reading it instead would take
    // every post for young.
    let now = DateTime::from_timestamp(Utc::now().timestamp() + 400 * 24 * 3600, 0).expect("now");
    let (d, h, m) = (Duration::days, Duration::hours, Duration::minutes);
    // (age, asked for the non-public metrics)
    let ages = [
        (m(20), true),
        (d(29) + h(22) + m(59), true),
        (d(29) + h(23), false),
        (d(30) - m(1), false),
        (d(30) + m(1), false),
        (d(31), false),
    ];
    let mut posts = Vec::new();
    for (i, (age, _)) in ages.iter().enumerate() {
        let id = (1_990_000_000_000_000_000u64 + i as u64).to_string();
        posts.extend(x_posts(&w, now - *age, &[id], sample()).await);
    }
    // The collector was off a while: every post is due in this round, in
    // one batch.
    let due: Vec<_> = posts.iter().map(|(p, _)| (p.clone(), Some(now))).collect();
    w.app.store().plan_polls(&due).await.expect("plan");
    let r = x_round_at(&w, &sources(&w), now).await;
    assert_eq!((r.snapshots, r.deferred, r.gone), (6, 0, 0), "{r:?}");

    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let mut asked: Vec<(Vec<String>, Vec<String>)> = w.fake.with(|x| {
        x.lookups
            .iter()
            .map(|(ids, fields)| (sorted(ids.clone()), sorted(fields.clone())))
            .collect()
    });
    asked.sort();
    let ids_of = |young: bool| {
        let ids = posts.iter().zip(&ages).filter(|(_, (_, y))| *y == young);
        sorted(ids.map(|((_, remote), _)| remote.clone()).collect())
    };
    let fields = |f: &[&str]| f.iter().map(|f| f.to_string()).collect::<Vec<_>>();
    let mut want = vec![
        (
            ids_of(true),
            fields(&["non_public_metrics", "public_metrics"]),
        ),
        (ids_of(false), fields(&["public_metrics"])),
    ];
    want.sort();
    assert_eq!(asked, want, "one lookup each side of the rule");

    for ((post, _), (age, young)) in posts.iter().zip(&ages) {
        let (at, got) = w
            .app
            .store()
            .latest_metrics(post)
            .await
            .expect("latest")
            .expect("polled");
        assert_eq!(at, reachloop::time::to_db(now));
        let clicks = young.then_some(11);
        let profile_clicks = young.then_some(4);
        assert_eq!(
            (
                got.impressions,
                got.likes,
                got.clicks,
                got.extras.get("profile_clicks").copied()
            ),
            (Some(900), Some(40), clicks, profile_clicks),
            "published {age} before: link and profile clicks only while young"
        );
    }
    assert_eq!(w.fake.with(|x| x.refusals.clone()), Vec::<String>::new());
}

#[tokio::test]
async fn renamed_fields_deleted_posts_and_counts_that_go_down_are_kept_as_x_says() {
    let w = x_world("metrics-x-changes", 1, &["Changes"]).await;
    let t0 = Utc::now();
    let posts = on_x(&w, t0, 3, sample()).await;
    let sources = sources(&w);
    round_at(&w.app, &sources, t0).await;
    round_at(&w.app, &sources, t0 + Duration::minutes(20)).await;
    // X renames retweets to reposts, removes spam likes, deletes a post.
    w.fake.with(|x| {
        x.repost_names = true;
        for p in x.posts.iter_mut() {
            p.metrics.likes = 31;
            p.metrics.reposts = 6;
        }
        x.posts.retain(|p| p.id != posts[2].1);
    });
    let r = round_at(&w.app, &sources, t0 + Duration::minutes(70)).await;
    assert_eq!((r.snapshots, r.gone), (2, 1), "{r:?}");
    let history = w.app.store().snapshots(&posts[0].0).await.expect("history");
    let likes: Vec<_> = history.iter().map(|(_, m)| m.likes).collect();
    assert_eq!(
        likes,
        vec![Some(40), Some(31)],
        "a drop is kept as reported"
    );
    assert_eq!(history[1].1.shares, Some(6), "read under the new name");
    // The deleted post keeps its history and is not polled again.
    let gone = &posts[2].0;
    assert_eq!(
        w.app.store().snapshots(gone).await.expect("history").len(),
        1
    );
    let (state, why) = w
        .app
        .store()
        .poll_state(gone)
        .await
        .expect("state")
        .expect("row");
    assert_eq!(state, "gone");
    assert!(why.is_some_and(|w| w.contains("deleted")));
    let audit = w.app.recent_audit(30).await.expect("audit");
    assert!(audit
        .iter()
        .any(|a| a.action == "post.gone" && a.entity_id.as_deref() == Some(gone.as_str())));
    let before = w.fake.with(|x| x.lookups.len());
    round_at(&w.app, &sources, t0 + Duration::days(40)).await;
    let asked: Vec<String> = w.fake.with(|x| {
        x.lookups[before..]
            .iter()
            .flat_map(|(ids, _)| ids.clone())
            .collect()
    });
    assert!(!asked.contains(&posts[2].1), "{asked:?}");
}

#[tokio::test]
async fn rate_limits_and_bad_answers_put_reads_off_without_holding_the_publisher() {
    let w = x_world("metrics-x-errors", 1, &["Errors"]).await;
    // Published 25 minutes ago: the first poll is due now, and X's reset
    // times (absolute) line up with the collector's clock.
    let t0 = Utc::now() - Duration::minutes(25);
    let posts = on_x(&w, t0, 2, sample()).await;
    let sources = sources(&w);
    round_at(&w.app, &sources, t0 + Duration::minutes(1)).await;
    let error_of = |post: String| {
        let store = w.app.store().clone();
        async move {
            store
                .poll_state(&post)
                .await
                .expect("state")
                .and_then(|(_, e)| e)
                .unwrap_or_default()
        }
    };

    // A 429 holds this account's reads until X's reset, persisted; the
    // publisher is not held by it.
    w.fake.with(|x| {
        x.lookup_faults.push_back(LookupFault::RateLimited {
            reset_in: std::time::Duration::from_secs(600),
        })
    });
    let r = round_at(&w.app, &sources, Utc::now()).await;
    assert_eq!((r.snapshots, r.deferred), (0, 2), "{r:?}");
    let held = w
        .app
        .store()
        .paused_scopes(Utc::now())
        .await
        .expect("holds");
    let read_hold = held
        .iter()
        .find(|(scope, _, _)| scope == &format!("reads:account:{}", w.accounts[0]))
        .expect("reads held");
    let until = reachloop::time::from_db(&read_hold.1).expect("until");
    let reset = Utc::now() + Duration::seconds(600);
    assert!(
        (until - reset).num_seconds().abs() <= 5,
        "{until} vs {reset}"
    );
    assert!(!w
        .app
        .store()
        .is_held(Utc::now(), &w.accounts[0], "x")
        .await
        .expect("held"));
    // While held, nothing is asked; after the reset it reads again.
    let asked = w.fake.with(|x| x.lookups.len());
    let r = round_at(&w.app, &sources, until - Duration::seconds(30)).await;
    assert_eq!(r.snapshots, 0, "{r:?}");
    assert_eq!(w.fake.with(|x| x.lookups.len()), asked);
    let r = round_at(&w.app, &sources, until + Duration::seconds(1)).await;
    assert_eq!(r.snapshots, 2, "{r:?}");

    // A cut-off body: nothing kept, asked again later, with why.
    w.fake
        .with(|x| x.lookup_faults.push_back(LookupFault::Truncated));
    let at = t0 + Duration::minutes(61);
    let r = round_at(&w.app, &sources, at).await;
    assert_eq!((r.snapshots, r.deferred), (0, 2), "{r:?}");
    assert!(error_of(posts[0].0.clone())
        .await
        .contains("could not be read"));
    assert_eq!(
        w.app.store().snapshots(&posts[0].0).await.expect("h").len(),
        1
    );

    // A revoked sign-in: put off, with what to do.
    w.fake.with(|x| {
        x.lookup_faults.push_back(LookupFault::Answer(
            401,
            serde_json::json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}),
        ))
    });
    let r = round_at(&w.app, &sources, at + collect::RETRY_AFTER).await;
    assert_eq!(r.deferred, 2, "{r:?}");
    assert!(error_of(posts[0].0.clone())
        .await
        .contains("reconnect it in Accounts"));
    assert_eq!(
        w.app.store().snapshots(&posts[0].0).await.expect("h").len(),
        1
    );
}

/// Live updates: what changed since the last look, whoever changed it (here
/// another process, the CLI, on the same data), nothing on the first look
/// or when nothing changed.
#[tokio::test]
async fn changes_by_any_process_are_seen_once_by_kind() {
    use reachloop::app::changes::{Change, Marks};
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let mut marks = Marks::default();
    assert_eq!(app.changes(&mut marks).await.expect("first"), vec![]);
    assert_eq!(app.changes(&mut marks).await.expect("again"), vec![]);

    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
            .env("REACHLOOP_DATA_DIR", dir.path())
            .args(args)
            .output()
            .expect("run reachloop-cli");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or_default()
    };
    let account = cli(&["accounts", "connect", "sandbox", "--json"])[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    // Connecting is recorded in the audit log: the Activity page hears it.
    assert_eq!(
        app.changes(&mut marks).await.expect("account"),
        vec![Change::Accounts, Change::Activity]
    );

    let t0 = Utc::now();
    let (campaign, variants) =
        crate::active_campaign(&app, t0, "Live", Platform::Sandbox, &["Live one"]).await;
    let posts = published(
        &app,
        &campaign,
        Platform::Sandbox,
        &account,
        &variants[0],
        t0,
        &["sb-live".to_string()],
    )
    .await;
    assert_eq!(
        app.changes(&mut marks).await.expect("posts"),
        vec![Change::Posts, Change::Activity]
    );
    app.store()
        .record_snapshot(
            t0 + Duration::minutes(20),
            &posts[0].0,
            &Metrics::default(),
            None,
        )
        .await
        .expect("snapshot");
    assert_eq!(
        app.changes(&mut marks).await.expect("metrics"),
        vec![Change::Metrics]
    );
    assert_eq!(app.changes(&mut marks).await.expect("quiet"), vec![]);
    // A deletion shows too (no newer row, fewer of them).
    app.delete_campaign(t0, &campaign, Actor::User)
        .await
        .expect("delete");
    assert!(app
        .changes(&mut marks)
        .await
        .expect("deleted")
        .contains(&Change::Posts));
}
