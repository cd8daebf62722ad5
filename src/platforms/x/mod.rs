//! X: `POST /2/tweets`, with images, GIFs and video uploaded first through
//! the v2 chunked media endpoints (initialize, append, finalize, then the
//! status polled as `check_after_secs` says), read from the content-
//! addressed copy one chunk at a time. Verification reads the account's
//! own posts since the attempt (`GET /2/users/:id/tweets`) and matches the
//! text as X rewrites it (`text.rs`: t.co links, escaped `&`, `<`, `>`).
//!
//! Answers are classified by what they say about the post: a 201 is a
//! receipt; 400, 401 and 403 are refusals that will not change by waiting;
//! 429 is a pause until the time X's headers give; a 5xx or a timeout may
//! have created the post, so it must be verified before anything else.

pub mod metrics;
pub mod text;

use std::path::PathBuf;
use std::time::Duration as StdDuration;

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use reachloop_ipc::{Attachment, MediaKind, Platform};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use url::Url;
use zeroize::Zeroizing;

use super::{
    Adapter, BoxFuture, Cap, Lookup, ObservedLimit, PublishError, PublishRequest, Receipt,
};

/// An account's sign-in, as the adapter needs it.
pub struct Access {
    pub token: Zeroizing<String>,
    /// The account's id on X (whose posts verification reads).
    pub user_id: String,
}

/// Where the adapter gets an account's access token (the OAuth module's
/// sealed tokens, opened with the vault).
pub trait Tokens: Send + Sync {
    fn access<'a>(&'a self, account_id: &'a str) -> BoxFuture<'a, Result<Access, PublishError>>;
}

/// How the adapter talks to X.
#[derive(Debug, Clone)]
pub struct XConfig {
    pub api_base: Url,
    /// Where attachments' content-addressed copies are.
    pub media_dir: PathBuf,
    /// At most this long per request (less when the claim ends sooner).
    pub request_timeout: StdDuration,
    /// How long after an attempt X's timeline can be trusted to show it.
    pub settle: Duration,
    /// Media is appended in chunks of this many bytes (X: at most 5 MB).
    pub chunk_bytes: usize,
    /// At most this many status polls while X processes a video.
    pub max_status_polls: u32,
    /// What the adapter takes as now (request budgets, rate-limit waits).
    pub clock: fn() -> DateTime<Utc>,
}

impl XConfig {
    /// The defaults at `api_base`, with `REACHLOOP_X_TIMEOUT_SECS` and
    /// `REACHLOOP_X_SETTLE_SECS` for tests against a fake.
    pub fn new(api_base: Url, media_dir: PathBuf) -> XConfig {
        let secs = |var: &str| {
            std::env::var(var)
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|s| *s <= 3_600)
        };
        XConfig {
            api_base,
            media_dir,
            request_timeout: StdDuration::from_secs(
                secs("REACHLOOP_X_TIMEOUT_SECS").unwrap_or(30).max(1),
            ),
            settle: Duration::seconds(
                secs("REACHLOOP_X_SETTLE_SECS")
                    .unwrap_or(60)
                    .try_into()
                    .unwrap_or(60),
            ),
            chunk_bytes: 4 << 20,
            max_status_polls: 120,
            clock: Utc::now,
        }
    }
}

/// The X adapter.
pub struct X {
    http: reqwest::Client,
    config: XConfig,
    tokens: Box<dyn Tokens>,
}

/// X's documented posting limit: 100 per 15 minutes per user. The 24-hour
/// cap depends on the plan and comes from the headers.
pub const CAPS: &[Cap] = &[Cap {
    posts: 100,
    window_secs: 900,
    name: "X's 15-minute limit",
}];

impl X {
    pub fn new(config: XConfig, tokens: Box<dyn Tokens>) -> X {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(StdDuration::from_secs(10))
            .build()
            .unwrap_or_default();
        X {
            http,
            config,
            tokens,
        }
    }

    fn url(&self, path: &str) -> Url {
        crate::oauth::endpoint(&self.config.api_base, path)
    }

    fn budget(&self, req: &PublishRequest) -> Option<StdDuration> {
        budget(req, (self.config.clock)(), self.config.request_timeout)
    }

    async fn create(&self, req: &PublishRequest, access: &Access) -> Result<Receipt, PublishError> {
        let mut media_ids = Vec::new();
        let mut upload = Upload {
            sent: 0,
            total: req.media.iter().map(|a| a.bytes).sum(),
        };
        for a in &req.media {
            media_ids.push(self.upload(req, access, a, &mut upload).await?);
        }
        let mut body = json!({ "text": req.body });
        if !media_ids.is_empty() {
            body["media"] = json!({ "media_ids": media_ids });
        }
        let Some(timeout) = self.budget(req) else {
            return Err(retry(
                "claim_ending",
                "The claim on this post ran out before X was called; it will be sent again.",
            ));
        };
        let sent = self
            .http
            .post(self.url("/2/tweets"))
            .bearer_auth(access.token.as_str())
            .json(&body)
            .timeout(timeout)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            // Nothing was sent: the connection never opened.
            Err(e) if e.is_connect() => {
                return Err(retry(
                    "unreachable",
                    &format!("Cannot reach X: {}.", crate::error::transport_words(&e)),
                ))
            }
            Err(e) => {
                return Err(PublishError::Unknown(format!(
                    "X did not answer ({}); it may have published the post, so Reachloop checks before sending it again.",
                    crate::error::transport_words(&e)
                )))
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let limits = observed_limits(&headers);
        let text = match crate::body::text(response).await {
            Ok(t) => t,
            Err(e) if status.is_success() => {
                return Err(PublishError::Unknown(format!(
                    "X's answer could not be read ({e}); Reachloop checks whether the post exists."
                )))
            }
            Err(_) => String::new(),
        };
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.as_u16() == 201 || status.as_u16() == 200 {
            let id = json["data"]["id"].as_str().filter(|id| {
                !id.is_empty() && id.len() <= 19 && id.bytes().all(|b| b.is_ascii_digit())
            });
            return match id {
                Some(id) => Ok(Receipt {
                    remote_id: id.to_string(),
                    url: Some(post_url(id)),
                    limits,
                }),
                None => Err(PublishError::Unknown(
                    "X accepted the post but its answer had no post id; Reachloop checks whether it exists.".into(),
                )),
            };
        }
        match classify(status.as_u16(), &headers, &json, &req.body, (self.config.clock)()) {
            // On a retry, X's duplicate guard may be refusing the very post
            // an earlier attempt made after its answer was lost: look again.
            PublishError::Permanent { code, .. } if code == "duplicate" && req.attempt > 1 => {
                Err(PublishError::Unknown(
                    "X says this text is already on the account; Reachloop checks whether an earlier attempt made it.".into(),
                ))
            }
            other => Err(other),
        }
    }

    async fn upload(
        &self,
        req: &PublishRequest,
        access: &Access,
        a: &Attachment,
        upload: &mut Upload,
    ) -> Result<String, PublishError> {
        let path = crate::media::stored_path(
            &self.config.media_dir,
            &a.sha256,
            crate::media::extension_of(&a.mime),
        )
        .map_err(|e| PublishError::Permanent {
            code: "media_missing".into(),
            message: format!("The attachment {} cannot be sent: {e}.", a.file_name),
        })?;
        let category = match a.kind {
            MediaKind::Video => "tweet_video",
            _ if a.mime == "image/gif" => "tweet_gif",
            _ => "tweet_image",
        };
        let media_failed = |why: String| PublishError::Permanent {
            code: "invalid_media".into(),
            message: format!("X refused the attachment {}: {why}", a.file_name),
        };
        let init: Value = self
            .media_call(
                req,
                access,
                self.http
                    .post(self.url("/2/media/upload/initialize"))
                    .json(&json!({
                        "media_type": a.mime,
                        "total_bytes": a.bytes,
                        "media_category": category,
                    })),
            )
            .await?;
        let Some(id) = init["data"]["id"].as_str().map(String::from) else {
            return Err(media_failed("X's answer had no media id".into()));
        };
        // Stream the copy in chunks: never the whole file in memory.
        use tokio::io::AsyncReadExt;
        let mut file = tokio::fs::File::open(&path).await.map_err(|e| PublishError::Permanent {
            code: "media_missing".into(),
            message: format!(
                "The attachment {} is missing from Reachloop's media folder ({e}); attach it again.",
                a.file_name
            ),
        })?;
        let mut buf = vec![0u8; self.config.chunk_bytes.max(1)];
        let mut sent: u64 = 0;
        for segment in 0u32.. {
            let mut filled = 0;
            while filled < buf.len() {
                let n = file
                    .read(&mut buf[filled..])
                    .await
                    .map_err(|e| media_failed(format!("reading it failed: {e}")))?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            if filled == 0 {
                break;
            }
            if segment > 999 {
                return Err(media_failed("it needs more than 1,000 chunks".into()));
            }
            let chunk = base64::engine::general_purpose::STANDARD.encode(&buf[..filled]);
            self.media_call::<Value>(
                req,
                access,
                self.http
                    .post(self.url(&format!("/2/media/upload/{id}/append")))
                    .json(&json!({ "media": chunk, "segment_index": segment })),
            )
            .await?;
            sent += filled as u64;
            upload.sent += filled as u64;
            req.progress.report(upload.now(false));
            tracing::info!(post = %req.post_id, "uploading {}: {sent} of {} bytes", a.file_name, a.bytes);
        }
        let mut answer: Value = self
            .media_call(
                req,
                access,
                self.http
                    .post(self.url(&format!("/2/media/upload/{id}/finalize"))),
            )
            .await?;
        // Finalize names no processing when there is none (images); a
        // status answer always names it, so one without it was not X's
        // (a proxy's page) and is asked again.
        let mut polled = false;
        for _ in 0..self.config.max_status_polls {
            let info = &answer["data"]["processing_info"];
            if info["state"].as_str().is_some_and(|s| s != "succeeded") {
                req.progress.report(upload.now(true));
            }
            match info["state"].as_str() {
                None if !polled => return Ok(id),
                Some("succeeded") => return Ok(id),
                Some("failed") => return Err(media_failed("X could not process it".into())),
                state => {
                    if state.is_none() {
                        tracing::warn!(post = %req.post_id, "X's answer about processing the video could not be read; asking again");
                    }
                    polled = true;
                    let wait = info["check_after_secs"].as_u64().unwrap_or(1).clamp(1, 60);
                    tokio::time::sleep(StdDuration::from_secs(wait)).await;
                    let mut status = self.url("/2/media/upload");
                    status
                        .query_pairs_mut()
                        .append_pair("command", "STATUS")
                        .append_pair("media_id", &id);
                    answer = self.media_call(req, access, self.http.get(status)).await?;
                }
            }
        }
        Err(retry(
            "media_processing",
            "X took too long to process the video; it will be tried again.",
        ))
    }

    /// One media request: uploads create no post, so any failure short of a
    /// refusal can simply be retried.
    async fn media_call<T: serde::de::DeserializeOwned>(
        &self,
        req: &PublishRequest,
        access: &Access,
        builder: reqwest::RequestBuilder,
    ) -> Result<T, PublishError> {
        let Some(timeout) = self.budget(req) else {
            return Err(retry(
                "claim_ending",
                "The claim on this post ran out during the upload; it will be sent again.",
            ));
        };
        let response = builder
            .bearer_auth(access.token.as_str())
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| {
                retry(
                    "upload_interrupted",
                    &format!(
                        "Uploading to X failed: {}.",
                        crate::error::transport_words(&e)
                    ),
                )
            })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = crate::body::text(response).await.unwrap_or_default();
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status == 200 || status == 201 || status == 202 {
            return serde_json::from_value(json).map_err(|_| {
                retry(
                    "upload_unreadable",
                    "X's answer to an upload was unreadable; it will be tried again.",
                )
            });
        }
        match classify(status, &headers, &json, &req.body, (self.config.clock)()) {
            // A 5xx during an upload created no post.
            PublishError::Unknown(_) => Err(retry(
                "x_unavailable",
                "X failed during the upload; it will be tried again.",
            )),
            PublishError::Permanent { code, message } if code == "invalid_request" => {
                Err(PublishError::Permanent {
                    code: "invalid_media".into(),
                    message,
                })
            }
            other => Err(other),
        }
    }

    /// Looks for the post among the account's posts since the attempt:
    /// the oldest one with the sent text (as X shows it) that no other
    /// post of Reachloop's already is (two posts may share a text).
    async fn lookup(&self, req: &PublishRequest) -> Lookup {
        let access = match self.tokens.access(&req.account_id).await {
            Ok(a) => a,
            Err(e) => return Lookup::CannotTell(e.to_string()),
        };
        let from = req.attempt_started_at - Duration::seconds(5);
        let wanted = text::as_sent(&req.body);
        let with_media = !req.media.is_empty();
        let mut token: Option<String> = None;
        let mut oldest: Option<String> = None;
        // At most 10 pages of 100: an account posts far less in the window.
        for _ in 0..10 {
            let mut url = self.url(&format!("/2/users/{}/tweets", access.user_id));
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("start_time", &from.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                    .append_pair("max_results", "100")
                    .append_pair("tweet.fields", "created_at,entities");
                if let Some(t) = &token {
                    q.append_pair("pagination_token", t);
                }
            }
            let answer = self
                .http
                .get(url)
                .bearer_auth(access.token.as_str())
                .timeout(self.config.request_timeout)
                .send()
                .await;
            let response = match answer {
                Ok(r) => r,
                Err(e) => {
                    return Lookup::CannotTell(format!(
                        "X could not be asked whether the post exists: {}",
                        crate::error::transport_words(&e)
                    ))
                }
            };
            let status = response.status().as_u16();
            let json: Value = crate::body::json(response).await.unwrap_or(Value::Null);
            if status != 200 || !json["meta"].is_object() {
                return Lookup::CannotTell(format!(
                    "X answered {status} when asked for the account's posts; Reachloop asks again later."
                ));
            }
            // Newest first: the last match seen is the oldest.
            for p in json["data"].as_array().into_iter().flatten() {
                let (Some(id), Some(shown)) = (p["id"].as_str(), p["text"].as_str()) else {
                    continue;
                };
                if req.already_ours.iter().any(|o| o == id) {
                    continue;
                }
                let shown = text::as_shown(shown, &url_entities(&p["entities"]));
                if text::same_post(&wanted, &shown, with_media) {
                    oldest = Some(id.to_string());
                }
            }
            match json["meta"]["next_token"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => {
                    return match oldest {
                        Some(id) => Lookup::Found(Receipt {
                            url: Some(post_url(&id)),
                            remote_id: id,
                            limits: Vec::new(),
                        }),
                        None => Lookup::Absent,
                    }
                }
            }
        }
        Lookup::CannotTell(
            "The account posted too much since the attempt to check every post.".into(),
        )
    }
}

/// What `entities.urls` of a post says about its t.co links.
fn url_entities(entities: &Value) -> std::collections::HashMap<String, text::UrlEntity> {
    entities["urls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| {
            let tco = u["url"].as_str()?.to_string();
            let display = u["display_url"].as_str().unwrap_or_default();
            Some((
                tco,
                text::UrlEntity {
                    expanded_url: u["expanded_url"].as_str().map(String::from),
                    media: u["media_key"].is_string()
                        || display.starts_with("pic.x.com")
                        || display.starts_with("pic.twitter.com"),
                },
            ))
        })
        .collect()
}

/// How long a request may take at `now`: `timeout`, cut to what is left
/// of the claim (minus a second for writing the answer down); none when
/// less than half a second is left.
pub fn budget(
    req: &PublishRequest,
    now: DateTime<Utc>,
    timeout: StdDuration,
) -> Option<StdDuration> {
    let left = (req.attempt_ends_by - now - Duration::seconds(1))
        .to_std()
        .ok()?;
    let t = left.min(timeout);
    (t >= StdDuration::from_millis(500)).then_some(t)
}

fn retry(code: &str, message: &str) -> PublishError {
    PublishError::Retry {
        code: code.into(),
        message: message.into(),
    }
}

/// The post's page (X redirects `/i/web/status/ID` to the author's URL).
pub fn post_url(id: &str) -> String {
    format!("https://x.com/i/web/status/{id}")
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn epoch(secs: u64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(i64::try_from(secs).ok()?, 0)
}

/// The limits X's headers report: the 15-minute window and the 24-hour caps.
pub fn observed_limits(headers: &HeaderMap) -> Vec<ObservedLimit> {
    let mut out = Vec::new();
    for (prefix, window, name) in [
        ("x-rate-limit", 900, "X's 15-minute limit"),
        (
            "x-user-limit-24hour",
            86_400,
            "X's 24-hour limit for this account",
        ),
        (
            "x-app-limit-24hour",
            86_400,
            "X's 24-hour limit for the app",
        ),
    ] {
        if let (Some(limit), Some(remaining), Some(reset)) = (
            header_u64(headers, &format!("{prefix}-limit")),
            header_u64(headers, &format!("{prefix}-remaining")),
            header_u64(headers, &format!("{prefix}-reset")).and_then(epoch),
        ) {
            out.push(ObservedLimit {
                name: name.into(),
                window_secs: window,
                limit: u32::try_from(limit).unwrap_or(u32::MAX),
                remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
                resets_at: reset,
                whole_platform: prefix == "x-app-limit-24hour",
            });
        }
    }
    out
}

/// The longest a rate limit holds posts back, whatever X's headers say.
const LONGEST_WAIT: Duration = Duration::days(31);

/// What an answer other than 2xx means for the post.
pub fn classify(
    status: u16,
    headers: &HeaderMap,
    body: &Value,
    sent: &str,
    now: DateTime<Utc>,
) -> PublishError {
    let detail = body["detail"]
        .as_str()
        .or_else(|| body["errors"][0]["message"].as_str())
        .or_else(|| body["title"].as_str())
        .and_then(|d| crate::oauth::server_words(d, &[sent]))
        .unwrap_or_else(|| format!("HTTP {status}"));
    let permanent = |code: &str, message: String| PublishError::Permanent {
        code: code.into(),
        message,
    };
    match status {
        429 => {
            let kind = body["type"].as_str().unwrap_or_default();
            let limits = observed_limits(headers);
            let spent = |name_has: &str| {
                limits
                    .iter()
                    .find(|l| l.name.contains(name_has) && l.remaining == 0)
            };
            let (until, whole_platform, message) = if kind.ends_with("/usage-capped") {
                (
                    now + Duration::hours(24),
                    true,
                    format!("X's usage cap for this app is reached ({detail}); publishing to X waits a day, or until the plan allows more."),
                )
            } else if let Some(l) = spent("app").or_else(|| spent("account")) {
                (l.resets_at, l.whole_platform, format!("{} is used up; posts wait until it resets.", l.name))
            } else if let Some(l) = spent("15-minute") {
                (l.resets_at, false, format!("{} is used up; posts wait until it resets.", l.name))
            } else if let Some(secs) = header_u64(headers, "retry-after") {
                // Clamped before adding: a huge value overflowed (and panicked).
                let secs = secs.min(LONGEST_WAIT.num_seconds().unsigned_abs());
                (now + Duration::seconds(i64::try_from(secs).unwrap_or(900)), false, "X asked to wait before posting again.".into())
            } else {
                (now + Duration::minutes(15), false, "X refused for a rate limit without saying until when; posts wait 15 minutes.".into())
            };
            // Never earlier than now, never absurdly late.
            let until = until.clamp(now + Duration::seconds(1), now + LONGEST_WAIT);
            PublishError::RateLimited {
                until,
                whole_platform,
                message,
            }
        }
        401 => permanent(
            "token_expired",
            "X no longer accepts this account's sign-in: reconnect it in Accounts.".into(),
        ),
        403 if detail.contains("duplicate content") => permanent(
            "duplicate",
            "X refuses to post the same text twice on one account: edit the variant or pick another.".into(),
        ),
        403 => permanent(
            "forbidden",
            format!("X refused the post: {detail}. Check the app's permissions (Read and write) and reconnect the account."),
        ),
        400 | 404 | 409 | 413 | 422 => permanent(
            "invalid_request",
            format!("X refused the post as it is: {detail}."),
        ),
        // A 5xx may come after the post was made.
        _ => PublishError::Unknown(format!(
            "X failed while posting ({detail}); Reachloop checks whether the post exists before sending it again."
        )),
    }
}

impl Adapter for X {
    fn platform(&self) -> Platform {
        Platform::X
    }

    fn caps(&self) -> &'static [Cap] {
        CAPS
    }

    fn settle(&self) -> Duration {
        // The request may be processed until its timeout, then the
        // timeline needs its while to show it.
        self.config.settle
            + Duration::from_std(self.config.request_timeout).unwrap_or(Duration::seconds(30))
    }

    fn publish<'a>(
        &'a self,
        req: &'a PublishRequest,
    ) -> BoxFuture<'a, Result<Receipt, PublishError>> {
        Box::pin(async move {
            let access = self.tokens.access(&req.account_id).await?;
            self.create(req, &access).await
        })
    }

    fn find<'a>(&'a self, req: &'a PublishRequest) -> BoxFuture<'a, Lookup> {
        Box::pin(self.lookup(req))
    }
}

/// Bytes of all a post's attachments sent so far.
struct Upload {
    sent: u64,
    total: u64,
}

impl Upload {
    fn now(&self, processing: bool) -> super::UploadProgress {
        super::UploadProgress {
            sent: self.sent,
            total: self.total,
            processing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                reqwest::header::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                v.parse().expect("value"),
            );
        }
        h
    }

    fn now() -> DateTime<Utc> {
        epoch(1_800_000_000).expect("instant")
    }

    #[test]
    fn a_429_waits_for_the_window_its_headers_name() {
        let body = json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429});
        let fifteen = headers(&[
            ("x-rate-limit-limit", "100"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "1800000600"),
        ]);
        match classify(429, &fifteen, &body, "hi", now()) {
            PublishError::RateLimited {
                until,
                whole_platform,
                ..
            } => {
                assert_eq!(until, epoch(1_800_000_600).expect("t"));
                assert!(!whole_platform);
            }
            other => panic!("{other:?}"),
        }
        let daily = headers(&[
            ("x-rate-limit-limit", "100"),
            ("x-rate-limit-remaining", "97"),
            ("x-rate-limit-reset", "1800000600"),
            ("x-user-limit-24hour-limit", "17"),
            ("x-user-limit-24hour-remaining", "0"),
            ("x-user-limit-24hour-reset", "1800050000"),
        ]);
        match classify(429, &daily, &body, "hi", now()) {
            PublishError::RateLimited { until, message, .. } => {
                assert_eq!(until, epoch(1_800_050_000).expect("t"));
                assert!(message.contains("24-hour"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let capped = json!({"title": "UsageCapExceeded", "detail": "Usage cap exceeded: Monthly product cap", "type": "https://api.twitter.com/2/problems/usage-capped", "period": "Monthly", "scope": "Product"});
        assert!(matches!(
            classify(429, &HeaderMap::new(), &capped, "hi", now()),
            PublishError::RateLimited {
                whole_platform: true,
                ..
            }
        ));
        // No headers at all: 15 minutes.
        match classify(429, &HeaderMap::new(), &body, "hi", now()) {
            PublishError::RateLimited { until, .. } => {
                assert_eq!(until, now() + Duration::minutes(15))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_huge_retry_after_waits_the_longest_instead_of_panicking() {
        let body = json!({"title": "Too Many Requests", "type": "about:blank", "status": 429});
        // Past chrono's range as seconds and past it once added to now
        // (both panicked), and past i64 (read as 15 minutes).
        for huge in [
            "9223372036854775807",
            "1000000000000000",
            "18446744073709551615",
        ] {
            match classify(429, &headers(&[("retry-after", huge)]), &body, "hi", now()) {
                PublishError::RateLimited { until, .. } => {
                    assert_eq!(until, now() + Duration::days(31), "{huge}")
                }
                other => panic!("{huge}: {other:?}"),
            }
        }
        match classify(429, &headers(&[("retry-after", "120")]), &body, "hi", now()) {
            PublishError::RateLimited { until, .. } => {
                assert_eq!(until, now() + Duration::seconds(120))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refusals_are_permanent_and_5xx_must_be_verified() {
        let dup = json!({"detail": "You are not allowed to create a Tweet with duplicate content.", "type": "about:blank", "title": "Forbidden", "status": 403});
        assert!(
            matches!(classify(403, &HeaderMap::new(), &dup, "x", now()), PublishError::Permanent { code, .. } if code == "duplicate")
        );
        let unauthorized = json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"});
        assert!(
            matches!(classify(401, &HeaderMap::new(), &unauthorized, "x", now()), PublishError::Permanent { code, .. } if code == "token_expired")
        );
        assert!(matches!(
            classify(503, &HeaderMap::new(), &Value::Null, "x", now()),
            PublishError::Unknown(_)
        ));
        assert!(matches!(
            classify(500, &HeaderMap::new(), &Value::Null, "x", now()),
            PublishError::Unknown(_)
        ));
    }

    #[test]
    fn an_echoed_text_is_not_repeated_in_the_message() {
        let body = json!({"detail": "bad text: my secret launch plan", "title": "Invalid Request"});
        match classify(
            400,
            &HeaderMap::new(),
            &body,
            "my secret launch plan",
            now(),
        ) {
            PublishError::Permanent { message, .. } => {
                assert!(!message.contains("secret"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_request_s_budget_is_what_is_left_of_the_claim_at_the_given_time() {
        let req = PublishRequest {
            post_id: "p".into(),
            account_id: "a".into(),
            body: "hi".into(),
            media: Vec::new(),
            attempt: 1,
            attempt_started_at: now(),
            attempt_ends_by: now() + Duration::seconds(20),
            progress: Default::default(),
            already_ours: Vec::new(),
        };
        let thirty = StdDuration::from_secs(30);
        assert_eq!(
            budget(&req, now(), thirty),
            Some(StdDuration::from_secs(19))
        );
        assert_eq!(
            budget(&req, now() + Duration::seconds(15), thirty),
            Some(StdDuration::from_secs(4))
        );
        assert_eq!(
            budget(&req, now(), StdDuration::from_secs(5)),
            Some(StdDuration::from_secs(5))
        );
        // Under half a second left, or past the claim: nothing is sent.
        assert_eq!(
            budget(&req, now() + Duration::milliseconds(18_600), thirty),
            None
        );
        assert_eq!(budget(&req, now() + Duration::seconds(25), thirty), None);
    }
}
