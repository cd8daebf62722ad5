//! Generating variants against the fake OpenAI-compatible server: every
//! scripted misbehaviour ends in correct variants or a clear error.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reachloop::ai::{self, AiConfig, AiError, Format, RetryPolicy};
use reachloop::generate::{self, Brief, GenerateError, Outcome, Progress};
use reachloop_fakes::ai::{FakeAi, Reply};
use reachloop_ipc::{BrandConstraints, Goal, MediaKind, Platform};
use zeroize::Zeroizing;

fn config(fake: &FakeAi) -> AiConfig {
    AiConfig {
        base_url: ai::parse_base_url(&fake.base).expect("base"),
        api_key: None,
        model: "fake-model".into(),
        temperature: 0.7,
    }
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(5),
        timeout: Duration::from_millis(800),
    }
}

fn brand() -> BrandConstraints {
    BrandConstraints {
        banned_words: vec!["cheap".into()],
        ..BrandConstraints::default()
    }
}

struct Run {
    result: Result<Outcome, GenerateError>,
    waits: Vec<Duration>,
    progress: Vec<Progress>,
}

async fn run(fake: &FakeAi, platform: Platform, count: usize, start: Format) -> Run {
    let brand = brand();
    let brief = Brief {
        campaign: "Spring launch",
        prompt: "Our new sourdough, baked daily",
        goal: Goal::Engagement,
        brand: &brand,
        platform,
        count,
        existing: &[],
    };
    let waits = Arc::new(Mutex::new(Vec::new()));
    let progress = Arc::new(Mutex::new(Vec::new()));
    let recorded = waits.clone();
    let seen = progress.clone();
    let result = generate::generate(
        &reqwest::Client::new(),
        &config(fake),
        &brief,
        start,
        policy(),
        move |d| {
            recorded.lock().expect("waits").push(d);
            async {}
        },
        &move |p| seen.lock().expect("progress").push(p),
    )
    .await;
    let waits = waits.lock().expect("waits").clone();
    let progress = progress.lock().expect("progress").clone();
    Run {
        result,
        waits,
        progress,
    }
}

fn ok(run: &Run) -> &Outcome {
    run.result.as_ref().expect("variants")
}

fn assert_good(outcome: &Outcome, count: usize) {
    assert_eq!(outcome.variants.len(), count, "{outcome:#?}");
    for v in &outcome.variants {
        assert!(v.check.valid, "{v:#?}");
        assert_eq!(v.flagged, None);
    }
}

/// The last user message of request `i`.
fn asked(fake: &FakeAi, i: usize) -> String {
    let requests = fake.requests();
    let messages = requests[i]["messages"]
        .as_array()
        .expect("messages")
        .clone();
    messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .expect("a user message")
        .to_string()
}

#[tokio::test]
async fn schema_output_becomes_checked_variants_in_one_request() {
    let fake = FakeAi::start().await;
    let r = run(&fake, Platform::Instagram, 3, Format::Schema).await;
    let out = ok(&r);
    assert_good(out, 3);
    assert_eq!(
        (out.requests, out.repairs, out.format),
        (1, 0, Format::Schema)
    );
    assert_eq!(out.variants[0].draft.media.kind, MediaKind::Image);
    assert_eq!(out.prompt_hash.len(), 64);
    let request = &fake.requests()[0];
    assert_eq!(request["response_format"]["type"], "json_schema");
    assert_eq!(request["model"], "fake-model");
    assert_eq!(r.progress, [Progress::Asking { round: 0 }]);
}

#[tokio::test]
async fn youtube_variants_come_with_titles() {
    let fake = FakeAi::start().await;
    let r = run(&fake, Platform::Youtube, 2, Format::Schema).await;
    let out = ok(&r);
    assert_good(out, 2);
    assert!(out.variants.iter().all(|v| v.draft.title.is_some()));
    assert_eq!(out.variants[0].draft.media.duration_seconds, Some(30));
}

#[tokio::test]
async fn fenced_and_prose_wrapped_json_are_read() {
    let fake = FakeAi::start().await;
    fake.script([Reply::Fenced]);
    assert_good(ok(&run(&fake, Platform::X, 2, Format::Schema).await), 2);
    fake.script([Reply::Prose]);
    let r = run(&fake, Platform::X, 2, Format::Schema).await;
    assert_good(ok(&r), 2);
    assert_eq!(ok(&r).requests, 1);
}

#[tokio::test]
async fn truncated_json_keeps_what_is_complete_and_asks_for_the_rest() {
    let fake = FakeAi::start().await;
    fake.script([Reply::Truncated]);
    let r = run(&fake, Platform::X, 3, Format::Schema).await;
    let out = ok(&r);
    assert_good(out, 3);
    assert_eq!(out.requests, 2);
    assert!(asked(&fake, 1).contains("Count: 1"), "{}", asked(&fake, 1));
}

#[tokio::test]
async fn wrong_fields_are_named_and_asked_again() {
    let fake = FakeAi::start().await;
    fake.script([Reply::WrongFields]);
    let r = run(&fake, Platform::Facebook, 2, Format::Schema).await;
    assert_good(ok(&r), 2);
    let repair = asked(&fake, 1);
    assert!(
        repair.contains("could not be read") && repair.contains("headline"),
        "{repair}"
    );
}

#[tokio::test]
async fn an_over_long_variant_is_repaired_with_the_violation_named() {
    let fake = FakeAi::start().await;
    fake.script([Reply::TooLong]);
    let r = run(&fake, Platform::X, 2, Format::Schema).await;
    let out = ok(&r);
    assert_good(out, 2);
    assert_eq!(out.repairs, 1);
    let repair = asked(&fake, 1);
    assert!(
        repair.contains("weighted characters")
            && repair.contains("X allows 280")
            && repair.contains("Count: 1"),
        "{repair}"
    );
    assert!(r.progress.contains(&Progress::Repairing {
        round: 1,
        broken: 1,
        duplicates: 0
    }));
}

#[tokio::test]
async fn a_banned_word_is_repaired() {
    let fake = FakeAi::start().await;
    fake.script([Reply::Banned("CHEAP".into())]);
    let r = run(&fake, Platform::Tiktok, 2, Format::Schema).await;
    assert_good(ok(&r), 2);
    assert!(ok(&r)
        .variants
        .iter()
        .all(|v| !v.draft.body.to_lowercase().contains("cheap")));
    assert!(
        asked(&fake, 1).contains("“cheap” is on the brand's banned list"),
        "{}",
        asked(&fake, 1)
    );
}

#[tokio::test]
async fn near_duplicates_are_rejected_and_replaced() {
    let fake = FakeAi::start().await;
    fake.script([Reply::NearDuplicates]);
    let r = run(&fake, Platform::Instagram, 2, Format::Schema).await;
    let out = ok(&r);
    assert_good(out, 2);
    assert_eq!(out.duplicates_rejected, 1);
    assert!(!generate::near_duplicate(
        &out.variants[0].draft.body,
        &out.variants[1].draft.body
    ));
    assert!(
        asked(&fake, 1).contains("repeated another one"),
        "{}",
        asked(&fake, 1)
    );
}

#[tokio::test]
async fn a_variant_still_broken_after_the_repairs_is_flagged_with_the_reason() {
    let fake = FakeAi::start().await;
    fake.script([Reply::TooLong, Reply::TooLong, Reply::TooLong]);
    let r = run(&fake, Platform::X, 2, Format::Schema).await;
    let out = ok(&r);
    assert_eq!(out.requests, 1 + generate::MAX_REPAIRS);
    assert_eq!(out.variants.len(), 2);
    let flagged: Vec<_> = out
        .variants
        .iter()
        .filter(|v| v.flagged.is_some())
        .collect();
    assert_eq!(flagged.len(), 1, "{out:#?}");
    assert!(flagged[0]
        .flagged
        .as_deref()
        .is_some_and(|r| r.contains("X allows 280")));
    assert!(!flagged[0].check.valid);
}

#[tokio::test]
async fn a_refusal_is_a_clear_error() {
    let fake = FakeAi::start().await;
    fake.script([Reply::Refusal]);
    let r = run(&fake, Platform::X, 2, Format::Schema).await;
    let err = r.result.expect_err("refused");
    assert_eq!(err.code(), "ai_refused");
    assert!(
        err.to_string().contains("I'm sorry, but I can't help"),
        "{err}"
    );
}

#[tokio::test]
async fn rate_limits_wait_for_retry_after_then_succeed() {
    let fake = FakeAi::start().await;
    fake.script([Reply::RateLimited {
        retry_after_secs: 2,
    }]);
    let r = run(&fake, Platform::X, 2, Format::Schema).await;
    assert_good(ok(&r), 2);
    assert_eq!(r.waits, [Duration::from_secs(2)]);
}

#[tokio::test]
async fn the_retry_waits_for_the_sleep_to_finish_and_long_waits_are_capped() {
    let fake = FakeAi::start().await;
    // An HTTP-date two seconds ahead, then an hour in seconds: both waits
    // are asked of `sleep`, the hour capped at the policy's longest wait.
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    fake.script([
        Reply::RateLimitedUntil(soon),
        Reply::RateLimited {
            retry_after_secs: 3600,
        },
    ]);
    let brand = brand();
    let brief = Brief {
        campaign: "Spring launch",
        prompt: "Our new sourdough, baked daily",
        goal: Goal::Engagement,
        brand: &brand,
        platform: Platform::X,
        count: 1,
        existing: &[],
    };
    let log = Arc::new(Mutex::new(Vec::new()));
    let recorded = log.clone();
    let result = generate::generate(
        &reqwest::Client::new(),
        &config(&fake),
        &brief,
        Format::Schema,
        policy(),
        move |d| {
            let recorded = recorded.clone();
            async move {
                // A real (short) sleep; when it ended is what counts.
                tokio::time::sleep(Duration::from_millis(120)).await;
                recorded
                    .lock()
                    .expect("log")
                    .push((d, std::time::Instant::now()));
            }
        },
        &|_| {},
    )
    .await;
    assert!(result.is_ok(), "{:?}", result.err());
    let log = log.lock().expect("log").clone();
    let arrived = fake.with(|b| b.arrived.clone());
    assert_eq!(arrived.len(), 3, "two refusals, then the answer");
    assert_eq!(log.len(), 2);
    let (date_wait, _) = log[0];
    assert!(
        date_wait <= Duration::from_secs(2) && date_wait >= Duration::from_millis(500),
        "the HTTP date's wait: {date_wait:?}"
    );
    assert_eq!(log[1].0, policy().max_delay, "an hour is capped");
    // Each retry left only after its sleep had finished.
    assert!(arrived[1] >= log[0].1 && arrived[2] >= log[1].1);
}

#[tokio::test]
async fn server_errors_retry_with_backoff_and_finally_say_what_failed() {
    let fake = FakeAi::start().await;
    fake.script([Reply::ServerError]);
    let r = run(&fake, Platform::X, 1, Format::Schema).await;
    assert_good(ok(&r), 1);
    assert_eq!(r.waits, [Duration::from_millis(10)]);

    fake.script([Reply::ServerError, Reply::ServerError, Reply::ServerError]);
    let r = run(&fake, Platform::X, 1, Format::Schema).await;
    let err = r.result.expect_err("gave up");
    assert_eq!(err.code(), "ai_server_error");
    assert!(
        err.to_string().contains("HTTP 500") && err.to_string().contains("The server had an error"),
        "{err}"
    );
    assert_eq!(
        r.waits,
        [Duration::from_millis(10), Duration::from_millis(20)]
    );
}

#[tokio::test]
async fn a_hang_past_the_timeout_is_retried_then_reported() {
    let fake = FakeAi::start().await;
    fake.script([Reply::Hang(Duration::from_secs(3))]);
    let r = run(&fake, Platform::X, 1, Format::Schema).await;
    assert_good(ok(&r), 1);
    assert_eq!(fake.requests().len(), 2, "the hung request was retried");

    fake.script([
        Reply::Hang(Duration::from_secs(3)),
        Reply::Hang(Duration::from_secs(3)),
        Reply::Hang(Duration::from_secs(3)),
    ]);
    let err = run(&fake, Platform::X, 1, Format::Schema)
        .await
        .result
        .expect_err("timed out");
    assert_eq!(err.code(), "ai_timeout");
    assert!(matches!(err, GenerateError::Ai(AiError::TimedOut(_))));
}

#[tokio::test]
async fn servers_without_structured_output_fall_back_to_json_object_then_text() {
    let fake = FakeAi::start().await;
    fake.script([Reply::RejectSchema]);
    let r = run(&fake, Platform::X, 2, Format::Schema).await;
    assert_good(ok(&r), 2);
    assert_eq!(ok(&r).format, Format::JsonObject);
    let formats: Vec<String> = fake
        .requests()
        .iter()
        .map(|b| {
            b["response_format"]["type"]
                .as_str()
                .unwrap_or("text")
                .to_string()
        })
        .collect();
    assert_eq!(formats, ["json_schema", "json_object"]);

    let fake = FakeAi::start().await;
    fake.script([Reply::RejectJsonModes]);
    let r = run(&fake, Platform::X, 2, Format::Schema).await;
    assert_eq!(ok(&r).format, Format::Text);
    assert!(fake.requests()[2].get("response_format").is_none());
}

#[tokio::test]
async fn client_errors_show_the_servers_message_without_retrying() {
    let fake = FakeAi::start().await;
    fake.with(|b| b.api_key = Some("sk-right".into()));
    let mut cfg = config(&fake);
    cfg.api_key = Some(Zeroizing::new("sk-wrong".into()));
    let err = ai::list_models(&reqwest::Client::new(), &cfg)
        .await
        .expect_err("bad key");
    assert_eq!(
        err,
        AiError::Rejected {
            status: 401,
            message: "Incorrect API key provided.".into()
        }
    );
    let r = run(&fake, Platform::X, 1, Format::Schema).await;
    assert_eq!(r.result.expect_err("bad key").code(), "ai_rejected");
    assert!(r.waits.is_empty(), "a 401 is not retried");

    cfg.api_key = Some(Zeroizing::new("sk-right".into()));
    let models = ai::list_models(&reqwest::Client::new(), &cfg)
        .await
        .expect("models");
    assert_eq!(models, ["fake-model", "fake-model-small"]);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_reported_as_offline() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let cfg = AiConfig {
        base_url: ai::parse_base_url(&format!("http://127.0.0.1:{port}")).expect("url"),
        api_key: None,
        model: "m".into(),
        temperature: 0.2,
    };
    let err = ai::list_models(&reqwest::Client::new(), &cfg)
        .await
        .expect_err("offline");
    assert!(err.is_offline(), "{err:?}");
    assert!(
        err.to_string().starts_with("cannot reach the AI endpoint"),
        "{err}"
    );
}
