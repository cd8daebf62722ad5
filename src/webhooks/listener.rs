//! The webhook listener: each platform's route reads the signature from its
//! header before any body (`super::*_signature`), then reads at most
//! [`Limits::max_body`] within [`Limits::body_timeout`] and verifies it
//! (`super::verify_*`). It refuses the unsigned (401), the badly signed, the
//! stale and the replayed (403), notes refusals in the log and the audit
//! (at most once per platform and reason a minute, counting the rest), and
//! lets a verified event only move that platform's next polls to now (at
//! most once per platform every five minutes). Accepted signatures are
//! remembered in the database, so a restart does not forget them.
//!
//! [`serve`] is its own accept loop rather than `axum::serve`: hyper's
//! header read timeout needs a timer, which `axum::serve` does not give it,
//! and connections beyond [`Limits::max_connections`] are closed at once.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tower_http::limit::RequestBodyLimitLayer;
use tracing::Instrument;
use zeroize::Zeroizing;

use super::{OncePer, Refused, Signature, EARLY_POLL_EVERY, NOTE_REFUSALS_EVERY};
use crate::store::{Store, WebhookAccepted};

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

/// How much of the agent a client may take.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The largest body read; a larger one is refused with 413 (from its
    /// `Content-Length` before any of it is read). An event is a few KiB;
    /// Meta may batch several entries in one, hence the room.
    pub max_body: usize,
    /// Time for a request's line and headers to arrive, and for an idle
    /// connection to bring its next request; then the connection is closed.
    pub header_timeout: std::time::Duration,
    /// Time for the whole body to arrive once the headers are in (408).
    pub body_timeout: std::time::Duration,
    /// Connections served at once; one more is closed as soon as it is
    /// accepted. Each HTTP/1 connection carries one request at a time, so
    /// this also bounds the requests in flight.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body: 256 * 1024,
            header_timeout: std::time::Duration::from_secs(10),
            body_timeout: std::time::Duration::from_secs(10),
            max_connections: 32,
        }
    }
}

struct Shared {
    store: Store,
    secrets: Secrets,
    clock: fn() -> DateTime<Utc>,
    body_timeout: std::time::Duration,
    refusals: Mutex<OncePer<(&'static str, Refused)>>,
    early_polls: Mutex<OncePer<&'static str>>,
    /// Held while a verified event is recorded (see `accept`).
    accepting: tokio::sync::Mutex<()>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    async fn refuse(&self, platform: &'static str, why: Refused) -> Response {
        let now = (self.clock)();
        let noted = lock(&self.refusals).pass((platform, why.clone()), now);
        if let Some(times) = noted {
            if times > 1 {
                tracing::warn!(
                    platform,
                    "webhook refused: {why} ({} more like it since the last note)",
                    times - 1
                );
            } else {
                tracing::warn!(platform, "webhook refused: {why}");
            }
            if let Err(e) = self
                .store
                .audit_webhook_refused(now, platform, &why.to_string(), times)
                .await
            {
                tracing::warn!("webhook refusal not audited: {e}");
            }
        }
        let status = StatusCode::from_u16(why.status()).unwrap_or(StatusCode::FORBIDDEN);
        (status, why.to_string()).into_response()
    }

    /// The body, read after the headers were found acceptable.
    async fn body(&self, req: Request) -> Result<Bytes, Refused> {
        match tokio::time::timeout(self.body_timeout, Bytes::from_request(req, &())).await {
            Err(_) => Err(Refused::TooSlow),
            Ok(Ok(body)) => Ok(body),
            Ok(Err(e)) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(Refused::TooLarge),
            Ok(Err(_)) => Err(Refused::Incomplete),
        }
    }

    /// A verified event: refused if its signature was accepted before,
    /// else remembered until `until`, and the platform polled early unless
    /// it was a moment ago.
    async fn accept(
        &self,
        route: &str,
        platform: &'static str,
        signature: &Signature,
        until: DateTime<Utc>,
    ) -> Response {
        // One verified event at a time from the look at the early polls to
        // their count: events arriving together are merged, not each let
        // through.
        let _one_at_a_time = self.accepting.lock().await;
        let now = (self.clock)();
        // Counted only once the event is recorded: a replay or a failure
        // does not use up the early poll.
        let early = lock(&self.early_polls).peek(&platform, now);
        let accepted = self
            .store
            .accept_webhook(
                now,
                route,
                &signature.key(),
                until,
                early.map(|n| (platform, n)),
            )
            .await;
        match accepted {
            Ok(WebhookAccepted::Replay) => self.refuse(platform, Refused::Replayed).await,
            Ok(outcome) => {
                lock(&self.early_polls).pass(platform, now);
                if let WebhookAccepted::PolledEarly(n) = outcome {
                    let events = early.unwrap_or(1);
                    tracing::info!(platform, posts = n, events, "webhook: polling early");
                }
                StatusCode::OK.into_response()
            }
            Err(e) => {
                tracing::warn!("webhook verified but not recorded: {e}");
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
    let token = q.get("crc_token").map(String::as_str).unwrap_or_default();
    match super::x_crc_response(secret, token) {
        Ok(answer) => Json(serde_json::json!({ "response_token": answer })).into_response(),
        Err(why) => s.refuse("x", why).await,
    }
}

async fn x_event(State(s): St, req: Request) -> Response {
    let Some(secret) = &s.secrets.x_consumer_secret else {
        return s.refuse("x", Refused::NotConfigured).await;
    };
    let signature = match super::x_signature(header(req.headers(), "x-twitter-webhooks-signature"))
    {
        Ok(signature) => signature,
        Err(why) => return s.refuse("x", why).await,
    };
    let body = match s.body(req).await {
        Ok(body) => body,
        Err(why) => return s.refuse("x", why).await,
    };
    if let Err(why) = super::verify_x(secret, &signature, &body) {
        return s.refuse("x", why).await;
    }
    let until = super::remember_until((s.clock)(), None);
    s.accept("x", "x", &signature, until).await
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

async fn meta_event(State(s): St, req: Request) -> Response {
    let Some(secret) = &s.secrets.meta_app_secret else {
        return s.refuse("facebook", Refused::NotConfigured).await;
    };
    let signature = match super::meta_signature(header(req.headers(), "x-hub-signature-256")) {
        Ok(signature) => signature,
        Err(why) => return s.refuse("facebook", why).await,
    };
    let body = match s.body(req).await {
        Ok(body) => body,
        Err(why) => return s.refuse("facebook", why).await,
    };
    if let Err(why) = super::verify_meta(secret, &signature, &body) {
        return s.refuse("facebook", why).await;
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
    let until = super::remember_until((s.clock)(), None);
    s.accept("meta", platform, &signature, until).await
}

async fn tiktok_event(State(s): St, req: Request) -> Response {
    let Some(secret) = &s.secrets.tiktok_client_secret else {
        return s.refuse("tiktok", Refused::NotConfigured).await;
    };
    let now = (s.clock)();
    let signature = match super::tiktok_signature(header(req.headers(), "tiktok-signature"), now) {
        Ok(signature) => signature,
        Err(why) => return s.refuse("tiktok", why).await,
    };
    let body = match s.body(req).await {
        Ok(body) => body,
        Err(why) => return s.refuse("tiktok", why).await,
    };
    if let Err(why) = super::verify_tiktok(secret, &signature, &body) {
        return s.refuse("tiktok", why).await;
    }
    let until = super::remember_until(now, Some(signature.signed_at()));
    s.accept("tiktok", "tiktok", signature.signature(), until)
        .await
}

/// The routes: `/webhooks/x` (GET: CRC, POST: events), `/webhooks/meta`
/// (GET: subscription handshake, POST: events), `/webhooks/tiktok` (POST).
pub fn router(
    store: Store,
    secrets: Secrets,
    clock: fn() -> DateTime<Utc>,
    limits: &Limits,
) -> Router {
    let shared = Arc::new(Shared {
        store,
        secrets,
        clock,
        body_timeout: limits.body_timeout,
        refusals: Mutex::new(OncePer::new(NOTE_REFUSALS_EVERY)),
        early_polls: Mutex::new(OncePer::new(EARLY_POLL_EVERY)),
        accepting: tokio::sync::Mutex::new(()),
    });
    Router::new()
        .route("/webhooks/x", get(x_crc).post(x_event))
        .route("/webhooks/meta", get(meta_handshake).post(meta_event))
        .route("/webhooks/tiktok", axum::routing::post(tiktok_event))
        .layer(RequestBodyLimitLayer::new(limits.max_body))
        .with_state(shared)
}

/// Serves the routes on `listener` within `limits` until the task is
/// dropped.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Store,
    secrets: Secrets,
    limits: Limits,
) -> Infallible {
    let router = router(store, secrets, Utc::now, &limits);
    // What the listener logs names it (one process may run several).
    let span = match listener.local_addr() {
        Ok(addr) => tracing::info_span!("webhooks", listener = %addr),
        Err(_) => tracing::info_span!("webhooks"),
    };
    let connections = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    // Notes about the listener itself, at most one of each kind a minute.
    let mut notes = OncePer::new(NOTE_REFUSALS_EVERY);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
                if matches!(
                    e.kind(),
                    ConnectionAborted | ConnectionRefused | ConnectionReset
                ) {
                    continue;
                }
                // Out of file descriptors, say: wait before trying again.
                if notes.pass("accept", Utc::now()).is_some() {
                    span.in_scope(|| {
                        tracing::warn!("webhook listener cannot accept connections: {e}")
                    });
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            if let Some(n) = notes.pass("full", Utc::now()) {
                span.in_scope(|| {
                    tracing::warn!(
                        "webhook listener has {} connections open: closed {n} more",
                        limits.max_connections
                    )
                });
            }
            drop(stream);
            continue;
        };
        let service = TowerToHyperService::new(router.clone());
        let header_timeout = limits.header_timeout;
        let connection = async move {
            let _permit = permit;
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            if let Err(e) = http.serve_connection(TokioIo::new(stream), service).await {
                tracing::debug!("webhook connection ended: {e}");
            }
        };
        tokio::spawn(connection.instrument(span.clone()));
    }
}
