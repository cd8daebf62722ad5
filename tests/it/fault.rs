//! The fault tests: `reachloop-cli agent` publishes 200 posts across four
//! accounts while the network refuses some attempts and loses the answer to
//! others (the post is made, the reply never comes), and the agents are
//! SIGKILLed at arbitrary points, 20 times, with another publisher running
//! at once. At the end every post is on the network exactly once. Once on
//! the Sandbox with two agents; once on the fake X (timeouts after create,
//! 429s, 5xx) with the app's publisher in this process beside the agent.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reachloop::store::Actor;
use reachloop::App;
use reachloop_ipc::NewSchedule;

use crate::data_dir;

fn agent(dir: &std::path::Path, seed: u64) -> Child {
    agent_with(dir, seed, &[])
}

fn agent_with(dir: &std::path::Path, seed: u64, env: &[(&str, &str)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
        .envs(env.iter().copied())
        .env("REACHLOOP_DATA_DIR", dir)
        .env("REACHLOOP_SANDBOX_SEED", seed.to_string())
        .env("REACHLOOP_SANDBOX_LATENCY_MS", "5")
        .env("REACHLOOP_SANDBOX_FAILURE_RATE", "0.1")
        .env("REACHLOOP_SANDBOX_LOST_ANSWER_RATE", "0.15")
        .env("REACHLOOP_PUBLISHER_LEASE_SECS", "1")
        .env("REACHLOOP_CLAIM_LEASE_SECS", "2")
        .env("REACHLOOP_RETRY_BASE_MS", "50")
        .args(["agent", "--interval-secs", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start an agent")
}

/// A small deterministic generator for kill delays.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_agents_neither_lose_nor_double_a_post() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let now = chrono::Utc::now();
    let c = crate::active_sandbox_campaign(
        &app,
        now,
        "Fault",
        &["Variant one", "Variant two", "Variant three"],
    )
    .await;
    let mut accounts = Vec::new();
    for i in 0..4 {
        accounts.push(
            app.connect_sandbox(now, &format!("Shop {i}"))
                .await
                .expect("sandbox")
                .id,
        );
    }
    let start = chrono::Utc::now() + chrono::Duration::seconds(2);
    for i in 0..200i64 {
        let at = start + chrono::Duration::milliseconds(60 * i);
        app.create_schedule(
            chrono::Utc::now(),
            Actor::User,
            &NewSchedule {
                campaign_id: c.clone(),
                platform: "sandbox".into(),
                account_id: accounts[(i % 4) as usize].clone(),
                run_at: Some(at.to_rfc3339()),
                time_zone: "UTC".into(),
                ..NewSchedule::default()
            },
            "UTC",
        )
        .await
        .expect("schedule");
    }
    assert_eq!(app.list_posts(None).await.expect("posts").len(), 200);

    // 20 kills, two agents at a time (like the app and the agent together).
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut seed = 1;
    let mut pair = (agent(dir.path(), seed), agent(dir.path(), seed + 1));
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(200 + next(&mut rng) % 1300)).await;
        let victim = if next(&mut rng).is_multiple_of(2) {
            &mut pair.0
        } else {
            &mut pair.1
        };
        victim.kill().expect("SIGKILL");
        let _ = victim.wait();
        seed += 2;
        *victim = agent(dir.path(), seed);
    }
    // Let them settle (leases of the killed ones run out, unclear posts
    // are verified), then stop both.
    let open = crate::wait_settled(&app, 90).await;
    assert!(open.is_empty(), "{} posts never settled", open.len());
    for mut a in [pair.0, pair.1] {
        let _ = a.kill();
        let _ = a.wait();
    }
    let posts = app.list_posts(None).await.expect("posts");
    let published: Vec<_> = posts.iter().filter(|p| p.status == "published").collect();
    assert_eq!(
        published.len(),
        200,
        "none lost: {:?}",
        posts
            .iter()
            .filter(|p| p.status != "published")
            .map(|p| (&p.status, &p.last_error))
            .collect::<Vec<_>>()
    );
    let mut on_network = 0;
    for a in &accounts {
        on_network += app.store().sandbox_count(a).await.expect("count");
    }
    assert_eq!(on_network, 200, "none doubled");
    let mut urls: Vec<_> = published
        .iter()
        .filter_map(|p| p.remote_url.clone())
        .collect();
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), 200, "each post its own network post");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_agents_beside_the_app_post_to_x_exactly_once() {
    use reachloop_fakes::x::Chaos;
    // X refuses the same text twice on an account: one variant per post.
    let bodies: Vec<String> = (0..200)
        .map(|i| format!("Daily special number {i}"))
        .collect();
    let refs: Vec<&str> = bodies.iter().map(String::as_str).collect();
    let w = crate::x::x_world("x-fault", 4, &refs).await;
    w.fake.with(|x| {
        x.index_delay = Duration::from_millis(300);
        x.chaos = Some(Chaos {
            seed: 7,
            create_then_hang: 0.1,
            rate_limited: 0.05,
            unavailable: 0.1,
            hang: Duration::from_millis(2500),
            rate_limit_for: Duration::from_secs(1),
        });
    });
    let start = chrono::Utc::now() + chrono::Duration::seconds(2);
    for i in 0..200i64 {
        w.app
            .create_schedule(
                chrono::Utc::now(),
                Actor::User,
                &NewSchedule {
                    campaign_id: w.campaign.clone(),
                    platform: "x".into(),
                    account_id: w.accounts[(i % 4) as usize].clone(),
                    run_at: Some((start + chrono::Duration::milliseconds(60 * i)).to_rfc3339()),
                    time_zone: "UTC".into(),
                    ..NewSchedule::default()
                },
                "UTC",
            )
            .await
            .expect("schedule");
    }
    let service = w.keys.0.service().to_string();
    let env = [
        ("REACHLOOP_KEYCHAIN_SERVICE", service.as_str()),
        ("REACHLOOP_X_API_BASE", w.fake.base.as_str()),
        ("REACHLOOP_X_SETTLE_SECS", "1"),
        ("REACHLOOP_X_TIMEOUT_SECS", "1"),
    ];
    let dir = w.app.data_dir().to_path_buf();
    w.app
        .tune_publishing(reachloop::app::publishing::PublishTimings {
            publisher_lease: chrono::Duration::seconds(1),
            claim_lease: chrono::Duration::seconds(2),
            retry_base: chrono::Duration::milliseconds(50),
        });
    // The app's publisher, as the window runs it, in this process.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let app_publisher = {
        let (app, stop) = (w.app.clone(), stop.clone());
        let adapters = w.app.adapters_with(&w.keys.0, |c| {
            c.settle = chrono::Duration::seconds(1);
            c.request_timeout = Duration::from_secs(1);
        });
        tokio::spawn(async move {
            let mut rounds = 0u32;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                if let Ok(Some(_)) = app
                    .publishing_tick("app-in-test", "app", &adapters, &chrono::Utc::now)
                    .await
                {
                    rounds += 1;
                }
                tokio::time::sleep(Duration::from_millis(700)).await;
            }
            let _ = app.stop_publishing("app-in-test").await;
            rounds
        })
    };
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut child = agent_with(&dir, 1, &env);
    for seed in 2..22 {
        tokio::time::sleep(Duration::from_millis(300 + next(&mut rng) % 1500)).await;
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        child = agent_with(&dir, seed, &env);
    }
    let stuck = crate::wait_settled(&w.app, 150).await;
    if !stuck.is_empty() {
        let pauses = w
            .app
            .store()
            .paused_scopes(chrono::Utc::now())
            .await
            .expect("pauses");
        panic!(
            "{} posts never settled: {stuck:#?} pauses {pauses:?}",
            stuck.len()
        );
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = child.kill();
    let _ = child.wait();
    let app_rounds = app_publisher.await.expect("the app's publisher");
    let posts = w.posts().await;
    let not_published: Vec<_> = posts
        .iter()
        .filter(|p| p.status != "published")
        .map(|p| (&p.status, &p.last_error))
        .collect();
    assert!(not_published.is_empty(), "none lost: {not_published:?}");
    let on_x = w.fake.with(|x| x.posts.clone());
    assert_eq!(on_x.len(), 200, "none doubled");
    // Each account has its 50 posts, none of its texts twice (the fake
    // refuses a repeated text, so a second send would have failed).
    for i in 0..4 {
        let mine: Vec<_> = on_x
            .iter()
            .filter(|p| p.author_id == crate::x::user_id(i))
            .collect();
        assert_eq!(mine.len(), 50, "account {i}");
        let mut texts: Vec<_> = mine.iter().map(|p| &p.text).collect();
        texts.sort();
        texts.dedup();
        assert_eq!(texts.len(), 50, "account {i}: a text twice");
    }
    let mut urls: Vec<_> = posts.iter().filter_map(|p| p.remote_url.clone()).collect();
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), 200, "each post its own X post");
    let faults = w.fake.with(|x| x.create_requests);
    assert!(faults > 200, "the chaos happened: {faults} create requests");
    eprintln!("x fault test: {faults} create requests, the app's publisher held the lease for {app_rounds} rounds");
}
