//! A fake OpenAI-compatible server (`/v1/chat/completions`, `/v1/models`)
//! whose answers a test scripts: valid schema output, fenced JSON, prose
//! around JSON, truncated JSON, wrong fields, an over-long variant, a banned
//! word, near-duplicates, a refusal, 429 with `Retry-After`, 500, a hang, and
//! a server that refuses `json_schema`. Unscripted requests get valid
//! variants for the platform and count the prompt names.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

/// One scripted answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Valid,
    Fenced,
    Prose,
    /// Cut off inside the last variant, with `finish_reason: length`.
    Truncated,
    WrongFields,
    /// The first variant is far over the platform's limit.
    TooLong,
    /// The first variant uses this word.
    Banned(String),
    /// The first two variants say the same thing.
    NearDuplicates,
    Refusal,
    RateLimited {
        retry_after_secs: u64,
    },
    /// 429 with this `Retry-After` value verbatim (an HTTP date, say).
    RateLimitedUntil(String),
    ServerError,
    /// Answer (validly) only after this long.
    Hang(Duration),
    /// 400 for `json_schema` requests (like servers without structured output).
    RejectSchema,
    /// 400 for `json_schema` and `json_object` requests.
    RejectJsonModes,
    /// This content, verbatim.
    Content(String),
}

/// Knobs and records of the fake.
#[derive(Default)]
pub struct Behaviour {
    pub script: VecDeque<Reply>,
    /// Require `Authorization: Bearer <key>`.
    pub api_key: Option<String>,
    /// Every chat request body, in order.
    pub requests: Vec<Value>,
    /// When each chat request arrived.
    pub arrived: Vec<std::time::Instant>,
    counter: u64,
}

/// A running fake AI server.
#[derive(Clone)]
pub struct FakeAi {
    pub base: String,
    state: Arc<Mutex<Behaviour>>,
}

impl FakeAi {
    pub async fn start() -> FakeAi {
        let state = Arc::new(Mutex::new(Behaviour::default()));
        let router = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/v1/models", get(models))
            .with_state(state.clone());
        FakeAi {
            base: super::serve(router).await,
            state,
        }
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut Behaviour) -> T) -> T {
        f(&mut self.state.lock().expect("fake state"))
    }

    /// Queues answers for the next requests.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.with(|b| b.script.extend(replies));
    }

    pub fn requests(&self) -> Vec<Value> {
        self.with(|b| b.requests.clone())
    }
}

type Shared = State<Arc<Mutex<Behaviour>>>;

fn openai_error(status: StatusCode, message: &str, kind: &str, code: Option<&str>) -> Response {
    (
        status,
        Json(json!({ "error": { "message": message, "type": kind, "param": null, "code": code } })),
    )
        .into_response()
}

fn authorized(b: &Behaviour, headers: &HeaderMap) -> bool {
    match &b.api_key {
        None => true,
        Some(key) => {
            headers
                .get(header::AUTHORIZATION)
                .and_then(|h| h.to_str().ok())
                == Some(format!("Bearer {key}").as_str())
        }
    }
}

async fn models(State(state): Shared, headers: HeaderMap) -> Response {
    let b = state.lock().expect("fake state");
    if !authorized(&b, &headers) {
        return openai_error(
            StatusCode::UNAUTHORIZED,
            "Incorrect API key provided.",
            "invalid_request_error",
            Some("invalid_api_key"),
        );
    }
    Json(json!({ "object": "list", "data": [
        { "id": "fake-model", "object": "model", "owned_by": "reachloop-fakes" },
        { "id": "fake-model-small", "object": "model", "owned_by": "reachloop-fakes" },
    ] }))
    .into_response()
}

/// OpenAI's rules for `response_format: json_schema` with strict mode: a
/// `name` of letters, digits, `_` and `-`; `strict: true`; and in the schema
/// every object closed (`additionalProperties: false`) with every property
/// listed in `required`.
fn strict_schema_ok(spec: &Value) -> Result<(), String> {
    let name = spec["name"].as_str().unwrap_or_default();
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err("'name' must be 1-64 letters, digits, '_' or '-'".into());
    }
    if spec["strict"] != true {
        return Err("this server only takes strict schemas ('strict': true)".into());
    }
    fn walk(v: &Value, at: &str) -> Result<(), String> {
        let types: Vec<&str> = match &v["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if types.contains(&"object") {
            if v["additionalProperties"] != false {
                return Err(format!(
                    "In context={at}, 'additionalProperties' is required to be supplied and to be false"
                ));
            }
            let props = v["properties"].as_object().cloned().unwrap_or_default();
            let required: Vec<&str> = v["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for key in props.keys() {
                if !required.contains(&key.as_str()) {
                    return Err(format!(
                        "In context={at}, 'required' is required to include every key in properties; missing '{key}'"
                    ));
                }
            }
            for (key, p) in &props {
                walk(p, &format!("{at}/{key}"))?;
            }
        }
        if types.contains(&"array") {
            walk(&v["items"], &format!("{at}/items"))?;
        }
        Ok(())
    }
    walk(&spec["schema"], "")
}

/// What the prompt asks for, from its `Platform:`, `Count:` and
/// `Banned words:` lines.
struct Ask {
    platform: String,
    count: usize,
}

fn ask_of(body: &Value) -> Ask {
    let text: String = body["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|m| m["content"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let line = |key: &str| {
        text.lines()
            .rev()
            .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_string()))
    };
    Ask {
        platform: line("Platform:").unwrap_or_else(|| "x".into()),
        count: line("Count:")
            .and_then(|c| c.parse().ok())
            .unwrap_or(2)
            .clamp(1, 10),
    }
}

const OPENERS: [&str; 8] = [
    "Fresh from the oven",
    "Weekend plans sorted",
    "You asked, we listened",
    "Small batch, big flavour",
    "Meet the new favourite",
    "Behind the counter today",
    "Three reasons to stop by",
    "Save the date",
];

fn variant(ask: &Ask, n: u64) -> Value {
    let opener = OPENERS[(n as usize) % OPENERS.len()];
    let text = format!("{opener}: idea {n} for your feed. Come say hi! #smallbusiness");
    let media = match ask.platform.as_str() {
        "youtube" | "tiktok" => {
            json!({ "type": "video", "aspect_ratio": "9:16", "duration_seconds": 30 })
        }
        "instagram" => json!({ "type": "image", "aspect_ratio": "4:5" }),
        _ => json!({ "type": "image", "aspect_ratio": "16:9" }),
    };
    let mut v = json!({ "text": text, "media": media });
    if ask.platform == "youtube" {
        v["title"] = json!(format!("{opener} (part {n})"));
    }
    v
}

fn valid_content(b: &mut Behaviour, ask: &Ask) -> Value {
    let variants: Vec<Value> = (0..ask.count)
        .map(|_| {
            b.counter += 1;
            variant(ask, b.counter)
        })
        .collect();
    json!({ "variants": variants })
}

fn completion(content: &str, finish: &str) -> Response {
    Json(json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_764_000_000,
        "model": "fake-model",
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": content }, "finish_reason": finish }],
        "usage": { "prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20 },
    }))
    .into_response()
}

async fn chat(State(state): Shared, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let reply = {
        let mut b = state.lock().expect("fake state");
        b.requests.push(body.clone());
        b.arrived.push(std::time::Instant::now());
        if !authorized(&b, &headers) {
            return openai_error(
                StatusCode::UNAUTHORIZED,
                "Incorrect API key provided.",
                "invalid_request_error",
                Some("invalid_api_key"),
            );
        }
        if body["model"].as_str().is_none_or(str::is_empty) {
            return openai_error(
                StatusCode::BAD_REQUEST,
                "you must provide a model parameter",
                "invalid_request_error",
                None,
            );
        }
        // OpenAI refuses a json_schema that strict structured outputs
        // cannot take, before any scripted reply.
        if body["response_format"]["type"] == "json_schema" {
            if let Err(why) = strict_schema_ok(&body["response_format"]["json_schema"]) {
                return openai_error(
                    StatusCode::BAD_REQUEST,
                    &format!("Invalid schema for response_format: {why}"),
                    "invalid_request_error",
                    None,
                );
            }
        }
        b.script.pop_front().unwrap_or(Reply::Valid)
    };
    let format = body["response_format"]["type"].as_str().unwrap_or("text");
    let ask = ask_of(&body);
    let content = |state: &Arc<Mutex<Behaviour>>| {
        let mut b = state.lock().expect("fake state");
        valid_content(&mut b, &ask)
    };
    match reply {
        Reply::Valid => completion(&content(&state).to_string(), "stop"),
        Reply::Hang(d) => {
            tokio::time::sleep(d).await;
            completion(&content(&state).to_string(), "stop")
        }
        Reply::Fenced => completion(
            &format!("```json\n{}\n```", serde_json::to_string_pretty(&content(&state)).unwrap_or_default()),
            "stop",
        ),
        Reply::Prose => completion(
            &format!(
                "Here are your variants! {}\nLet me know if you want changes.",
                content(&state)
            ),
            "stop",
        ),
        Reply::Truncated => {
            let full = content(&state).to_string();
            let cut = full.rfind("{\"").unwrap_or(full.len() / 2) + 12;
            completion(&full[..cut.min(full.len())], "length")
        }
        Reply::WrongFields => completion(
            &json!({ "variants": [{ "headline": "Big news", "score": 0.9 }] }).to_string(),
            "stop",
        ),
        Reply::TooLong => {
            let mut v = content(&state);
            v["variants"][0]["text"] = json!("Too long. ".repeat(400));
            completion(&v.to_string(), "stop")
        }
        Reply::Banned(word) => {
            let mut v = content(&state);
            v["variants"][0]["text"] = json!(format!("Honestly the most {word} deal in town."));
            completion(&v.to_string(), "stop")
        }
        Reply::NearDuplicates => {
            let mut v = content(&state);
            if let Some(first) = v["variants"][0]["text"].as_str().map(String::from) {
                if v["variants"].as_array().is_some_and(|a| a.len() > 1) {
                    v["variants"][1]["text"] = json!(format!("{}!", first.to_uppercase()));
                }
            }
            completion(&v.to_string(), "stop")
        }
        Reply::Refusal => Json(json!({
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "model": "fake-model",
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": null,
                "refusal": "I'm sorry, but I can't help with that request." }, "finish_reason": "stop" }],
        }))
        .into_response(),
        Reply::RateLimited { retry_after_secs } => {
            let mut r = openai_error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit reached for requests. Please try again later.",
                "requests",
                Some("rate_limit_exceeded"),
            );
            r.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from_str(&retry_after_secs.to_string()).expect("digits"),
            );
            r
        }
        Reply::RateLimitedUntil(value) => {
            let mut r = openai_error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit reached for requests. Please try again later.",
                "requests",
                Some("rate_limit_exceeded"),
            );
            if let Ok(v) = header::HeaderValue::from_str(&value) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        Reply::ServerError => openai_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            None,
        ),
        Reply::RejectSchema if format == "json_schema" => openai_error(
            StatusCode::BAD_REQUEST,
            "response_format type 'json_schema' is not supported by this server",
            "invalid_request_error",
            None,
        ),
        Reply::RejectJsonModes if format != "text" => {
            // Stays in force for the next, simpler request too.
            if format == "json_schema" {
                state
                    .lock()
                    .expect("fake state")
                    .script
                    .push_front(Reply::RejectJsonModes);
            }
            openai_error(
                StatusCode::BAD_REQUEST,
                &format!("'response_format' of type '{format}' is not supported"),
                "invalid_request_error",
                None,
            )
        }
        Reply::RejectSchema | Reply::RejectJsonModes => {
            completion(&content(&state).to_string(), "stop")
        }
        Reply::Content(text) => completion(&text, "stop"),
    }
}
