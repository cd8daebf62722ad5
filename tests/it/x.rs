//! The X adapter against the fake X (`POST /2/tweets`, the user timeline,
//! the chunked media upload), with accounts connected through the fake's
//! OAuth server and tokens opened from the real keychain: every error class
//! the publisher must tell apart, and the dangerous one where X makes the
//! post and the answer never comes.

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use rand::rngs::OsRng;
use reachloop::oauth::{self, Credentials, Endpoints, PlatformConfig};
use reachloop::publish::{self, Adapters, Timing};
use reachloop::store::Actor;
use reachloop::App;
use reachloop_fakes::x::{FakeX, Fault};
use reachloop_ipc::{NewSchedule, Platform, ScheduledPost};
use zeroize::Zeroizing;

use crate::TestKeychain;

pub struct XWorld {
    pub _dir: tempfile::TempDir,
    pub keys: TestKeychain,
    pub app: App,
    pub fake: FakeX,
    /// Connected X accounts, one per fake user.
    pub accounts: Vec<String>,
    pub campaign: String,
}

/// The fake user id of account `i`.
pub fn user_id(i: usize) -> String {
    format!("{}", 1_500_000 + i)
}

/// An app with `n` X accounts connected to a fresh fake X, and an active
/// X campaign with `bodies` as its variants.
pub async fn x_world(name: &str, n: usize, bodies: &[&str]) -> XWorld {
    let (dir, keys, app, vault) = crate::unlocked_app(name).await;
    let fake = FakeX::start().await;
    let endpoints = Endpoints::all_at(&fake.base).expect("fake base");
    app.point_platform_at(Platform::X, endpoints.clone());
    let config = PlatformConfig {
        endpoints,
        credentials: Credentials {
            client_id: fake.oauth.dialect.client_id.into(),
            client_secret: fake
                .oauth
                .dialect
                .client_secret
                .map(|s| Zeroizing::new(s.into())),
        },
    };
    let browser = crate::no_redirect_client();
    let mut accounts = Vec::new();
    for i in 0..n {
        fake.oauth
            .with(|b| b.sign_in_as = Some((user_id(i), format!("shop{i}"), format!("Shop {i}"))));
        let now = Utc::now();
        let begun = oauth::begin(
            app.store(),
            &vault,
            Platform::X,
            &config,
            &oauth::loopback_redirect_uri(Platform::X, 53682),
            now,
            &mut OsRng,
        )
        .await
        .expect("begin");
        let answer = crate::follow_consent(&browser, &begun).await;
        let callback = oauth::parse_callback(&answer).expect("callback");
        let account = oauth::complete(
            app.store(),
            &vault,
            &browser,
            |_| Ok(config.clone()),
            &callback,
            now,
            &mut OsRng,
        )
        .await
        .expect("connect")
        .account()
        .expect("an account");
        accounts.push(account.id);
    }
    let (campaign, _) = crate::active_campaign(&app, Utc::now(), name, Platform::X, bodies).await;
    XWorld {
        _dir: dir,
        keys,
        app,
        fake,
        accounts,
        campaign,
    }
}

impl XWorld {
    pub fn adapters(&self) -> Adapters {
        self.app.adapters_with(&self.keys.0, |c| {
            c.settle = Duration::milliseconds(300);
            c.request_timeout = StdDuration::from_secs(2);
            c.chunk_bytes = 64 * 1024;
        })
    }

    /// A one-off post on `account` at `at`.
    pub async fn schedule_at(&self, account: usize, at: chrono::DateTime<Utc>) {
        self.app
            .create_schedule(
                Utc::now(),
                Actor::User,
                &NewSchedule {
                    campaign_id: self.campaign.clone(),
                    platform: "x".into(),
                    account_id: self.accounts[account].clone(),
                    run_at: Some(at.to_rfc3339()),
                    time_zone: "UTC".into(),
                    ..NewSchedule::default()
                },
                "UTC",
            )
            .await
            .expect("schedule");
    }

    /// One-off posts on `account`, due a moment from now.
    pub async fn due(&self, account: usize, n: usize) {
        let start = Utc::now() + Duration::milliseconds(400);
        for i in 0..n {
            self.schedule_at(account, start + Duration::milliseconds(i as i64))
                .await;
        }
        tokio::time::sleep(StdDuration::from_millis(450)).await;
    }

    pub async fn round(&self, adapters: &Adapters, claim_secs: i64) -> publish::Round {
        publish::round_with(
            self.app.store(),
            adapters,
            "test",
            &Utc::now,
            Timing {
                claim: Duration::seconds(claim_secs),
                retry_base: Duration::milliseconds(10),
                ..Timing::default()
            },
        )
        .await
        .expect("round")
    }

    pub async fn posts(&self) -> Vec<ScheduledPost> {
        self.app.list_posts(None).await.expect("posts")
    }

    /// Rounds until no post is open, at most `secs`.
    pub async fn settle(&self, adapters: &Adapters, secs: u64) -> Vec<ScheduledPost> {
        let deadline = std::time::Instant::now() + StdDuration::from_secs(secs);
        loop {
            self.round(adapters, 5).await;
            let posts = self.posts().await;
            let open = posts.iter().any(crate::is_open);
            if !open || std::time::Instant::now() > deadline {
                return posts;
            }
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
async fn a_post_goes_to_x_as_its_schema_says_and_the_limits_are_kept() {
    let w = x_world(
        "x-publish",
        1,
        &["Fresh bread at 7, link https://bakery.example/today"],
    )
    .await;
    w.due(0, 1).await;
    let adapters = w.adapters();
    let r = w.round(&adapters, 30).await;
    assert_eq!(
        r.published,
        1,
        "{r:?} {:?}",
        w.fake.with(|x| x.refusals.clone())
    );
    let post = &w.posts().await[0];
    let on_x = w.fake.with(|x| x.posts.clone());
    assert_eq!(on_x.len(), 1);
    assert_eq!(post.status, "published");
    assert_eq!(
        post.remote_url.as_deref(),
        Some(format!("https://x.com/i/web/status/{}", on_x[0].id).as_str())
    );
    assert_eq!(on_x[0].author_id, user_id(0));
    assert!(w.fake.with(|x| x.refusals.is_empty()));
    // The 15-minute window X reported is kept for the warnings.
    let limits = w.app.store().live_limits(Utc::now()).await.expect("limits");
    let fifteen = limits
        .iter()
        .find(|(scope, l)| scope == &format!("account:{}", w.accounts[0]) && l.window_secs == 900)
        .expect("the 15-minute window");
    assert_eq!((fifteen.1.limit, fifteen.1.remaining), (100, 99));
}

#[tokio::test]
async fn the_calendar_warns_when_plans_exceed_what_x_said_is_left() {
    let w = x_world("x-caps", 1, &["Capped one", "Capped two", "Capped three"]).await;
    w.fake.with(|x| x.per_24_hours = Some(2));
    w.due(0, 1).await;
    let adapters = w.adapters();
    assert_eq!(w.round(&adapters, 30).await.published, 1);
    // X said 1 more until tomorrow: of the next two, the second is flagged.
    for minutes in [60, 90] {
        w.schedule_at(0, Utc::now() + Duration::minutes(minutes))
            .await;
    }
    let from = (Utc::now() - Duration::hours(1)).to_rfc3339();
    let to = (Utc::now() + Duration::hours(3)).to_rfc3339();
    let shown = w.app.calendar_between(&from, &to).await.expect("calendar");
    let upcoming: Vec<_> = shown.iter().filter(|p| p.status == "scheduled").collect();
    assert_eq!(upcoming.len(), 2);
    let capped = |p: &&ScheduledPost| p.warnings.iter().any(|w| w.contains("24-hour limit"));
    assert!(!capped(&upcoming[0]), "{:?}", upcoming[0].warnings);
    assert!(capped(&upcoming[1]), "{:?}", upcoming[1].warnings);
}

#[tokio::test]
async fn a_post_x_made_without_answering_is_found_and_never_sent_twice() {
    let w = x_world("x-lost-answer", 1, &["The answer to this one gets lost"]).await;
    w.fake.with(|x| {
        x.faults
            .push_back(Fault::CreateThenHang(StdDuration::from_secs(4)));
        // Its timeline shows a new post only after a while.
        x.index_delay = StdDuration::from_millis(200);
    });
    w.due(0, 1).await;
    let adapters = w.adapters();
    // The claim leaves 2 s for the request: the client gives up first.
    let r = w.round(&adapters, 3).await;
    assert_eq!((r.to_verify, r.unclear), (1, 1), "{r:?}");
    assert_eq!(w.posts().await[0].status, "needs_verification");
    // Next round: still unclear (too soon to look) or found, never news again.
    let again = w.round(&adapters, 3).await;
    assert_eq!(again.unclear, 0, "{again:?}");
    assert_eq!(again.to_verify + again.verified, 1, "{again:?}");
    let posts = w.settle(&adapters, 20).await;
    assert_eq!(posts[0].status, "published", "{:?}", posts[0].last_error);
    let on_x = w.fake.with(|x| x.posts.clone());
    assert_eq!(on_x.len(), 1, "sent once");
    assert_eq!(
        posts[0].remote_url.as_deref(),
        Some(format!("https://x.com/i/web/status/{}", on_x[0].id).as_str())
    );
    assert_eq!(w.fake.with(|x| x.create_requests), 1);
    assert!(w.fake.with(|x| x.timeline_requests) >= 1);
}

#[tokio::test]
async fn a_5xx_is_verified_absent_then_sent_again_once() {
    let w = x_world("x-5xx", 1, &["A server error first"]).await;
    w.fake.with(|x| {
        x.faults.push_back(Fault::Unavailable);
        x.faults.push_back(Fault::Answer(
            500,
            serde_json::json!({"title": "Internal Server Error", "detail": "Internal Server Error", "type": "about:blank", "status": 500}),
        ));
    });
    w.due(0, 1).await;
    let adapters = w.adapters();
    let posts = w.settle(&adapters, 20).await;
    assert_eq!(posts[0].status, "published", "{:?}", posts[0].last_error);
    assert_eq!(w.fake.with(|x| x.posts.len()), 1);
    assert_eq!(w.fake.with(|x| x.create_requests), 3);
    let audit = w.app.recent_audit(100).await.expect("audit");
    assert!(
        audit
            .iter()
            .filter(|e| e.action == "post.retry_later")
            .count()
            >= 2,
        "verified absent twice before the third try"
    );
}

#[tokio::test]
async fn rate_limits_hold_the_account_until_xs_reset_and_usage_caps_hold_x() {
    let w = x_world("x-429", 3, &["Limited"]).await;
    w.fake.with(|x| {
        x.faults.push_back(Fault::RateLimited {
            reset_in: StdDuration::from_secs(600),
        })
    });
    w.due(0, 1).await;
    let adapters = w.adapters();
    let r = w.round(&adapters, 30).await;
    assert_eq!(r.retried, 1, "{r:?}");
    let pauses = w
        .app
        .store()
        .paused_scopes(Utc::now())
        .await
        .expect("pauses");
    let held = pauses
        .iter()
        .find(|p| p.0 == format!("account:{}", w.accounts[0]))
        .expect("the account is held");
    let until = chrono::DateTime::parse_from_rfc3339(&held.1).expect("time");
    let wait = until.with_timezone(&Utc) - Utc::now();
    assert!(
        wait > Duration::seconds(590) && wait <= Duration::seconds(601),
        "held until X's reset, not a guess: {wait}"
    );
    // The other account is not held back.
    w.due(1, 1).await;
    let r = w.round(&adapters, 30).await;
    assert_eq!(r.published, 1, "{r:?}");
    assert_eq!(
        w.posts()
            .await
            .iter()
            .filter(|p| p.status == "scheduled")
            .count(),
        1
    );

    // The 24-hour cap: held until the 24-hour reset.
    w.fake.with(|x| {
        x.faults.push_back(Fault::DailyCap {
            reset_in: StdDuration::from_secs(20_000),
        })
    });
    w.due(1, 1).await;
    w.round(&adapters, 30).await;
    let pauses = w
        .app
        .store()
        .paused_scopes(Utc::now())
        .await
        .expect("pauses");
    let held = pauses
        .iter()
        .find(|p| p.0 == format!("account:{}", w.accounts[1]))
        .expect("held for the day");
    assert!(held.2.contains("24-hour"), "{held:?}");

    // The app's usage cap holds all of X, whichever account meets it.
    w.fake.with(|x| x.faults.push_back(Fault::UsageCapped));
    w.due(2, 1).await;
    w.round(&adapters, 30).await;
    let pauses = w
        .app
        .store()
        .paused_scopes(Utc::now())
        .await
        .expect("pauses");
    assert!(pauses.iter().any(|p| p.0 == "platform:x"), "{pauses:?}");
    assert_eq!(w.fake.with(|x| x.posts.len()), 1, "nothing more was made");
}

#[tokio::test]
async fn refusals_fail_with_guidance_and_are_not_retried() {
    let w = x_world("x-refusals", 1, &["Same text", "Other text"]).await;
    let adapters = w.adapters();
    // X refuses duplicate content.
    w.fake.with(|x| {
        x.faults.push_back(Fault::Answer(
            403,
            serde_json::json!({"detail": "You are not allowed to create a Tweet with duplicate content.", "type": "about:blank", "title": "Forbidden", "status": 403}),
        ))
    });
    w.due(0, 1).await;
    w.round(&adapters, 30).await;
    let p = &w.posts().await[0];
    assert_eq!(p.status, "failed");
    assert!(
        p.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("same text twice"),
        "{p:?}"
    );

    // A revoked sign-in sends the user to Reconnect.
    w.fake.oauth.revoke_all();
    w.due(0, 1).await;
    w.round(&adapters, 30).await;
    let failed: Vec<_> = w
        .posts()
        .await
        .into_iter()
        .filter(|p| p.status == "failed")
        .collect();
    assert_eq!(failed.len(), 2);
    assert!(
        failed.iter().any(|p| p
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("reconnect it in Accounts")),
        "{failed:?}"
    );
    // Nothing was retried.
    w.round(&adapters, 30).await;
    assert_eq!(w.fake.with(|x| x.create_requests), 2);
    assert!(w.fake.with(|x| x.posts.is_empty()));
}

#[tokio::test]
async fn images_and_video_are_uploaded_in_chunks_before_the_post() {
    let w = x_world("x-media", 1, &["With a picture", "With a clip"]).await;
    let variants = w.app.list_variants(&w.campaign).await.expect("variants");
    let image = crate::media::jpeg(1200, 675);
    let clip = crate::media::mp4(1280, 720, 3);
    // Large enough for several 64 KiB chunks.
    let mut big = image.clone();
    big.truncate(big.len() - 2);
    big.extend(std::iter::repeat_n(0u8, 200_000));
    big.extend([0xFF, 0xD9]);
    w.app
        .attach_media_bytes(
            Utc::now(),
            &variants[0].id,
            "photo.jpg",
            big.clone(),
            Actor::User,
        )
        .await
        .expect("attach the photo");
    w.app
        .attach_media_bytes(
            Utc::now(),
            &variants[1].id,
            "clip.mp4",
            clip.clone(),
            Actor::User,
        )
        .await
        .expect("attach the clip");
    w.fake.with(|x| x.processing_polls = 1);
    w.due(0, 2).await;
    let adapters = w.adapters();
    let posts = w.settle(&adapters, 30).await;
    assert!(
        posts.iter().all(|p| p.status == "published"),
        "{posts:?} {:?}",
        w.fake.with(|x| x.refusals.clone())
    );
    let (on_x, appended) = w.fake.with(|x| (x.posts.clone(), x.appended.clone()));
    assert_eq!(on_x.len(), 2);
    assert!(on_x.iter().all(|p| p.media_ids.len() == 1));
    let mut sizes: Vec<u64> = appended.values().copied().collect();
    sizes.sort();
    let mut want = vec![big.len() as u64, clip.len() as u64];
    want.sort();
    assert_eq!(sizes, want, "every byte appended, in chunks");
}

/// The calendar sees how far an upload got: bytes of all the post's
/// media, then X processing it; nothing once the post is out. The post is
/// created only once X says the clip is processed.
#[tokio::test]
async fn an_uploads_progress_shows_on_the_post_while_it_publishes() {
    let w = x_world("x-progress", 1, &["With a clip"]).await;
    let variants = w.app.list_variants(&w.campaign).await.expect("variants");
    let clip = crate::media::mp4(1280, 720, 3);
    w.app
        .attach_media_bytes(
            Utc::now(),
            &variants[0].id,
            "clip.mp4",
            clip.clone(),
            Actor::User,
        )
        .await
        .expect("attach the clip");
    // X keeps "processing" for two status polls, a second apart, and one
    // status answer on the way is not X's (a proxy's page): it is asked
    // again, not taken for "processed".
    w.fake.with(|x| {
        x.processing_polls = 2;
        x.garbled_statuses = 1;
    });
    w.due(0, 1).await;
    let adapters = w.adapters();
    let seen = std::sync::Mutex::new(Vec::new());
    let watch = async {
        let deadline = std::time::Instant::now() + StdDuration::from_secs(20);
        while std::time::Instant::now() < deadline {
            let posts = w.posts().await;
            if let Some(u) = posts.iter().find_map(|p| p.upload) {
                seen.lock().expect("seen").push(u);
            }
            if posts.iter().all(|p| p.status == "published") {
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
    };
    let (posts, ()) = tokio::join!(w.settle(&adapters, 20), watch);
    assert!(posts.iter().all(|p| p.status == "published"), "{posts:?}");
    let (refusals, create_requests) = w.fake.with(|x| (x.refusals.clone(), x.create_requests));
    assert!(refusals.is_empty(), "{refusals:?}");
    assert_eq!(create_requests, 1, "posted once, after processing");
    assert!(posts.iter().all(|p| p.upload.is_none()), "{posts:?}");
    let seen = seen.into_inner().expect("seen");
    let total = clip.len() as u64;
    assert!(
        seen.iter().all(|u| u.total == total && u.sent <= total),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|u| u.processing && u.sent == total),
        "X processing the clip showed: {seen:?}"
    );
}

#[tokio::test]
async fn the_fake_refuses_what_x_refuses() {
    let fake = FakeX::start().await;
    let http = reqwest::Client::new();
    // No token.
    let r = http
        .post(format!("{}/2/tweets", fake.base))
        .json(&serde_json::json!({ "text": "hi" }))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 401);
    // With a token, an unknown field and mutually exclusive fields are refused.
    let token = fake
        .oauth
        .issue_for_test(&["tweet.read", "tweet.write", "users.read"]);
    for body in [
        serde_json::json!({ "text": "hi", "txt": "typo" }),
        serde_json::json!({ "text": "hi", "media": { "media_ids": ["1"] }, "quote_tweet_id": "2" }),
        serde_json::json!({ "text": "hi", "reply_settings": "everyone" }),
        serde_json::json!({ "text": "x".repeat(281) }),
    ] {
        let r = http
            .post(format!("{}/2/tweets", fake.base))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 400, "{body}");
    }
    // Timeline: unknown parameters and out-of-range page sizes.
    for q in ["max_results=500", "since=yesterday"] {
        let r = http
            .get(format!("{}/2/users/1/tweets?{q}", fake.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 400, "{q}");
    }
    // Media needs media.write.
    let r = http
        .post(format!("{}/2/media/upload/initialize", fake.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "media_type": "image/png", "total_bytes": 10, "media_category": "tweet_image" }))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 403);
}
