//! A fake authorization server plus the one profile endpoint the connect flow
//! reads, in each platform's dialect: consent redirect, PKCE (base64url, or
//! TikTok's hex), code lifetime, refresh with or without rotation, RFC 7009
//! revocation, and the platform's own error bodies.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// How one platform's OAuth server behaves and answers.
pub struct Dialect {
    pub client_id: &'static str,
    /// Required at the token endpoint when set.
    pub client_secret: Option<&'static str>,
    /// `client_id`, or TikTok's `client_key`.
    pub client_param: &'static str,
    pub hex_challenge: bool,
    pub authorize_path: &'static str,
    pub token_path: &'static str,
    pub revoke_path: &'static str,
    pub profile_path: &'static str,
    pub rotates_refresh_tokens: bool,
    /// The revoke endpoint authenticates the client (Google's does not).
    pub revoke_needs_client: bool,
    pub access_lifetime_secs: u64,
    /// Status, `error` and `error_description` for a bad, expired or reused code.
    pub bad_code: (StatusCode, &'static str, &'static str),
    /// ... for a PKCE verifier that does not match.
    pub bad_verifier: (StatusCode, &'static str, &'static str),
    /// ... for a refresh token that was rotated out or revoked.
    pub bad_refresh: (StatusCode, &'static str, &'static str),
    /// The user's id, handle and display name.
    pub user: (&'static str, &'static str, &'static str),
    profile: fn(&Dialect) -> Value,
    unauthorized: fn() -> Value,
    extra_token_fields: fn(&Dialect) -> Value,
}

pub const X: Dialect = Dialect {
    client_id: "fake-x-client",
    client_secret: None,
    client_param: "client_id",
    hex_challenge: false,
    authorize_path: "/i/oauth2/authorize",
    token_path: "/2/oauth2/token",
    revoke_path: "/2/oauth2/revoke",
    profile_path: "/2/users/me",
    rotates_refresh_tokens: true,
    revoke_needs_client: true,
    access_lifetime_secs: 7200,
    bad_code: (
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "Value passed for the authorization code was invalid.",
    ),
    bad_verifier: (
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "Value passed for the authorization code was invalid.",
    ),
    bad_refresh: (
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "Value passed for the token was invalid.",
    ),
    user: ("2244994945", "XDevelopers", "X Dev"),
    profile: |d| json!({ "data": { "id": d.user.0, "name": d.user.2, "username": d.user.1 } }),
    unauthorized: || json!({ "title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized" }),
    extra_token_fields: |_| json!({}),
};

pub const YOUTUBE: Dialect = Dialect {
    client_id: "fake-google-client.apps.googleusercontent.com",
    client_secret: Some("fake-google-desktop-secret"),
    client_param: "client_id",
    hex_challenge: false,
    authorize_path: "/o/oauth2/v2/auth",
    token_path: "/token",
    revoke_path: "/revoke",
    profile_path: "/youtube/v3/channels",
    rotates_refresh_tokens: false,
    revoke_needs_client: false,
    access_lifetime_secs: 3599,
    bad_code: (StatusCode::BAD_REQUEST, "invalid_grant", "Bad Request"),
    bad_verifier: (StatusCode::BAD_REQUEST, "invalid_grant", "Bad Request"),
    bad_refresh: (
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "Token has been expired or revoked.",
    ),
    user: (
        "UC_x5XG1OV2P6uZZ5FSM9Ttw",
        "@googledevelopers",
        "Google for Developers",
    ),
    profile: |d| {
        json!({
            "kind": "youtube#channelListResponse",
            "items": [{ "kind": "youtube#channel", "id": d.user.0, "snippet": { "title": d.user.2, "customUrl": d.user.1 } }]
        })
    },
    unauthorized: || {
        json!({ "error": { "code": 401, "message": "Request had invalid authentication credentials.",
            "errors": [{ "message": "Invalid Credentials", "domain": "global", "reason": "authError" }],
            "status": "UNAUTHENTICATED" } })
    },
    extra_token_fields: |_| json!({}),
};

pub const TIKTOK: Dialect = Dialect {
    client_id: "fakeclientkey",
    client_secret: Some("fake-tiktok-secret"),
    client_param: "client_key",
    hex_challenge: true,
    authorize_path: "/v2/auth/authorize/",
    token_path: "/v2/oauth/token/",
    revoke_path: "/v2/oauth/revoke/",
    profile_path: "/v2/user/info/",
    rotates_refresh_tokens: true,
    revoke_needs_client: true,
    access_lifetime_secs: 86400,
    bad_code: (
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "Authorization code is expired.",
    ),
    bad_verifier: (
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "Code verifier or code challenge is invalid.",
    ),
    bad_refresh: (
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "Refresh token is invalid or expired.",
    ),
    user: ("723f24d7-e717-40f8-a2b6-cb8464cd23b4", "creator", "Creator"),
    profile: |d| {
        json!({ "data": { "user": { "open_id": d.user.0, "union_id": "u-1", "display_name": d.user.2, "username": d.user.1 } },
                "error": { "code": "ok", "message": "", "log_id": "20261126000000FAKE" } })
    },
    unauthorized: || {
        json!({ "data": {}, "error": { "code": "access_token_invalid",
            "message": "The access token is invalid or not found in the request.", "log_id": "20261126000000FAKE" } })
    },
    extra_token_fields: |d| json!({ "open_id": d.user.0, "refresh_expires_in": 31_536_000 }),
};

struct IssuedCode {
    challenge: String,
    redirect_uri: String,
    issued: Instant,
}

/// Knobs and records of the fake.
pub struct Behaviour {
    /// The user clicks "Cancel" on the consent page.
    pub deny: bool,
    /// How long a code stays valid.
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
    /// Send this as `expires_in` instead of the dialect's lifetime.
    pub expires_in_override: Option<Value>,
    /// Answer revocations with this status and a body that echoes the
    /// token it was sent (as a careless server might).
    pub revoke_fails_with: Option<StatusCode>,
    /// Every token handed out, so tests can look for them where they must not be.
    pub issued_tokens: Vec<String>,
    codes: HashMap<String, IssuedCode>,
    access_tokens: HashSet<String>,
    refresh_tokens: HashSet<String>,
    counter: u64,
}

struct Fake {
    dialect: &'static Dialect,
    behaviour: Mutex<Behaviour>,
}

/// A running fake.
#[derive(Clone)]
pub struct FakeOAuth {
    pub base: String,
    pub dialect: &'static Dialect,
    fake: Arc<Fake>,
}

impl FakeOAuth {
    pub async fn start(dialect: &'static Dialect) -> FakeOAuth {
        let fake = Arc::new(Fake {
            dialect,
            behaviour: Mutex::new(Behaviour {
                deny: false,
                code_lifetime: Duration::from_secs(30),
                omit_refresh_token: false,
                token_requests: 0,
                fail_next: Vec::new(),
                delay: Duration::ZERO,
                stale_refresh_uses: 0,
                revoked: Vec::new(),
                revoke_fails_with: None,
                expires_in_override: None,
                issued_tokens: Vec::new(),
                codes: HashMap::new(),
                access_tokens: HashSet::new(),
                refresh_tokens: HashSet::new(),
                counter: 0,
            }),
        });
        let router = Router::new()
            .route(dialect.authorize_path, get(authorize))
            .route(dialect.token_path, post(token))
            .route(dialect.revoke_path, post(revoke))
            .route(dialect.profile_path, get(profile))
            .with_state(fake.clone());
        FakeOAuth {
            base: super::serve(router).await,
            dialect,
            fake,
        }
    }

    pub async fn x() -> FakeOAuth {
        FakeOAuth::start(&X).await
    }

    pub async fn youtube() -> FakeOAuth {
        FakeOAuth::start(&YOUTUBE).await
    }

    pub async fn tiktok() -> FakeOAuth {
        FakeOAuth::start(&TIKTOK).await
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut Behaviour) -> T) -> T {
        f(&mut self.fake.behaviour.lock().expect("fake state"))
    }

    /// The user removes the app in the platform's settings.
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

type Shared = State<Arc<Fake>>;

fn oauth_error(d: (StatusCode, &str, &str)) -> Response {
    (
        d.0,
        Json(json!({ "error": d.1, "error_description": d.2, "log_id": "20261126000000FAKE" })),
    )
        .into_response()
}

async fn authorize(State(fake): Shared, Query(q): Query<HashMap<String, String>>) -> Response {
    let d = fake.dialect;
    let mut b = fake.behaviour.lock().expect("fake state");
    let param = |k: &str| q.get(k).cloned().unwrap_or_default();
    if param(d.client_param) != d.client_id
        || param("response_type") != "code"
        || param("redirect_uri").is_empty()
    {
        return (
            StatusCode::BAD_REQUEST,
            "Something went wrong: this app could not be found.",
        )
            .into_response();
    }
    if param("code_challenge_method") != "S256" || param("code_challenge").is_empty() {
        return (StatusCode::BAD_REQUEST, "PKCE is required").into_response();
    }
    let Ok(mut target) = url::Url::parse(&param("redirect_uri")) else {
        return (StatusCode::BAD_REQUEST, "redirect_uri is not a URL").into_response();
    };
    if b.deny {
        target
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("state", &param("state"));
        return Redirect::to(target.as_str()).into_response();
    }
    b.counter += 1;
    let code = format!("code-{}", b.counter);
    let issued = IssuedCode {
        challenge: param("code_challenge"),
        redirect_uri: param("redirect_uri"),
        issued: Instant::now(),
    };
    b.codes.insert(code.clone(), issued);
    target
        .query_pairs_mut()
        .append_pair("state", &param("state"))
        .append_pair("code", &code);
    Redirect::to(target.as_str()).into_response()
}

/// Client authentication: the id (and the secret, where the platform has
/// one) in the form, or HTTP Basic.
fn client_ok(d: &Dialect, headers: &HeaderMap, f: &HashMap<String, String>) -> bool {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    if let Some(pair) = basic {
        let (id, secret) = pair.split_once(':').unwrap_or((&pair, ""));
        return id == d.client_id && d.client_secret.is_none_or(|s| s == secret);
    }
    f.get(d.client_param).map(String::as_str) == Some(d.client_id)
        && d.client_secret
            .is_none_or(|s| f.get("client_secret").map(String::as_str) == Some(s))
}

fn challenge_of(d: &Dialect, verifier: &str) -> String {
    let digest = Sha256::digest(verifier.as_bytes());
    if d.hex_challenge {
        digest.iter().map(|b| format!("{b:02x}")).collect()
    } else {
        URL_SAFE_NO_PAD.encode(digest)
    }
}

async fn token(
    State(fake): Shared,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let d = fake.dialect;
    let delay = fake.behaviour.lock().expect("fake state").delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut b = fake.behaviour.lock().expect("fake state");
    b.token_requests += 1;
    if !b.fail_next.is_empty() {
        let (status, body) = b.fail_next.remove(0);
        return (status, body).into_response();
    }
    if !client_ok(d, &headers, &f) {
        return oauth_error((
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        ));
    }
    match f.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            // Codes are single-use whatever happens next.
            let Some(issued) = f.get("code").and_then(|c| b.codes.remove(c)) else {
                return oauth_error(d.bad_code);
            };
            if issued.issued.elapsed() > b.code_lifetime
                || f.get("redirect_uri") != Some(&issued.redirect_uri)
            {
                return oauth_error(d.bad_code);
            }
            if challenge_of(
                d,
                f.get("code_verifier")
                    .map(String::as_str)
                    .unwrap_or_default(),
            ) != issued.challenge
            {
                return oauth_error(d.bad_verifier);
            }
            issue_tokens(d, &mut b, true)
        }
        Some("refresh_token") => {
            let refresh = f.get("refresh_token").cloned().unwrap_or_default();
            if !b.refresh_tokens.contains(&refresh) {
                b.stale_refresh_uses += 1;
                return oauth_error(d.bad_refresh);
            }
            if d.rotates_refresh_tokens {
                // Single-use: the old refresh token stops working once used.
                b.refresh_tokens.remove(&refresh);
            }
            issue_tokens(d, &mut b, d.rotates_refresh_tokens)
        }
        _ => oauth_error((
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Grant type is not supported",
        )),
    }
}

fn issue_tokens(d: &Dialect, b: &mut Behaviour, with_refresh: bool) -> Response {
    b.counter += 1;
    let access = format!("access-{}-{}", b.counter, "A".repeat(24));
    let refresh = format!("refresh-{}-{}", b.counter, "R".repeat(24));
    b.access_tokens.insert(access.clone());
    b.issued_tokens.push(access.clone());
    let mut body = json!({
        "token_type": "bearer",
        "expires_in": d.access_lifetime_secs,
        "access_token": access,
        "scope": "granted.scope",
    });
    if let (Value::Object(extra), Value::Object(map)) = ((d.extra_token_fields)(d), &mut body) {
        map.extend(extra);
    }
    if let Some(v) = &b.expires_in_override {
        body["expires_in"] = v.clone();
    }
    if with_refresh && !b.omit_refresh_token {
        b.issued_tokens.push(refresh.clone());
        b.refresh_tokens.insert(refresh.clone());
        body["refresh_token"] = json!(refresh);
    }
    Json(body).into_response()
}

async fn revoke(
    State(fake): Shared,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let d = fake.dialect;
    let mut b = fake.behaviour.lock().expect("fake state");
    if d.revoke_needs_client && !client_ok(d, &headers, &f) {
        return oauth_error((
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        ));
    }
    let Some(token) = f.get("token").or_else(|| q.get("token")).cloned() else {
        return oauth_error((
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter [token].",
        ));
    };
    if let Some(status) = b.revoke_fails_with {
        let body = json!({
            "error": "server_error",
            "error_description": format!("could not revoke {token}, try again"),
            "token": token,
        });
        return (status, Json(body)).into_response();
    }
    b.refresh_tokens.remove(&token);
    b.access_tokens.remove(&token);
    b.revoked.push(token);
    Json(json!({ "revoked": true })).into_response()
}

async fn profile(State(fake): Shared, headers: HeaderMap) -> Response {
    let d = fake.dialect;
    let b = fake.behaviour.lock().expect("fake state");
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !b.access_tokens.contains(token) {
        return (StatusCode::UNAUTHORIZED, Json((d.unauthorized)())).into_response();
    }
    Json((d.profile)(d)).into_response()
}
