//! An OpenAI-compatible Chat Completions client (Ollama, vLLM, llama.cpp
//! server, hosted services). Asks for JSON with a schema and steps down to
//! `json_object`, then plain text, for servers that support neither.
//! Timeouts, 429 and 5xx are retried with backoff (honouring `Retry-After`);
//! other 4xx answers are reported with the server's own message.

use std::time::Duration;

use serde_json::{json, Value};

use super::{AiConfig, AiError};

/// How the answer's shape was requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `response_format: {"type": "json_schema", …}`.
    Schema,
    /// `response_format: {"type": "json_object"}`.
    JsonObject,
    /// No `response_format`; the prompt asks for JSON.
    Text,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Schema => "json_schema",
            Format::JsonObject => "json_object",
            Format::Text => "text",
        }
    }

    fn next(self) -> Option<Format> {
        match self {
            Format::Schema => Some(Format::JsonObject),
            Format::JsonObject => Some(Format::Text),
            Format::Text => None,
        }
    }
}

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per request for retryable failures (timeouts, 429, 5xx).
    pub attempts: u32,
    /// First backoff; doubles each time.
    pub base_delay: Duration,
    /// Longest wait, also for a server's `Retry-After`.
    pub max_delay: Duration,
    /// One request's time limit.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            timeout: Duration::from_secs(120),
        }
    }
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: &'static str,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Message {
        Message {
            role: "system",
            content: content.into(),
        }
    }

    pub fn user(content: impl Into<String>) -> Message {
        Message {
            role: "user",
            content: content.into(),
        }
    }

    pub fn assistant(content: impl Into<String>) -> Message {
        Message {
            role: "assistant",
            content: content.into(),
        }
    }
}

/// A model's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub content: String,
    /// The format the server accepted.
    pub format: Format,
    /// `finish_reason` was `length`: the answer was cut off.
    pub truncated: bool,
}

/// The models the server offers (`GET {base}/v1/models`).
pub async fn list_models(
    http: &reqwest::Client,
    config: &AiConfig,
) -> Result<Vec<String>, AiError> {
    let url = super::endpoint(&config.base_url, "/models");
    let mut request = http.get(url).timeout(Duration::from_secs(15));
    if let Some(key) = &config.api_key {
        request = request.bearer_auth(key.as_str());
    }
    let response = request.send().await.map_err(network_error)?;
    let status = response.status();
    let body: Value = match crate::body::json(response).await {
        Ok(body) => body,
        Err(e) if status.is_success() && e.is_too_large() => {
            return Err(AiError::BadAnswer(e.to_string()))
        }
        Err(_) => Value::Null,
    };
    if !status.is_success() {
        return Err(status_error(status, &body, None));
    }
    let models: Vec<String> = body["data"]
        .as_array()
        .or_else(|| body["models"].as_array())
        .map(|list| {
            list.iter()
                .filter_map(|m| m["id"].as_str().or_else(|| m["name"].as_str()))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    Ok(models)
}

/// Asks `messages` of the model, wanting an answer that fits `schema`,
/// starting with `start` (a server known to refuse schemas starts lower).
/// `sleep` waits between retries, so tests need not.
pub async fn complete<S, F>(
    http: &reqwest::Client,
    config: &AiConfig,
    messages: &[Message],
    schema: &Value,
    start: Format,
    policy: RetryPolicy,
    sleep: S,
) -> Result<Completion, AiError>
where
    S: Fn(Duration) -> F,
    F: std::future::Future<Output = ()>,
{
    let mut format = start;
    loop {
        match complete_as(http, config, messages, schema, format, policy, &sleep).await {
            Err(AiError::Rejected { status, message })
                if format.next().is_some() && mentions_format(&message) =>
            {
                tracing::info!(
                    format = format.as_str(),
                    %status,
                    "the AI server refused this response_format; trying a simpler one"
                );
                format = format.next().expect("checked");
            }
            other => return other,
        }
    }
}

fn mentions_format(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "response_format",
        "json_schema",
        "json_object",
        "schema",
        "structured",
        "grammar",
    ]
    .iter()
    .any(|k| m.contains(k))
}

async fn complete_as<S, F>(
    http: &reqwest::Client,
    config: &AiConfig,
    messages: &[Message],
    schema: &Value,
    format: Format,
    policy: RetryPolicy,
    sleep: &S,
) -> Result<Completion, AiError>
where
    S: Fn(Duration) -> F,
    F: std::future::Future<Output = ()>,
{
    let url = super::endpoint(&config.base_url, "/chat/completions");
    let mut body = json!({
        "model": config.model,
        "temperature": config.temperature,
        "messages": messages
            .iter()
            .map(|m| json!({ "role": m.role, "content": m.content }))
            .collect::<Vec<_>>(),
    });
    match format {
        Format::Schema => {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": { "name": "post_variants", "strict": true, "schema": schema },
            });
        }
        Format::JsonObject => body["response_format"] = json!({ "type": "json_object" }),
        Format::Text => {}
    }
    let attempts = policy.attempts.max(1);
    let mut last = AiError::Unreachable("no attempt was made".into());
    for attempt in 0..attempts {
        if attempt > 0 {
            let wait = match &last {
                AiError::RateLimited {
                    retry_after: Some(d),
                } => *d,
                _ => policy.base_delay * 2u32.saturating_pow(attempt - 1),
            }
            .min(policy.max_delay);
            tracing::info!(
                attempt,
                wait_ms = wait.as_millis() as u64,
                "retrying the AI request: {last}"
            );
            sleep(wait).await;
        }
        let mut request = http.post(url.clone()).timeout(policy.timeout).json(&body);
        if let Some(key) = &config.api_key {
            request = request.bearer_auth(key.as_str());
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                last = transport_error(e, policy.timeout);
                continue;
            }
        };
        let status = response.status();
        // The composition edge: an absolute Retry-After date needs the clock.
        let retry_after = retry_after(response.headers(), chrono::Utc::now());
        let text = match crate::body::text(response).await {
            Ok(t) => t,
            Err(crate::body::BodyError::Transport(e)) => {
                last = transport_error(e, policy.timeout);
                continue;
            }
            // Larger than any answer a model gives: not retried.
            Err(e) if status.is_success() => return Err(AiError::BadAnswer(e.to_string())),
            // An error page too large to read: its status says enough.
            Err(_) => String::new(),
        };
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return read_completion(&json, format);
        }
        let error = status_error(status, &json, retry_after);
        match error {
            AiError::RateLimited { .. } | AiError::Server { .. } => last = error,
            // Other 4xx: retrying would not help.
            _ => return Err(error),
        }
    }
    Err(last)
}

fn read_completion(json: &Value, format: Format) -> Result<Completion, AiError> {
    let choice = json["choices"]
        .get(0)
        .ok_or_else(|| AiError::BadAnswer("the answer has no choices".into()))?;
    let message = &choice["message"];
    if let Some(refusal) = message["refusal"].as_str().filter(|r| !r.trim().is_empty()) {
        return Err(AiError::Refused(refusal.trim().to_string()));
    }
    let content = message["content"]
        .as_str()
        .ok_or_else(|| AiError::BadAnswer("the answer has no message content".into()))?;
    Ok(Completion {
        content: content.to_string(),
        format,
        truncated: choice["finish_reason"].as_str() == Some("length"),
    })
}

/// A failed send or read within a completion request (retried).
fn transport_error(e: reqwest::Error, timeout: Duration) -> AiError {
    if e.is_timeout() {
        AiError::TimedOut(timeout)
    } else {
        network_error(e)
    }
}

fn network_error(e: reqwest::Error) -> AiError {
    AiError::Unreachable(crate::error::transport_words(&e))
}

/// The server's own words from an error body, in the shapes seen in the
/// wild (OpenAI, vLLM, Ollama, llama.cpp).
fn server_message(json: &Value) -> Option<String> {
    [
        &json["error"]["message"],
        &json["error"],
        &json["message"],
        &json["detail"],
    ]
    .iter()
    .find_map(|v| v.as_str().filter(|s| !s.is_empty()))
    .map(String::from)
}

fn status_error(
    status: reqwest::StatusCode,
    json: &Value,
    retry_after: Option<Duration>,
) -> AiError {
    let message = server_message(json).unwrap_or_else(|| {
        status
            .canonical_reason()
            .unwrap_or("no message")
            .to_string()
    });
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        AiError::RateLimited { retry_after }
    } else if status.is_server_error() {
        AiError::Server {
            status: status.as_u16(),
            message,
        }
    } else {
        AiError::Rejected {
            status: status.as_u16(),
            message,
        }
    }
}

/// `Retry-After` in seconds, or as an HTTP date (measured from `now`; a
/// date already past means "now"). The caller caps the wait.
fn retry_after(
    headers: &reqwest::header::HeaderMap,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let left = at.with_timezone(&chrono::Utc) - now;
    Some(left.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_server_messages_in_every_shape() {
        let cases = [
            (
                json!({"error": {"message": "model not found", "type": "invalid_request_error"}}),
                "model not found",
            ),
            (
                json!({"error": "model 'x' not found, try pulling it first"}),
                "model 'x' not found, try pulling it first",
            ),
            (
                json!({"object": "error", "message": "bad schema"}),
                "bad schema",
            ),
            (json!({"detail": "Not Found"}), "Not Found"),
        ];
        for (body, want) in cases {
            assert_eq!(server_message(&body).as_deref(), Some(want));
        }
        assert_eq!(server_message(&json!({})), None);
    }

    #[test]
    fn retry_after_in_seconds_or_as_an_http_date() {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:27:30Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        let with = |v: &str| {
            let mut h = reqwest::header::HeaderMap::new();
            h.insert(reqwest::header::RETRY_AFTER, v.parse().expect("header"));
            retry_after(&h, now)
        };
        assert_eq!(with("7"), Some(Duration::from_secs(7)));
        assert_eq!(with("soon"), None);
        assert_eq!(
            with("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            with("Wed, 21 Oct 2015 07:00:00 GMT"),
            Some(Duration::ZERO),
            "a date already past: retry now"
        );
        assert_eq!(retry_after(&reqwest::header::HeaderMap::new(), now), None);
    }

    #[test]
    fn refusals_and_cut_answers_are_told_apart() {
        let refused = json!({"choices": [{"message": {"role": "assistant", "content": null, "refusal": "I can't help with that."}}]});
        assert!(
            matches!(read_completion(&refused, Format::Schema), Err(AiError::Refused(r)) if r == "I can't help with that.")
        );
        let cut = json!({"choices": [{"message": {"content": "{\"variants\":["}, "finish_reason": "length"}]});
        assert!(
            read_completion(&cut, Format::Text)
                .expect("content")
                .truncated
        );
        assert!(read_completion(&json!({}), Format::Text).is_err());
    }
}
