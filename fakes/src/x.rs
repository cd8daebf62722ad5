//! A fake X authorization server and the bits of API v2 the OAuth flow
//! touches: consent redirect, token exchange with PKCE and a 30 s code
//! lifetime, and `GET /2/users/me`. Error bodies are X's.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "fake-x-client";
pub const USER_ID: &str = "2244994945";
pub const USERNAME: &str = "XDevelopers";
pub const NAME: &str = "X Dev";

struct IssuedCode {
    challenge: String,
    redirect_uri: String,
    issued: Instant,
}

/// Knobs and records of the fake.
pub struct Behaviour {
    /// The user clicks "Cancel" on the consent page.
    pub deny: bool,
    /// How long a code stays valid (X: 30 s).
    pub code_lifetime: Duration,
    /// Leave `refresh_token` out of token responses.
    pub omit_refresh_token: bool,
    /// How many requests reached the token endpoint.
    pub token_requests: usize,
    /// Answer the next token requests with this status and body.
    pub fail_next: Vec<(StatusCode, &'static str)>,
    /// Hold token requests this long before answering.
    pub delay: Duration,
    /// Refresh requests that used a token that was already rotated or revoked.
    pub stale_refresh_uses: usize,
    /// Tokens revoked through the revoke endpoint.
    pub revoked: Vec<String>,
    codes: HashMap<String, IssuedCode>,
    access_tokens: HashSet<String>,
    refresh_tokens: HashSet<String>,
    /// Every token handed out, so tests can look for them where they must not be.
    pub issued_tokens: Vec<String>,
    counter: u64,
}

#[derive(Clone)]
pub struct FakeX {
    pub base: String,
    pub behaviour: Arc<Mutex<Behaviour>>,
}

impl FakeX {
    pub async fn start() -> FakeX {
        let behaviour = Arc::new(Mutex::new(Behaviour {
            deny: false,
            code_lifetime: Duration::from_secs(30),
            omit_refresh_token: false,
            token_requests: 0,
            fail_next: Vec::new(),
            delay: Duration::ZERO,
            stale_refresh_uses: 0,
            revoked: Vec::new(),
            codes: HashMap::new(),
            access_tokens: HashSet::new(),
            refresh_tokens: HashSet::new(),
            issued_tokens: Vec::new(),
            counter: 0,
        }));
        let router = Router::new()
            .route("/i/oauth2/authorize", get(authorize))
            .route("/2/oauth2/token", post(token))
            .route("/2/oauth2/revoke", post(revoke))
            .route("/2/users/me", get(me))
            .with_state(behaviour.clone());
        FakeX {
            base: super::serve(router).await,
            behaviour,
        }
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut Behaviour) -> T) -> T {
        f(&mut self.behaviour.lock().expect("fake state"))
    }

    /// The user removes the app at x.com/settings/connected_apps.
    pub fn revoke_all(&self) {
        self.with(|b| {
            b.refresh_tokens.clear();
            b.access_tokens.clear();
        });
    }

    /// Whether `refresh` would still be accepted.
    pub fn refresh_token_valid(&self, refresh: &str) -> bool {
        self.with(|b| b.refresh_tokens.contains(refresh))
    }
}

type Shared = State<Arc<Mutex<Behaviour>>>;

async fn authorize(State(b): Shared, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut b = b.lock().expect("fake state");
    let param = |k: &str| q.get(k).cloned().unwrap_or_default();
    if param("client_id") != CLIENT_ID
        || param("response_type") != "code"
        || param("redirect_uri").is_empty()
    {
        return (
            StatusCode::BAD_REQUEST,
            "Something went wrong. You weren't able to give access to the App.",
        )
            .into_response();
    }
    if param("code_challenge_method") != "S256" || param("code_challenge").is_empty() {
        return (StatusCode::BAD_REQUEST, "PKCE is required").into_response();
    }
    let mut target = url::Url::parse(&param("redirect_uri")).expect("redirect uri");
    if b.deny {
        target
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("state", &param("state"));
        return Redirect::to(target.as_str()).into_response();
    }
    b.counter += 1;
    let code = format!("code-{}", b.counter);
    b.codes.insert(
        code.clone(),
        IssuedCode {
            challenge: param("code_challenge"),
            redirect_uri: param("redirect_uri"),
            issued: Instant::now(),
        },
    );
    target
        .query_pairs_mut()
        .append_pair("state", &param("state"))
        .append_pair("code", &code);
    Redirect::to(target.as_str()).into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

async fn token(
    State(shared): Shared,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let delay = shared.lock().expect("fake state").delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut b = shared.lock().expect("fake state");
    b.token_requests += 1;
    if !b.fail_next.is_empty() {
        let (status, body) = b.fail_next.remove(0);
        return (status, body).into_response();
    }
    let client_ok = f.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        || headers
            .get(header::AUTHORIZATION)
            .is_some_and(|h| h.to_str().is_ok_and(|v| v.starts_with("Basic ")));
    if !client_ok {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized_client",
            "Missing valid authorization header",
        );
    }
    match f.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let bad_code = || {
                oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Value passed for the authorization code was invalid.",
                )
            };
            // Codes are single-use whatever happens next.
            let Some(issued) = f.get("code").and_then(|c| b.codes.remove(c)) else {
                return bad_code();
            };
            if issued.issued.elapsed() > b.code_lifetime {
                return bad_code();
            }
            if f.get("redirect_uri") != Some(&issued.redirect_uri) {
                return bad_code();
            }
            let verifier = f.get("code_verifier").cloned().unwrap_or_default();
            if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != issued.challenge {
                return bad_code();
            }
            issue_tokens(&mut b)
        }
        Some("refresh_token") => {
            let refresh = f.get("refresh_token").cloned().unwrap_or_default();
            // Single-use: the old refresh token stops working once used.
            if !b.refresh_tokens.remove(&refresh) {
                b.stale_refresh_uses += 1;
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Value passed for the token was invalid.",
                );
            }
            issue_tokens(&mut b)
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Grant type is not supported",
        ),
    }
}

fn issue_tokens(b: &mut Behaviour) -> Response {
    b.counter += 1;
    let access = format!("x-access-{}-{}", b.counter, "A".repeat(24));
    let refresh = format!("x-refresh-{}-{}", b.counter, "R".repeat(24));
    b.access_tokens.insert(access.clone());
    b.issued_tokens.push(access.clone());
    let mut body = json!({
        "token_type": "bearer",
        "expires_in": 7200,
        "access_token": access,
        "scope": "tweet.write users.read tweet.read offline.access media.write",
    });
    if !b.omit_refresh_token {
        b.issued_tokens.push(refresh.clone());
        b.refresh_tokens.insert(refresh.clone());
        body["refresh_token"] = json!(refresh);
    }
    Json(body).into_response()
}

async fn revoke(State(b): Shared, Form(f): Form<HashMap<String, String>>) -> Response {
    let mut b = b.lock().expect("fake state");
    if f.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized_client",
            "Missing valid authorization header",
        );
    }
    let Some(token) = f.get("token").cloned() else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter [token].",
        );
    };
    b.refresh_tokens.remove(&token);
    b.access_tokens.remove(&token);
    b.revoked.push(token);
    Json(json!({ "revoked": true })).into_response()
}

async fn me(State(b): Shared, headers: HeaderMap) -> Response {
    let b = b.lock().expect("fake state");
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !b.access_tokens.contains(token) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "application/problem+json")],
            json!({ "title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized" })
                .to_string(),
        )
            .into_response();
    }
    Json(json!({ "data": { "id": USER_ID, "name": NAME, "username": USERNAME } })).into_response()
}
