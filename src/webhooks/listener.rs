//! The webhook listener: each platform's route verifies what arrives
//! (`super::verify_*`), refuses the unsigned (401), the badly signed, the
//! stale and the replayed (403), audits refusals (at most one entry per
//! platform and reason a minute, so a flood cannot fill the log), and lets
//! a verified event only move that platform's next polls to now.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use zeroize::Zeroizing;

use super::Refused;
use crate::store::Store;

/// What the listener verifies with; a platform without its secret is not
/// served (404).
#[derive(Default)]
pub struct Secrets {
    /// X's consumer secret (the app's API key secret).
    pub x_consumer_secret: Option<Zeroizing<String>>,
    /// The Meta app's secret (Facebook Pages and Instagram).
    pub meta_app_secret: Option<Zeroizing<String>>,
    /// The token Meta's subscription handshake must bring.
    pub meta_verify_token: Option<Zeroizing<String>>,
    /// TikTok's client secret.
    pub tiktok_client_secret: Option<Zeroizing<String>>,
}

/// How many signatures are remembered to refuse replays.
const REMEMBERED: usize = 10_000;

struct Shared {
    store: Store,
    secrets: Secrets,
    clock: fn() -> DateTime<Utc>,
    seen: Mutex<(HashSet<String>, VecDeque<String>)>,
    audited: Mutex<HashMap<(String, String), DateTime<Utc>>>,
}

impl Shared {
    /// Whether `signature` was seen before (and remembers it).
    fn replayed(&self, platform: &str, signature: &str) -> bool {
        let key = format!("{platform}:{}", signature.trim().to_ascii_lowercase());
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.0.contains(&key) {
            return true;
        }
        seen.0.insert(key.clone());
        seen.1.push_back(key);
        if seen.1.len() > REMEMBERED {
            if let Some(old) = seen.1.pop_front() {
                seen.0.remove(&old);
            }
        }
        false
    }

    async fn refuse(&self, platform: &str, why: Refused) -> Response {
        let now = (self.clock)();
        let due = {
            let mut audited = self.audited.lock().unwrap_or_else(|p| p.into_inner());
            let key = (platform.to_string(), why.to_string());
            match audited.get(&key) {
                Some(at) if now - *at < Duration::minutes(1) => false,
                _ => {
                    audited.insert(key, now);
                    true
                }
            }
        };
        tracing::warn!(platform, "webhook refused: {why}");
        if due {
            if let Err(e) = self
                .store
                .audit_webhook(now, platform, Err(&why.to_string()))
                .await
            {
                tracing::warn!("webhook refusal not audited: {e}");
            }
        }
        let status = StatusCode::from_u16(why.status()).unwrap_or(StatusCode::FORBIDDEN);
        (status, why.to_string()).into_response()
    }

    async fn accept(&self, platform: &str) -> Response {
        let now = (self.clock)();
        match self.store.poll_soon(now, platform).await {
            Ok(n) => {
                tracing::info!(platform, posts = n, "webhook: polling early");
                let _ = self.store.audit_webhook(now, platform, Ok(n)).await;
                StatusCode::OK.into_response()
            }
            Err(e) => {
                tracing::warn!("webhook accepted but not acted on: {e}");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

type St = State<Arc<Shared>>;

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn x_crc(State(s): St, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(secret) = &s.secrets.x_consumer_secret else {
        return s.refuse("x", Refused::NotConfigured).await;
    };
    match q.get("crc_token").filter(|t| !t.is_empty()) {
        Some(token) => Json(serde_json::json!({
            "response_token": super::x_crc_response(secret, token)
        }))
        .into_response(),
        None => s.refuse("x", Refused::Malformed).await,
    }
}

async fn x_event(State(s): St, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = &s.secrets.x_consumer_secret else {
        return s.refuse("x", Refused::NotConfigured).await;
    };
    let sig = header(&headers, "x-twitter-webhooks-signature");
    if let Err(why) = super::verify_x(secret, sig, &body) {
        return s.refuse("x", why).await;
    }
    if s.replayed("x", sig.unwrap_or_default()) {
        return s.refuse("x", Refused::Replayed).await;
    }
    s.accept("x").await
}

async fn meta_handshake(State(s): St, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(token) = &s.secrets.meta_verify_token else {
        return s.refuse("facebook", Refused::NotConfigured).await;
    };
    match super::meta_handshake(
        token,
        q.get("hub.mode").map(String::as_str),
        q.get("hub.verify_token").map(String::as_str),
        q.get("hub.challenge").map(String::as_str),
    ) {
        Ok(challenge) => (StatusCode::OK, challenge.to_string()).into_response(),
        Err(why) => s.refuse("facebook", why).await,
    }
}

async fn meta_event(State(s): St, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = &s.secrets.meta_app_secret else {
        return s.refuse("facebook", Refused::NotConfigured).await;
    };
    let sig = header(&headers, "x-hub-signature-256");
    if let Err(why) = super::verify_meta(secret, sig, &body) {
        return s.refuse("facebook", why).await;
    }
    if s.replayed("meta", sig.unwrap_or_default()) {
        return s.refuse("facebook", Refused::Replayed).await;
    }
    // Verified: which of Meta's networks it is about.
    let object = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["object"].as_str().map(String::from));
    let platform = if object.as_deref() == Some("instagram") {
        "instagram"
    } else {
        "facebook"
    };
    s.accept(platform).await
}

async fn tiktok_event(State(s): St, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = &s.secrets.tiktok_client_secret else {
        return s.refuse("tiktok", Refused::NotConfigured).await;
    };
    let sig = header(&headers, "tiktok-signature");
    match super::verify_tiktok(secret, sig, &body, (s.clock)()) {
        Ok(signature) if s.replayed("tiktok", &signature) => {
            s.refuse("tiktok", Refused::Replayed).await
        }
        Ok(_) => s.accept("tiktok").await,
        Err(why) => s.refuse("tiktok", why).await,
    }
}

/// The routes: `/webhooks/x` (GET: CRC, POST: events), `/webhooks/meta`
/// (GET: subscription handshake, POST: events), `/webhooks/tiktok` (POST).
pub fn router(store: Store, secrets: Secrets, clock: fn() -> DateTime<Utc>) -> Router {
    let shared = Arc::new(Shared {
        store,
        secrets,
        clock,
        seen: Mutex::default(),
        audited: Mutex::default(),
    });
    Router::new()
        .route("/webhooks/x", get(x_crc).post(x_event))
        .route("/webhooks/meta", get(meta_handshake).post(meta_event))
        .route("/webhooks/tiktok", axum::routing::post(tiktok_event))
        .with_state(shared)
}

/// Serves the routes on `listener` until the task is dropped.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Store,
    secrets: Secrets,
) -> std::io::Result<()> {
    axum::serve(listener, router(store, secrets, Utc::now)).await
}
