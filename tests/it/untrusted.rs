//! What a server or a stored row cannot make Reachloop do: answers larger
//! than `reachloop::body::MAX_BODY_BYTES` from X and the AI endpoint are
//! refused, not read whole, and an attachment whose stored hash is not 64
//! hex characters is never opened (it could name a file outside the media
//! folder). Each against the local fakes, on 127.0.0.1.

use std::path::Path;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use reachloop::ai::{self, AiConfig, AiError, Format, Message, RetryPolicy};
use reachloop::platforms::x::{Access, Tokens, XConfig, X};
use reachloop::platforms::{Adapter, BoxFuture, Progress, PublishError, PublishRequest};
use reachloop_fakes::ai::{FakeAi, Reply};
use reachloop_fakes::x::{FakeX, Fault};
use reachloop_ipc::{Attachment, MediaKind};
use serde_json::json;
use zeroize::Zeroizing;

/// Over the cap (4 MiB), as X or a model might send by mistake or on purpose.
const OVERSIZED: usize = 5 << 20;

/// One sign-in on the fake X, without the keychain: the adapter alone.
struct Signed(String);

impl Tokens for Signed {
    fn access<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Access, PublishError>> {
        Box::pin(async move {
            Ok(Access {
                token: Zeroizing::new(self.0.clone()),
                user_id: "2244994945".into(),
            })
        })
    }
}

fn x_adapter(fake: &FakeX, media_dir: &Path) -> X {
    let token =
        fake.oauth
            .issue_for_test(&["tweet.read", "tweet.write", "users.read", "media.write"]);
    let mut config = XConfig::new(
        url::Url::parse(&fake.base).expect("fake base"),
        media_dir.to_path_buf(),
    );
    config.request_timeout = StdDuration::from_secs(10);
    config.chunk_bytes = 64 * 1024;
    X::new(config, Box::new(Signed(token)))
}

fn request(body: &str, media: Vec<Attachment>) -> PublishRequest {
    let now = Utc::now();
    PublishRequest {
        post_id: "post-1".into(),
        account_id: "account-1".into(),
        body: body.into(),
        media,
        attempt: 1,
        attempt_started_at: now,
        attempt_ends_by: now + Duration::minutes(2),
        progress: Progress::default(),
        already_ours: Vec::new(),
    }
}

#[tokio::test]
async fn an_answer_from_x_over_the_cap_is_not_read_and_the_post_is_checked() {
    let dir = crate::data_dir();
    let fake = FakeX::start().await;
    let x = x_adapter(&fake, &dir.path().join("media"));
    // A 201 that would be a receipt, were it not 5 MiB long.
    fake.with(|x| {
        x.faults.push_back(Fault::Answer(
            201,
            json!({
                "data": { "id": "1880000000000000001", "text": "Launch day" },
                "padding": "x".repeat(OVERSIZED),
            }),
        ))
    });
    match x.publish(&request("Launch day", Vec::new())).await {
        // It may have made the post: verified, never taken as a receipt.
        Err(PublishError::Unknown(message)) => {
            assert!(message.contains("larger than 4 MiB"), "{message}");
            assert!(!message.contains("xxxx"), "{message}");
        }
        other => panic!("expected an unclear outcome, got {other:?}"),
    }
}

#[tokio::test]
async fn an_attachment_whose_stored_hash_is_not_a_hash_is_never_opened() {
    let dir = crate::data_dir();
    let media_dir = dir.path().join("media");
    std::fs::create_dir_all(&media_dir).expect("media dir");
    // A picture beside the media folder, which `../private` would name.
    let picture = crate::media::jpeg(1200, 675);
    std::fs::write(dir.path().join("private.jpg"), &picture).expect("write");
    let fake = FakeX::start().await;
    let x = x_adapter(&fake, &media_dir);
    let damaged = |sha256: &str| Attachment {
        sha256: sha256.into(),
        kind: MediaKind::Image,
        mime: "image/jpeg".into(),
        bytes: picture.len() as u64,
        width: Some(1200),
        height: Some(675),
        duration_ms: None,
        container: None,
        file_name: "photo.jpg".into(),
    };
    for sha256 in [
        "../private".to_string(),
        format!("{}/../../private", "a".repeat(50)),
        "g".repeat(64),
        String::new(),
    ] {
        match x
            .publish(&request("With a picture", vec![damaged(&sha256)]))
            .await
        {
            Err(PublishError::Permanent { message, .. }) => {
                assert!(message.contains("reference is damaged"), "{message}");
                assert!(message.contains("photo.jpg"), "{message}");
            }
            other => panic!("{sha256:?}: expected a refusal, got {other:?}"),
        }
    }
    let (appended, posts, created) =
        fake.with(|x| (x.appended.clone(), x.posts.len(), x.create_requests));
    assert!(appended.is_empty(), "nothing was uploaded: {appended:?}");
    assert_eq!((posts, created), (0, 0), "no post was asked for");
}

#[tokio::test]
async fn a_model_answer_over_the_cap_is_refused_not_retried() {
    let fake = FakeAi::start().await;
    let config = AiConfig {
        base_url: ai::parse_base_url(&fake.base).expect("base"),
        api_key: None,
        model: "fake-model".into(),
        temperature: 0.7,
    };
    fake.script([Reply::Content("x".repeat(OVERSIZED))]);
    let answer = ai::complete(
        &reqwest::Client::new(),
        &config,
        &[Message::user("Platform: x\nCount: 2")],
        &json!({"type": "object"}),
        Format::Text,
        RetryPolicy {
            attempts: 3,
            base_delay: StdDuration::from_millis(10),
            max_delay: StdDuration::from_millis(10),
            timeout: StdDuration::from_secs(30),
        },
        |_| async {},
    )
    .await;
    match answer {
        Err(AiError::BadAnswer(message)) => {
            assert!(message.contains("larger than 4 MiB"), "{message}")
        }
        other => panic!(
            "expected a refused answer, got {:?}",
            other.map(|c| c.content.len())
        ),
    }
    assert_eq!(fake.requests().len(), 1, "not asked again");
}
