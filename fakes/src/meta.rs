//! Fake Meta servers: Facebook Login (manual flow) with the Graph API calls
//! the connect flow makes, and Business Login for Instagram. Both answer
//! errors in Meta's envelopes (`reference/platforms/facebook.md` §4,
//! `fixtures/meta-docs-examples.json`) and accept any `vNN.N` version prefix.

// Helpers return the finished error response as `Err`; a fake does not care
// how large that is.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const FACEBOOK_APP_ID: &str = "1234567890";
pub const FACEBOOK_APP_SECRET: &str = "fake-facebook-app-secret";
pub const INSTAGRAM_APP_ID: &str = "990011223344";
pub const INSTAGRAM_APP_SECRET: &str = "fake-instagram-app-secret";

/// A Page the fake user manages.
#[derive(Debug, Clone)]
pub struct FakePage {
    pub id: &'static str,
    pub name: &'static str,
    pub tasks: &'static [&'static str],
    /// The linked Instagram professional account: (id, username).
    pub instagram: Option<(&'static str, &'static str)>,
}

pub const PAGES: [FakePage; 3] = [
    FakePage {
        id: "101",
        name: "Bakery Bros",
        tasks: &[
            "ANALYZE",
            "ADVERTISE",
            "MODERATE",
            "CREATE_CONTENT",
            "MANAGE",
        ],
        instagram: Some(("17841400000000001", "bakerybros")),
    },
    FakePage {
        id: "102",
        name: "Bike Club",
        tasks: &["ANALYZE", "CREATE_CONTENT"],
        instagram: None,
    },
    FakePage {
        id: "103",
        name: "Read Only Fan Page",
        tasks: &["ANALYZE"],
        instagram: None,
    },
];

pub const FACEBOOK_USER: (&str, &str) = ("5550001", "Dana Baker");
pub const INSTAGRAM_USER: (&str, &str, &str) = ("17841400000000999", "dana.creates", "Dana");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Facebook,
    Instagram,
}

struct Code {
    redirect_uri: String,
    challenge: Option<String>,
    issued: Instant,
}

#[derive(Debug, Clone)]
struct Token {
    kind: TokenKind,
    issued: Instant,
    lifetime: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    ShortUser,
    LongUser,
    Page,
}

/// Knobs and records of a fake Meta server.
pub struct Behaviour {
    pub deny: bool,
    pub code_lifetime: Duration,
    /// Instagram Login: answer the code exchange flat instead of the
    /// documented `{"data":[…]}` (both are seen in the wild).
    pub flat_exchange: bool,
    /// Instagram Login: how old a token must be before it can be refreshed.
    pub min_refresh_age: Duration,
    /// Answer the next token-endpoint requests with this status and body.
    pub fail_next: Vec<(StatusCode, &'static str)>,
    pub token_requests: usize,
    /// Token requests that carried a secret (client secret, code, token) in
    /// the URL's query string instead of a form body.
    pub secrets_in_query: usize,
    pub refresh_requests: usize,
    /// How many times the grant was revoked with `DELETE /me/permissions`.
    pub revocations: usize,
    /// Every token handed out.
    pub issued_tokens: Vec<String>,
    codes: HashMap<String, Code>,
    tokens: HashMap<String, Token>,
    counter: u64,
}

struct Fake {
    kind: Kind,
    behaviour: Mutex<Behaviour>,
}

/// A running fake Meta server.
#[derive(Clone)]
pub struct FakeMeta {
    pub base: String,
    pub kind: Kind,
    fake: Arc<Fake>,
}

impl FakeMeta {
    pub async fn facebook() -> FakeMeta {
        FakeMeta::start(Kind::Facebook).await
    }

    pub async fn instagram() -> FakeMeta {
        FakeMeta::start(Kind::Instagram).await
    }

    async fn start(kind: Kind) -> FakeMeta {
        let fake = Arc::new(Fake {
            kind,
            behaviour: Mutex::new(Behaviour {
                deny: false,
                code_lifetime: Duration::from_secs(30),
                flat_exchange: false,
                min_refresh_age: Duration::ZERO,
                fail_next: Vec::new(),
                token_requests: 0,
                secrets_in_query: 0,
                refresh_requests: 0,
                revocations: 0,
                issued_tokens: Vec::new(),
                codes: HashMap::new(),
                tokens: HashMap::new(),
                counter: 0,
            }),
        });
        let router = match kind {
            Kind::Facebook => Router::new()
                .route("/{version}/dialog/oauth", get(authorize))
                .route(
                    "/{version}/oauth/access_token",
                    get(fb_token_get).post(fb_token_post),
                )
                .route("/{version}/me", get(fb_me))
                .route("/{version}/me/accounts", get(fb_accounts))
                .route(
                    "/{version}/me/permissions",
                    axum::routing::delete(fb_revoke),
                ),
            Kind::Instagram => Router::new()
                .route("/oauth/authorize", get(authorize))
                .route("/oauth/access_token", post(ig_token))
                .route("/access_token", get(ig_exchange))
                .route("/refresh_access_token", get(ig_refresh))
                .route("/{version}/me", get(ig_me)),
        };
        FakeMeta {
            base: super::serve(router.with_state(fake.clone())).await,
            kind,
            fake,
        }
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut Behaviour) -> T) -> T {
        f(&mut self.fake.behaviour.lock().expect("fake state"))
    }

    pub fn client_id(&self) -> &'static str {
        match self.kind {
            Kind::Facebook => FACEBOOK_APP_ID,
            Kind::Instagram => INSTAGRAM_APP_ID,
        }
    }

    pub fn client_secret(&self) -> &'static str {
        match self.kind {
            Kind::Facebook => FACEBOOK_APP_SECRET,
            Kind::Instagram => INSTAGRAM_APP_SECRET,
        }
    }

    /// The user changes their password: every token stops working.
    pub fn invalidate_all(&self) {
        self.with(|b| b.tokens.clear());
    }

    /// Whether `token` is still accepted.
    pub fn token_valid(&self, token: &str) -> bool {
        self.with(|b| b.tokens.contains_key(token))
    }
}

type Shared = State<Arc<Fake>>;

fn graph_error(status: StatusCode, code: i64, subcode: Option<i64>, message: &str) -> Response {
    let mut error = json!({
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AmFGcW_3hwDB7qFbl_QdebZ",
    });
    if let Some(s) = subcode {
        error["error_subcode"] = json!(s);
    }
    let mut response = (status, Json(json!({ "error": error }))).into_response();
    response.headers_mut().insert(
        "www-authenticate",
        header::HeaderValue::from_static("OAuth \"Facebook Platform\" \"invalid_token\""),
    );
    response
}

fn invalid_token() -> Response {
    graph_error(
        StatusCode::BAD_REQUEST,
        190,
        None,
        "Invalid OAuth access token - Cannot parse access token",
    )
}

fn expired_token() -> Response {
    graph_error(
        StatusCode::BAD_REQUEST,
        190,
        Some(463),
        "Error validating access token: Session has expired on Thursday, 01-Jan-26 00:00:00 PST.",
    )
}

fn with_version(mut response: Response) -> Response {
    response.headers_mut().insert(
        "facebook-api-version",
        header::HeaderValue::from_static("v25.0"),
    );
    response
}

fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn authorize(State(fake): Shared, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut b = fake.behaviour.lock().expect("fake state");
    let param = |k: &str| q.get(k).cloned().unwrap_or_default();
    let app = match fake.kind {
        Kind::Facebook => FACEBOOK_APP_ID,
        Kind::Instagram => INSTAGRAM_APP_ID,
    };
    if param("client_id") != app || param("response_type") != "code" {
        return (StatusCode::BAD_REQUEST, "Invalid App ID").into_response();
    }
    let Ok(mut target) = url::Url::parse(&param("redirect_uri")) else {
        return (
            StatusCode::BAD_REQUEST,
            "URL Blocked: This redirect failed because the redirect URI is not whitelisted",
        )
            .into_response();
    };
    if b.deny {
        // Meta's documented denial parameters.
        target
            .query_pairs_mut()
            .append_pair("error_reason", "user_denied")
            .append_pair("error", "access_denied")
            .append_pair("error_description", "Permissions error.")
            .append_pair("state", &param("state"));
        return Redirect::to(target.as_str()).into_response();
    }
    b.counter += 1;
    let code = format!("AQ{}code{}", b.counter, "c".repeat(20));
    b.codes.insert(
        code.clone(),
        Code {
            redirect_uri: param("redirect_uri"),
            challenge: q.get("code_challenge").cloned(),
            issued: Instant::now(),
        },
    );
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &param("state"));
    let mut location = target.to_string();
    if fake.kind == Kind::Instagram {
        // Business Login for Instagram appends `#_` to the redirect.
        location.push_str("#_");
    }
    Redirect::to(&location).into_response()
}

/// Checks and consumes a code: `Err` is Meta's error response.
fn take_code(
    b: &mut Behaviour,
    code: Option<&String>,
    redirect_uri: Option<&String>,
    verifier: Option<&String>,
) -> Result<(), Response> {
    let bad = |sub: i64, msg: &str| graph_error(StatusCode::BAD_REQUEST, 100, Some(sub), msg);
    let Some(code) = code else {
        return Err(bad(36009, "This authorization code has been used."));
    };
    let Some(issued) = b.codes.remove(code) else {
        return Err(bad(36009, "This authorization code has been used."));
    };
    if issued.issued.elapsed() > b.code_lifetime {
        return Err(bad(36007, "This authorization code has expired."));
    }
    if redirect_uri != Some(&issued.redirect_uri) {
        return Err(graph_error(
            StatusCode::BAD_REQUEST,
            100,
            None,
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
        ));
    }
    if let Some(challenge) = issued.challenge {
        if verifier.map(|v| challenge_of(v)) != Some(challenge) {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                100,
                None,
                "Invalid code verifier.",
            ));
        }
    }
    Ok(())
}

fn mint(b: &mut Behaviour, kind: TokenKind, lifetime: Option<Duration>, prefix: &str) -> String {
    b.counter += 1;
    let token = format!("{prefix}{}{}", b.counter, "Z".repeat(30));
    b.tokens.insert(
        token.clone(),
        Token {
            kind,
            issued: Instant::now(),
            lifetime,
        },
    );
    b.issued_tokens.push(token.clone());
    token
}

fn live(b: &Behaviour, token: &str) -> Result<Token, Response> {
    let t = b.tokens.get(token).ok_or_else(invalid_token)?;
    if t.lifetime.is_some_and(|l| t.issued.elapsed() > l) {
        return Err(expired_token());
    }
    Ok(t.clone())
}

fn bearer(headers: &HeaderMap, q: &HashMap<String, String>) -> String {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("OAuth "))
        })
        .map(String::from)
        .or_else(|| q.get("access_token").cloned())
        .unwrap_or_default()
}

const SHORT_LIVED: Duration = Duration::from_secs(5400);
const LONG_LIVED_FB: u64 = 5_183_944;
const LONG_LIVED_IG: u64 = 5_184_000;

/// Meta's token endpoint takes its parameters in the query string (as
/// documented) or as a POST form body.
async fn fb_token_get(
    State(fake): Shared,
    Path(_version): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    fb_token(fake, q, true)
}

async fn fb_token_post(
    State(fake): Shared,
    Path(_version): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let mut params = f;
    let in_query = !q.is_empty();
    params.extend(q);
    fb_token(fake, params, in_query)
}

/// Parameters that carry a secret: in a URL they end up in proxy and
/// server logs.
const SECRET_PARAMS: &[&str] = &[
    "client_secret",
    "code",
    "code_verifier",
    "fb_exchange_token",
    "access_token",
];

fn fb_token(fake: Arc<Fake>, q: HashMap<String, String>, from_query: bool) -> Response {
    let mut b = fake.behaviour.lock().expect("fake state");
    b.token_requests += 1;
    if from_query && SECRET_PARAMS.iter().any(|p| q.contains_key(*p)) {
        b.secrets_in_query += 1;
    }
    if !b.fail_next.is_empty() {
        let (status, body) = b.fail_next.remove(0);
        return (status, body).into_response();
    }
    if q.get("client_id").map(String::as_str) != Some(FACEBOOK_APP_ID) {
        return graph_error(
            StatusCode::BAD_REQUEST,
            101,
            None,
            "Error validating application. Invalid application ID.",
        );
    }
    if q.get("client_secret").map(String::as_str) != Some(FACEBOOK_APP_SECRET) {
        return graph_error(
            StatusCode::BAD_REQUEST,
            1,
            None,
            "Error validating client secret.",
        );
    }
    let response = if q.get("grant_type").map(String::as_str) == Some("fb_exchange_token") {
        let short = q.get("fb_exchange_token").cloned().unwrap_or_default();
        if let Err(e) = live(&b, &short) {
            return e;
        }
        let token = mint(
            &mut b,
            TokenKind::LongUser,
            Some(Duration::from_secs(LONG_LIVED_FB)),
            "EAAL",
        );
        json!({ "access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_FB })
    } else {
        if let Err(e) = take_code(
            &mut b,
            q.get("code"),
            q.get("redirect_uri"),
            q.get("code_verifier"),
        ) {
            return e;
        }
        let token = mint(&mut b, TokenKind::ShortUser, Some(SHORT_LIVED), "EAAS");
        json!({ "access_token": token, "token_type": "bearer", "expires_in": SHORT_LIVED.as_secs() })
    };
    with_version(Json(response).into_response())
}

/// Graph answers only the fields asked for (`fields=a,b{c,d}`), its
/// defaults when none are; a field the node does not have is error #100.
fn graph_fields(
    q: &HashMap<String, String>,
    defaults: &[&str],
    node: &str,
    mut value: Value,
) -> Result<Value, Response> {
    let spec = q
        .get("fields")
        .cloned()
        .unwrap_or_else(|| defaults.join(","));
    let wanted = parse_fields(&spec);
    let Some(obj) = value.as_object_mut() else {
        return Ok(value);
    };
    for (name, _) in &wanted {
        if !obj.contains_key(name) && !OPTIONAL_FIELDS.contains(&name.as_str()) {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                100,
                None,
                &format!("(#100) Tried accessing nonexisting field ({name}) on node type ({node})"),
            ));
        }
    }
    obj.retain(|k, _| wanted.iter().any(|(n, _)| n == k));
    for (name, inner) in wanted {
        if let (Some(inner), Some(child)) =
            (inner, obj.get_mut(&name).and_then(Value::as_object_mut))
        {
            let sub = parse_fields(&inner);
            child.retain(|k, _| sub.iter().any(|(n, _)| n == k));
        }
    }
    Ok(value)
}

/// Fields a node may lack (a Page without a linked Instagram account).
const OPTIONAL_FIELDS: &[&str] = &["instagram_business_account"];

/// `a,b{c,d},e` → [(a, None), (b, Some("c,d")), (e, None)].
fn parse_fields(spec: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    let bytes: Vec<char> = spec.chars().collect();
    let mut push = |piece: &str| {
        let piece = piece.trim();
        if piece.is_empty() {
            return;
        }
        match piece.split_once('{') {
            Some((name, rest)) => out.push((
                name.trim().to_string(),
                Some(rest.trim_end_matches('}').to_string()),
            )),
            None => out.push((piece.to_string(), None)),
        }
    };
    for (i, c) in bytes.iter().enumerate() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                push(&bytes[start..i].iter().collect::<String>());
                start = i + 1;
            }
            _ => {}
        }
    }
    push(&bytes[start..].iter().collect::<String>());
    out
}

async fn fb_me(
    State(fake): Shared,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let b = fake.behaviour.lock().expect("fake state");
    match live(&b, &bearer(&headers, &q)) {
        Ok(t) if t.kind != TokenKind::Page => {
            let me = json!({ "id": FACEBOOK_USER.0, "name": FACEBOOK_USER.1, "email": "owner@example.com" });
            match graph_fields(&q, &["id", "name"], "User", me) {
                Ok(v) => with_version(Json(v).into_response()),
                Err(e) => e,
            }
        }
        Ok(_) => invalid_token(),
        Err(e) => e,
    }
}

async fn fb_accounts(
    State(fake): Shared,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut b = fake.behaviour.lock().expect("fake state");
    let user = match live(&b, &bearer(&headers, &q)) {
        Ok(t) if t.kind != TokenKind::Page => t,
        Ok(_) => return invalid_token(),
        Err(e) => return e,
    };
    // Page tokens from a long-lived user token do not expire; from a
    // short-lived one they live as long as it does.
    let lifetime = match user.kind {
        TokenKind::LongUser => None,
        _ => Some(SHORT_LIVED),
    };
    // Two Pages per response, so clients must follow the cursor.
    let start: usize = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let data: Vec<Value> = PAGES
        .iter()
        .skip(start)
        .take(2)
        .map(|p| {
            let token = mint(&mut b, TokenKind::Page, lifetime, "EAAP");
            let mut page = json!({
                "id": p.id, "name": p.name, "access_token": token,
                "category": "Bakery", "tasks": p.tasks,
            });
            if let Some((id, username)) = p.instagram {
                page["instagram_business_account"] = json!({ "id": id, "username": username });
            }
            page
        })
        .collect();
    let mut pages = Vec::new();
    for page in data {
        match graph_fields(
            &q,
            &["access_token", "category", "name", "id", "tasks"],
            "Page",
            page,
        ) {
            Ok(p) => pages.push(p),
            Err(e) => return e,
        }
    }
    let data = pages;
    let next = start + data.len();
    let mut body = json!({ "data": data, "paging": { "cursors": { "before": start.to_string(), "after": next.to_string() } } });
    if next < PAGES.len() {
        body["paging"]["next"] = json!(format!(
            "https://graph.facebook.com/v25.0/me/accounts?after={next}"
        ));
    }
    with_version(Json(body).into_response())
}

async fn fb_revoke(
    State(fake): Shared,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut b = fake.behaviour.lock().expect("fake state");
    match live(&b, &bearer(&headers, &q)) {
        Ok(t) if t.kind != TokenKind::Page => {
            // The whole grant goes: user and Page tokens alike.
            b.tokens.clear();
            b.revocations += 1;
            with_version(Json(json!({ "success": true })).into_response())
        }
        Ok(_) => invalid_token(),
        Err(e) => e,
    }
}

async fn ig_token(State(fake): Shared, Form(f): Form<HashMap<String, String>>) -> Response {
    let mut b = fake.behaviour.lock().expect("fake state");
    b.token_requests += 1;
    if !b.fail_next.is_empty() {
        let (status, body) = b.fail_next.remove(0);
        return (status, body).into_response();
    }
    // Instagram's token endpoint answers in its own flat error shape.
    let ig_error = |msg: &str| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error_type": "OAuthException", "code": 400, "error_message": msg })),
        )
            .into_response()
    };
    if f.get("client_id").map(String::as_str) != Some(INSTAGRAM_APP_ID)
        || f.get("client_secret").map(String::as_str) != Some(INSTAGRAM_APP_SECRET)
    {
        return ig_error("Invalid platform app");
    }
    if f.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return ig_error("Invalid grant_type");
    }
    if take_code(
        &mut b,
        f.get("code"),
        f.get("redirect_uri"),
        f.get("code_verifier"),
    )
    .is_err()
    {
        return ig_error("Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request");
    }
    let token = mint(
        &mut b,
        TokenKind::ShortUser,
        Some(Duration::from_secs(3600)),
        "IGAAS",
    );
    let permissions = "instagram_business_basic,instagram_business_content_publish";
    let body = if b.flat_exchange {
        json!({ "access_token": token, "user_id": INSTAGRAM_USER.0, "permissions": permissions.split(',').collect::<Vec<_>>() })
    } else {
        json!({ "data": [{ "access_token": token, "user_id": INSTAGRAM_USER.0, "permissions": permissions }] })
    };
    Json(body).into_response()
}

async fn ig_exchange(State(fake): Shared, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut b = fake.behaviour.lock().expect("fake state");
    if q.get("grant_type").map(String::as_str) != Some("ig_exchange_token") {
        return graph_error(StatusCode::BAD_REQUEST, 100, None, "Unsupported grant_type");
    }
    if q.get("client_secret").map(String::as_str) != Some(INSTAGRAM_APP_SECRET) {
        return graph_error(
            StatusCode::BAD_REQUEST,
            1,
            None,
            "Error validating client secret.",
        );
    }
    let short = q.get("access_token").cloned().unwrap_or_default();
    match live(&b, &short) {
        Ok(t) if t.kind == TokenKind::ShortUser => {}
        Ok(_) => return invalid_token(),
        Err(e) => return e,
    }
    let token = mint(
        &mut b,
        TokenKind::LongUser,
        Some(Duration::from_secs(LONG_LIVED_IG)),
        "IGAAL",
    );
    Json(json!({ "access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_IG }))
        .into_response()
}

async fn ig_refresh(State(fake): Shared, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut b = fake.behaviour.lock().expect("fake state");
    b.refresh_requests += 1;
    if !b.fail_next.is_empty() {
        let (status, body) = b.fail_next.remove(0);
        return (status, body).into_response();
    }
    if q.get("grant_type").map(String::as_str) != Some("ig_refresh_token") {
        return graph_error(StatusCode::BAD_REQUEST, 100, None, "Unsupported grant_type");
    }
    let old = q.get("access_token").cloned().unwrap_or_default();
    let t = match live(&b, &old) {
        Ok(t) if t.kind == TokenKind::LongUser => t,
        Ok(_) => return invalid_token(),
        Err(e) => return e,
    };
    if t.issued.elapsed() < b.min_refresh_age {
        return graph_error(
            StatusCode::BAD_REQUEST,
            100,
            None,
            "The access token must be at least 24 hours old to be refreshed.",
        );
    }
    let token = mint(
        &mut b,
        TokenKind::LongUser,
        Some(Duration::from_secs(LONG_LIVED_IG)),
        "IGAAL",
    );
    Json(json!({ "access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_IG }))
        .into_response()
}

async fn ig_me(
    State(fake): Shared,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let b = fake.behaviour.lock().expect("fake state");
    match live(&b, &bearer(&headers, &q)) {
        Ok(_) => {
            let me = json!({
                "user_id": INSTAGRAM_USER.0,
                "username": INSTAGRAM_USER.1,
                "name": INSTAGRAM_USER.2,
                "id": "9876543210",
                "account_type": "BUSINESS",
            });
            match graph_fields(&q, &["id"], "IGUser", me) {
                Ok(v) => Json(v).into_response(),
                Err(e) => e,
            }
        }
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_answers_only_the_fields_asked_for() {
        let page = json!({ "id": "1", "name": "P", "access_token": "EAAP", "tasks": ["MANAGE"],
            "instagram_business_account": { "id": "9", "username": "u", "followers_count": 3 } });
        let q = |f: &str| HashMap::from([("fields".to_string(), f.to_string())]);
        let v = graph_fields(&q("id,name"), &[], "Page", page.clone()).expect("ok");
        assert_eq!(
            v,
            json!({ "id": "1", "name": "P" }),
            "no token unless asked"
        );
        let v = graph_fields(
            &q("id,instagram_business_account{id}"),
            &[],
            "Page",
            page.clone(),
        )
        .expect("ok");
        assert_eq!(
            v,
            json!({ "id": "1", "instagram_business_account": { "id": "9" } })
        );
        assert!(graph_fields(&q("id,shoe_size"), &[], "Page", page.clone()).is_err());
        let v = graph_fields(&HashMap::new(), &["id"], "Page", page).expect("defaults");
        assert_eq!(v, json!({ "id": "1" }));
    }
}
