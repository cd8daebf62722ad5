//! The fault tests: `reachloop-cli agent` publishes 200 posts across four
//! accounts while the network refuses some attempts and loses the answer to
//! others (the post is made, the reply never comes), and the agents are
//! SIGKILLed at arbitrary points, 20 times, with another publisher running
//! at once. At the end every post is on the network exactly once. Once on
//! the Sandbox with two agents; once on the fake X (timeouts after create,
//! 429s, 5xx) with the app's publisher in this process beside the agent,
//! with texts X gives back rewritten (links as t.co, `&`, `<`, `>`
//! escaped) and X's duplicate refusal off, so a second send would show.
//! Each test counts the kills that landed between an attempt's record and
//! its answer (the ones that matter), and fails if none did.

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
        .env("REACHLOOP_SANDBOX_LATENCY_MS", "60")
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

/// The attempts whose publisher never wrote down an answer (it was killed
/// between the two): (attempts, publishers that left one). Every answer
/// is audited with who wrote it; a post's attempt by a publisher with no
/// later row of that publisher for that post was cut off.
pub async fn cut_off_attempts(app: &App) -> (usize, usize) {
    let rows = app.recent_audit(1_000_000).await.expect("audit");
    let mut open: std::collections::HashSet<(String, String)> = Default::default();
    // Oldest first.
    for r in rows.iter().rev() {
        let Some(post) = r.entity_id.clone() else {
            continue;
        };
        let details: serde_json::Value = serde_json::from_str(&r.details).unwrap_or_default();
        let Some(by) = details["by"].as_str().map(String::from) else {
            continue;
        };
        match r.action.as_str() {
            "post.attempt" => {
                open.insert((by, post));
            }
            "post.published"
            | "post.retry_later"
            | "post.failed"
            | "post.needs_verification"
            | "post.late_answer_dropped"
            | "post.duplicate_found" => {
                open.remove(&(by, post));
            }
            _ => {}
        }
    }
    let holders: std::collections::HashSet<&String> = open.iter().map(|(h, _)| h).collect();
    (open.len(), holders.len())
}

/// Waits (up to `within`) until an agent holds the lease and some post is
/// being published, so that the next kill can land mid-attempt; the kill
/// comes anyway after that.
async fn until_in_flight(app: &App, within: Duration) {
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline {
        let agent = app
            .publisher_lease(chrono::Utc::now())
            .await
            .ok()
            .flatten()
            .is_some_and(|l| l.kind == "agent");
        let busy = agent
            && app
                .list_posts(Some("publishing"))
                .await
                .map(|p| !p.is_empty())
                .unwrap_or(false);
        if busy {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
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
        until_in_flight(&app, Duration::from_secs(2)).await;
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
    let (cut, by) = cut_off_attempts(&app).await;
    eprintln!("sandbox fault test: {cut} attempts cut off by the kills of {by} agents");
    assert!(cut > 0, "no kill landed between an attempt and its answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_agents_beside_the_app_post_to_x_exactly_once() {
    use reachloop_fakes::x::Chaos;
    // Texts X rewrites: links (bare domains too) come back as t.co, `&`,
    // `<` and `>` escaped; 150 texts for 200 posts, so some go out twice
    // (on different accounts, or the same one).
    let bodies: Vec<String> = (0..150)
        .map(|i| match i % 5 {
            0 => format!("Tips & tricks no. {i}: see reachloop.app"),
            1 => format!("Save {i}% <today> only https://shop.example.com/p?i={i}&ref=x"),
            2 => format!("Café ☕ drop {i} → example.com/a{i} 🙋🏽"),
            3 => format!(
                "{i} > {} & counting, details at www.reachloop.app/n/{i}",
                i + 1
            ),
            _ => format!("Daily special number {i} 🎉"),
        })
        .collect();
    let refs: Vec<&str> = bodies.iter().map(String::as_str).collect();
    let w = crate::x::x_world("x-fault", 4, &refs).await;
    w.fake.with(|x| {
        x.refuse_duplicates = false;
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
                    // Now and then the app quits (as a user closes it),
                    // so the agent publishes too and the kills hit it
                    // mid-post.
                    if rounds.is_multiple_of(3) {
                        let _ = app.stop_publishing("app-in-test").await;
                        tokio::time::sleep(Duration::from_millis(2500)).await;
                    }
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
        until_in_flight(&w.app, Duration::from_secs(2)).await;
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
    // Each account has its 50 posts, and each X post is the one of a
    // post of ours with its text.
    for i in 0..4 {
        let mine = on_x
            .iter()
            .filter(|p| p.author_id == crate::x::user_id(i))
            .count();
        assert_eq!(mine, 50, "account {i}");
    }
    let shared = on_x.len()
        - on_x
            .iter()
            .map(|p| &p.text)
            .collect::<std::collections::HashSet<_>>()
            .len();
    assert!(shared > 0, "some texts went out more than once");
    let mut urls: Vec<_> = posts.iter().filter_map(|p| p.remote_url.clone()).collect();
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), 200, "each post its own X post");
    // ...the one with its text, on its account.
    for p in &posts {
        let url = p.remote_url.as_deref().unwrap_or_default();
        let on = on_x
            .iter()
            .find(|x| url.ends_with(&format!("/{}", x.id)))
            .unwrap_or_else(|| panic!("{url} is not on X"));
        let body = w
            .app
            .store()
            .variant_body(p.variant_id.as_deref().unwrap_or_default())
            .await
            .expect("variant");
        assert_eq!(
            Some(&on.text),
            body.as_ref(),
            "post {} took another's",
            p.id
        );
        let account = w.accounts.iter().position(|a| *a == p.account_id);
        assert_eq!(account.map(crate::x::user_id).as_ref(), Some(&on.author_id));
    }
    let faults = w.fake.with(|x| x.create_requests);
    assert!(faults > 200, "the chaos happened: {faults} create requests");
    let (cut, by) = cut_off_attempts(&w.app).await;
    eprintln!("x fault test: {faults} create requests, the app's publisher held the lease for {app_rounds} rounds, {cut} attempts cut off by kills of {by} agents, {shared} texts posted again");
    assert!(cut > 0, "no kill landed between an attempt and its answer");
}
