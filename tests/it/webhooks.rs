//! The webhook listener over HTTP: X's CRC and signed events, Meta's
//! handshake and signed events, TikTok's timestamped signature; unsigned
//! (401), forged, stale and replayed (403) requests are refused, audited,
//! and never touch the data; a verified one makes that platform's posts be
//! polled now, at most once per platform every few minutes. Also what the
//! listener allows a client: headers are checked before any body is read,
//! bodies are small and must come quickly, slow and idle connections are
//! closed, and only so many are served at once.

use std::net::SocketAddr;
use std::time::Duration as StdDuration;

use base64::Engine;
use chrono::{Duration, Utc};
use hmac::{Hmac, Mac};
use reachloop::webhooks::listener::{self, Limits, Secrets};
use reachloop::App;
use reachloop_ipc::Platform;
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zeroize::Zeroizing;

use crate::data_dir;
use crate::metrics::published;

/// How long a test waits for something the listener must do in well under
/// a second; only reached when it never happens.
const PATIENCE: StdDuration = StdDuration::from_secs(20);

fn hmac(key: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("key");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fn b64(v: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(v)
}

fn secrets() -> Secrets {
    Secrets {
        x_consumer_secret: Some(Zeroizing::new("x-consumer-secret".into())),
        meta_app_secret: Some(Zeroizing::new("meta-app-secret".into())),
        meta_verify_token: Some(Zeroizing::new("verify-me".into())),
        tiktok_client_secret: Some(Zeroizing::new("tiktok-secret".into())),
    }
}

fn x_signature(body: &[u8]) -> String {
    format!("sha256={}", b64(&hmac("x-consumer-secret", &[body])))
}

fn meta_signature(body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac("meta-app-secret", &[body])))
}

/// A listener on 127.0.0.1 for `app`'s database; aborted with the handle.
async fn listen(app: &App, limits: Limits) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = tcp.local_addr().expect("addr");
    let serving = listener::serve(tcp, app.store().clone(), secrets(), limits);
    let task = tokio::spawn(async move {
        serving.await;
    });
    (addr, task)
}

/// A published post of X's still being collected, its next poll hours
/// away; and a check of whether it is due within a minute.
async fn collecting_x_post(app: &App, name: &str) -> String {
    let t0 = Utc::now();
    let account = app.connect_sandbox(t0, name).await.expect("account");
    let (campaign, variants) =
        crate::active_campaign(app, t0, name, Platform::Sandbox, &["Hooked"]).await;
    let posts = published(
        app,
        &campaign,
        Platform::Sandbox,
        &account.id,
        &variants[0],
        t0,
        &[format!("sb-{name}")],
    )
    .await;
    let id = posts[0].0.clone();
    // A collecting post of "x" (the provider the X hook brings forward).
    app.store()
        .execute_raw(&format!(
            "UPDATE posts SET provider_id = 'x' WHERE id = '{id}'"
        ))
        .await
        .expect("as X");
    poll_later(app, &id).await;
    id
}

/// Plans the post's next poll five hours away (again, if it was planned).
async fn poll_later(app: &App, id: &str) {
    let later = Utc::now() + Duration::hours(5);
    app.store()
        .plan_polls(&[(id.to_string(), Some(later))])
        .await
        .expect("planned");
    app.store()
        .execute_raw(&format!(
            "UPDATE post_metrics SET next_poll_at = '{}' WHERE post_id = '{id}'",
            reachloop::time::to_db(later)
        ))
        .await
        .expect("planned again");
}

async fn polled_soon(app: &App, id: &str) -> bool {
    app.store()
        .scalar_raw(&format!(
            "SELECT next_poll_at < '{}' FROM post_metrics WHERE post_id = '{id}'",
            reachloop::time::to_db(Utc::now() + Duration::minutes(1))
        ))
        .await
        .expect("next poll")
        == 1
}

async fn audited(app: &App, action: &str) -> Vec<reachloop_ipc::AuditEntry> {
    app.recent_audit(500)
        .await
        .expect("audit")
        .into_iter()
        .filter(|a| a.action == action)
        .collect()
}

/// Sends `request` as it is and reads until the status line has come or
/// the connection is closed: the status, or `None` when the listener
/// closed (or reset) without answering.
async fn raw(addr: SocketAddr, request: &[u8]) -> Option<u16> {
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    send_and_read(&mut tcp, request).await
}

async fn send_and_read(tcp: &mut TcpStream, request: &[u8]) -> Option<u16> {
    if tcp.write_all(request).await.is_err() {
        return None;
    }
    tokio::time::timeout(PATIENCE, status_or_close(tcp))
        .await
        .expect("the listener neither answered nor closed the connection")
}

async fn status_or_close(tcp: &mut TcpStream) -> Option<u16> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        if let Some(line_end) = got.windows(2).position(|w| w == b"\r\n") {
            let line = String::from_utf8_lossy(&got[..line_end]).to_string();
            return line.split(' ').nth(1).and_then(|s| s.parse().ok());
        }
        match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Waits until `addr` answers a CRC challenge again.
async fn answers_again(addr: SocketAddr) -> bool {
    let crc =
        b"GET /webhooks/x?crc_token=abc HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::time::Instant::now() < deadline {
        if raw(addr, crc).await == Some(200) {
            return true;
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    false
}

#[tokio::test]
async fn only_verified_webhooks_bring_polls_forward() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let post = collecting_x_post(&app, "Hooks").await;
    let (addr, _task) = listen(&app, Limits::default()).await;
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();

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
    assert!(
        !polled_soon(&app, &post).await,
        "refused webhooks touch nothing"
    );
    // Signed: accepted, and the post is polled now.
    let good = x_signature(&body);
    assert_eq!(post_x(Some(good.clone()), body.clone()).await, 200);
    assert!(polled_soon(&app, &post).await, "polled early");
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
    let r = http
        .post(format!("{base}/webhooks/meta"))
        .header("X-Hub-Signature-256", meta_signature(&meta_body))
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
    let refused = audited(&app, "webhook.refused").await;
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
    assert!(audited(&app, "webhook.accepted")
        .await
        .iter()
        .any(|a| a.entity_id.as_deref() == Some("x")));
}

/// Issue 16's forgery: the CRC answer for token T is the signature of a
/// POST whose body is T. A CRC token must be a plain token, and an event
/// must be X's JSON object, so the two can never meet.
#[tokio::test]
async fn a_crc_answer_cannot_sign_a_forged_x_event() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let post = collecting_x_post(&app, "Forged").await;
    let (addr, _task) = listen(&app, Limits::default()).await;
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();

    let crc = |token: &str| {
        let r = http
            .get(format!("{base}/webhooks/x"))
            .query(&[("crc_token", token)]);
        async move {
            let r = r.send().await.expect("crc");
            let status = r.status().as_u16();
            let answer: serde_json::Value = r.json().await.unwrap_or_default();
            (status, answer["response_token"].as_str().map(String::from))
        }
    };
    // The issue's steps: a plain token is answered, but the answer does not
    // make its token an event.
    let (status, forged) = crc("forged-event-1").await;
    assert_eq!(status, 200);
    let forged = forged.expect("a response token");
    let r = http
        .post(format!("{base}/webhooks/x"))
        .header("x-twitter-webhooks-signature", forged)
        .body("forged-event-1")
        .send()
        .await
        .expect("forged event");
    assert_eq!(r.status(), 400);
    // A token shaped like an event is not answered at all.
    for token in [
        r#"{"for_user_id":"1500000"}"#,
        r#"{"for_user_id":"1500000","favorite_events":[]}"#,
        &"a".repeat(257),
        "",
    ] {
        assert_eq!(crc(token).await, (400, None), "{token:?}");
    }
    assert!(!polled_soon(&app, &post).await, "nothing polled early");
    assert!(audited(&app, "webhook.accepted").await.is_empty());
    let refused = audited(&app, "webhook.refused").await;
    assert!(
        refused
            .iter()
            .any(|a| a.details.contains("not an event of this platform")),
        "{refused:?}"
    );
    assert!(
        refused.iter().any(|a| a.details.contains("CRC token")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn verified_events_are_merged_into_one_early_poll_per_platform() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let post = collecting_x_post(&app, "Merged").await;
    let (addr, _task) = listen(&app, Limits::default()).await;
    let http = reqwest::Client::new();
    let send = |n: u32| {
        let body = format!(r#"{{"for_user_id":"1500000","favorite_events":[{{"id":"{n}"}}]}}"#);
        let r = http
            .post(format!("http://{addr}/webhooks/x"))
            .header("x-twitter-webhooks-signature", x_signature(body.as_bytes()))
            .body(body);
        async move { r.send().await.expect("event").status().as_u16() }
    };
    // A burst arriving together: all answered, one early poll among them.
    let burst = futures_util::future::join_all((1..=8).map(send)).await;
    assert!(burst.iter().all(|&s| s == 200), "{burst:?}");
    assert!(polled_soon(&app, &post).await, "the first polls early");
    assert_eq!(
        audited(&app, "webhook.accepted").await.len(),
        1,
        "events arriving together are merged"
    );
    poll_later(&app, &post).await;
    // More genuine events right after: answered, merged, nothing moves.
    for n in 9..=12 {
        assert_eq!(send(n).await, 200);
    }
    assert!(!polled_soon(&app, &post).await, "merged into the first");
    let accepted = audited(&app, "webhook.accepted").await;
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    assert!(
        accepted[0].details.contains(r#""events":1"#),
        "{accepted:?}"
    );
}

#[tokio::test]
async fn replays_are_refused_after_a_restart_however_the_signature_is_written() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let (addr, task) = listen(&app, Limits::default()).await;
    let http = reqwest::Client::new();
    let meta_body = br#"{"object":"page","entry":[{"id":"1","time":1}]}"#.to_vec();
    let lower = meta_signature(&meta_body);
    let upper = format!("sha256={}", lower["sha256=".len()..].to_uppercase());
    let x_body = br#"{"for_user_id":"1500000","tweet_create_events":[]}"#.to_vec();
    let send = |addr: SocketAddr, path: &str, header: &str, sig: &str, body: &[u8]| {
        let r = http
            .post(format!("http://{addr}/webhooks/{path}"))
            .header(header, sig)
            .body(body.to_vec());
        async move { r.send().await.expect("send").status().as_u16() }
    };
    let meta = "X-Hub-Signature-256";
    let x = "x-twitter-webhooks-signature";
    assert_eq!(send(addr, "meta", meta, &lower, &meta_body).await, 200);
    assert_eq!(
        send(addr, "meta", meta, &upper, &meta_body).await,
        403,
        "upper-case hex is the same signature"
    );
    assert_eq!(
        send(addr, "x", x, &x_signature(&x_body), &x_body).await,
        200
    );

    // The agent restarts: another process, another listener, same database.
    task.abort();
    let _ = task.await;
    drop(app);
    let app = App::open(dir.path()).await.expect("reopen");
    let (addr, _task) = listen(&app, Limits::default()).await;
    for sig in [&lower, &upper] {
        assert_eq!(
            send(addr, "meta", meta, sig, &meta_body).await,
            403,
            "{sig}"
        );
    }
    assert_eq!(
        send(addr, "x", x, &x_signature(&x_body), &x_body).await,
        403
    );
    let replays = audited(&app, "webhook.refused")
        .await
        .into_iter()
        .filter(|a| a.details.contains("replay"))
        .count();
    assert!(replays >= 2, "one entry per platform at least");
}

#[tokio::test]
async fn a_flood_of_refusals_is_one_log_line_and_one_audit_entry() {
    let logs = crate::oauth::captured_logs();
    let from = logs.0.lock().unwrap_or_else(|p| p.into_inner()).len();

    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let (addr, _task) = listen(&app, Limits::default()).await;
    let http = reqwest::Client::new();
    for n in 0..25 {
        let r = http
            .post(format!("http://{addr}/webhooks/x"))
            .header(
                "x-twitter-webhooks-signature",
                format!("sha256={}", b64(&[n; 32])),
            )
            .body(r#"{"for_user_id":"1"}"#)
            .send()
            .await
            .expect("forged");
        assert_eq!(r.status(), 403);
    }
    // This listener's lines (other tests log refusals at the same time).
    let text = {
        let all = logs.0.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&all[from..]).to_string()
    };
    let ours = format!("listener={addr}");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(&ours) && l.contains("webhook refused"))
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    let refused = audited(&app, "webhook.refused").await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].details.contains(r#""times":1"#), "{refused:?}");
}

#[tokio::test]
async fn headers_are_checked_before_any_body_is_read() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    // Bodies may take a minute: an answer within the test's patience came
    // before the body.
    let limits = Limits {
        body_timeout: StdDuration::from_secs(60),
        ..Limits::default()
    };
    let (addr, _task) = listen(&app, limits).await;
    // Each promises a body that never comes.
    let head = |path: &str, header: &str| {
        format!(
            "POST /webhooks/{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n{header}\r\n"
        )
    };
    let stale = Utc::now().timestamp() - 3_600;
    for (request, status) in [
        (head("x", ""), 401),
        (
            head("x", "x-twitter-webhooks-signature: sha256=???\r\n"),
            403,
        ),
        (head("meta", "X-Hub-Signature-256: sha256=zz\r\n"), 403),
        (
            head(
                "tiktok",
                &format!("TikTok-Signature: t={stale},s={}\r\n", "0".repeat(64)),
            ),
            403,
        ),
    ] {
        assert_eq!(
            raw(addr, request.as_bytes()).await,
            Some(status),
            "{request}"
        );
    }
}

#[tokio::test]
async fn bodies_are_small_and_must_come_quickly() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let limits = Limits {
        max_body: 1024,
        body_timeout: StdDuration::from_millis(300),
        ..Limits::default()
    };
    let (addr, _task) = listen(&app, limits).await;
    let signed = format!(
        "x-twitter-webhooks-signature: {}\r\n",
        x_signature(b"whatever")
    );
    // Too large by its Content-Length: refused before any of it is sent.
    let big = format!(
        "POST /webhooks/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1025\r\n{signed}\r\n"
    );
    assert_eq!(raw(addr, big.as_bytes()).await, Some(413));
    // Too large as it comes (chunked): refused once past the limit.
    let chunk = "a".repeat(2048);
    let chunked = format!(
        "POST /webhooks/x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n{signed}\r\n{:x}\r\n{chunk}\r\n",
        chunk.len()
    );
    assert_eq!(raw(addr, chunked.as_bytes()).await, Some(413));
    // Too slow: ten bytes of a hundred, then nothing.
    let slow = format!(
        "POST /webhooks/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n{signed}\r\n0123456789"
    );
    assert_eq!(raw(addr, slow.as_bytes()).await, Some(408));
}

#[tokio::test]
async fn slow_and_idle_connections_are_closed() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let limits = Limits {
        header_timeout: StdDuration::from_millis(300),
        ..Limits::default()
    };
    let (addr, _task) = listen(&app, limits).await;
    // Headers that never end, and a connection that never says anything:
    // both closed without an answer.
    assert_eq!(
        raw(addr, b"POST /webhooks/x HTTP/1.1\r\nHost: 127.0.0.1\r\n").await,
        None
    );
    assert_eq!(raw(addr, b"").await, None);
    // After an answer, an idle keep-alive connection is closed too.
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    let crc = b"GET /webhooks/x?crc_token=abc HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    assert_eq!(send_and_read(&mut tcp, crc).await, Some(200));
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, tcp.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the idle connection stayed open");
}

#[tokio::test]
async fn connections_beyond_the_limit_are_closed_at_once() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let limits = Limits {
        max_connections: 2,
        // Idle connections stay for the whole test.
        header_timeout: StdDuration::from_secs(600),
        ..Limits::default()
    };
    let (addr, _task) = listen(&app, limits).await;
    let first = TcpStream::connect(addr).await.expect("first");
    let _second = TcpStream::connect(addr).await.expect("second");
    let crc =
        b"GET /webhooks/x?crc_token=abc HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    assert_eq!(raw(addr, crc).await, None, "a third is closed unanswered");
    // One of the two goes: the listener serves again.
    drop(first);
    assert!(answers_again(addr).await, "served again once one closed");
}

/// An event that was verified but could not be recorded (the database
/// refused the write) is answered 500, and the platform's retry of it is
/// accepted, not refused as a replay: the signature is remembered only with
/// the early poll it asks for, in one transaction.
#[tokio::test]
async fn an_event_that_could_not_be_recorded_is_accepted_when_retried() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let post = collecting_x_post(&app, "Retried").await;
    let (addr, _task) = listen(&app, Limits::default()).await;
    let http = reqwest::Client::new();
    let body = br#"{"for_user_id":"1500000","tweet_create_events":[]}"#.to_vec();
    let send = || {
        http.post(format!("http://{addr}/webhooks/x"))
            .header("x-twitter-webhooks-signature", x_signature(&body))
            .body(body.clone())
            .send()
    };
    app.store()
        .execute_raw(
            "CREATE TRIGGER audit_trouble BEFORE INSERT ON audit_log
             BEGIN SELECT RAISE(ABORT, 'disk trouble'); END",
        )
        .await
        .expect("make audit writes fail");
    assert_eq!(send().await.expect("send").status(), 500);
    assert!(!polled_soon(&app, &post).await, "nothing was recorded");
    app.store()
        .execute_raw("DROP TRIGGER audit_trouble")
        .await
        .expect("the database works again");
    assert_eq!(
        send().await.expect("retry").status(),
        200,
        "the retry is the first recorded, not a replay"
    );
    assert!(polled_soon(&app, &post).await, "polled early on the retry");
    assert_eq!(send().await.expect("replay").status(), 403, "now a replay");
}
