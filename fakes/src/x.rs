//! X's publishing API on top of the fake X authorization server: create a
//! post (`POST /2/tweets`), read a user's posts (`GET /2/users/:id/tweets`,
//! how a publisher checks whether a post it lost the answer to exists), and
//! the v2 chunked media upload (initialize, append, finalize, status), and
//! post lookup with metrics (`GET /2/tweets?ids=`, as the collector reads
//! them: public metrics for any post, non-public ones only for the
//! author's own posts younger than 30 days).
//!
//! Strict as X is: request bodies are validated against the request schemas
//! of `fixtures/x-openapi-2.166-subset.json` (unknown fields refused), the
//! token must carry the endpoint's scopes, text is counted with X's own
//! weighting, duplicate text is refused with X's 403 (unless a test turns
//! that off to see whether a client would post twice), and every answer to
//! `POST /2/tweets` carries the `x-rate-limit-*` headers (and the 24-hour
//! ones when a daily cap is set).
//!
//! Texts come back as X gives them, never as they were sent: in the create
//! answer, the lookups and the timeline every link twitter-text recognises
//! (a bare domain too) is a 23-character `https://t.co/…` address, `&`,
//! `<` and `>` are `&amp;`, `&lt;` and `&gt;`, a post with media ends with
//! its media's t.co link, and `entities.urls` (when asked for) gives each
//! t.co link's `expanded_url` and `display_url`. Faults can be queued or drawn at random:
//! the dangerous one creates the post and never answers in time.

// Checks return the refusal to answer as it is, as handlers do.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use crate::oauth::FakeOAuth;

const OPENAPI: &str = include_str!("../fixtures/x-openapi-2.166-subset.json");

/// A post on the fake X.
#[derive(Debug, Clone)]
pub struct XPost {
    pub id: String,
    pub author_id: String,
    pub text: String,
    pub media_ids: Vec<String>,
    pub created_at: SystemTime,
    /// What X counts for it (tests set these).
    pub metrics: XMetrics,
}

/// A post's counts on the fake X.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XMetrics {
    pub impressions: u64,
    pub likes: u64,
    pub replies: u64,
    pub reposts: u64,
    pub quotes: u64,
    pub bookmarks: u64,
    pub link_clicks: u64,
    pub profile_clicks: u64,
    /// Views of its video, if it has one.
    pub video_views: Option<u64>,
}

/// Something to go wrong with the next `GET /2/tweets`.
#[derive(Debug, Clone)]
pub enum LookupFault {
    /// Answer with this status and body.
    Answer(u16, Value),
    /// The 15-minute window is used up: 429 with the reset header.
    RateLimited { reset_in: Duration },
    /// A 200 whose body stops halfway.
    Truncated,
}

/// Something to go wrong with the next `POST /2/tweets`.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status and body, creating nothing.
    Answer(u16, Value),
    /// The 15-minute window is used up: 429 until `reset_in`.
    RateLimited { reset_in: Duration },
    /// The user's 24-hour cap is used up: 429 with the 24-hour headers.
    DailyCap { reset_in: Duration },
    /// The app's monthly usage cap: 429 `usage-capped`, scope Product.
    UsageCapped,
    /// Create the post, then hold the answer this long (the client gives up
    /// first: the post exists and the publisher does not know it).
    CreateThenHang(Duration),
    /// A 503 before anything is created.
    Unavailable,
}

/// Random faults, drawn per create request from a seeded generator.
#[derive(Debug, Clone)]
pub struct Chaos {
    pub seed: u64,
    pub create_then_hang: f64,
    pub rate_limited: f64,
    pub unavailable: f64,
    /// How long a hung answer is held.
    pub hang: Duration,
    /// How long a random rate limit lasts.
    pub rate_limit_for: Duration,
}

struct Upload {
    owner: String,
    media_type: String,
    category: String,
    total_bytes: u64,
    segments: BTreeMap<u64, u64>,
    finalized: bool,
    /// Status polls left before processing succeeds (video and GIF).
    polls_left: u32,
}

/// The fake's knobs and records.
pub struct XPlatform {
    pub posts: Vec<XPost>,
    pub faults: VecDeque<Fault>,
    pub chaos: Option<Chaos>,
    /// `POST /2/tweets` per user per 15 minutes (X: 100).
    pub per_15_minutes: u32,
    /// The user's 24-hour cap, sent as `x-user-limit-24hour-*` when set.
    pub per_24_hours: Option<u32>,
    /// A new post shows in its author's timeline only after this long
    /// (X's timelines are eventually consistent).
    pub index_delay: Duration,
    /// Status polls a video or GIF takes to process.
    pub processing_polls: u32,
    /// What `processing_info.check_after_secs` says.
    pub check_after_secs: u64,
    /// The next this many status polls get a 200 whose body is not X's
    /// (a proxy's page) and do not count as polls.
    pub garbled_statuses: u32,
    /// Requests refused for breaking X's rules, with why.
    pub refusals: Vec<String>,
    /// Every request to `POST /2/tweets`, refused or not.
    pub create_requests: usize,
    pub timeline_requests: usize,
    /// Bytes received by append, per media id.
    pub appended: HashMap<String, u64>,
    /// Answer lookups with the 2.167 names (`repost_count`).
    pub repost_names: bool,
    /// Refuse a text the user already posted (X's duplicate-content 403).
    /// Exactly-once tests turn it off: with it a double post is impossible
    /// to see.
    pub refuse_duplicates: bool,
    pub lookup_faults: VecDeque<LookupFault>,
    /// Every `GET /2/tweets` that was answered 200, with the ids and the
    /// `tweet.fields` it asked for.
    pub lookups: Vec<(Vec<String>, Vec<String>)>,
    /// What the lookup takes as now for X's 30 days of non-public metrics
    /// (a test's clock); `None`: the wall clock.
    pub clock: Option<SystemTime>,
    windows: HashMap<String, (SystemTime, u32)>,
    days: HashMap<String, (SystemTime, u32)>,
    uploads: HashMap<String, Upload>,
    counter: u64,
    rng: u64,
}

impl XPlatform {
    fn new() -> XPlatform {
        XPlatform {
            posts: Vec::new(),
            faults: VecDeque::new(),
            chaos: None,
            per_15_minutes: 100,
            per_24_hours: None,
            index_delay: Duration::ZERO,
            processing_polls: 2,
            check_after_secs: 1,
            garbled_statuses: 0,
            refusals: Vec::new(),
            create_requests: 0,
            timeline_requests: 0,
            appended: HashMap::new(),
            repost_names: false,
            refuse_duplicates: true,
            lookup_faults: VecDeque::new(),
            lookups: Vec::new(),
            clock: None,
            windows: HashMap::new(),
            days: HashMap::new(),
            uploads: HashMap::new(),
            counter: 0,
            rng: 0,
        }
    }

    fn next_id(&mut self) -> String {
        self.counter += 1;
        format!("{}", 1_880_000_000_000_000_000u64 + self.counter)
    }

    /// Posts of `author` with exactly `text`.
    pub fn count_of(&self, author: &str, text: &str) -> usize {
        self.posts
            .iter()
            .filter(|p| p.author_id == author && p.text == text)
            .count()
    }

    fn draw(&mut self) -> Option<Fault> {
        let chaos = self.chaos.clone()?;
        if self.rng == 0 {
            self.rng = chaos.seed | 1;
        }
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let r = (self.rng >> 11) as f64 / (1u64 << 53) as f64;
        if r < chaos.create_then_hang {
            Some(Fault::CreateThenHang(chaos.hang))
        } else if r < chaos.create_then_hang + chaos.rate_limited {
            Some(Fault::RateLimited {
                reset_in: chaos.rate_limit_for,
            })
        } else if r < chaos.create_then_hang + chaos.rate_limited + chaos.unavailable {
            Some(Fault::Unavailable)
        } else {
            None
        }
    }
}

struct Shared {
    oauth: FakeOAuth,
    x: Mutex<XPlatform>,
    create_schema: jsonschema::Validator,
    initialize_schema: jsonschema::Validator,
    append_schema: jsonschema::Validator,
    /// What `GET /2/tweets/{id}` accepts per query parameter (the lookup by
    /// ids takes the same).
    lookup_enums: HashMap<String, Vec<String>>,
}

/// The enum of each query parameter of `GET /2/tweets/{id}` in the spec.
fn lookup_enums(doc: &Value) -> HashMap<String, Vec<String>> {
    doc["paths"]["/2/tweets/{id}"]["get"]["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let values = p["enum"].as_array()?;
            Some((
                p["name"].as_str()?.to_string(),
                values
                    .iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect(),
            ))
        })
        .collect()
}

/// The fake X: its authorization server and its publishing API on one port.
#[derive(Clone)]
pub struct FakeX {
    pub base: String,
    pub oauth: FakeOAuth,
    shared: Arc<Mutex<Option<Arc<Shared>>>>,
}

fn request_schema(doc: &Value, path: &str) -> jsonschema::Validator {
    let schema =
        &doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "no request schema for {path}");
    // `format` (binary, byte) is an annotation here, as in OpenAPI.
    jsonschema::validator_for(schema).expect("the fixture's schema compiles")
}

impl FakeX {
    pub async fn start() -> FakeX {
        let doc: Value = serde_json::from_str(OPENAPI).expect("the X OpenAPI fixture");
        let slot: Arc<Mutex<Option<Arc<Shared>>>> = Arc::default();
        let filled = slot.clone();
        let oauth = FakeOAuth::start_with(&crate::oauth::X, move |oauth| {
            let shared = Arc::new(Shared {
                oauth,
                x: Mutex::new(XPlatform::new()),
                create_schema: request_schema(&doc, "/2/tweets"),
                initialize_schema: request_schema(&doc, "/2/media/upload/initialize"),
                append_schema: request_schema(&doc, "/2/media/upload/{id}/append"),
                lookup_enums: lookup_enums(&doc),
            });
            *filled.lock().expect("slot") = Some(shared.clone());
            Router::new()
                .route("/2/tweets", post(create).get(lookup))
                .route("/2/users/{id}/tweets", get(timeline))
                .route("/2/media/upload/initialize", post(initialize))
                .route("/2/media/upload/{id}/append", post(append))
                .route("/2/media/upload/{id}/finalize", post(finalize))
                .route("/2/media/upload", get(status))
                .with_state(shared)
        })
        .await;
        FakeX {
            base: oauth.base.clone(),
            oauth,
            shared: slot,
        }
    }

    /// Reads or changes the platform's state.
    pub fn with<T>(&self, f: impl FnOnce(&mut XPlatform) -> T) -> T {
        let shared = self.shared.lock().expect("slot").clone().expect("started");
        let mut x = shared.x.lock().expect("fake X");
        f(&mut x)
    }
}

type St = State<Arc<Shared>>;

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// An RFC 7807 problem as X sends it.
fn problem(status: StatusCode, title: &str, detail: &str, kind: &str) -> Response {
    let mut r = (
        status,
        Json(json!({ "title": title, "detail": detail, "type": kind, "status": status.as_u16() })),
    )
        .into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r
}

fn invalid(x: &mut XPlatform, message: String) -> Response {
    x.refusals.push(message.clone());
    let mut r = (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "errors": [{ "parameters": {}, "message": message }],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        })),
    )
        .into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r
}

/// The user the bearer token belongs to, if it is live and has `scopes`.
fn authorize(s: &Shared, headers: &HeaderMap, scopes: &[&str]) -> Result<String, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or_default();
    let unauthorized = || {
        problem(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Unauthorized",
            "about:blank",
        )
    };
    let Some((user, granted)) = s.oauth.grant_of(token) else {
        return Err(unauthorized());
    };
    let missing: Vec<&&str> = scopes
        .iter()
        .filter(|want| !granted.iter().any(|g| g == *want))
        .collect();
    if !missing.is_empty() {
        s.x.lock()
            .expect("fake X")
            .refusals
            .push(format!("missing scopes {missing:?}"));
        return Err(problem(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "You are not permitted to perform this action.",
            "https://api.twitter.com/2/problems/not-authorized-for-resource",
        ));
    }
    Ok(user)
}

fn json_body(
    x: &mut XPlatform,
    headers: &HeaderMap,
    body: &Bytes,
    schema: &jsonschema::Validator,
) -> Result<Value, Response> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    if !is_json {
        return Err(invalid(x, "Content-Type must be application/json".into()));
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return Err(invalid(x, format!("Request body is not JSON: {e}"))),
    };
    let errors: Vec<String> = schema
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if !errors.is_empty() {
        return Err(invalid(x, errors.join("; ")));
    }
    Ok(value)
}

/// Counts a post against the user's windows; the headers to send.
fn count_window(x: &mut XPlatform, user: &str, consume: bool) -> (Vec<(String, String)>, bool) {
    let now = SystemTime::now();
    let limit = x.per_15_minutes;
    let w = x.windows.entry(user.to_string()).or_insert((now, 0));
    if now.duration_since(w.0).unwrap_or_default() >= Duration::from_secs(900) {
        *w = (now, 0);
    }
    let over = w.1 >= limit;
    if consume && !over {
        w.1 += 1;
    }
    let reset = w.0.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() + 900;
    let mut headers = vec![
        ("x-rate-limit-limit".to_string(), limit.to_string()),
        (
            "x-rate-limit-remaining".to_string(),
            limit.saturating_sub(w.1).to_string(),
        ),
        ("x-rate-limit-reset".to_string(), reset.to_string()),
    ];
    let mut day_over = false;
    if let Some(cap) = x.per_24_hours {
        let d = x.days.entry(user.to_string()).or_insert((now, 0));
        if now.duration_since(d.0).unwrap_or_default() >= Duration::from_secs(86_400) {
            *d = (now, 0);
        }
        day_over = d.1 >= cap;
        if consume && !over && !day_over {
            d.1 += 1;
        }
        let reset = d.0.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() + 86_400;
        headers.push(("x-user-limit-24hour-limit".into(), cap.to_string()));
        headers.push((
            "x-user-limit-24hour-remaining".into(),
            cap.saturating_sub(d.1).to_string(),
        ));
        headers.push(("x-user-limit-24hour-reset".into(), reset.to_string()));
    }
    (headers, over || day_over)
}

fn with_headers(mut r: Response, headers: &[(String, String)]) -> Response {
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            r.headers_mut().insert(k, v);
        }
    }
    r
}

fn too_many() -> Response {
    problem(
        StatusCode::TOO_MANY_REQUESTS,
        "Too Many Requests",
        "Too Many Requests",
        "about:blank",
    )
}

async fn create(State(s): St, headers: HeaderMap, body: Bytes) -> Response {
    s.x.lock().expect("fake X").create_requests += 1;
    let user = match authorize(&s, &headers, &["tweet.read", "tweet.write", "users.read"]) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let (answer, hang) = {
        let mut x = s.x.lock().expect("fake X");
        let req = match json_body(&mut x, &headers, &body, &s.create_schema) {
            Ok(v) => v,
            Err(r) => return r,
        };
        let exclusive = ["media", "poll", "quote_tweet_id", "card_uri"]
            .iter()
            .filter(|k| req.get(**k).is_some())
            .count();
        if exclusive > 1 {
            return invalid(
                &mut x,
                "media, poll, quote_tweet_id and card_uri are mutually exclusive".into(),
            );
        }
        let text = req["text"].as_str().unwrap_or_default().to_string();
        let media_ids: Vec<String> = req["media"]["media_ids"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        if text.is_empty() && media_ids.is_empty() {
            return invalid(&mut x, "Post text or media is required".into());
        }
        let weighted = weighted_length(&text);
        if weighted > 280 {
            x.refusals.push(format!("text of weight {weighted}"));
            return problem(
                StatusCode::BAD_REQUEST,
                "Invalid Request",
                "Your Tweet text is too long. For more information on how Twitter determines text length see https://github.com/twitter/twitter-text.",
                "https://api.twitter.com/2/problems/invalid-request",
            );
        }
        if let Err(why) = attachable(&x, &user, &media_ids) {
            return invalid(&mut x, why);
        }
        let fault = x.faults.pop_front().or_else(|| x.draw());
        let (limits, over) = count_window(&mut x, &user, false);
        match fault {
            Some(Fault::Answer(status, body)) => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
                return with_headers((status, Json(body)).into_response(), &limits);
            }
            Some(Fault::RateLimited { reset_in }) => {
                let reset = now_secs() + reset_in.as_secs().max(1);
                let mut h = limits.clone();
                h.retain(|(k, _)| !k.starts_with("x-rate-limit"));
                h.push(("x-rate-limit-limit".into(), x.per_15_minutes.to_string()));
                h.push(("x-rate-limit-remaining".into(), "0".into()));
                h.push(("x-rate-limit-reset".into(), reset.to_string()));
                return with_headers(too_many(), &h);
            }
            Some(Fault::DailyCap { reset_in }) => {
                let reset = now_secs() + reset_in.as_secs().max(1);
                let mut h = limits.clone();
                h.retain(|(k, _)| !k.starts_with("x-user-limit-24hour"));
                h.push(("x-user-limit-24hour-limit".into(), "17".into()));
                h.push(("x-user-limit-24hour-remaining".into(), "0".into()));
                h.push(("x-user-limit-24hour-reset".into(), reset.to_string()));
                return with_headers(too_many(), &h);
            }
            Some(Fault::UsageCapped) => {
                let mut r = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(json!({
                        "title": "UsageCapExceeded",
                        "detail": "Usage cap exceeded: Monthly product cap",
                        "type": "https://api.twitter.com/2/problems/usage-capped",
                        "period": "Monthly",
                        "scope": "Product",
                    })),
                )
                    .into_response();
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/problem+json"),
                );
                return with_headers(r, &limits);
            }
            Some(Fault::Unavailable) => {
                return problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service Unavailable",
                    "Service Unavailable",
                    "about:blank",
                );
            }
            Some(Fault::CreateThenHang(_)) | None => {}
        }
        if over {
            return with_headers(too_many(), &limits);
        }
        if x.refuse_duplicates && x.count_of(&user, &text) > 0 {
            x.refusals.push("duplicate content".into());
            return with_headers(
                problem(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    "You are not allowed to create a Tweet with duplicate content.",
                    "about:blank",
                ),
                &limits,
            );
        }
        let (limits, _) = count_window(&mut x, &user, true);
        let id = x.next_id();
        let post = XPost {
            id: id.clone(),
            author_id: user,
            text: text.clone(),
            media_ids,
            created_at: SystemTime::now(),
            metrics: XMetrics::default(),
        };
        let (shown, _) = displayed(&post);
        x.posts.push(post);
        let answer = with_headers(
            (
                StatusCode::CREATED,
                Json(
                    json!({ "data": { "id": id, "text": shown, "edit_history_tweet_ids": [id] } }),
                ),
            )
                .into_response(),
            &limits,
        );
        let hang = match fault {
            Some(Fault::CreateThenHang(d)) => Some(d),
            _ => None,
        };
        (answer, hang)
    };
    if let Some(d) = hang {
        tokio::time::sleep(d).await;
    }
    answer
}

/// A post's text as X gives it back, and its `entities.urls`: each link
/// twitter-text finds becomes `https://t.co/` and 10 characters (23 in
/// all), `&`, `<` and `>` are escaped, and a post with media ends with its
/// media's t.co link. The t.co codes are the post id's and the link's
/// position's, so a post reads the same every time.
pub fn displayed(p: &XPost) -> (String, Vec<Value>) {
    let links = std::panic::catch_unwind(|| {
        twitter_text::extractor::Extractor::with_parser_backend(
            twitter_text::ParserBackend::External,
        )
        .extract_urls(&p.text)
    })
    .unwrap_or_default();
    let code = |n: usize| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&p.id, n).hash(&mut h);
        let mut v = h.finish();
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..10)
            .map(|_| {
                let c = ALPHABET[(v % 62) as usize] as char;
                v /= 62;
                c
            })
            .collect::<String>()
    };
    let escape = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut out = String::new();
    let mut urls = Vec::new();
    let mut rest = p.text.as_str();
    for (n, link) in links.iter().enumerate() {
        let Some(i) = rest.find(link.as_str()) else {
            break;
        };
        out.push_str(&escape(&rest[..i]));
        let tco = format!("https://t.co/{}", code(n));
        let start = out.chars().count();
        out.push_str(&tco);
        let expanded = if link.contains("://") {
            link.clone()
        } else {
            format!("http://{link}")
        };
        let display: String = link
            .split_once("://")
            .map_or(link.as_str(), |(_, r)| r)
            .trim_start_matches("www.")
            .chars()
            .take(25)
            .collect();
        urls.push(json!({
            "start": start, "end": start + 23, "url": tco,
            "expanded_url": expanded, "display_url": display,
        }));
        rest = &rest[i + link.len()..];
    }
    out.push_str(&escape(rest));
    if !p.media_ids.is_empty() {
        let tco = format!("https://t.co/{}", code(links.len()));
        if !out.is_empty() {
            out.push(' ');
        }
        let start = out.chars().count();
        out.push_str(&tco);
        urls.push(json!({
            "start": start, "end": start + 23, "url": tco,
            "expanded_url": format!("https://x.com/i/web/status/{}/photo/1", p.id),
            "display_url": format!("pic.x.com/{}", code(links.len() + 1)),
            "media_key": format!("3_{}", p.media_ids[0]),
        }));
    }
    (out, urls)
}

/// X's weighted length (twitter-text v3, the Pest backend: the default one
/// panics on some multi-byte text).
fn weighted_length(text: &str) -> i32 {
    let config =
        twitter_text_config::Configuration::configuration_from_json(twitter_text_config::V3_JSON);
    std::panic::catch_unwind(|| {
        twitter_text::parse_with_parser_backend(
            text,
            &config,
            true,
            twitter_text::ParserBackend::External,
        )
        .weighted_length
    })
    .unwrap_or(i32::MAX)
}

/// Whether `ids` may go on one post of `user`: theirs, processed, and at
/// most 4 images or 1 GIF or 1 video.
fn attachable(x: &XPlatform, user: &str, ids: &[String]) -> Result<(), String> {
    let mut kinds = Vec::new();
    for id in ids {
        let Some(u) = x.uploads.get(id) else {
            return Err(format!("media id {id} was not found"));
        };
        if u.owner != user {
            return Err(format!("media id {id} belongs to another user"));
        }
        if !u.finalized || u.polls_left > 0 {
            return Err(format!("media id {id} is not ready yet"));
        }
        kinds.push(u.category.as_str());
    }
    let images = kinds.iter().filter(|k| **k == "tweet_image").count();
    if ids.len() > 4 || (images != kinds.len() && kinds.len() > 1) {
        return Err("a post takes up to 4 images, or 1 GIF, or 1 video".into());
    }
    Ok(())
}

const TIMELINE_PARAMS: &[&str] = &[
    "end_time",
    "exclude",
    "expansions",
    "max_results",
    "media.fields",
    "pagination_token",
    "place.fields",
    "poll.fields",
    "since_id",
    "start_time",
    "tweet.fields",
    "until_id",
    "user.fields",
];

fn rfc3339(v: &str) -> Option<SystemTime> {
    let t = chrono::DateTime::parse_from_rfc3339(v).ok()?;
    let secs = u64::try_from(t.timestamp()).ok()?;
    Some(
        UNIX_EPOCH
            + Duration::from_secs(secs)
            + Duration::from_nanos(t.timestamp_subsec_nanos().into()),
    )
}

async fn timeline(
    State(s): St,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = authorize(&s, &headers, &["tweet.read", "users.read"]) {
        return r;
    }
    let mut x = s.x.lock().expect("fake X");
    x.timeline_requests += 1;
    if let Some(bad) = q.keys().find(|k| !TIMELINE_PARAMS.contains(&k.as_str())) {
        return invalid(
            &mut x,
            format!(
                "The query parameter [{bad}] is not one of [{}]",
                TIMELINE_PARAMS.join(",")
            ),
        );
    }
    let max = match q.get("max_results").map(|m| m.parse::<usize>()) {
        None => 10,
        Some(Ok(m)) if (5..=100).contains(&m) => m,
        Some(_) => {
            return invalid(
                &mut x,
                "The `max_results` query parameter value is not between 5 and 100".into(),
            )
        }
    };
    let bound = |k: &str| {
        q.get(k)
            .map(|v| rfc3339(v).ok_or(k.to_string()))
            .transpose()
    };
    let (start, end) = match (bound("start_time"), bound("end_time")) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(k), _) | (_, Err(k)) => {
            return invalid(
                &mut x,
                format!("Invalid '{k}': it must be RFC 3339, e.g. 2026-11-26T09:00:00Z"),
            )
        }
    };
    let skip: usize = match q.get("pagination_token").map(|t| t.parse()) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return invalid(&mut x, "Invalid 'pagination_token'".into()),
    };
    let fields: Vec<&str> = q
        .get("tweet.fields")
        .map(|f| f.split(',').collect())
        .unwrap_or_default();
    let now = SystemTime::now();
    let mut mine: Vec<&XPost> = x
        .posts
        .iter()
        .filter(|p| p.author_id == id)
        .filter(|p| p.created_at + x.index_delay <= now)
        .filter(|p| start.is_none_or(|s| p.created_at >= s))
        .filter(|p| end.is_none_or(|e| p.created_at <= e))
        .collect();
    mine.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let total = mine.len();
    let page: Vec<Value> = mine
        .iter()
        .skip(skip)
        .take(max)
        .map(|p| {
            let (shown, urls) = displayed(p);
            let mut v = json!({ "id": p.id, "text": shown, "edit_history_tweet_ids": [p.id] });
            if fields.contains(&"entities") && !urls.is_empty() {
                v["entities"] = json!({ "urls": urls });
            }
            if fields.contains(&"created_at") {
                let t: chrono::DateTime<chrono::Utc> = p.created_at.into();
                v["created_at"] = json!(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
            }
            if fields.contains(&"author_id") {
                v["author_id"] = json!(p.author_id);
            }
            v
        })
        .collect();
    let mut meta = json!({ "result_count": page.len() });
    if let (Some(first), Some(last)) = (page.first(), page.last()) {
        meta["newest_id"] = first["id"].clone();
        meta["oldest_id"] = last["id"].clone();
    }
    if skip + max < total {
        meta["next_token"] = json!((skip + max).to_string());
    }
    if page.is_empty() {
        return Json(json!({ "meta": meta })).into_response();
    }
    Json(json!({ "data": page, "meta": meta })).into_response()
}

fn media_answer(id: &str, u: &Upload, processing: Option<Value>) -> Response {
    let mut data = json!({
        "id": id,
        "media_key": format!("{}_{id}", if u.category == "tweet_image" { 3 } else { 7 }),
        "size": u.total_bytes,
        "expires_after_secs": 86_400,
    });
    if let Some(p) = processing {
        data["processing_info"] = p;
    }
    Json(json!({ "data": data })).into_response()
}

async fn initialize(State(s): St, headers: HeaderMap, body: Bytes) -> Response {
    let user = match authorize(&s, &headers, &["media.write"]) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut x = s.x.lock().expect("fake X");
    let req = match json_body(&mut x, &headers, &body, &s.initialize_schema) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (Some(media_type), Some(total), Some(category)) = (
        req["media_type"].as_str(),
        req["total_bytes"].as_u64(),
        req["media_category"].as_str(),
    ) else {
        return invalid(
            &mut x,
            "media_type, total_bytes and media_category are required".into(),
        );
    };
    let (fits, max) = match category {
        "tweet_image" => (
            media_type.starts_with("image/") && media_type != "image/gif",
            5 << 20,
        ),
        "tweet_gif" => (media_type == "image/gif", 15 << 20),
        "tweet_video" | "amplify_video" => (media_type.starts_with("video/"), 512 << 20),
        _ => (false, 0),
    };
    if !fits {
        return invalid(
            &mut x,
            format!("media_type {media_type} does not fit media_category {category}"),
        );
    }
    if total == 0 || total > max {
        return invalid(
            &mut x,
            format!("total_bytes {total} is over the {category} limit of {max}"),
        );
    }
    let id = x.next_id();
    let polls = if category == "tweet_image" {
        0
    } else {
        x.processing_polls
    };
    x.uploads.insert(
        id.clone(),
        Upload {
            owner: user,
            media_type: media_type.to_string(),
            category: category.to_string(),
            total_bytes: total,
            segments: BTreeMap::new(),
            finalized: false,
            polls_left: polls,
        },
    );
    Json(json!({ "data": { "id": id, "media_key": format!("13_{id}"), "expires_after_secs": 1_295_999 } }))
        .into_response()
}

async fn append(State(s): St, headers: HeaderMap, Path(id): Path<String>, body: Bytes) -> Response {
    let user = match authorize(&s, &headers, &["media.write"]) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut x = s.x.lock().expect("fake X");
    let req = match json_body(&mut x, &headers, &body, &s.append_schema) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let index = match &req["segment_index"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    let Some(index) = index.filter(|i| *i <= 999) else {
        return invalid(&mut x, "segment_index must be 0..999".into());
    };
    let Ok(bytes) = STANDARD.decode(req["media"].as_str().unwrap_or_default()) else {
        return invalid(&mut x, "media must be base64 in a JSON body".into());
    };
    if bytes.len() > 5 << 20 {
        return invalid(&mut x, "a segment is at most 5 MB".into());
    }
    let len = bytes.len() as u64;
    match x.uploads.get_mut(&id) {
        Some(u) if u.owner == user && !u.finalized => {
            u.segments.insert(index, len);
        }
        _ => return invalid(&mut x, format!("media id {id} has no open upload")),
    }
    *x.appended.entry(id).or_default() += len;
    Json(json!({ "data": { "expires_at": now_secs() + 86_400 } })).into_response()
}

async fn finalize(State(s): St, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let user = match authorize(&s, &headers, &["media.write"]) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut x = s.x.lock().expect("fake X");
    let check_after = x.check_after_secs;
    let Some(u) = x.uploads.get_mut(&id).filter(|u| u.owner == user) else {
        return invalid(&mut x, format!("media id {id} has no open upload"));
    };
    let received: u64 = u.segments.values().sum();
    let contiguous = u.segments.keys().copied().eq(0..u.segments.len() as u64);
    if received != u.total_bytes || !contiguous {
        let why = format!(
            "File size mismatch: {received} bytes in segments {:?}, {} announced",
            u.segments.keys().collect::<Vec<_>>(),
            u.total_bytes
        );
        return invalid(&mut x, why);
    }
    u.finalized = true;
    let _ = &u.media_type;
    if u.polls_left == 0 {
        return media_answer(&id, u, None);
    }
    media_answer(
        &id,
        u,
        Some(json!({ "state": "pending", "check_after_secs": check_after })),
    )
}

async fn status(
    State(s): St,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let user = match authorize(&s, &headers, &["media.write"]) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut x = s.x.lock().expect("fake X");
    if q.get("command").is_some_and(|c| c != "STATUS") {
        return invalid(&mut x, "command must be STATUS".into());
    }
    if x.garbled_statuses > 0 {
        x.garbled_statuses -= 1;
        return (StatusCode::OK, "<html><body>Please wait</body></html>").into_response();
    }
    let id = q.get("media_id").cloned().unwrap_or_default();
    let check_after = x.check_after_secs;
    let Some(u) = x
        .uploads
        .get_mut(&id)
        .filter(|u| u.owner == user && u.finalized)
    else {
        return invalid(&mut x, format!("media id {id} was not found"));
    };
    if u.polls_left > 0 {
        u.polls_left -= 1;
    }
    let info = if u.polls_left == 0 {
        json!({ "state": "succeeded", "progress_percent": 100 })
    } else {
        json!({ "state": "in_progress", "check_after_secs": check_after, "progress_percent": 50 })
    };
    media_answer(&id, u, Some(info))
}

/// X keeps a post's non-public metrics this long.
pub const PRIVATE_METRICS_FOR: Duration = Duration::from_secs(30 * 24 * 3600);

fn not_found_error(id: &str) -> Value {
    json!({
        "resource_id": id, "resource_type": "tweet", "parameter": "ids", "value": id,
        "title": "Not Found Error",
        "detail": format!("Could not find tweet with ids: [{id}]."),
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    })
}

fn field_error(id: &str, field: &str) -> Value {
    json!({
        "resource_id": id, "resource_type": "tweet", "field": field,
        "title": "Field Authorization Error",
        "detail": format!("Sorry, you are not authorized to access '{field}' on the Tweet with ids: {id}."),
        "type": "https://api.twitter.com/2/problems/not-authorized-for-field",
    })
}

/// `GET /2/tweets?ids=`: posts with the fields asked for, and an error per
/// post it cannot give (deleted, or metrics the asker may not see).
async fn lookup(
    State(s): St,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let user = match authorize(&s, &headers, &["tweet.read", "users.read"]) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut x = s.x.lock().expect("fake X");
    if let Some(fault) = x.lookup_faults.pop_front() {
        match fault {
            LookupFault::Answer(status, body) => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return (status, Json(body)).into_response();
            }
            LookupFault::RateLimited { reset_in } => {
                let mut r = problem(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too Many Requests",
                    "Too Many Requests",
                    "about:blank",
                );
                let h = r.headers_mut();
                let reset = now_secs() + reset_in.as_secs();
                for (k, v) in [
                    ("x-rate-limit-limit", "900".to_string()),
                    ("x-rate-limit-remaining", "0".to_string()),
                    ("x-rate-limit-reset", reset.to_string()),
                ] {
                    if let Ok(v) = HeaderValue::from_str(&v) {
                        h.insert(k, v);
                    }
                }
                return r;
            }
            LookupFault::Truncated => {
                return (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"data":[{"id":"1","text":"cut sh"#,
                )
                    .into_response();
            }
        }
    }
    const PARAMS: &[&str] = &[
        "ids",
        "tweet.fields",
        "expansions",
        "media.fields",
        "poll.fields",
        "user.fields",
        "place.fields",
    ];
    if let Some(bad) = q.keys().find(|k| !PARAMS.contains(&k.as_str())) {
        return invalid(
            &mut x,
            format!(
                "The query parameter [{bad}] is not one of [{}]",
                PARAMS.join(",")
            ),
        );
    }
    let ids: Vec<String> = q
        .get("ids")
        .map(|v| v.split(',').map(String::from).collect())
        .unwrap_or_default();
    if ids.is_empty() || ids.len() > 100 {
        return invalid(
            &mut x,
            "The `ids` query parameter value must name 1 to 100 posts".into(),
        );
    }
    if let Some(bad) = ids
        .iter()
        .find(|i| i.is_empty() || i.len() > 19 || !i.chars().all(|c| c.is_ascii_digit()))
    {
        return invalid(
            &mut x,
            format!("The `ids` query parameter value [{bad}] does not match ^[0-9]{{1,19}}$"),
        );
    }
    let list = |k: &str| -> Vec<String> {
        q.get(k)
            .map(|v| v.split(',').map(String::from).collect())
            .unwrap_or_default()
    };
    for param in ["tweet.fields", "expansions", "media.fields"] {
        let allowed = s.lookup_enums.get(param).cloned().unwrap_or_default();
        if let Some(bad) = list(param).into_iter().find(|v| !allowed.contains(v)) {
            return invalid(
                &mut x,
                format!(
                    "The `{param}` query parameter value [{bad}] is not one of the allowed values"
                ),
            );
        }
    }
    let fields = list("tweet.fields");
    let with_media = list("expansions")
        .iter()
        .any(|e| e == "attachments.media_keys")
        && list("media.fields").iter().any(|f| f == "public_metrics");
    let private: Vec<&str> = ["non_public_metrics", "organic_metrics"]
        .into_iter()
        .filter(|f| fields.iter().any(|g| g == f))
        .collect();
    let now = x.clock.unwrap_or_else(SystemTime::now);
    let mut data = Vec::new();
    let mut errors = Vec::new();
    let mut media = Vec::new();
    for id in &ids {
        let Some(p) = x.posts.iter().find(|p| &p.id == id) else {
            errors.push(not_found_error(id));
            continue;
        };
        let young = now.duration_since(p.created_at).unwrap_or_default() < PRIVATE_METRICS_FOR;
        if let Some(f) = private.iter().find(|_| p.author_id != user || !young) {
            errors.push(field_error(id, f));
            continue;
        }
        let m = &p.metrics;
        let (shown, urls) = displayed(p);
        let mut v = json!({ "id": p.id, "text": shown, "edit_history_tweet_ids": [p.id] });
        if fields.iter().any(|f| f == "entities") && !urls.is_empty() {
            v["entities"] = json!({ "urls": urls });
        }
        if fields.iter().any(|f| f == "public_metrics") {
            let reposts = if x.repost_names {
                "repost_count"
            } else {
                "retweet_count"
            };
            v["public_metrics"] = json!({
                reposts: m.reposts, "reply_count": m.replies, "like_count": m.likes,
                "quote_count": m.quotes, "bookmark_count": m.bookmarks,
                "impression_count": m.impressions,
            });
        }
        if private.contains(&"non_public_metrics") {
            v["non_public_metrics"] = json!({
                "impression_count": m.impressions, "url_link_clicks": m.link_clicks,
                "user_profile_clicks": m.profile_clicks,
                "engagements": m.likes + m.replies + m.reposts + m.quotes + m.link_clicks + m.profile_clicks,
            });
        }
        if private.contains(&"organic_metrics") {
            let reposts = if x.repost_names {
                "repost_count"
            } else {
                "retweet_count"
            };
            v["organic_metrics"] = json!({
                "impression_count": m.impressions, "like_count": m.likes,
                "reply_count": m.replies, reposts: m.reposts,
                "url_link_clicks": m.link_clicks, "user_profile_clicks": m.profile_clicks,
            });
        }
        if let Some(views) = m.video_views {
            let key = format!("13_{}", p.id);
            v["attachments"] = json!({ "media_keys": [key] });
            if with_media {
                media.push(json!({
                    "media_key": key, "type": "video",
                    "public_metrics": { "view_count": views },
                }));
            }
        }
        data.push(v);
    }
    x.lookups.push((ids.clone(), fields.clone()));
    let mut body = json!({});
    if !data.is_empty() {
        body["data"] = json!(data);
    }
    if !media.is_empty() {
        body["includes"] = json!({ "media": media });
    }
    if !errors.is_empty() {
        body["errors"] = json!(errors);
    }
    let mut r = (StatusCode::OK, Json(body)).into_response();
    let h = r.headers_mut();
    for (k, v) in [
        ("x-rate-limit-limit", "5000".to_string()),
        ("x-rate-limit-remaining", "4999".to_string()),
        ("x-rate-limit-reset", (now_secs() + 900).to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    }
    r
}
