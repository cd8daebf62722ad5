//! The campaign builder through `App`: editing, duplicating, status moves,
//! deleting; hand-written variants with live checks; generation jobs against
//! the fake AI server, queued while it is unreachable.

use std::time::Duration;

use reachloop::ai::RetryPolicy;
use reachloop::store::Actor;
use reachloop::App;
use reachloop_fakes::ai::{FakeAi, Reply};
use reachloop_ipc::{
    AiSettings, BrandConstraints, CampaignStatus, Kpi, NewCampaign, Platform, VariantText,
};

use crate::{at, data_dir, TestKeychain};

fn input(name: &str, platforms: &[&str]) -> NewCampaign {
    NewCampaign {
        name: name.into(),
        prompt: "Our new sourdough, baked daily".into(),
        platforms: platforms.iter().map(|p| p.to_string()).collect(),
        goal: "engagement".into(),
        brand: BrandConstraints {
            tone: "warm".into(),
            banned_words: vec!["cheap".into()],
            ..BrandConstraints::default()
        },
        kpis: vec![Kpi {
            metric: "likes".into(),
            target: 200.0,
        }],
        variants_per_platform: Some(2),
    }
}

/// A draft campaign made with [`input`] at 09:00.
async fn create(app: &App, name: &str, platforms: &[&str]) -> reachloop_ipc::Campaign {
    app.create_campaign(
        at(9, 0),
        uuid::Uuid::new_v4(),
        Actor::User,
        &input(name, platforms),
    )
    .await
    .expect("create")
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        attempts: 2,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        timeout: Duration::from_secs(2),
    }
}

async fn actions(app: &App) -> Vec<String> {
    app.recent_audit(200)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[tokio::test]
async fn campaigns_are_edited_duplicated_moved_and_deleted() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let c = create(&app, "Spring", &["x", "instagram"]).await;
    assert_eq!(c.brand.banned_words, ["cheap"]);
    assert_eq!((c.variants_per_platform, c.kpis.len()), (2, 1));

    let mut edit = input("Spring sale", &["x", "tiktok"]);
    edit.variants_per_platform = Some(4);
    let edited = app
        .update_campaign(at(9, 1), &c.id, Actor::User, &edit, None)
        .await
        .expect("edit");
    assert_eq!(edited.name, "Spring sale");
    assert_eq!(edited.platforms, [Platform::X, Platform::Tiktok]);
    assert_eq!(edited.variants_per_platform, 4);
    edit.name = String::new();
    let err = app
        .update_campaign(at(9, 2), &c.id, Actor::User, &edit, None)
        .await
        .expect_err("empty name");
    assert_eq!(err.fields()[0].field, "name");
    assert_eq!(
        app.campaign(&c.id).await.expect("still").name,
        "Spring sale"
    );

    // Status: only valid moves.
    let err = app
        .set_campaign_status(at(9, 3), &c.id, Actor::User, CampaignStatus::Completed)
        .await
        .expect_err("draft cannot complete");
    assert_eq!(err.fields()[0].code, "invalid_transition");
    for to in [
        CampaignStatus::Active,
        CampaignStatus::Paused,
        CampaignStatus::Active,
        CampaignStatus::Completed,
        CampaignStatus::Archived,
    ] {
        let moved = app
            .set_campaign_status(at(9, 4), &c.id, Actor::User, to)
            .await
            .unwrap_or_else(|e| panic!("to {to:?}: {e}"));
        assert_eq!(moved.status, to);
    }

    // Duplicate copies settings and variants into a new draft.
    app.set_campaign_status(at(9, 5), &c.id, Actor::User, CampaignStatus::Draft)
        .await
        .expect("restore");
    app.add_variant(
        at(9, 6),
        &c.id,
        Platform::X,
        &VariantText {
            title: None,
            body: "Hello".into(),
        },
        Actor::User,
    )
    .await
    .expect("variant");
    let copy = app
        .duplicate_campaign(at(9, 7), &c.id, uuid::Uuid::new_v4(), Actor::User)
        .await
        .expect("duplicate");
    assert_eq!(copy.name, "Spring sale (copy)");
    assert_eq!(
        (copy.status, copy.variants_per_platform),
        (CampaignStatus::Draft, 4)
    );
    assert_eq!(
        app.list_variants(&copy.id).await.expect("variants").len(),
        1
    );

    app.delete_campaign(at(9, 8), &c.id, Actor::User)
        .await
        .expect("delete");
    assert_eq!(
        app.campaign(&c.id).await.expect_err("gone").code(),
        "not_found"
    );
    assert_eq!(
        app.list_variants(&copy.id)
            .await
            .expect("copy keeps its own")
            .len(),
        1
    );
    let acts = actions(&app).await;
    for a in [
        "campaign.updated",
        "campaign.status_changed",
        "campaign.duplicated",
        "campaign.deleted",
        "variant.added",
    ] {
        assert!(acts.iter().any(|x| x == a), "{a} in {acts:?}");
    }
}

#[tokio::test]
async fn hand_written_variants_are_checked_live_and_saved_even_when_broken() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let c = create(&app, "Spring", &["x", "youtube"]).await;
    let err = app
        .add_variant(
            at(9, 1),
            &c.id,
            Platform::Tiktok,
            &VariantText::default(),
            Actor::User,
        )
        .await
        .expect_err("not a campaign platform");
    assert_eq!(err.fields()[0].code, "not_in_campaign");

    let v = app
        .add_variant(
            at(9, 1),
            &c.id,
            Platform::X,
            &VariantText {
                title: Some("ignored".into()),
                body: "Fresh bread".into(),
            },
            Actor::User,
        )
        .await
        .expect("add");
    assert_eq!((v.source.as_str(), v.title.as_deref()), ("manual", None));
    // An empty (or invisible-only) text is never saved as a post.
    for empty in ["", "   \n", "\u{200b}\u{feff}"] {
        let text = VariantText {
            title: None,
            body: empty.into(),
        };
        let err = app
            .add_variant(at(9, 1), &c.id, Platform::X, &text, Actor::User)
            .await
            .expect_err("empty new variant");
        assert_eq!(
            (
                err.fields()[0].field.as_str(),
                err.fields()[0].code.as_str()
            ),
            ("body", "required")
        );
        let err = app
            .edit_variant(at(9, 1), &v.id, &text, Actor::User, None)
            .await
            .expect_err("blanking a saved variant");
        assert_eq!(err.fields()[0].code, "required");
    }
    assert_eq!(app.list_variants(&c.id).await.expect("list").len(), 1);
    assert_eq!(app.variant(&v.id).await.expect("kept").body, "Fresh bread");

    let broken = VariantText {
        title: None,
        body: format!("So CHEAP! {}", "a".repeat(280)),
    };
    let check = app
        .check_post(Platform::X, &broken, Some(&c.id), None)
        .await
        .expect("check");
    let codes: Vec<&str> = check.problems.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(codes, ["too_long", "banned_word"]);
    let saved = app
        .edit_variant(at(9, 2), &v.id, &broken, Actor::User, None)
        .await
        .expect("a draft may break rules");
    assert_eq!(saved.body, broken.body);

    let yt = app
        .add_variant(
            at(9, 3),
            &c.id,
            Platform::Youtube,
            &VariantText {
                title: Some("  Launch  ".into()),
                body: "Watch".into(),
            },
            Actor::User,
        )
        .await
        .expect("youtube");
    assert_eq!(yt.title.as_deref(), Some("Launch"));

    app.delete_variant(at(9, 4), &v.id, Actor::User)
        .await
        .expect("delete");
    let left = app.list_variants(&c.id).await.expect("list");
    assert_eq!(left.len(), 1);
    assert_eq!(
        app.edit_variant(at(9, 5), &v.id, &broken, Actor::User, None)
            .await
            .expect_err("deleted")
            .code(),
        "not_found"
    );
}

async fn configure(app: &App, keys: &TestKeychain, base: &str) {
    app.save_ai_settings(
        at(8, 30),
        &AiSettings {
            base_url: base.into(),
            model: "fake-model".into(),
            temperature: 0.6,
            ..AiSettings::default()
        },
        None,
        &keys.0,
    )
    .await
    .unwrap_or_else(|e| {
        panic!("this test needs a Secret Service; run it through `cargo xtask test`: {e}")
    });
}

#[tokio::test]
async fn generation_stores_variants_with_how_they_were_asked_for() {
    let fake = FakeAi::start().await;
    let dir = data_dir();
    let keys = TestKeychain::new("generate");
    let app = App::open(dir.path()).await.expect("open");
    configure(&app, &keys, &fake.base).await;
    let c = create(&app, "Spring", &["x", "youtube"]).await;

    fake.script([Reply::Banned("cheap".into())]);
    let job = app
        .request_generation(at(9, 1), &c.id, None, None)
        .await
        .expect("queue");
    assert_eq!(job.status, "queued");
    let done = app
        .run_generation(&job.id, &keys.0, policy())
        .await
        .expect("run");
    assert_eq!(done.status, "done", "{done:?}");
    assert_eq!(done.message.as_deref(), Some("4 variants written."));
    let variants = app.list_variants(&c.id).await.expect("variants");
    assert_eq!(variants.len(), 4);
    for v in &variants {
        assert_eq!(
            (v.source.as_str(), v.model.as_deref(), v.temperature),
            ("ai", Some("fake-model"), Some(0.6))
        );
        assert_eq!(v.prompt_hash.as_ref().map(String::len), Some(64));
        assert!(!v.body.to_lowercase().contains("cheap"));
    }
    assert!(variants
        .iter()
        .filter(|v| v.platform == Platform::Youtube)
        .all(|v| v.title.is_some()));
    let audit = app.recent_audit(50).await.expect("audit");
    let generated: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "variants.generated")
        .collect();
    assert_eq!(generated.len(), 2, "one entry per platform");
    assert!(generated
        .iter()
        .all(|e| e.details.contains("prompt_hash") && e.details.contains("fake-model")));
    assert!(
        generated
            .iter()
            .any(|e| e.details.contains("\"repairs\":1")),
        "{generated:?}"
    );

    // Regenerate one variant in place.
    let target = variants
        .iter()
        .find(|v| v.platform == Platform::X)
        .expect("x");
    let job = app
        .request_generation(at(9, 5), &c.id, None, Some(&target.id))
        .await
        .expect("queue one");
    app.run_generation(&job.id, &keys.0, policy())
        .await
        .expect("run one");
    let after = app.list_variants(&c.id).await.expect("variants");
    assert_eq!(after.len(), 4);
    let replaced = after.iter().find(|v| v.id == target.id).expect("same id");
    assert_ne!(replaced.body, target.body);
    assert!(actions(&app)
        .await
        .iter()
        .any(|a| a == "variant.regenerated"));

    // A refusal fails the job with the model's words.
    fake.script([Reply::Refusal]);
    let job = app
        .request_generation(at(9, 6), &c.id, Some(Platform::X), None)
        .await
        .expect("queue");
    let err = app
        .run_generation(&job.id, &keys.0, policy())
        .await
        .expect_err("refused");
    assert_eq!(err.code(), "ai_refused");
    let failed = app.generation_jobs(&c.id).await.expect("jobs");
    assert_eq!(failed[0].status, "failed");
    assert!(failed[0]
        .message
        .as_deref()
        .is_some_and(|m| m.contains("can't help")));
}

#[tokio::test]
async fn generation_waits_offline_and_runs_when_the_endpoint_answers() {
    let dir = data_dir();
    let keys = TestKeychain::new("offline");
    let app = App::open(dir.path()).await.expect("open");
    let c = create(&app, "Offline", &["tiktok"]).await;

    // Nothing configured: no job is left waiting for nothing; the user is
    // told where to set the endpoint up (the UI links it).
    let err = app
        .request_generation(at(9, 1), &c.id, None, None)
        .await
        .expect_err("no endpoint");
    assert_eq!(err.code(), "ai_not_configured");
    assert!(err.to_string().contains("Settings → AI"), "{err}");
    assert!(app.generation_jobs(&c.id).await.expect("jobs").is_empty());

    // Configured but unreachable: kept, waiting, with the reason.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    configure(&app, &keys, &format!("http://127.0.0.1:{port}")).await;
    let job = app
        .request_generation(at(9, 1), &c.id, None, None)
        .await
        .expect("queue");
    let waiting = app
        .run_generation(&job.id, &keys.0, policy())
        .await
        .expect("kept");
    assert_eq!(waiting.status, "queued");
    assert!(
        waiting
            .message
            .as_deref()
            .is_some_and(|m| m.contains("cannot reach the AI endpoint")),
        "{waiting:?}"
    );
    assert!(app.list_variants(&c.id).await.expect("none").is_empty());

    // A restart keeps the queue.
    app.store().clone().close().await;
    let app = App::open(dir.path()).await.expect("reopen");
    let fake = FakeAi::start().await;
    configure(&app, &keys, &fake.base).await;
    let finished = app
        .run_queued_generations(&keys.0, policy())
        .await
        .expect("run queue");
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].status, "done");
    assert_eq!(app.list_variants(&c.id).await.expect("made").len(), 2);
}

#[tokio::test]
async fn ai_settings_are_validated_and_the_key_stays_in_the_keychain() {
    let dir = data_dir();
    let keys = TestKeychain::new("ai-settings");
    let app = App::open(dir.path()).await.expect("open");
    let err = app
        .save_ai_settings(
            at(9, 0),
            &AiSettings {
                base_url: "localhost:11434".into(),
                model: "".into(),
                temperature: 3.0,
                ..AiSettings::default()
            },
            None,
            &keys.0,
        )
        .await
        .expect_err("bad settings");
    let fields: Vec<&str> = err.fields().iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["base_url", "model", "temperature"]);

    let fake = FakeAi::start().await;
    fake.with(|b| b.api_key = Some("sk-test-0123456789".into()));
    let saved = app
        .save_ai_settings(
            at(9, 1),
            &AiSettings {
                base_url: fake.base.clone(),
                model: "fake-model".into(),
                temperature: 0.4,
                ..AiSettings::default()
            },
            Some("sk-test-0123456789"),
            &keys.0,
        )
        .await
        .unwrap_or_else(|e| panic!("needs a Secret Service: {e}"));
    assert!(saved.has_api_key);
    assert_eq!(
        app.test_ai_connection(&keys.0).await.expect("models"),
        ["fake-model", "fake-model-small"]
    );
    let shown = serde_json::to_string(&saved).expect("json");
    assert!(
        !shown.contains("sk-test"),
        "the key never goes back to the UI"
    );
    app.store().clone().close().await;
    let db = std::fs::read(crate::db_path(dir.path())).expect("db");
    assert!(
        !db.windows(10).any(|w| w == b"sk-test-01"),
        "the key is not in the database"
    );

    // Removing the key: the endpoint now refuses, with its own message.
    let app = App::open(dir.path()).await.expect("reopen");
    app.save_ai_settings(
        at(9, 2),
        &AiSettings {
            base_url: fake.base.clone(),
            model: "fake-model".into(),
            temperature: 0.4,
            ..AiSettings::default()
        },
        Some(""),
        &keys.0,
    )
    .await
    .expect("remove key");
    let err = app.test_ai_connection(&keys.0).await.expect_err("no key");
    assert!(
        err.to_string().contains("Incorrect API key provided"),
        "{err}"
    );
}

#[tokio::test]
async fn an_ai_key_never_travels_in_the_clear_or_to_another_host() {
    let dir = data_dir();
    let keys = TestKeychain::new("ai-origin");
    let app = App::open(dir.path()).await.expect("open");
    let settings = |base: &str| AiSettings {
        base_url: base.into(),
        model: "m".into(),
        temperature: 0.5,
        ..AiSettings::default()
    };
    // Plain http to another computer would send the key unencrypted.
    for base in [
        "http://llm.example:8000",
        "http://192.168.1.20:11434",
        "not a url",
    ] {
        let err = app
            .save_ai_settings(at(9, 0), &settings(base), Some("sk-abcdef123456"), &keys.0)
            .await
            .expect_err(base);
        assert_eq!(err.fields()[0].field, "base_url", "{base}");
        assert!(!err.fields()[0].message.is_empty());
    }
    let fake = FakeAi::start().await;
    let saved = app
        .save_ai_settings(
            at(9, 1),
            &settings(&fake.base),
            Some("sk-abcdef123456"),
            &keys.0,
        )
        .await
        .expect("loopback http is fine");
    assert!(saved.has_api_key && saved.notice.is_none());
    // Same origin, other path: the key stays.
    let same = app
        .save_ai_settings(
            at(9, 2),
            &settings(&format!("{}/v1", fake.base)),
            None,
            &keys.0,
        )
        .await
        .expect("same host");
    assert!(same.has_api_key && same.notice.is_none());
    // Another host: the key is dropped, and the user is told.
    let moved = app
        .save_ai_settings(at(9, 3), &settings("https://llm.example"), None, &keys.0)
        .await
        .expect("other host");
    assert!(!moved.has_api_key, "the old host's key is gone");
    let notice = moved.notice.expect("told why");
    assert!(notice.contains("removed"), "{notice}");
    // A new key given with the move is kept.
    let with_key = app
        .save_ai_settings(
            at(9, 4),
            &settings(&fake.base),
            Some("sk-new-key-7890"),
            &keys.0,
        )
        .await
        .expect("move with a key");
    assert!(with_key.has_api_key && with_key.notice.is_none());
    // One audit row per save, not one per field.
    let saves = app
        .recent_audit(50)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == "ai.configured")
        .count();
    assert_eq!(saves, 4);
}

#[tokio::test]
async fn a_cancelled_or_interrupted_generation_is_not_run_twice() {
    let fake = FakeAi::start().await;
    let dir = data_dir();
    let keys = TestKeychain::new("cancel");
    let app = App::open(dir.path()).await.expect("open");
    configure(&app, &keys, &fake.base).await;
    let c = create(&app, "Cancel", &["x"]).await;

    // Cancelled before it ran: running it does nothing.
    let job = app
        .request_generation(at(9, 1), &c.id, None, None)
        .await
        .expect("queue");
    app.cancel_generation(at(9, 2), &job.id)
        .await
        .expect("cancel");
    let after = app
        .run_generation(&job.id, &keys.0, policy())
        .await
        .expect("run");
    assert_eq!(after.status, "cancelled");
    assert!(fake.requests().is_empty(), "no request for a cancelled job");
    assert!(app.list_variants(&c.id).await.expect("none").is_empty());

    // A job a crash left running is queued again and runs once.
    let job = app
        .request_generation(at(9, 3), &c.id, None, None)
        .await
        .expect("queue");
    assert!(app
        .store()
        .claim_job(at(9, 4), &job.id)
        .await
        .expect("claim"));
    assert!(
        !app.store()
            .claim_job(at(9, 4), &job.id)
            .await
            .expect("claim again"),
        "one runner only"
    );
    assert_eq!(
        app.store()
            .requeue_running_jobs(at(9, 5))
            .await
            .expect("requeue"),
        1
    );
    let done = app
        .run_queued_generations(&keys.0, policy())
        .await
        .expect("run queue");
    assert_eq!(done.len(), 1);
    assert_eq!(fake.requests().len(), 1);
    assert_eq!(app.list_variants(&c.id).await.expect("made").len(), 2);
}

#[tokio::test]
async fn an_endpoint_that_never_answers_in_time_fails_the_job_after_a_few_runs() {
    let fake = FakeAi::start().await;
    let dir = data_dir();
    let keys = TestKeychain::new("slow");
    let app = App::open(dir.path()).await.expect("open");
    configure(&app, &keys, &fake.base).await;
    let c = create(&app, "Slow", &["x"]).await;
    let quick = RetryPolicy {
        attempts: 1,
        timeout: Duration::from_millis(100),
        ..policy()
    };
    let runs = reachloop::app::MAX_TIMED_OUT_RUNS;
    fake.script((0..runs).map(|_| Reply::Hang(Duration::from_secs(2))));
    let job = app
        .request_generation(at(9, 1), &c.id, None, None)
        .await
        .expect("queue");
    for run in 1..runs {
        let waiting = app
            .run_generation(&job.id, &keys.0, quick)
            .await
            .expect("kept");
        assert_eq!(waiting.status, "queued", "run {run}");
        assert!(
            waiting
                .message
                .as_deref()
                .is_some_and(|m| m.contains("did not answer within 0.1 s")),
            "{waiting:?}"
        );
    }
    let err = app
        .run_generation(&job.id, &keys.0, quick)
        .await
        .expect_err("gave up");
    assert_eq!(err.code(), "ai_timeout");
    let jobs = app.generation_jobs(&c.id).await.expect("jobs");
    assert_eq!(
        (jobs[0].status.as_str(), jobs[0].attempts),
        ("failed", runs)
    );
}

/// Polls until the fake has seen `n` chat requests.
async fn wait_for_requests(fake: &FakeAi, n: usize) {
    for _ in 0..400 {
        if fake.requests().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the fake never saw {n} requests");
}

#[tokio::test]
async fn cancelling_a_running_generation_keeps_none_of_its_output() {
    let fake = FakeAi::start().await;
    let dir = data_dir();
    let keys = TestKeychain::new("cancel-mid-run");
    let app = App::open(dir.path()).await.expect("open");
    configure(&app, &keys, &fake.base).await;
    let c = create(&app, "Mid-run", &["x"]).await;
    fake.script([Reply::Hang(Duration::from_millis(400))]);
    let job = app
        .request_generation(at(9, 1), &c.id, None, None)
        .await
        .expect("queue");
    let running = {
        let (app, id, keys) = (app.clone(), job.id.clone(), keys.0.clone());
        tokio::spawn(async move { app.run_generation(&id, &keys, policy()).await })
    };
    wait_for_requests(&fake, 1).await;
    app.cancel_generation(at(9, 2), &job.id)
        .await
        .expect("cancel");
    let ended = running.await.expect("no panic").expect("run");
    assert_eq!(ended.status, "cancelled", "the cancel wins over the result");
    assert!(
        app.list_variants(&c.id).await.expect("list").is_empty(),
        "the answer that arrived after the cancel was not stored"
    );
}

#[tokio::test]
async fn a_generation_interrupted_after_one_platform_writes_each_platform_once() {
    let fake = FakeAi::start().await;
    let dir = data_dir();
    let keys = TestKeychain::new("partial");
    let app = App::open(dir.path()).await.expect("open");
    configure(&app, &keys, &fake.base).await;
    let c = create(&app, "Partial", &["x", "tiktok"]).await;
    // The first platform answers; the second hangs until the "crash".
    fake.script([Reply::Valid, Reply::Hang(Duration::from_millis(1500))]);
    let job = app
        .request_generation(at(9, 1), &c.id, None, None)
        .await
        .expect("queue");
    let running = {
        let (app, id, keys) = (app.clone(), job.id.clone(), keys.0.clone());
        tokio::spawn(async move { app.run_generation(&id, &keys, policy()).await })
    };
    wait_for_requests(&fake, 2).await;
    running.abort();
    let _ = running.await;
    assert_eq!(app.list_variants(&c.id).await.expect("list").len(), 2);
    // Start-up after the crash: the job runs again, for the rest only.
    app.store()
        .requeue_running_jobs(at(9, 5))
        .await
        .expect("requeue");
    let done = app
        .run_queued_generations(&keys.0, policy())
        .await
        .expect("rerun");
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].status, "done");
    let variants = app.list_variants(&c.id).await.expect("list");
    let per = |p: Platform| variants.iter().filter(|v| v.platform == p).count();
    assert_eq!(
        (per(Platform::X), per(Platform::Tiktok)),
        (2, 2),
        "{variants:?}"
    );
    assert_eq!(
        fake.requests().len(),
        3,
        "the finished platform was not asked again"
    );
}

#[tokio::test]
async fn two_runners_on_one_job_write_its_variants_once() {
    let fake = FakeAi::start().await;
    let dir = data_dir();
    let keys = TestKeychain::new("two-runners");
    let app = App::open(dir.path()).await.expect("open");
    configure(&app, &keys, &fake.base).await;
    let c = create(&app, "Twice", &["x", "instagram"]).await;
    let job = app
        .request_generation(at(9, 1), &c.id, None, None)
        .await
        .expect("queue");
    let run = |app: App| {
        let (id, keys) = (job.id.clone(), keys.0.clone());
        tokio::spawn(async move { app.run_generation(&id, &keys, policy()).await })
    };
    let (a, b) = (run(app.clone()), run(app.clone()));
    let (a, b) = (a.await.expect("a"), b.await.expect("b"));
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    assert_eq!(app.list_variants(&c.id).await.expect("list").len(), 4);
    assert_eq!(fake.requests().len(), 2, "one request per platform");
}

#[tokio::test]
async fn test_connection_tries_what_is_typed_and_keeps_the_saved_key_at_home() {
    let dir = data_dir();
    let keys = TestKeychain::new("ai-test-typed");
    let app = App::open(dir.path()).await.expect("open");
    let home = FakeAi::start().await;
    home.with(|b| b.api_key = Some("sk-home-123456".into()));
    app.save_ai_settings(
        at(9, 0),
        &AiSettings {
            base_url: home.base.clone(),
            model: "fake-model".into(),
            temperature: 0.5,
            ..AiSettings::default()
        },
        Some("sk-home-123456"),
        &keys.0,
    )
    .await
    .expect("save");
    // Typed, not saved: another server. The saved key does not go there.
    let other = FakeAi::start().await;
    other.with(|b| b.api_key = Some("sk-home-123456".into()));
    let err = app
        .test_ai_address(&keys.0, Some(&other.base), None)
        .await
        .expect_err("no key for the other host");
    assert!(err.to_string().contains("Incorrect API key"), "{err}");
    // With a key typed for it, it answers.
    let models = app
        .test_ai_address(&keys.0, Some(&other.base), Some("sk-home-123456"))
        .await
        .expect("typed key");
    assert_eq!(models, ["fake-model", "fake-model-small"]);
    // The saved address uses the saved key; a typed bad address is refused
    // before any request.
    assert!(app
        .test_ai_address(&keys.0, Some(&home.base), None)
        .await
        .is_ok());
    let err = app
        .test_ai_address(&keys.0, Some("http://10.1.2.3:11434"), Some("sk-x"))
        .await
        .expect_err("http to another computer");
    assert!(err.to_string().contains("https://"), "{err}");
}

#[tokio::test]
async fn an_edit_opened_before_a_change_elsewhere_is_refused_not_overwriting_it() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let c = create(&app, "Winter", &["x"]).await;
    // The window opens the campaign; meanwhile the CLI renames it.
    let opened = app.campaign(&c.id).await.expect("open it");
    app.update_campaign(
        at(9, 1),
        &c.id,
        Actor::Cli,
        &input("Winter (CLI)", &["x"]),
        None,
    )
    .await
    .expect("the CLI's edit");
    let err = app
        .update_campaign(
            at(9, 2),
            &c.id,
            Actor::User,
            &input("Winter (window)", &["x"]),
            Some(&opened.updated_at),
        )
        .await
        .expect_err("stale");
    assert_eq!(err.code(), "changed_elsewhere");
    assert!(err.to_string().contains("changed elsewhere"), "{err}");
    assert_eq!(app.campaign(&c.id).await.expect("c").name, "Winter (CLI)");
    // Opened afresh, it saves.
    let fresh = app.campaign(&c.id).await.expect("c");
    app.update_campaign(
        at(9, 3),
        &c.id,
        Actor::User,
        &input("Winter (window)", &["x"]),
        Some(&fresh.updated_at),
    )
    .await
    .expect("fresh edit");

    // The same for a variant's text.
    let v = app
        .add_variant(
            at(9, 4),
            &c.id,
            Platform::X,
            &VariantText {
                title: None,
                body: "First words".into(),
            },
            Actor::User,
        )
        .await
        .expect("variant");
    app.edit_variant(
        at(9, 5),
        &v.id,
        &VariantText {
            title: None,
            body: "Changed in the CLI".into(),
        },
        Actor::Cli,
        None,
    )
    .await
    .expect("CLI edit");
    let err = app
        .edit_variant(
            at(9, 6),
            &v.id,
            &VariantText {
                title: None,
                body: "Changed in the window".into(),
            },
            Actor::User,
            Some(&v.updated_at),
        )
        .await
        .expect_err("stale variant");
    assert_eq!(err.code(), "changed_elsewhere");
    let now = app.list_variants(&c.id).await.expect("variants");
    assert_eq!(now[0].body, "Changed in the CLI");
}
