//! The AI endpoint: an OpenAI-compatible server the user configures (base
//! URL, model, temperature in Settings; API key in the keychain;
//! `AI_BASE_URL`, `AI_API_KEY`, `AI_MODEL` override them). `client` speaks
//! Chat Completions, `parse` reads answers into typed drafts.

pub mod client;
pub mod parse;

use std::time::Duration;

use url::Url;
use zeroize::Zeroizing;

pub use client::{complete, list_models, Completion, Format, Message, RetryPolicy};
pub use parse::{parse_variants, Draft, ParseError};

/// Where the model is and how to ask it.
#[derive(Clone)]
pub struct AiConfig {
    /// The server's base, without `/v1` (a trailing `/v1` is tolerated).
    pub base_url: Url,
    pub api_key: Option<Zeroizing<String>>,
    pub model: String,
    pub temperature: f32,
}

impl std::fmt::Debug for AiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AiConfig")
            .field("base_url", &self.base_url.as_str())
            .field("api_key", &self.api_key.as_ref().map(|_| "<hidden>"))
            .field("model", &self.model)
            .field("temperature", &self.temperature)
            .finish()
    }
}

/// Talking to the model failed. Messages are for people and never hold the key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AiError {
    #[error("Set up the AI endpoint in Settings → AI to generate variants (or set AI_BASE_URL). You can still write variants by hand.")]
    NotConfigured,
    #[error("{0}")]
    BadSetting(String),
    #[error("cannot reach the AI endpoint: {0}")]
    Unreachable(String),
    #[error("the AI endpoint did not answer within {:.1} s", .0.as_secs_f32())]
    TimedOut(Duration),
    #[error("the AI endpoint is rate limiting requests{}", .retry_after.map(|d| format!(" (retry after {} s)", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    #[error("the AI endpoint failed (HTTP {status}): {message}")]
    Server { status: u16, message: String },
    #[error("the AI endpoint refused the request (HTTP {status}): {message}")]
    Rejected { status: u16, message: String },
    #[error("the model declined: {0}")]
    Refused(String),
    #[error("the model's answer is not usable: {0}")]
    BadAnswer(String),
}

impl AiError {
    /// A stable code for the UI and the audit log.
    pub fn code(&self) -> &'static str {
        match self {
            AiError::NotConfigured => "ai_not_configured",
            AiError::BadSetting(_) => "validation",
            AiError::Unreachable(_) => "ai_unreachable",
            AiError::TimedOut(_) => "ai_timeout",
            AiError::RateLimited { .. } => "ai_rate_limited",
            AiError::Server { .. } => "ai_server_error",
            AiError::Rejected { .. } => "ai_rejected",
            AiError::Refused(_) => "ai_refused",
            AiError::BadAnswer(_) => "ai_bad_answer",
        }
    }

    /// The endpoint could not be reached at all (offline): queue, do not fail.
    pub fn is_offline(&self) -> bool {
        matches!(
            self,
            AiError::NotConfigured | AiError::Unreachable(_) | AiError::TimedOut(_)
        )
    }
}

/// Checks a base URL typed by the user: https, or plain http only to this
/// computer (a key or a prompt must not cross a network in the clear); no
/// user name, query or fragment.
pub fn parse_base_url(raw: &str) -> Result<Url, AiError> {
    let raw = raw.trim();
    let example = "for example http://127.0.0.1:11434 for Ollama, or https://api.example.com";
    let url = Url::parse(raw)
        .ok()
        .filter(|u| u.has_host())
        .ok_or_else(|| {
            AiError::BadSetting(format!("The AI address is not a web address: {example}."))
        })?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(AiError::BadSetting(
                "Use https:// for an AI endpoint on another computer: plain http:// would send \
                 the API key and your prompts unencrypted. Plain http:// is only for this \
                 computer (127.0.0.1, localhost)."
                    .into(),
            ))
        }
        _ => {
            return Err(AiError::BadSetting(format!(
                "The AI address must start with https:// (or http:// on this computer): {example}."
            )))
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AiError::BadSetting(
            "Leave the user name and password out of the AI address; put an API key in the key field."
                .into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(AiError::BadSetting(
            "The AI address must not have a query (?…) or fragment (#…).".into(),
        ));
    }
    Ok(url)
}

/// Whether `url` names this computer: 127.0.0.0/8, ::1 or localhost.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// `{base}/v1{path}`, whether or not the base already ends in `/v1`.
pub fn endpoint(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    let prefix = prefix.strip_suffix("/v1").unwrap_or(prefix);
    url.set_path(&format!("{prefix}/v1{path}"));
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_tolerate_a_trailing_v1() {
        for base in [
            "http://127.0.0.1:11434",
            "http://127.0.0.1:11434/",
            "http://127.0.0.1:11434/v1",
            "http://127.0.0.1:11434/v1/",
        ] {
            let url = parse_base_url(base).expect("base");
            assert_eq!(
                endpoint(&url, "/chat/completions").as_str(),
                "http://127.0.0.1:11434/v1/chat/completions",
                "{base}"
            );
        }
        let proxied = parse_base_url("https://llm.example/openai").expect("base");
        assert_eq!(
            endpoint(&proxied, "/models").as_str(),
            "https://llm.example/openai/v1/models"
        );
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("not a url").is_err());
        // Plain http only to this computer.
        assert!(parse_base_url("http://llm.example:8000").is_err());
        assert!(parse_base_url("http://192.168.1.5:11434").is_err());
        assert!(parse_base_url("http://127.0.0.2:8000").is_ok());
        assert!(parse_base_url("http://[::1]:8000").is_ok());
        assert!(parse_base_url("http://LOCALHOST:8000").is_ok());
        assert!(parse_base_url("https://user:pw@llm.example").is_err());
        assert!(parse_base_url("localhost:11434").is_err());
        assert!(parse_base_url("http://x/?key=1").is_err());
    }

    #[test]
    fn the_key_stays_out_of_debug_output() {
        let c = AiConfig {
            base_url: parse_base_url("http://127.0.0.1:1").expect("url"),
            api_key: Some(Zeroizing::new("sk-secret".into())),
            model: "m".into(),
            temperature: 0.7,
        };
        assert!(!format!("{c:?}").contains("sk-secret"));
    }
}
