//! The fault test: `reachloop-cli agent` publishes 200 posts across four
//! Sandbox accounts while the Sandbox refuses some attempts and loses the
//! answer to others (the post is made, the reply never comes), and the
//! agents are SIGKILLed at arbitrary points, 20 times, two of them running
//! at once. At the end every post is on the network exactly once.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reachloop::store::Actor;
use reachloop::App;
use reachloop_ipc::NewSchedule;

use crate::data_dir;

fn agent(dir: &std::path::Path, seed: u64) -> Child {
    Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
        .env("REACHLOOP_DATA_DIR", dir)
        .env("REACHLOOP_SANDBOX_SEED", seed.to_string())
        .env("REACHLOOP_SANDBOX_LATENCY_MS", "5")
        .env("REACHLOOP_SANDBOX_FAILURE_RATE", "0.1")
        .env("REACHLOOP_SANDBOX_LOST_ANSWER_RATE", "0.15")
        .env("REACHLOOP_PUBLISHER_LEASE_SECS", "1")
        .env("REACHLOOP_CLAIM_LEASE_SECS", "2")
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
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let open = app
            .list_posts(None)
            .await
            .expect("posts")
            .iter()
            .filter(|p| {
                matches!(
                    p.status.as_str(),
                    "scheduled" | "publishing" | "needs_verification"
                )
            })
            .count();
        if open == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{open} posts never settled");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
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
