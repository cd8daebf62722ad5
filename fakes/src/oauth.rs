//! A fake authorization server plus the one profile endpoint the connect flow
//! reads, in each platform's dialect: consent redirect, PKCE (base64url, or
//! TikTok's hex), code lifetime, refresh with or without rotation, RFC 7009
//! revocation, and the platform's own error bodies.

use std::collections::HashMap;
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
    /// Which redirect URIs the platform accepts.
    pub redirects: RedirectRule,
    /// How a confidential client must authenticate at the token and revoke
    /// endpoints.
    pub client_auth: ClientAuth,
    /// Every scope the platform knows, and how the authorize URL separates them.
    pub known_scopes: &'static [&'static str],
    pub scope_separator: &'static str,
    /// A refresh token is issued only when this scope was granted.
    pub refresh_scope: Option<&'static str>,
    /// What the profile endpoint requires of its query (fields, parts).
    profile_query: ProfileCheck,
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
    redirects: RedirectRule::Registered,
    client_auth: ClientAuth::BasicWhenConfidential,
    known_scopes: &[
        "tweet.read",
        "tweet.write",
        "tweet.moderate.write",
        "users.email",
        "users.read",
        "follows.read",
        "follows.write",
        "offline.access",
        "space.read",
        "mute.read",
        "mute.write",
        "like.read",
        "like.write",
        "list.read",
        "list.write",
        "block.read",
        "block.write",
        "bookmark.read",
        "bookmark.write",
        "dm.read",
        "dm.write",
        "media.write",
    ],
    scope_separator: " ",
    refresh_scope: Some("offline.access"),
    profile_query: |_, _| None,
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
    redirects: RedirectRule::AnyLoopbackPort,
    client_auth: ClientAuth::BodyOrBasic,
    known_scopes: &[
        "https://www.googleapis.com/auth/youtube",
        "https://www.googleapis.com/auth/youtube.force-ssl",
        "https://www.googleapis.com/auth/youtube.upload",
        "https://www.googleapis.com/auth/youtube.readonly",
        "https://www.googleapis.com/auth/yt-analytics.readonly",
        "https://www.googleapis.com/auth/yt-analytics-monetary.readonly",
        "openid",
        "email",
        "profile",
    ],
    scope_separator: " ",
    refresh_scope: None,
    profile_query: youtube_channels_query,
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
    redirects: RedirectRule::LocalhostWithPort,
    client_auth: ClientAuth::BodyOnly,
    known_scopes: &[
        "user.info.basic",
        "user.info.profile",
        "user.info.stats",
        "video.publish",
        "video.upload",
        "video.list",
    ],
    scope_separator: ",",
    refresh_scope: None,
    profile_query: tiktok_user_info_query,
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

/// Checks the profile request's query against the granted scopes; the
/// platform's refusal, if any.
type ProfileCheck = fn(&HashMap<String, String>, &[String]) -> Option<Response>;

/// Redirect URIs a platform accepts, per its reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectRule {
    /// Only URIs registered with the app, matched exactly (port included): X.
    Registered,
    /// Any port on a loopback IP, http (Google "Desktop app" clients).
    AnyLoopbackPort,
    /// http(s) on localhost or 127.0.0.1 with a port, no query or fragment
    /// (TikTok desktop; the port may be registered as `*`).
    LocalhostWithPort,
}

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// X: public clients send `client_id` in the body; confidential clients
    /// must use HTTP Basic (a secret in the body is refused).
    BasicWhenConfidential,
    /// Google: the secret in the body or HTTP Basic.
    BodyOrBasic,
    /// TikTok: `client_key` and `client_secret` in the body only.
    BodyOnly,
}

struct IssuedCode {
    challenge: String,
    redirect_uri: String,
    issued: Instant,
    scopes: Vec<String>,
    user: Option<User>,
}

/// A user's id, handle and display name.
pub type User = (String, String, String);

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
    /// Redirect URIs registered with the app (X matches them exactly).
    pub registered_redirects: Vec<String>,
    /// Requests the fake refused for breaking the platform's rules (the
    /// error it answered), so a test can say which rule an adapter broke.
    pub refusals: Vec<String>,
    /// Send this as `expires_in` instead of the dialect's lifetime.
    pub expires_in_override: Option<Value>,
    /// Answer revocations with this status and a body that echoes the
    /// token it was sent (as a careless server might).
    pub revoke_fails_with: Option<StatusCode>,
    /// Every token handed out, so tests can look for them where they must not be.
    pub issued_tokens: Vec<String>,
    /// Every authorization code, `state` and PKCE verifier that went by
    /// (also secrets while a sign-in is in progress).
    pub seen_codes: Vec<String>,
    pub seen_states: Vec<String>,
    pub seen_verifiers: Vec<String>,
    /// The next sign-ins are this user (else the dialect's own), so one
    /// fake can hold several accounts.
    pub sign_in_as: Option<User>,
    /// Who each token belongs to, when not the dialect's user.
    users: HashMap<String, User>,
    codes: HashMap<String, IssuedCode>,
    /// Live tokens with the scopes granted to them.
    access_tokens: HashMap<String, Vec<String>>,
    refresh_tokens: HashMap<String, Vec<String>>,
    counter: u64,
}

struct Fake {
    dialect: &'static Dialect,
    behaviour: Mutex<Behaviour>,
}

/// What the tests' apps register by default (the ports the suites use, and
/// Reachloop's default X port).
const DEFAULT_REGISTERED: &[&str] = &[
    "http://127.0.0.1:53682/oauth/x/callback",
    "http://127.0.0.1:53690/oauth/x/callback",
    "http://127.0.0.1:47613/oauth/x/callback",
];

/// A running fake.
#[derive(Clone)]
pub struct FakeOAuth {
    pub base: String,
    pub dialect: &'static Dialect,
    fake: Arc<Fake>,
}

impl FakeOAuth {
    pub async fn start(dialect: &'static Dialect) -> FakeOAuth {
        FakeOAuth::start_with(dialect, |_| Router::new()).await
    }

    /// [`FakeOAuth::start`] with more of the platform's API on the same
    /// server: `more` gets a handle to check the tokens this fake issued.
    pub async fn start_with(
        dialect: &'static Dialect,
        more: impl FnOnce(FakeOAuth) -> Router,
    ) -> FakeOAuth {
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
                registered_redirects: DEFAULT_REGISTERED.iter().map(|u| u.to_string()).collect(),
                refusals: Vec::new(),
                issued_tokens: Vec::new(),
                seen_codes: Vec::new(),
                seen_states: Vec::new(),
                seen_verifiers: Vec::new(),
                sign_in_as: None,
                users: HashMap::new(),
                codes: HashMap::new(),
                access_tokens: HashMap::new(),
                refresh_tokens: HashMap::new(),
                counter: 0,
            }),
        });
        let router = Router::new()
            .route(dialect.authorize_path, get(authorize))
            .route(dialect.token_path, post(token))
            .route(dialect.revoke_path, post(revoke))
            .route(dialect.profile_path, get(profile))
            .with_state(fake.clone())
            .merge(more(FakeOAuth {
                base: String::new(),
                dialect,
                fake: fake.clone(),
            }));
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

    /// Registers one more callback URL with the app (X: exact match).
    pub fn register_redirect(&self, uri: &str) {
        self.with(|b| b.registered_redirects.push(uri.to_string()));
    }

    /// The user removes the app in the platform's settings.
    pub fn revoke_all(&self) {
        self.with(|b| {
            b.refresh_tokens.clear();
            b.access_tokens.clear();
        });
    }

    /// The user a live access token belongs to, with its scopes.
    pub fn grant_of(&self, access: &str) -> Option<(String, Vec<String>)> {
        let d = self.dialect;
        self.with(|b| {
            let scopes = b.access_tokens.get(access)?.clone();
            let user = b
                .users
                .get(access)
                .map(|u| u.0.clone())
                .unwrap_or_else(|| d.user.0.to_string());
            Some((user, scopes))
        })
    }

    /// A live access token with `scopes` for the dialect's user, without a
    /// sign-in (tests of the platform API itself).
    pub fn issue_for_test(&self, scopes: &[&str]) -> String {
        self.with(|b| {
            b.counter += 1;
            let token = format!("access-test-{}-{}", b.counter, "T".repeat(24));
            b.access_tokens.insert(
                token.clone(),
                scopes.iter().map(|s| s.to_string()).collect(),
            );
            token
        })
    }

    /// Whether `refresh` would still be accepted.
    pub fn refresh_token_valid(&self, refresh: &str) -> bool {
        self.with(|b| b.refresh_tokens.contains_key(refresh))
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

/// Whether `uri` is one the platform accepts as a redirect.
fn redirect_allowed(d: &Dialect, b: &Behaviour, uri: &str) -> Result<(), &'static str> {
    let Ok(url) = url::Url::parse(uri) else {
        return Err("redirect_uri is not a URL");
    };
    match d.redirects {
        RedirectRule::Registered => {
            if b.registered_redirects.iter().any(|r| r == uri) {
                Ok(())
            } else {
                Err("Callback URL not approved for this client application.")
            }
        }
        RedirectRule::AnyLoopbackPort => {
            let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
            if url.scheme() == "http" && loopback && url.port().is_some() {
                Ok(())
            } else {
                Err("redirect_uri_mismatch: desktop clients use a loopback IP redirect")
            }
        }
        RedirectRule::LocalhostWithPort => {
            let local = matches!(url.host_str(), Some("127.0.0.1" | "localhost"));
            let scheme = matches!(url.scheme(), "http" | "https");
            if local
                && scheme
                && url.port().is_some()
                && url.query().is_none()
                && url.fragment().is_none()
            {
                Ok(())
            } else {
                Err("redirect_uri is not registered for this desktop app")
            }
        }
    }
}

async fn authorize(State(fake): Shared, Query(q): Query<HashMap<String, String>>) -> Response {
    let d = fake.dialect;
    let mut b = fake.behaviour.lock().expect("fake state");
    let param = |k: &str| q.get(k).cloned().unwrap_or_default();
    if param(d.client_param) != d.client_id
        || param("response_type") != "code"
        || param("redirect_uri").is_empty()
    {
        b.refusals
            .push("unknown client or missing parameters".into());
        return (
            StatusCode::BAD_REQUEST,
            "Something went wrong: this app could not be found.",
        )
            .into_response();
    }
    if let Err(why) = redirect_allowed(d, &b, &param("redirect_uri")) {
        // The consent page refuses to send the browser anywhere unregistered.
        b.refusals.push(why.into());
        return (StatusCode::BAD_REQUEST, why).into_response();
    }
    let method = param("code_challenge_method");
    let methods: &[&str] = if d.hex_challenge {
        &["S256"]
    } else {
        &["S256", "plain"]
    };
    if !methods.contains(&method.as_str()) || param("code_challenge").is_empty() {
        b.refusals.push("PKCE is required".into());
        return (StatusCode::BAD_REQUEST, "PKCE is required").into_response();
    }
    let Ok(mut target) = url::Url::parse(&param("redirect_uri")) else {
        return (StatusCode::BAD_REQUEST, "redirect_uri is not a URL").into_response();
    };
    let scopes: Vec<String> = param("scope")
        .split(d.scope_separator)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let unknown: Vec<&String> = scopes
        .iter()
        .filter(|s| !d.known_scopes.contains(&s.as_str()))
        .collect();
    if scopes.is_empty() || !unknown.is_empty() {
        b.refusals.push(format!("invalid_scope: {unknown:?}"));
        target
            .query_pairs_mut()
            .append_pair("error", "invalid_scope")
            .append_pair("state", &param("state"));
        return Redirect::to(target.as_str()).into_response();
    }
    if b.deny {
        target
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("state", &param("state"));
        return Redirect::to(target.as_str()).into_response();
    }
    b.counter += 1;
    let code = format!("code-{}-{}", b.counter, "C".repeat(16));
    b.seen_codes.push(code.clone());
    b.seen_states.push(param("state"));
    let challenge = param("code_challenge");
    let issued = IssuedCode {
        // A plain challenge is the verifier itself; compare as S256 would.
        challenge: if method == "plain" {
            format!("plain:{challenge}")
        } else {
            challenge
        },
        redirect_uri: param("redirect_uri"),
        issued: Instant::now(),
        scopes,
        user: b.sign_in_as.clone(),
    };
    b.codes.insert(code.clone(), issued);
    target
        .query_pairs_mut()
        .append_pair("state", &param("state"))
        .append_pair("code", &code);
    Redirect::to(target.as_str()).into_response()
}

/// Client authentication the platform's way (see [`ClientAuth`]); the error
/// to answer when it fails.
fn client_auth(
    d: &Dialect,
    headers: &HeaderMap,
    f: &HashMap<String, String>,
) -> Result<(), (StatusCode, &'static str, &'static str)> {
    let invalid = (
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "Client authentication failed.",
    );
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let basic_ok = |pair: &str| {
        let (id, secret) = pair.split_once(':').unwrap_or((pair, ""));
        id == d.client_id && d.client_secret.is_some_and(|s| s == secret)
    };
    let body_id = f.get(d.client_param).map(String::as_str) == Some(d.client_id);
    let body_secret = |s: &str| f.get("client_secret").map(String::as_str) == Some(s);
    match (d.client_auth, d.client_secret) {
        (ClientAuth::BasicWhenConfidential, Some(_)) => match basic {
            Some(pair) if basic_ok(&pair) => Ok(()),
            Some(_) => Err(invalid),
            None => Err((
                StatusCode::UNAUTHORIZED,
                "unauthorized_client",
                "Missing valid authorization header",
            )),
        },
        // A public client has no secret to send: its id goes in the body.
        (ClientAuth::BasicWhenConfidential, None) => {
            if basic.is_none() && body_id && !f.contains_key("client_secret") {
                Ok(())
            } else {
                Err(invalid)
            }
        }
        (ClientAuth::BodyOrBasic, secret) => match basic {
            Some(pair) if basic_ok(&pair) => Ok(()),
            Some(_) => Err(invalid),
            None if body_id && secret.is_none_or(body_secret) => Ok(()),
            None => Err(invalid),
        },
        (ClientAuth::BodyOnly, secret) => {
            if basic.is_none() && body_id && secret.is_none_or(body_secret) {
                Ok(())
            } else {
                Err(invalid)
            }
        }
    }
}

fn challenge_of(d: &Dialect, verifier: &str, stored: &str) -> bool {
    if let Some(plain) = stored.strip_prefix("plain:") {
        return plain == verifier;
    }
    let digest = Sha256::digest(verifier.as_bytes());
    let computed = if d.hex_challenge {
        digest.iter().map(|b| format!("{b:02x}")).collect()
    } else {
        URL_SAFE_NO_PAD.encode(digest)
    };
    computed == stored
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
    if let Err(e) = client_auth(d, &headers, &f) {
        b.refusals.push(format!("{}: {}", e.1, e.2));
        return oauth_error(e);
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
            let verifier = f
                .get("code_verifier")
                .map(String::as_str)
                .unwrap_or_default();
            b.seen_verifiers.push(verifier.to_string());
            if !challenge_of(d, verifier, &issued.challenge) {
                return oauth_error(d.bad_verifier);
            }
            // X issues a refresh token only with `offline.access`.
            let with_refresh = d
                .refresh_scope
                .is_none_or(|s| issued.scopes.iter().any(|g| g == s));
            issue_tokens(d, &mut b, with_refresh, issued.scopes, issued.user)
        }
        Some("refresh_token") => {
            let refresh = f.get("refresh_token").cloned().unwrap_or_default();
            let Some(scopes) = b.refresh_tokens.get(&refresh).cloned() else {
                b.stale_refresh_uses += 1;
                return oauth_error(d.bad_refresh);
            };
            if d.rotates_refresh_tokens {
                // Single-use: the old refresh token stops working once used.
                b.refresh_tokens.remove(&refresh);
            }
            let user = b.users.get(&refresh).cloned();
            issue_tokens(d, &mut b, d.rotates_refresh_tokens, scopes, user)
        }
        _ => oauth_error((
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Grant type is not supported",
        )),
    }
}

fn issue_tokens(
    d: &Dialect,
    b: &mut Behaviour,
    with_refresh: bool,
    scopes: Vec<String>,
    user: Option<User>,
) -> Response {
    b.counter += 1;
    let access = format!("access-{}-{}", b.counter, "A".repeat(24));
    let refresh = format!("refresh-{}-{}", b.counter, "R".repeat(24));
    b.access_tokens.insert(access.clone(), scopes.clone());
    if let Some(u) = &user {
        b.users.insert(access.clone(), u.clone());
        b.users.insert(refresh.clone(), u.clone());
    }
    b.issued_tokens.push(access.clone());
    let mut body = json!({
        "token_type": "bearer",
        "expires_in": d.access_lifetime_secs,
        "access_token": access,
        "scope": scopes.join(d.scope_separator),
    });
    if let (Value::Object(extra), Value::Object(map)) = ((d.extra_token_fields)(d), &mut body) {
        map.extend(extra);
    }
    if let Some(v) = &b.expires_in_override {
        body["expires_in"] = v.clone();
    }
    if with_refresh && !b.omit_refresh_token {
        b.issued_tokens.push(refresh.clone());
        b.refresh_tokens.insert(refresh.clone(), scopes);
        body["refresh_token"] = json!(refresh);
    }
    Json(body).into_response()
}

/// `channels.list` needs `part` and one filter; the app asks for its own.
fn youtube_channels_query(q: &HashMap<String, String>, _scopes: &[String]) -> Option<Response> {
    let google = |reason: &str, message: &str, location: &str| {
        (
            StatusCode::BAD_REQUEST,
            Json(
                json!({ "error": { "code": 400, "message": message, "errors": [{
                "message": message, "domain": "youtube.parameter", "reason": reason,
                "location": location, "locationType": "parameter" }] } }),
            ),
        )
            .into_response()
    };
    let parts: Vec<&str> = q
        .get("part")
        .map(|p| p.split(',').collect())
        .unwrap_or_default();
    if parts.is_empty() {
        return Some(google("required", "Required parameter: part", "part"));
    }
    const KNOWN: &[&str] = &[
        "id",
        "snippet",
        "contentDetails",
        "statistics",
        "status",
        "brandingSettings",
        "topicDetails",
        "localizations",
        "auditDetails",
        "contentOwnerDetails",
    ];
    if let Some(bad) = parts.iter().find(|p| !KNOWN.contains(p)) {
        return Some(google("unknownPart", &format!("'{bad}'"), "part"));
    }
    if q.get("mine").map(String::as_str) != Some("true") && !q.contains_key("id") {
        return Some(google(
            "missingRequiredParameter",
            "No filter selected. Expected one of: forUsername, managedByMe, id, mine, mySubscribers, categoryId, forHandle",
            "",
        ));
    }
    None
}

/// The scope each `/v2/user/info/` field needs.
fn tiktok_field_scope(field: &str) -> Option<&'static str> {
    Some(match field {
        "open_id" | "union_id" | "avatar_url" | "avatar_url_100" | "avatar_large_url"
        | "display_name" => "user.info.basic",
        "bio_description" | "profile_deep_link" | "is_verified" | "username" => "user.info.profile",
        "follower_count" | "following_count" | "likes_count" | "video_count" => "user.info.stats",
        _ => return None,
    })
}

/// `fields` is required; each must be known and covered by a granted scope.
fn tiktok_user_info_query(q: &HashMap<String, String>, scopes: &[String]) -> Option<Response> {
    let error = |status: StatusCode, code: &str, message: &str| {
        (
            status,
            Json(json!({ "data": {}, "error": { "code": code, "message": message, "log_id": "20261126000000FAKE" } })),
        )
            .into_response()
    };
    let fields: Vec<&str> = q
        .get("fields")
        .map(|f| f.split(',').filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if fields.is_empty() {
        return Some(error(
            StatusCode::BAD_REQUEST,
            "invalid_params",
            "fields is required",
        ));
    }
    for field in fields {
        match tiktok_field_scope(field) {
            None => {
                return Some(error(
                    StatusCode::BAD_REQUEST,
                    "invalid_params",
                    &format!("Invalid field: {field}"),
                ))
            }
            Some(scope) if !scopes.iter().any(|s| s == scope) => {
                return Some(error(
                    StatusCode::UNAUTHORIZED,
                    "scope_not_authorized",
                    "The user did not authorize the scope required for completing this request.",
                ))
            }
            Some(_) => {}
        }
    }
    None
}

async fn revoke(
    State(fake): Shared,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let d = fake.dialect;
    let mut b = fake.behaviour.lock().expect("fake state");
    if d.revoke_needs_client {
        if let Err(e) = client_auth(d, &headers, &f) {
            b.refusals.push(format!("{}: {}", e.1, e.2));
            return oauth_error(e);
        }
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

async fn profile(
    State(fake): Shared,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let d = fake.dialect;
    let mut b = fake.behaviour.lock().expect("fake state");
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or_default();
    let Some(scopes) = b.access_tokens.get(token).cloned() else {
        return (StatusCode::UNAUTHORIZED, Json((d.unauthorized)())).into_response();
    };
    if let Some(refused) = (d.profile_query)(&q, &scopes) {
        b.refusals.push(format!("profile query {q:?} refused"));
        return refused;
    }
    let mut body = (d.profile)(d);
    if let (Some(u), Some(data)) = (b.users.get(token), body["data"].as_object_mut()) {
        if data.contains_key("username") {
            data.insert("id".into(), json!(u.0));
            data.insert("username".into(), json!(u.1));
            data.insert("name".into(), json!(u.2));
        }
    }
    // TikTok answers only the fields asked for.
    if let (Some(fields), Some(user)) = (q.get("fields"), body["data"]["user"].as_object_mut()) {
        let wanted: Vec<&str> = fields.split(',').collect();
        user.retain(|k, _| wanted.contains(&k.as_str()));
    }
    Json(body).into_response()
}
