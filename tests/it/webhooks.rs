//! The webhook listener over HTTP: X's CRC and signed events, Meta's
//! handshake and signed events, TikTok's timestamped signature; unsigned
//! (401), forged, stale and replayed (403) requests are refused, audited,
//! and never touch the data; a verified one makes that platform's posts be
//! polled now.

use base64::Engine;
use chrono::{Duration, Utc};
use hmac::{Hmac, Mac};
use reachloop::webhooks::listener::{self, Secrets};
use reachloop::App;
use reachloop_ipc::Platform;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::data_dir;
use crate::metrics::published;

fn hmac(key: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("key");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

#[tokio::test]
async fn only_verified_webhooks_bring_polls_forward() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let t0 = Utc::now();
    let account = app.connect_sandbox(t0, "Hooks").await.expect("account");
    let (campaign, variants) =
        crate::active_campaign(&app, t0, "Hooks", Platform::Sandbox, &["Hooked"]).await;
    let posts = published(
        &app,
        &campaign,
        Platform::Sandbox,
        &account.id,
        &variants[0],
        t0,
        &["sb-hook".into()],
    )
    .await;
    // A collecting post of "x" (the provider the X hook brings forward).
    app.store()
        .execute_raw(&format!(
            "UPDATE posts SET provider_id = 'x' WHERE id = '{}'",
            posts[0].0
        ))
        .await
        .expect("as X");
    let later = t0 + Duration::hours(5);
    app.store()
        .plan_polls(&[(posts[0].0.clone(), Some(later))])
        .await
        .expect("planned");
    let next_poll = || {
        let store = app.store().clone();
        let id = posts[0].0.clone();
        async move {
            store
                .scalar_raw(&format!(
                    "SELECT next_poll_at < '{}' FROM post_metrics WHERE post_id = '{id}'",
                    reachloop::time::to_db(Utc::now() + Duration::minutes(1))
                ))
                .await
                .expect("next poll")
        }
    };

    let secrets = Secrets {
        x_consumer_secret: Some(Zeroizing::new("x-consumer-secret".into())),
        meta_app_secret: Some(Zeroizing::new("meta-app-secret".into())),
        meta_verify_token: Some(Zeroizing::new("verify-me".into())),
        tiktok_client_secret: Some(Zeroizing::new("tiktok-secret".into())),
    };
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", tcp.local_addr().expect("addr"));
    tokio::spawn(listener::serve(tcp, app.store().clone(), secrets));
    let http = reqwest::Client::new();
    let b64 = |v: &[u8]| base64::engine::general_purpose::STANDARD.encode(v);

    // X's CRC challenge.
    let crc: serde_json::Value = http
        .get(format!("{base}/webhooks/x?crc_token=abc123"))
        .send()
        .await
        .expect("crc")
        .json()
        .await
        .expect("json");
    assert_eq!(
        crc["response_token"],
        format!("sha256={}", b64(&hmac("x-consumer-secret", &[b"abc123"])))
    );

    let body = br#"{"for_user_id":"1500000","tweet_create_events":[]}"#.to_vec();
    let post_x = |sig: Option<String>, body: Vec<u8>| {
        let mut r = http.post(format!("{base}/webhooks/x")).body(body);
        if let Some(s) = sig {
            r = r.header("x-twitter-webhooks-signature", s);
        }
        async move { r.send().await.expect("send").status().as_u16() }
    };
    // Unsigned, forged and signed with another secret: refused, nothing moves.
    assert_eq!(post_x(None, body.clone()).await, 401);
    assert_eq!(post_x(Some("sha256=AAAA".into()), body.clone()).await, 403);
    let wrong = format!("sha256={}", b64(&hmac("not-the-secret", &[&body])));
    assert_eq!(post_x(Some(wrong), body.clone()).await, 403);
    assert_eq!(next_poll().await, 0, "refused webhooks touch nothing");
    // Signed: accepted, and the post is polled now.
    let good = format!("sha256={}", b64(&hmac("x-consumer-secret", &[&body])));
    assert_eq!(post_x(Some(good.clone()), body.clone()).await, 200);
    assert_eq!(next_poll().await, 1, "polled early");
    // The same request again is a replay.
    assert_eq!(post_x(Some(good), body.clone()).await, 403);

    // Meta: the handshake echoes the challenge only for our verify token.
    let hand = |token: &str| {
        let url = format!(
            "{base}/webhooks/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={token}"
        );
        let http = http.clone();
        async move {
            let r = http.get(url).send().await.expect("send");
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        }
    };
    assert_eq!(hand("verify-me").await, (200, "1158201444".into()));
    assert_eq!(hand("guess").await.0, 403);
    let meta_body = br#"{"object":"page","entry":[{"id":"1","time":1}]}"#.to_vec();
    let sig = format!(
        "sha256={}",
        hex::encode(hmac("meta-app-secret", &[&meta_body]))
    );
    let r = http
        .post(format!("{base}/webhooks/meta"))
        .header("X-Hub-Signature-256", sig)
        .body(meta_body.clone())
        .send()
        .await
        .expect("meta");
    assert_eq!(r.status(), 200);
    let r = http
        .post(format!("{base}/webhooks/meta"))
        .header("X-Hub-Signature-256", format!("sha256={}", "0".repeat(64)))
        .body(meta_body)
        .send()
        .await
        .expect("meta forged");
    assert_eq!(r.status(), 403);

    // TikTok: timestamped; a stale one is refused even when well signed.
    let tt_body = br#"{"event":"video.publish.complete"}"#.to_vec();
    let tiktok = |t: i64| {
        let s = hex::encode(hmac(
            "tiktok-secret",
            &[t.to_string().as_bytes(), b".", &tt_body],
        ));
        let r = http
            .post(format!("{base}/webhooks/tiktok"))
            .header("TikTok-Signature", format!("t={t},s={s}"))
            .body(tt_body.clone());
        async move { r.send().await.expect("tiktok").status().as_u16() }
    };
    let now = Utc::now().timestamp();
    assert_eq!(tiktok(now - 3_600).await, 403, "an hour old");
    assert_eq!(tiktok(now).await, 200);
    assert_eq!(tiktok(now).await, 403, "replayed");

    // Refusals are in the audit log, with why and never the body.
    let audit = app.recent_audit(50).await.expect("audit");
    let refused: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "webhook.refused")
        .collect();
    for why in [
        "no signature",
        "does not match",
        "replay",
        "stale",
        "verify token",
    ] {
        assert!(
            refused.iter().any(|a| a.details.contains(why)),
            "{why}: {refused:?}"
        );
    }
    assert!(refused.iter().all(|a| !a.details.contains("for_user_id")));
    assert!(audit
        .iter()
        .any(|a| a.action == "webhook.accepted" && a.entity_id.as_deref() == Some("x")));
}
