//! Schedules and the posts they plan, on real SQLite files and through the
//! real CLI: planning is idempotent, also from several processes at once.

use std::process::Command;

use reachloop::schedule::{Cadence, Timing, When};
use reachloop::store::Actor;
use reachloop::App;
use reachloop_ipc::{NewCampaign, NewSchedule};

use crate::{at, data_dir};

async fn sandbox_campaign(app: &App) -> (String, String) {
    let account = app
        .connect_sandbox(at(8, 0), "Bakery test")
        .await
        .expect("sandbox");
    let campaign = app
        .create_campaign(
            at(8, 0),
            uuid::Uuid::new_v4(),
            Actor::User,
            &NewCampaign {
                name: "Loop".into(),
                platforms: vec!["sandbox".into(), "x".into()],
                goal: "reach".into(),
                ..Default::default()
            },
        )
        .await
        .expect("campaign");
    (campaign.id, account.id)
}

fn every_half_hour(campaign: &str, account: &str) -> NewSchedule {
    NewSchedule {
        campaign_id: campaign.into(),
        platform: "sandbox".into(),
        account_id: account.into(),
        cron: Some("*/30 * * * *".into()),
        time_zone: "Europe/Berlin".into(),
        ..NewSchedule::default()
    }
}

#[tokio::test]
async fn a_cadence_plans_its_posts_once_however_often_it_is_planned() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let (campaign, account) = sandbox_campaign(&app).await;
    let now = at(9, 10);
    let s = app
        .create_schedule(
            now,
            Actor::User,
            &every_half_hour(&campaign, &account),
            "UTC",
        )
        .await
        .expect("schedule");
    assert_eq!(s.time_zone, "Europe/Berlin");
    assert!(s.description.contains("30"), "{}", s.description);
    // From when it was made (not the 2 h grace window before: no post the
    // user never saw) to 14 days ahead, as the pure code says.
    let expected = Timing::new(
        When::Cadence(Box::new(Cadence::parse("*/30 * * * *").expect("cron"))),
        "Europe/Berlin".parse().expect("zone"),
        None,
        None,
    )
    .expect("timing")
    .runs_between(now, now + chrono::Duration::days(14), 5000);
    let posts = app.list_posts(None).await.expect("posts");
    assert_eq!(posts.len(), expected.len());
    assert_eq!(posts.len(), 14 * 48);
    assert!(
        posts.iter().all(|p| p.warnings.is_empty()),
        "30 minutes apart is fine"
    );
    assert!(posts
        .iter()
        .all(|p| p.scheduled_at.as_str() >= "2026-11-26T09:10:00.000Z"));
    assert!(posts
        .iter()
        .all(|p| p.status == "scheduled" && p.schedule_id.as_deref() == Some(s.id.as_str())));
    assert_eq!(
        s.next_run_at.as_deref(),
        Some("2026-11-26T09:30:00.000Z"),
        "the first slot not yet past"
    );
    // The Calendar gets a window around now, not all 672.
    let shown = app.calendar(now).await.expect("calendar");
    assert_eq!(shown.len(), 400);
    assert_eq!(shown[0].scheduled_at, posts[0].scheduled_at);
    // Planning again, and from a second handle at once, adds nothing.
    let other = App::open(dir.path()).await.expect("second handle");
    let (a, b) = tokio::join!(app.plan_all(now), other.plan_all(now));
    assert_eq!((a.expect("a"), b.expect("b")), (0, 0));
    assert_eq!(
        app.list_posts(None).await.expect("posts").len(),
        posts.len()
    );
    // An hour later, two more half-hours come into the horizon.
    assert_eq!(
        app.plan_all(now + chrono::Duration::hours(1))
            .await
            .expect("plan"),
        2
    );
}

#[tokio::test]
async fn paused_schedules_plan_nothing_until_resumed() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let (campaign, account) = sandbox_campaign(&app).await;
    let once = NewSchedule {
        cron: None,
        run_at: Some("2026-11-26T15:00:00Z".into()),
        ..every_half_hour(&campaign, &account)
    };
    let s = app
        .create_schedule(at(9, 0), Actor::User, &once, "UTC")
        .await
        .expect("once");
    assert_eq!(
        app.list_posts(Some("scheduled"))
            .await
            .expect("posts")
            .len(),
        1
    );
    let cadence = app
        .create_schedule(
            at(9, 0),
            Actor::User,
            &every_half_hour(&campaign, &account),
            "UTC",
        )
        .await
        .expect("cadence");
    app.set_schedule_paused(at(9, 1), Actor::User, &cadence.id, true)
        .await
        .expect("pause");
    let before = app.list_posts(None).await.expect("posts").len();
    assert_eq!(
        app.plan_all(at(12, 0)).await.expect("plan"),
        0,
        "paused: nothing new"
    );
    let resumed = app
        .set_schedule_paused(at(12, 0), Actor::User, &cadence.id, false)
        .await
        .expect("resume");
    assert!(!resumed.paused);
    assert_eq!(app.list_posts(None).await.expect("posts").len(), before + 6);
    let audit = app.recent_audit(20).await.expect("audit");
    for action in [
        "schedule.created",
        "schedule.paused",
        "schedule.resumed",
        "posts.planned",
    ] {
        assert!(audit.iter().any(|e| e.action == action), "{action}");
    }
    assert_eq!(s.kind, "once");
}

#[tokio::test]
async fn a_schedule_must_fit_its_campaign_and_account() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let (campaign, account) = sandbox_campaign(&app).await;
    let code = |e: reachloop::Error| {
        e.fields()
            .first()
            .map(|f| f.code.clone())
            .unwrap_or_default()
    };
    let wrong_platform = NewSchedule {
        platform: "youtube".into(),
        ..every_half_hour(&campaign, &account)
    };
    let e = app
        .create_schedule(at(9, 0), Actor::User, &wrong_platform, "UTC")
        .await
        .expect_err("platform");
    assert_eq!(code(e), "not_in_campaign");
    let x_with_sandbox_account = NewSchedule {
        platform: "x".into(),
        ..every_half_hour(&campaign, &account)
    };
    let e = app
        .create_schedule(at(9, 0), Actor::User, &x_with_sandbox_account, "UTC")
        .await
        .expect_err("account platform");
    assert_eq!(code(e), "wrong_platform");
    let nobody = NewSchedule {
        account_id: "nobody".into(),
        ..every_half_hour(&campaign, &account)
    };
    let e = app
        .create_schedule(at(9, 0), Actor::User, &nobody, "UTC")
        .await
        .expect_err("account");
    assert_eq!(code(e), "not_found");
    let e = app.list_posts(Some("sent")).await.expect_err("status");
    assert_eq!(code(e), "unknown_status");
    assert!(
        app.list_schedules(None).await.expect("list").is_empty(),
        "nothing was stored"
    );
}

use crate::cli::{cli, json_of as json};

#[test]
fn the_whole_planning_loop_headless_and_from_several_processes() {
    let dir = data_dir();
    let d = dir.path();
    let account = json(&cli(
        d,
        &[
            "accounts",
            "connect",
            "sandbox",
            "--name",
            "Test shop",
            "--json",
        ],
    ));
    let account = account[0]["id"].as_str().expect("id").to_string();
    let campaign = json(&cli(
        d,
        &[
            "campaigns",
            "create",
            "--name",
            "Headless",
            "--platform",
            "sandbox",
            "--goal",
            "reach",
            "--json",
        ],
    ));
    let campaign = campaign["id"].as_str().expect("id").to_string();
    let made = json(&cli(
        d,
        &[
            "schedule",
            "add",
            "--campaign",
            &campaign,
            "--platform",
            "sandbox",
            "--account",
            &account,
            "--cron",
            "0 14 * * 1,3,5",
            "--tz",
            "America/New_York",
            "--json",
        ],
    ));
    let id = made["id"].as_str().expect("id").to_string();
    let planned = json(&cli(
        d,
        &["posts", "list", "--status", "scheduled", "--json"],
    ))
    .as_array()
    .map(Vec::len)
    .expect("list");
    assert!(
        (5..=7).contains(&planned),
        "three a week for two weeks: {planned}"
    );
    // Four planners at once: no duplicates, no errors.
    let kids: Vec<_> = (0..4)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
                .env("REACHLOOP_DATA_DIR", d)
                .args(["schedule", "plan"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for k in kids {
        let k = k.wait_with_output().expect("plan");
        assert!(k.status.success(), "{}", String::from_utf8_lossy(&k.stderr));
    }
    let after = json(&cli(d, &["posts", "list", "--json"]))
        .as_array()
        .map(Vec::len)
        .expect("list");
    assert_eq!(after, planned);
    // Skip the first post from the CLI; a bad time is a clear error.
    let first = json(&cli(
        d,
        &["posts", "list", "--status", "scheduled", "--json"],
    ))[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let bad = cli(d, &["posts", "override", &first, "--at", "soon"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not an RFC 3339 time"));
    let skipped = cli(d, &["posts", "override", &first, "--skip"]);
    assert!(
        skipped.status.success(),
        "{}",
        String::from_utf8_lossy(&skipped.stderr)
    );
    let cancelled = json(&cli(
        d,
        &["posts", "list", "--status", "cancelled", "--json"],
    ));
    assert_eq!(cancelled[0]["id"], first.as_str());
    let paused = cli(d, &["schedule", "pause", &id]);
    assert!(paused.status.success());
    let listed = json(&cli(d, &["schedule", "list", "--json"]));
    assert_eq!(listed[0]["paused"], true);
    // X from the CLI needs the developer app first, and says how.
    let bad = cli(d, &["accounts", "connect", "x"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("needs your X developer app"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
