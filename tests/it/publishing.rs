//! The publisher's state machine in the store: claims are exclusive, the
//! attempt is recorded before any platform call, and a claim that runs out
//! goes back to scheduled only when the platform was never called.

use chrono::Duration;
use reachloop::store::{Actor, Finisher};
use reachloop::App;
use reachloop_ipc::{CampaignStatus, NewSchedule};

use crate::{at, data_dir};

const LEASE: Duration = Duration::minutes(5);
const GRACE: Duration = Duration::hours(2);

/// An active Sandbox campaign with two variants and a schedule every 10
/// minutes from 09:00.
async fn world(dir: &std::path::Path) -> (App, String, String) {
    let app = App::open(dir).await.expect("open");
    let account = app
        .connect_sandbox(at(8, 0), "Shop")
        .await
        .expect("sandbox");
    let c =
        crate::active_sandbox_campaign(&app, at(8, 0), "Pub", &["First variant", "Second variant"])
            .await;
    let s = app
        .create_schedule(
            at(8, 55),
            Actor::User,
            &NewSchedule {
                campaign_id: c.clone(),
                platform: "sandbox".into(),
                account_id: account.id,
                cron: Some("*/10 * * * *".into()),
                time_zone: "UTC".into(),
                ..NewSchedule::default()
            },
            "UTC",
        )
        .await
        .expect("schedule");
    (app, c, s.id)
}

#[tokio::test]
async fn two_publishers_never_claim_the_same_post() {
    let dir = data_dir();
    let (app, _, _) = world(dir.path()).await;
    let other = App::open(dir.path()).await.expect("second process");
    let now = at(9, 35); // 09:00 … 09:30 are due: 4 posts
    let (a, b) = tokio::join!(
        app.store().claim_due_posts(now, "app", LEASE, GRACE, 3),
        other.store().claim_due_posts(now, "agent", LEASE, GRACE, 3),
    );
    let (a, b) = (a.expect("a"), b.expect("b"));
    let mut ids: Vec<&str> = a.iter().chain(&b).map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids.len(),
        4,
        "every due post claimed once: {} + {}",
        a.len(),
        b.len()
    );
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "no post claimed twice");
    assert!(app
        .store()
        .claim_due_posts(now, "app", LEASE, GRACE, 10)
        .await
        .expect("again")
        .is_empty());
}

#[tokio::test]
async fn nothing_is_claimed_while_paused_inactive_or_too_late() {
    let dir = data_dir();
    let (app, campaign, schedule) = world(dir.path()).await;
    let store = app.store();
    let now = at(9, 5);
    app.set_schedule_paused(now, Actor::User, &schedule, true)
        .await
        .expect("pause");
    assert!(store
        .claim_due_posts(now, "app", LEASE, GRACE, 10)
        .await
        .expect("claim")
        .is_empty());
    app.set_schedule_paused(now, Actor::User, &schedule, false)
        .await
        .expect("resume");
    store
        .set_publishing_paused(now, Actor::User, true)
        .await
        .expect("global pause");
    assert!(store
        .claim_due_posts(now, "app", LEASE, GRACE, 10)
        .await
        .expect("claim")
        .is_empty());
    store
        .set_publishing_paused(now, Actor::User, false)
        .await
        .expect("resume all");
    app.set_campaign_status(now, &campaign, Actor::User, CampaignStatus::Paused)
        .await
        .expect("pause campaign");
    assert!(store
        .claim_due_posts(now, "app", LEASE, GRACE, 10)
        .await
        .expect("claim")
        .is_empty());
    app.set_campaign_status(now, &campaign, Actor::User, CampaignStatus::Active)
        .await
        .expect("resume campaign");
    // Hours later: the old slots are past the grace window and are missed,
    // not fired as a backlog.
    let late = at(13, 0);
    let claimed = store
        .claim_due_posts(late, "app", LEASE, GRACE, 100)
        .await
        .expect("claim");
    assert!(
        claimed
            .iter()
            .all(|p| p.scheduled_at.as_str() >= "2026-11-26T11:00:00.000Z"),
        "{claimed:?}"
    );
    let missed = store.mark_missed(late, GRACE).await.expect("missed");
    assert_eq!(missed, 12, "09:00 … 10:50");
    assert_eq!(
        app.list_posts(Some("missed")).await.expect("list").len(),
        12
    );
}

#[tokio::test]
async fn a_claim_that_runs_out_is_retried_only_if_the_platform_was_never_called() {
    let dir = data_dir();
    let (app, campaign, _) = world(dir.path()).await;
    let store = app.store();
    let now = at(9, 12);
    let claimed = store
        .claim_due_posts(now, "app", LEASE, GRACE, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 2, "09:00 and 09:10");
    let (first, second) = (&claimed[0], &claimed[1]);
    // The first attempt is recorded (committed) before the platform call;
    // then the app dies. The second was claimed but never sent.
    let (variant, _) = store
        .next_variant(&campaign, "sandbox")
        .await
        .expect("variant")
        .expect("one");
    assert!(store
        .begin_attempt(now, &first.id, "app", &variant)
        .await
        .expect("attempt"));
    let after = now + LEASE + Duration::seconds(1);
    // Another publisher cannot record an attempt on a claim it does not hold.
    assert!(!store
        .begin_attempt(after, &second.id, "agent", &variant)
        .await
        .expect("refused"));
    assert_eq!(store.expire_leases(after).await.expect("expire"), (1, 1));
    let status = |id: &str| {
        let id = id.to_string();
        let app = app.clone();
        async move {
            app.list_posts(None)
                .await
                .expect("list")
                .into_iter()
                .find(|p| p.id == id)
                .map(|p| p.status)
                .expect("post")
        }
    };
    assert_eq!(status(&first.id).await, "needs_verification");
    assert_eq!(status(&second.id).await, "scheduled");
    // The one to verify is never claimed again by a normal round.
    let again = store
        .claim_due_posts(after, "agent", LEASE, GRACE, 10)
        .await
        .expect("claim");
    assert!(again.iter().all(|p| p.id != first.id));
    assert_eq!(store.posts_to_verify().await.expect("verify").len(), 1);
    // The platform says it exists: published, and never claimed again.
    store
        .finish_published(
            after,
            &first.id,
            Finisher::Verifier { attempts: 1 },
            "sandbox-1",
            None,
            "verified",
        )
        .await
        .expect("published");
    assert_eq!(status(&first.id).await, "published");
    assert!(store.posts_to_verify().await.expect("verify").is_empty());
    let later = store
        .claim_due_posts(at(10, 0), "agent", LEASE, GRACE, 100)
        .await
        .expect("claim");
    assert!(later.iter().all(|p| p.id != first.id));
}

#[tokio::test]
async fn variants_take_turns_and_an_archived_one_is_never_chosen() {
    let dir = data_dir();
    let (app, campaign, _) = world(dir.path()).await;
    let store = app.store();
    let now = at(9, 25);
    let claimed = store
        .claim_due_posts(now, "app", LEASE, GRACE, 10)
        .await
        .expect("claim");
    let mut used = Vec::new();
    for p in &claimed[..2] {
        let (v, _) = store
            .next_variant(&campaign, "sandbox")
            .await
            .expect("v")
            .expect("some");
        assert!(store
            .begin_attempt(now, &p.id, "app", &v)
            .await
            .expect("attempt"));
        used.push(v);
    }
    assert_ne!(used[0], used[1], "round-robin");
    app.delete_variant(now, &used[0], Actor::User)
        .await
        .expect("archive");
    for _ in 0..3 {
        let (v, _) = store
            .next_variant(&campaign, "sandbox")
            .await
            .expect("v")
            .expect("some");
        assert_eq!(v, used[1], "the archived variant is never chosen");
    }
}

mod rounds {
    use super::*;
    use reachloop::platforms::sandbox::{Sandbox, SandboxConfig};
    use reachloop::publish::{self, Adapters};

    fn sandbox(app: &App, failure_rate: f64, lost_answer_rate: f64, seed: u64) -> Adapters {
        Adapters(vec![Box::new(Sandbox::new(
            app.store().clone(),
            SandboxConfig {
                seed: Some(seed),
                latency: std::time::Duration::ZERO,
                failure_rate,
                lost_answer_rate,
                unverifiable: false,
                rate_limit: None,
                speedup: 1.0,
            },
        ))])
    }

    async fn statuses(app: &App) -> Vec<String> {
        app.list_posts(None)
            .await
            .expect("posts")
            .into_iter()
            .filter(|p| p.scheduled_at.as_str() <= "2026-11-26T09:30:00.000Z")
            .map(|p| p.status)
            .collect()
    }

    async fn account(app: &App) -> String {
        app.list_posts(None).await.expect("posts")[0]
            .account_id
            .clone()
    }

    #[tokio::test]
    async fn due_posts_go_out_once_and_the_next_round_sends_nothing_again() {
        let dir = data_dir();
        let (app, _, _) = world(dir.path()).await;
        let adapters = sandbox(&app, 0.0, 0.0, 1);
        let clock = || at(9, 31);
        let r = publish::round(app.store(), &adapters, "app", &clock, GRACE, 50)
            .await
            .expect("round");
        assert_eq!(r.published, 4, "{r:?}");
        let r = publish::round(app.store(), &adapters, "app", &clock, GRACE, 50)
            .await
            .expect("round");
        assert_eq!(r, publish::Round::default());
        assert_eq!(
            app.store()
                .sandbox_count(&account(&app).await)
                .await
                .expect("count"),
            4
        );
        let published = app.list_posts(Some("published")).await.expect("posts");
        assert!(published.iter().all(|p| p
            .remote_url
            .as_deref()
            .is_some_and(|u| u.starts_with("sandbox://posts/"))));
        // The variants took turns.
        let mut variants: Vec<_> = published
            .iter()
            .filter_map(|p| p.variant_id.clone())
            .collect();
        variants.dedup();
        assert_eq!(variants.len(), 4, "alternating: {variants:?}");
    }

    #[tokio::test]
    async fn a_lost_answer_is_verified_and_never_sent_twice() {
        let dir = data_dir();
        let (app, _, _) = world(dir.path()).await;
        let lossy = sandbox(&app, 0.0, 1.0, 2);
        let clock = || at(9, 31);
        let r = publish::round(app.store(), &lossy, "app", &clock, GRACE, 50)
            .await
            .expect("round");
        assert_eq!((r.published, r.to_verify), (0, 4), "{r:?}");
        assert!(statuses(&app)
            .await
            .iter()
            .all(|s| s == "needs_verification"));
        // The next round asks the Sandbox first: they exist, so they are
        // published without a second send.
        let r = publish::round(app.store(), &lossy, "app", &clock, GRACE, 50)
            .await
            .expect("round");
        assert_eq!(r.verified, 4, "{r:?}");
        assert!(statuses(&app).await.iter().all(|s| s == "published"));
        assert_eq!(
            app.store()
                .sandbox_count(&account(&app).await)
                .await
                .expect("count"),
            4
        );
    }

    #[tokio::test]
    async fn a_crash_before_the_call_is_verified_absent_and_sent_once() {
        let dir = data_dir();
        let (app, campaign, _) = world(dir.path()).await;
        let store = app.store();
        // A publisher claims, records its attempt, and dies before calling.
        let t = at(9, 1);
        let claimed = store
            .claim_due_posts(t, "dead", publish::LEASE, GRACE, 1)
            .await
            .expect("claim");
        let (v, _) = store
            .next_variant(&campaign, "sandbox")
            .await
            .expect("v")
            .expect("some");
        assert!(store
            .begin_attempt(t, &claimed[0].id, "dead", &v)
            .await
            .expect("attempt"));
        let adapters = sandbox(&app, 0.0, 0.0, 3);
        let later = || at(9, 7);
        let r = publish::round(store, &adapters, "app", &later, GRACE, 50)
            .await
            .expect("round");
        assert_eq!(r.retried, 1, "verified absent, so sent again: {r:?}");
        assert_eq!(
            r.published, 0,
            "not at once: the retry waits its backoff {r:?}"
        );
        let r = publish::round(store, &adapters, "app", &|| at(9, 8), GRACE, 50)
            .await
            .expect("round");
        assert_eq!(r.published, 1, "{r:?}");
        assert_eq!(
            store
                .sandbox_count(&account(&app).await)
                .await
                .expect("count"),
            1
        );
    }

    #[tokio::test]
    async fn refusals_are_retried_and_no_post_is_lost_or_doubled_under_chaos() {
        for seed in 0..8 {
            let dir = data_dir();
            let (app, campaign, _) = world(dir.path()).await;
            let store = app.store();
            let chaos = sandbox(&app, 0.25, 0.3, seed);
            let calm = sandbox(&app, 0.0, 0.0, seed);
            let start = at(9, 31);
            for round_no in 0..15u32 {
                // Past each lease from one round to the next.
                let t = start + Duration::minutes(6 * i64::from(round_no));
                // Now and then a publisher dies mid-post.
                if round_no < 12 && (seed + u64::from(round_no)) % 3 == 0 {
                    if let Some(p) = store
                        .claim_due_posts(t, "crashed", publish::LEASE, GRACE, 1)
                        .await
                        .expect("claim")
                        .first()
                    {
                        if let Some((v, _)) =
                            store.next_variant(&campaign, "sandbox").await.expect("v")
                        {
                            store
                                .begin_attempt(t, &p.id, "crashed", &v)
                                .await
                                .expect("attempt");
                        }
                    }
                }
                // The last rounds are calm, so every open question settles.
                let adapters = if round_no < 12 { &chaos } else { &calm };
                let clock = move || t;
                publish::round(store, adapters, "app", &clock, GRACE, 50)
                    .await
                    .expect("round");
            }
            // Long enough calm for the longest backoff to run out.
            for extra in 1..=8 {
                let t = start + Duration::minutes(90 + 30 * extra);
                publish::round(store, &calm, "app", &move || t, GRACE, 50)
                    .await
                    .expect("round");
            }
            let posts = app.list_posts(None).await.expect("posts");
            let due: Vec<_> = posts
                .iter()
                .filter(|p| p.scheduled_at.as_str() <= "2026-11-26T09:30:00.000Z")
                .collect();
            assert!(
                due.iter().all(|p| p.status == "published"),
                "seed {seed}: {:?}",
                due.iter().map(|p| &p.status).collect::<Vec<_>>()
            );
            assert!(
                posts
                    .iter()
                    .all(|p| p.status != "publishing" && p.status != "needs_verification"),
                "seed {seed}: all settled"
            );
            // Exactly once on the network: as many Sandbox posts as
            // published posts, each remote id used once.
            let published: Vec<_> = posts.iter().filter(|p| p.status == "published").collect();
            let on_network = store
                .sandbox_count(&account(&app).await)
                .await
                .expect("count");
            assert_eq!(on_network as usize, published.len(), "seed {seed}");
        }
    }

    /// A variant with a banned word is never picked by itself; activation
    /// names it. When every variant breaks the rules the post is held with
    /// the reason and not claimed again; a person's pick sends it as it is,
    /// and fixing a variant lets the next held post go.
    #[tokio::test]
    async fn variants_that_break_the_rules_are_never_picked_and_a_post_without_one_is_held() {
        use reachloop_ipc::{BrandConstraints, NewCampaign, VariantText};
        let dir = data_dir();
        let (app, campaign, _) = world(dir.path()).await;
        let c = app.campaign(&campaign).await.expect("campaign");
        app.update_campaign(
            at(8, 56),
            &campaign,
            Actor::User,
            &NewCampaign {
                name: c.name.clone(),
                platforms: vec!["sandbox".into()],
                goal: "reach".into(),
                brand: BrandConstraints {
                    banned_words: vec!["second".into()],
                    ..c.brand.clone()
                },
                ..Default::default()
            },
            None,
        )
        .await
        .expect("ban a word");
        let warned = app
            .rule_breaking_variants(&campaign)
            .await
            .expect("warnings");
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert!(
            warned[0].contains("Second variant") && warned[0].contains("banned"),
            "{warned:?}"
        );
        let variants = app.list_variants(&campaign).await.expect("variants");
        let id_of = |body: &str| {
            variants
                .iter()
                .find(|v| v.body == body)
                .map(|v| v.id.clone())
                .expect("variant")
        };
        let (first, second) = (id_of("First variant"), id_of("Second variant"));

        let adapters = sandbox(&app, 0.0, 0.0, 1);
        let round = |h: u32, m: u32| {
            let clock = move || at(h, m);
            let (store, adapters) = (app.store(), &adapters);
            async move {
                publish::round(store, adapters, "app", &clock, GRACE, 50)
                    .await
                    .expect("round")
            }
        };
        assert_eq!(round(9, 31).await.published, 4);
        let posts = app.list_posts(Some("published")).await.expect("posts");
        assert!(
            posts
                .iter()
                .all(|p| p.variant_id.as_deref() == Some(first.as_str())),
            "only the variant that keeps the rules: {posts:?}"
        );

        // Now both break the rules: the 09:40 post is held, with why.
        app.edit_variant(
            at(9, 35),
            &first,
            &VariantText {
                body: "First, then second".into(),
                title: None,
            },
            Actor::User,
            None,
        )
        .await
        .expect("edit");
        assert_eq!(round(9, 41).await.published, 0);
        let held = |app: &App| {
            let app = app.clone();
            async move {
                app.list_posts(Some("scheduled"))
                    .await
                    .expect("posts")
                    .into_iter()
                    // Held by the publisher (the others only say they would be).
                    .filter(|p| p.held.as_deref().is_some_and(|h| h.starts_with("Held:")))
                    .collect::<Vec<_>>()
            }
        };
        let on_hold = held(&app).await;
        assert_eq!(on_hold.len(), 1, "{on_hold:?}");
        let why = on_hold[0].held.clone().unwrap_or_default();
        assert!(
            why.contains("banned") && why.contains("Pick a variant"),
            "{why}"
        );
        assert_eq!(
            round(9, 42).await,
            publish::Round::default(),
            "not taken again"
        );

        // A person's pick sends it as it is.
        app.override_post(
            at(9, 43),
            Actor::User,
            &on_hold[0].id,
            &reachloop::store::PostOverride::Variant(second.clone()),
        )
        .await
        .expect("pick");
        assert_eq!(round(9, 44).await.published, 1);
        let sent = app
            .store()
            .post(&on_hold[0].id)
            .await
            .expect("post")
            .expect("there");
        assert_eq!(sent.variant_id.as_deref(), Some(second.as_str()));

        // 09:50 is held in turn; fixing a variant lets it go.
        assert_eq!(round(9, 51).await.published, 0);
        assert_eq!(held(&app).await.len(), 1);
        app.edit_variant(
            at(9, 52),
            &first,
            &VariantText {
                body: "First, fixed".into(),
                title: None,
            },
            Actor::User,
            None,
        )
        .await
        .expect("fix");
        assert!(held(&app).await.is_empty(), "looked at again");
        assert_eq!(round(9, 53).await.published, 1);
        let audit = app.recent_audit(100).await.expect("audit");
        assert!(audit.iter().any(|e| e.action == "post.held"));
    }
}

#[tokio::test]
async fn one_publisher_at_a_time_and_a_clean_stop_hands_over_at_once() {
    let dir = data_dir();
    let (app, _, _) = world(dir.path()).await;
    let store = app.store();
    let ttl = Duration::minutes(2);
    assert!(store
        .take_publisher_lease(at(9, 0), "app-1", "app", ttl)
        .await
        .expect("take"));
    assert!(!store
        .take_publisher_lease(at(9, 1), "agent-1", "agent", ttl)
        .await
        .expect("busy"));
    assert!(store
        .take_publisher_lease(at(9, 1), "app-1", "app", ttl)
        .await
        .expect("renew"));
    assert_eq!(
        app.publisher(at(9, 2)).await.expect("who"),
        Some(("app-1".into(), "app".into()))
    );
    // The app died: its lease runs out and the agent takes over.
    assert!(store
        .take_publisher_lease(at(9, 4), "agent-1", "agent", ttl)
        .await
        .expect("take over"));
    app.stop_publishing("agent-1").await.expect("release");
    assert_eq!(app.publisher(at(9, 4)).await.expect("who"), None);
    assert!(store
        .take_publisher_lease(at(9, 4), "app-1", "app", ttl)
        .await
        .expect("at once"));
    let audit = app.recent_audit(50).await.expect("audit");
    assert!(
        audit
            .iter()
            .filter(|e| e.action == "publisher.lease_taken")
            .count()
            >= 3
    );
}

/// `reachloop-cli agent` publishes due posts with no window and stops
/// cleanly on SIGTERM, releasing the lease.
#[tokio::test]
async fn the_headless_agent_publishes_and_stops_cleanly() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let account = app
        .connect_sandbox(chrono::Utc::now(), "Agent shop")
        .await
        .expect("sandbox");
    let c = crate::active_sandbox_campaign(&app, chrono::Utc::now(), "Agent", &["From the agent"])
        .await;
    let soon = (chrono::Utc::now() + Duration::seconds(1)).to_rfc3339();
    app.create_schedule(
        chrono::Utc::now(),
        Actor::User,
        &NewSchedule {
            campaign_id: c.clone(),
            platform: "sandbox".into(),
            account_id: account.id.clone(),
            run_at: Some(soon),
            time_zone: "UTC".into(),
            ..NewSchedule::default()
        },
        "UTC",
    )
    .await
    .expect("schedule");
    let agent = std::process::Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
        .env("REACHLOOP_DATA_DIR", dir.path())
        // The world's seed is random: no injected failure (and 30 s retry).
        .env("REACHLOOP_SANDBOX_FAILURE_RATE", "0")
        .args(["agent", "--interval-secs", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the agent");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let published = app.list_posts(Some("published")).await.expect("posts");
        if published.len() == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the agent did not publish"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(app
        .publisher(chrono::Utc::now())
        .await
        .expect("who")
        .is_some_and(|(_, k)| k == "agent"));
    let status = std::process::Command::new("kill")
        .args(["-TERM", &agent.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = agent.wait_with_output().expect("agent ends");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("agent: stopped"), "{log}");
    assert_eq!(
        app.publisher(chrono::Utc::now()).await.expect("who"),
        None,
        "lease released"
    );
    assert_eq!(
        app.store().sandbox_count(&account.id).await.expect("count"),
        1
    );
}

#[tokio::test]
async fn overrides_change_only_upcoming_posts_and_stick() {
    use reachloop::store::PostOverride;
    let dir = data_dir();
    let (app, campaign, _) = world(dir.path()).await;
    let store = app.store();
    let now = at(8, 56);
    let posts = app.list_posts(Some("scheduled")).await.expect("posts");
    let (p0, p1, p2, p3) = (&posts[0], &posts[1], &posts[2], &posts[3]);
    // Every 10 minutes to one account: warned before it bites.
    assert!(p0.warnings.is_empty(), "{:?}", p0.warnings);
    assert!(
        p1.warnings.iter().any(|w| w.contains("Only 10 minutes")),
        "{:?}",
        p1.warnings
    );
    let code = |e: reachloop::Error| e.fields()[0].code.clone();
    // Pick the second variant for 09:00.
    let variants = app.list_variants(&campaign).await.expect("variants");
    let chosen = &variants[1].id;
    let picked = app
        .override_post(
            now,
            Actor::User,
            &p0.id,
            &PostOverride::Variant(chosen.clone()),
        )
        .await
        .expect("pick");
    assert!(picked.overridden && picked.variant_id.as_deref() == Some(chosen.as_str()));
    // Skip 09:10; move 09:20 to 09:25; moving 09:30 onto 09:00 is refused.
    app.override_post(now, Actor::User, &p1.id, &PostOverride::Skip)
        .await
        .expect("skip");
    let moved = app
        .override_post(now, Actor::User, &p2.id, &PostOverride::Move(at(9, 25)))
        .await
        .expect("move");
    assert_eq!(moved.scheduled_at, "2026-11-26T09:25:00.000Z");
    let e = app
        .override_post(now, Actor::User, &p3.id, &PostOverride::Move(at(9, 0)))
        .await
        .expect_err("slot taken");
    assert_eq!(code(e), "slot_taken");
    // Another campaign's variant, or an archived one, is refused.
    app.delete_variant(now, &variants[0].id, Actor::User)
        .await
        .expect("archive");
    let e = app
        .override_post(
            now,
            Actor::User,
            &p3.id,
            &PostOverride::Variant(variants[0].id.clone()),
        )
        .await
        .expect_err("archived");
    assert_eq!(code(e), "wrong_variant");
    // Planning again brings back neither the skipped nor the moved slot.
    app.plan_all(now).await.expect("plan");
    let by_time = |t: &str| {
        let t = t.to_string();
        let app = app.clone();
        async move {
            app.list_posts(None)
                .await
                .expect("posts")
                .into_iter()
                .filter(|p| p.scheduled_at == t)
                .map(|p| p.status)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(by_time("2026-11-26T09:10:00.000Z").await, ["cancelled"]);
    assert_eq!(by_time("2026-11-26T09:20:00.000Z").await, ["cancelled"]);
    assert_eq!(by_time("2026-11-26T09:25:00.000Z").await, ["scheduled"]);
    // Once the publisher has claimed a post, an override is refused.
    let claimed = store
        .claim_due_posts(at(9, 1), "app", LEASE, GRACE, 1)
        .await
        .expect("claim");
    assert_eq!(claimed[0].id, p0.id);
    let e = app
        .override_post(at(9, 1), Actor::User, &p0.id, &PostOverride::Skip)
        .await
        .expect_err("claimed");
    assert_eq!(code(e), "already_publishing");
    let audit = app.recent_audit(100).await.expect("audit");
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "post.overridden")
            .count(),
        3
    );
}

mod limits {
    use super::*;
    use reachloop::platforms::sandbox::{Sandbox, SandboxConfig};
    use reachloop::publish::{self, Adapters};

    fn limited(app: &App, failure_rate: f64, rate_limit: Option<(u32, Duration)>) -> Adapters {
        Adapters(vec![Box::new(Sandbox::new(
            app.store().clone(),
            SandboxConfig {
                seed: Some(9),
                latency: std::time::Duration::ZERO,
                failure_rate,
                lost_answer_rate: 0.0,
                unverifiable: false,
                rate_limit,
                speedup: 1.0,
            },
        ))])
    }

    #[tokio::test]
    async fn a_rate_limited_account_waits_until_the_reset_even_after_a_restart() {
        let dir = data_dir();
        let (app, _, _) = world(dir.path()).await;
        // Two posts per account per hour.
        let adapters = limited(&app, 0.0, Some((2, Duration::hours(1))));
        let clock = || at(9, 31);
        let r = publish::round(app.store(), &adapters, "app", &clock, GRACE, 50)
            .await
            .expect("round");
        assert_eq!((r.published, r.retried), (2, 1), "{r:?}");
        let held = app.store().paused_scopes(at(9, 31)).await.expect("held");
        assert_eq!(held.len(), 1, "{held:?}");
        assert!(held[0].0.starts_with("account:"));
        // The first post in the window went out at 09:31: it resets an hour on.
        assert_eq!(held[0].1, "2026-11-26T10:31:00.000Z", "the window's reset");
        // A restarted publisher (a new handle) still waits...
        let again = App::open(dir.path()).await.expect("reopen");
        let later = || at(9, 45);
        let r = publish::round(again.store(), &adapters, "app", &later, GRACE, 50)
            .await
            .expect("round");
        assert_eq!(r.published + r.retried, 0, "held back: {r:?}");
        // ...until the reset.
        let after = || at(10, 32);
        let r = publish::round(again.store(), &adapters, "app", &after, GRACE, 50)
            .await
            .expect("round");
        assert_eq!(r.published, 2, "{r:?}");
    }

    #[tokio::test]
    async fn a_platform_that_keeps_failing_is_left_alone_for_a_while() {
        let dir = data_dir();
        let (app, _, _) = world(dir.path()).await;
        let failing = limited(&app, 1.0, None);
        let mut t = at(9, 55); // six posts due
        let mut tried = 0;
        for _ in 0..3 {
            let clock = move || t;
            let r = publish::round(app.store(), &failing, "app", &clock, GRACE, 50)
                .await
                .expect("round");
            tried += r.retried;
            t += Duration::seconds(5);
        }
        // Five failures in a row open the breaker: the sixth is not tried.
        assert_eq!(tried, 5, "the breaker stopped the hammering");
        let held = app.store().paused_scopes(t).await.expect("held");
        assert_eq!(held[0].0, "platform:sandbox");
        assert!(held[0].2.contains("5 failures in a row"), "{held:?}");
        assert_eq!(publish::breaker_wait(5), Duration::seconds(30));
        assert_eq!(publish::breaker_wait(40), Duration::hours(1));
        // After the wait, a success closes it again.
        let fine = limited(&app, 0.0, None);
        let clock = || at(9, 57);
        let r = publish::round(app.store(), &fine, "app", &clock, GRACE, 50)
            .await
            .expect("round");
        assert_eq!(r.published, 6, "{r:?}");
    }
}

#[tokio::test]
async fn the_calendar_reads_a_range_and_changes_come_from_the_window() {
    use reachloop_ipc::PostChange;
    let dir = data_dir();
    let (app, _, _) = world(dir.path()).await;
    // Nine 10-minute slots from 09:00 to 10:20 fall in [09:00, 10:30).
    let posts = app
        .calendar_between("2026-11-26T09:00:00Z", "2026-11-26T10:30:00Z")
        .await
        .expect("range");
    assert_eq!(posts.len(), 9);
    assert!(posts
        .windows(2)
        .all(|w| w[0].scheduled_at < w[1].scheduled_at));
    for (from, to) in [
        ("yesterday", "2026-11-26T10:00:00Z"),
        ("2026-11-26T10:00:00Z", "2026-11-26T09:00:00Z"),
        ("2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z"),
    ] {
        assert!(app.calendar_between(from, to).await.is_err(), "{from} {to}");
    }
    let first = &posts[1];
    let changed = app
        .change_post(
            at(8, 56),
            Actor::User,
            &PostChange {
                post_id: first.id.clone(),
                action: "move".into(),
                at: Some("2026-11-26T09:15:00Z".into()),
                ..PostChange::default()
            },
        )
        .await
        .expect("move");
    assert!(changed.overridden);
    assert!(changed.scheduled_at.starts_with("2026-11-26T09:15"));
    for bad in [
        PostChange {
            post_id: first.id.clone(),
            action: "move".into(),
            at: Some("soon".into()),
            ..PostChange::default()
        },
        PostChange {
            post_id: first.id.clone(),
            action: "variant".into(),
            ..PostChange::default()
        },
        PostChange {
            post_id: first.id.clone(),
            action: "delete".into(),
            ..PostChange::default()
        },
    ] {
        let e = app
            .change_post(at(8, 57), Actor::User, &bad)
            .await
            .expect_err("refused");
        assert!(!e.fields().is_empty(), "{e}");
    }
    let skipped = app
        .change_post(
            at(8, 57),
            Actor::User,
            &PostChange {
                post_id: posts[2].id.clone(),
                action: "skip".into(),
                ..PostChange::default()
            },
        )
        .await
        .expect("skip");
    assert_eq!(skipped.status, "cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overrides_wait_for_another_processs_writes_instead_of_failing() {
    use reachloop::store::PostOverride;
    let dir = data_dir();
    let (app, campaign, _) = world(dir.path()).await;
    // Another process on the same file, writing all the time.
    let other = App::open(dir.path()).await.expect("second opener");
    let writer = tokio::spawn(async move {
        for i in 0..200 {
            other
                .set_publishing_paused(at(8, 58), Actor::Cli, i % 2 == 0)
                .await
                .expect("write");
        }
    });
    let variants = app.list_variants(&campaign).await.expect("variants");
    let posts = app.list_posts(Some("scheduled")).await.expect("posts");
    for (i, p) in posts.iter().take(40).enumerate() {
        app.override_post(
            at(8, 56),
            Actor::User,
            &p.id,
            &PostOverride::Variant(variants[i % 2].id.clone()),
        )
        .await
        .unwrap_or_else(|e| panic!("override {i} failed: {e}"));
    }
    writer.await.expect("writer");
}

/// The Sandbox's world follows the seed in Settings: picked once and kept,
/// shown and changed (audited) from the app or the CLI, where
/// `REACHLOOP_SANDBOX_SEED` wins; the same seed replays the same draws and
/// another one draws others.
#[tokio::test]
async fn the_sandbox_world_follows_the_seed_in_settings() {
    use reachloop::platforms::sandbox::{Sandbox, SandboxConfig};
    use reachloop::platforms::{Adapter, PublishRequest};
    let now = at(9, 0);
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let first = app.sandbox_world(now).await.expect("world");
    assert!(!first.from_environment);
    assert!((100_000..1_000_000).contains(&first.seed), "{first:?}");
    assert_eq!(app.sandbox_world(now).await.expect("again"), first, "kept");

    let cli = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_reachloop-cli"));
        c.env("REACHLOOP_DATA_DIR", dir.path()).args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("run reachloop-cli")
    };
    let shown = cli(&["sandbox", "seed"], &[]);
    assert_eq!(
        String::from_utf8_lossy(&shown.stdout).trim(),
        first.seed.to_string()
    );

    for bad in ["-3", "seven", "4294967296", ""] {
        let e = app
            .set_sandbox_seed(now, Actor::User, bad)
            .await
            .expect_err("not a seed");
        assert!(
            e.to_string()
                .contains("is not a seed: use a whole number from 0 to 4294967295"),
            "{bad}: {e}"
        );
    }
    assert_eq!(app.sandbox_world(now).await.expect("world"), first);

    let changed = cli(&["sandbox", "seed", "4242"], &[]);
    assert!(
        changed.status.success(),
        "{}",
        String::from_utf8_lossy(&changed.stderr)
    );
    assert_eq!(app.sandbox_world(now).await.expect("world").seed, 4242);
    let audit = app.recent_audit(20).await.expect("audit");
    let entry = audit
        .iter()
        .find(|a| a.action == "sandbox.seed_changed")
        .expect("audited");
    assert_eq!(entry.actor, "cli");
    let details: serde_json::Value = serde_json::from_str(&entry.details).expect("json");
    assert_eq!(details["seed"], 4242);
    assert_eq!(details["before"], first.seed);

    // The environment wins, and says so.
    let env = [("REACHLOOP_SANDBOX_SEED", "7")];
    let shown = cli(&["sandbox", "seed"], &env);
    assert_eq!(
        String::from_utf8_lossy(&shown.stdout).trim(),
        "7 (from REACHLOOP_SANDBOX_SEED)"
    );
    let refused = cli(&["sandbox", "seed", "9"], &env);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("REACHLOOP_SANDBOX_SEED=7 is set"));
    assert_eq!(app.sandbox_world(now).await.expect("world").seed, 4242);

    // What the network does follows the stored seed.
    async fn draws(seed: &str) -> Vec<bool> {
        let dir = data_dir();
        let app = App::open(dir.path()).await.expect("open");
        let now = at(9, 0);
        app.set_sandbox_seed(now, Actor::User, seed)
            .await
            .expect("seed");
        let account = app.connect_sandbox(now, "Seeded").await.expect("account");
        let sandbox = Sandbox::new(
            app.store().clone(),
            SandboxConfig {
                seed: None,
                latency: std::time::Duration::ZERO,
                failure_rate: 0.5,
                lost_answer_rate: 0.0,
                unverifiable: false,
                rate_limit: None,
                speedup: 1.0,
            },
        );
        let mut out = Vec::new();
        for i in 0..24 {
            let req = PublishRequest {
                post_id: format!("post-{i}"),
                account_id: account.id.clone(),
                body: format!("Post {i}"),
                media: Vec::new(),
                attempt: 1,
                attempt_started_at: now,
                attempt_ends_by: now + Duration::minutes(10),
                progress: Default::default(),
                already_ours: Vec::new(),
            };
            out.push(sandbox.publish(&req).await.is_ok());
        }
        app.store().clone().close().await;
        out
    }
    let a = draws("4242").await;
    assert_eq!(a, draws("4242").await, "the same seed, the same world");
    assert_ne!(a, draws("4243").await, "another seed, another world");
    assert!(a.contains(&true) && a.contains(&false), "{a:?}");
}

/// A one-off on a minute the cadence already covers is refused with what
/// is there and the next free minute, never dropped without a word; asked
/// to, it takes that post over, and pausing the cadence then leaves it
/// alone: it is still claimed when due. A skipped minute can be taken
/// over too; a published one cannot.
#[tokio::test]
async fn a_one_off_on_a_cadences_minute_is_refused_or_takes_it_over() {
    let dir = data_dir();
    let (app, campaign, cadence) = world(dir.path()).await;
    let account = app.list_accounts(at(8, 0)).await.expect("accounts")[0]
        .id
        .clone();
    let once = |at: &str, replace_slot: bool| NewSchedule {
        campaign_id: campaign.clone(),
        platform: "sandbox".into(),
        account_id: account.clone(),
        run_at: Some(at.into()),
        time_zone: "Europe/Berlin".into(),
        replace_slot,
        ..NewSchedule::default()
    };
    // 10:20 in Berlin is 09:20 UTC: the cadence's post.
    let refused = app
        .create_schedule(
            at(9, 0),
            Actor::User,
            &once("2026-11-26 10:20", false),
            "UTC",
        )
        .await
        .expect_err("the minute is taken");
    let field = &refused.fields()[0];
    assert_eq!(
        (field.field.as_str(), field.code.as_str()),
        ("run_at", "slot_taken")
    );
    for words in [
        "10:20 CET",
        "every 10 minutes",
        "2026-11-26 10:21",
        "replace that post",
    ] {
        assert!(
            field.message.to_lowercase().contains(&words.to_lowercase()),
            "{words}: {}",
            field.message
        );
    }
    let preview = app
        .preview_schedule(at(9, 0), &once("2026-11-26 10:20", false), "UTC")
        .await
        .expect("preview");
    let taken = preview
        .slot_taken
        .expect("the preview says it before saving");
    assert!(taken.can_replace);
    assert_eq!(taken.free_minute.as_deref(), Some("2026-11-26 10:21"));
    assert_eq!(
        app.list_schedules(Some(&campaign))
            .await
            .expect("list")
            .len(),
        1
    );

    // Taking it over: the post is the one-off's, and the cadence's pause
    // does not reach it.
    let one_off = app
        .create_schedule(
            at(9, 0),
            Actor::User,
            &once("2026-11-26 10:20", true),
            "UTC",
        )
        .await
        .expect("replace");
    app.set_schedule_paused(at(9, 1), Actor::User, &cadence, true)
        .await
        .expect("pause the cadence");
    let claimed = app
        .store()
        .claim_due_posts(at(9, 21), "app", LEASE, GRACE, 10)
        .await
        .expect("claim");
    assert_eq!(
        claimed.len(),
        1,
        "only the one-off's post goes out: {claimed:?}"
    );
    let post = app
        .store()
        .post(&claimed[0].id)
        .await
        .expect("post")
        .expect("there");
    assert_eq!(post.schedule_id.as_deref(), Some(one_off.id.as_str()));
    assert_eq!(post.scheduled_at, "2026-11-26T09:20:00.000Z");
    let audit = app.recent_audit(20).await.expect("audit");
    assert!(
        audit.iter().any(|e| e.action == "post.slot_replaced"),
        "{audit:?}"
    );

    // A minute whose post was skipped can be taken over: it goes out again.
    app.set_schedule_paused(at(9, 22), Actor::User, &cadence, false)
        .await
        .expect("resume");
    let slot = app
        .store()
        .post_at(
            &campaign,
            reachloop_ipc::Platform::Sandbox,
            &account,
            at(9, 40),
        )
        .await
        .expect("read")
        .expect("the cadence's 09:40");
    app.override_post(
        at(9, 22),
        Actor::User,
        &slot.id,
        &reachloop::store::PostOverride::Skip,
    )
    .await
    .expect("skip");
    assert!(app
        .create_schedule(
            at(9, 23),
            Actor::User,
            &once("2026-11-26 10:40", false),
            "UTC"
        )
        .await
        .is_err());
    app.create_schedule(
        at(9, 23),
        Actor::User,
        &once("2026-11-26 10:40", true),
        "UTC",
    )
    .await
    .expect("take the skipped minute");
    let again = app
        .store()
        .post(&slot.id)
        .await
        .expect("post")
        .expect("there");
    assert_eq!(again.status, "scheduled");

    // Moving it to the year 9999 is a typo, not a plan; a wall time is
    // read in the post's zone (Berlin here).
    let change = |at: &str| reachloop_ipc::PostChange {
        post_id: slot.id.clone(),
        action: "move".into(),
        at: Some(at.into()),
        ..Default::default()
    };
    let far = app
        .change_post(at(9, 24), Actor::User, &change("9999-12-31 23:59"))
        .await
        .expect_err("too far");
    assert_eq!(far.fields()[0].code, "too_far");
    let moved = app
        .change_post(at(9, 24), Actor::User, &change("2026-11-26 11:45"))
        .await
        .expect("move");
    assert_eq!(moved.scheduled_at, "2026-11-26T10:45:00.000Z");
}

/// Beyond the planning horizon the cadence's post is not planned yet: a
/// one-off on its minute is still said, and, asked to, owns that minute
/// when the cadence gets there.
#[tokio::test]
async fn a_one_off_beyond_the_horizon_on_a_cadences_minute_is_said_too() {
    let dir = data_dir();
    let (app, campaign, _) = world(dir.path()).await;
    let account = app.list_accounts(at(8, 0)).await.expect("accounts")[0]
        .id
        .clone();
    let far = NewSchedule {
        campaign_id: campaign.clone(),
        platform: "sandbox".into(),
        account_id: account.clone(),
        run_at: Some("2027-01-20T10:20:00Z".into()),
        time_zone: "UTC".into(),
        ..NewSchedule::default()
    };
    let refused = app
        .create_schedule(at(9, 0), Actor::User, &far, "UTC")
        .await
        .expect_err("the cadence will post then");
    assert!(
        refused.fields()[0].message.contains("every 10 minutes"),
        "{:?}",
        refused.fields()
    );
    let s = app
        .create_schedule(
            at(9, 0),
            Actor::User,
            &NewSchedule {
                replace_slot: true,
                ..far
            },
            "UTC",
        )
        .await
        .expect("replace");
    // Weeks later the cadence (older, so planned first) reaches that day:
    // the minute is the one-off's all the same.
    let then = |h, m| {
        chrono::DateTime::parse_from_rfc3339(&format!("2027-01-20T{h:02}:{m:02}:00Z"))
            .expect("t")
            .to_utc()
    };
    app.plan_all(then(9, 0)).await.expect("plan");
    let post = app
        .store()
        .post_at(
            &campaign,
            reachloop_ipc::Platform::Sandbox,
            &account,
            then(10, 20),
        )
        .await
        .expect("read")
        .expect("planned");
    assert_eq!(
        post.schedule_id.as_deref(),
        Some(s.id.as_str()),
        "the one-off's"
    );
}

/// What holds an upcoming post back is said on the post and its schedule,
/// with what lets it go: a campaign that is not active, a paused schedule,
/// an account that needs signing in, no variant.
#[tokio::test]
async fn why_a_post_will_not_go_out_is_said_with_its_fix() {
    let dir = data_dir();
    let (app, campaign, schedule) = world(dir.path()).await;
    let upcoming = |app: &App| {
        let app = app.clone();
        async move {
            app.calendar_between("2026-11-26T09:00:00Z", "2026-11-26T12:00:00Z")
                .await
                .expect("calendar")
                .into_iter()
                .filter(|p| p.status == "scheduled")
                .collect::<Vec<_>>()
        }
    };
    let first = |posts: Vec<reachloop_ipc::ScheduledPost>| {
        let p = posts.into_iter().next().expect("a post");
        (p.held.unwrap_or_default(), p.fix.unwrap_or_default())
    };
    assert!(upcoming(&app)
        .await
        .iter()
        .all(|p| p.held.is_none() && p.fix.is_none()));

    app.set_campaign_status(at(9, 0), &campaign, Actor::User, CampaignStatus::Paused)
        .await
        .expect("pause the campaign");
    let (why, fix) = first(upcoming(&app).await);
    assert!(why.contains("\u{201c}Pub\u{201d} is paused"), "{why}");
    assert_eq!(fix, "activate_campaign");
    let s = app
        .list_schedules(Some(&campaign))
        .await
        .expect("schedules");
    assert_eq!(s[0].fix.as_deref(), Some("activate_campaign"), "{s:?}");
    app.set_campaign_status(at(9, 0), &campaign, Actor::User, CampaignStatus::Active)
        .await
        .expect("activate");
    assert!(app.list_schedules(Some(&campaign)).await.expect("s")[0]
        .blocked
        .is_none());

    app.set_schedule_paused(at(9, 0), Actor::User, &schedule, true)
        .await
        .expect("pause the schedule");
    let (why, fix) = first(upcoming(&app).await);
    assert!(why.contains("schedule is paused"), "{why}");
    assert_eq!(fix, "resume_schedule");
    app.set_schedule_paused(at(9, 0), Actor::User, &schedule, false)
        .await
        .expect("resume");

    for v in app.list_variants(&campaign).await.expect("variants") {
        app.delete_variant(at(9, 0), &v.id, Actor::User)
            .await
            .expect("delete");
    }
    let (why, fix) = first(upcoming(&app).await);
    assert!(why.contains("no variant for Sandbox"), "{why}");
    assert_eq!(fix, "write_variant");
}

/// A pause is a decision not to post then: resuming a schedule, or
/// publishing as a whole, skips the posts whose time passed during the
/// pause (said beforehand by `skipped_on_resume`), so they do not all go out
/// at once; the later ones stay planned.
#[tokio::test]
async fn resuming_skips_what_passed_during_the_pause() {
    let dir = data_dir();
    let (app, _, schedule) = world(dir.path()).await;
    app.set_schedule_paused(at(9, 5), Actor::User, &schedule, true)
        .await
        .expect("pause");
    let said = app
        .skipped_on_resume(at(9, 35), Some(&schedule))
        .await
        .expect("preview");
    assert_eq!(
        said,
        [
            "2026-11-26T09:10:00.000Z",
            "2026-11-26T09:20:00.000Z",
            "2026-11-26T09:30:00.000Z"
        ]
    );
    app.set_schedule_paused(at(9, 35), Actor::User, &schedule, false)
        .await
        .expect("resume");
    let skipped: Vec<String> = app
        .list_posts(Some("cancelled"))
        .await
        .expect("posts")
        .into_iter()
        .map(|p| p.scheduled_at)
        .collect();
    assert_eq!(skipped, said, "exactly what was said");
    let due = app
        .store()
        .claim_due_posts(at(9, 41), "app", LEASE, GRACE, 10)
        .await
        .expect("claim");
    let due: Vec<&str> = due.iter().map(|p| p.scheduled_at.as_str()).collect();
    assert_eq!(
        due,
        ["2026-11-26T09:00:00.000Z", "2026-11-26T09:40:00.000Z"],
        "before the pause, and after"
    );

    // Publishing as a whole: the same.
    app.set_publishing_paused(at(9, 42), Actor::User, true)
        .await
        .expect("pause publishing");
    let said = app
        .skipped_on_resume(at(10, 5), None)
        .await
        .expect("preview");
    assert_eq!(
        said,
        ["2026-11-26T09:50:00.000Z", "2026-11-26T10:00:00.000Z"]
    );
    app.set_publishing_paused(at(10, 5), Actor::User, false)
        .await
        .expect("resume publishing");
    assert!(app
        .skipped_on_resume(at(10, 5), None)
        .await
        .expect("again")
        .is_empty());
    let cancelled = app.list_posts(Some("cancelled")).await.expect("posts");
    assert_eq!(cancelled.len(), 5);
    assert!(cancelled
        .iter()
        .any(|p| p.last_error.as_deref() == Some("Skipped: publishing was paused at that time.")));
}
