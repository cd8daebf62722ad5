//! Meta's token dance, which is not RFC 6749: Facebook Login's manual flow
//! (GET code exchange, `fb_exchange_token` for a 60-day user token, one
//! non-expiring Page token per Page) and Business Login for Instagram (POST
//! code exchange, `ig_exchange_token`, `ig_refresh_token`). Errors come in the
//! Graph API envelope `{"error":{"message","type","code","error_subcode"}}`,
//! which the `oauth2` crate cannot read, so these requests are written out.
//! Tokens travel in `Authorization` headers where Meta accepts them, and URLs
//! are stripped from every error so none ends up in a message.

use chrono::{DateTime, Duration, Utc};
use rand::{CryptoRng, RngCore};
use reachloop_ipc::{Account, LinkedInstagram, PageChoice, PageSelection, Platform};
use serde_json::Value;
use zeroize::Zeroizing;

use super::flow::{token_owner, Who};
use super::profiles::GRAPH_VERSION;
use super::{endpoint, OAuthError, PlatformConfig, RefreshFailure};
use crate::secrets::Vault;
use crate::store::{ConnectedAccount, Grant, Store};

/// How long a Facebook sign-in waits for the user to pick Pages.
pub const GRANT_LIFETIME: Duration = Duration::minutes(10);

/// A Facebook sign-in waiting for the user to pick Pages. Lives in memory
/// only; its tokens are zeroed when it is dropped.
pub struct FacebookGrant {
    pub user_id: String,
    pub user_name: String,
    user_token: Zeroizing<String>,
    user_expires_at: Option<DateTime<Utc>>,
    pages: Vec<PageToken>,
    pub created_at: DateTime<Utc>,
}

struct PageToken {
    choice: PageChoice,
    token: Zeroizing<String>,
}

impl std::fmt::Debug for FacebookGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FacebookGrant")
            .field("user_id", &self.user_id)
            .field("user_name", &self.user_name)
            .field("pages", &self.pages())
            .finish_non_exhaustive()
    }
}

impl FacebookGrant {
    /// The Pages to offer, without their tokens.
    pub fn pages(&self) -> Vec<PageChoice> {
        self.pages.iter().map(|p| p.choice.clone()).collect()
    }

    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        now - self.created_at > GRANT_LIFETIME
    }
}

/// A Graph API error, as far as it could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub message: String,
    pub code: Option<i64>,
    pub subcode: Option<i64>,
}

impl GraphError {
    /// Reads the Graph envelope, Instagram Login's flat
    /// `{"error_type","code","error_message"}`, or an OAuth-style body.
    pub fn from_body(body: &Value) -> Option<GraphError> {
        let e = &body["error"];
        if let Some(message) = e["message"].as_str() {
            return Some(GraphError {
                message: message.to_string(),
                code: e["code"].as_i64(),
                subcode: e["error_subcode"].as_i64(),
            });
        }
        if let Some(message) = body["error_message"].as_str() {
            return Some(GraphError {
                message: message.to_string(),
                code: body["code"].as_i64(),
                subcode: None,
            });
        }
        let error = e.as_str()?;
        Some(GraphError {
            message: match body["error_description"].as_str() {
                Some(d) => format!("{error}: {d}"),
                None => error.to_string(),
            },
            code: None,
            subcode: None,
        })
    }

    /// Code 190 (and 102): the token is invalid, expired or revoked; only
    /// signing in again helps.
    pub fn token_is_dead(&self) -> bool {
        matches!(self.code, Some(190 | 102))
    }
}

/// A Graph call failed.
#[derive(Debug)]
enum CallError {
    Network(String),
    /// The platform answered with an error.
    Refused {
        status: reqwest::StatusCode,
        error: GraphError,
    },
    /// The answer could not be read.
    Unreadable(String),
}

impl CallError {
    fn into_oauth(self, platform: Platform) -> OAuthError {
        match self {
            CallError::Network(message) => OAuthError::Network { platform, message },
            CallError::Refused { error, .. } => OAuthError::TokenRejected {
                platform,
                error: error.message,
                description: error.code.map(|c| match error.subcode {
                    Some(s) => format!("code {c}, subcode {s}"),
                    None => format!("code {c}"),
                }),
            },
            CallError::Unreadable(message) => OAuthError::BadResponse { platform, message },
        }
    }
}

async fn call(request: reqwest::RequestBuilder) -> Result<Value, CallError> {
    let response = request
        .send()
        .await
        .map_err(|e| CallError::Network(crate::error::transport_words(&e)))?;
    let status = response.status();
    let text = crate::body::text(response).await.map_err(|e| match e {
        crate::body::BodyError::Transport(_) => CallError::Network(e.to_string()),
        _ => CallError::Unreadable(e.to_string()),
    })?;
    let body: Option<Value> = serde_json::from_str(&text).ok();
    if !status.is_success() {
        let error = body
            .as_ref()
            .and_then(GraphError::from_body)
            .unwrap_or_else(|| GraphError {
                message: format!("HTTP {status}"),
                code: None,
                subcode: None,
            });
        return Err(CallError::Refused { status, error });
    }
    let body = body.ok_or_else(|| CallError::Unreadable("the answer is not JSON".into()))?;
    // Graph sometimes reports errors with a 200.
    if body.get("error").is_some() {
        if let Some(error) = GraphError::from_body(&body) {
            return Err(CallError::Refused { status, error });
        }
    }
    Ok(body)
}

fn graph(base: &url::Url, path: &str) -> url::Url {
    endpoint(base, &format!("/{GRAPH_VERSION}{path}"))
}

fn text(v: &Value, name: &str) -> Option<String> {
    v.get(name)
        .and_then(|v| {
            v.as_str()
                .map(String::from)
                .or_else(|| v.as_i64().map(|n| n.to_string()))
        })
        .filter(|s| !s.is_empty())
}

fn secret_of(platform: Platform, config: &PlatformConfig) -> Result<&str, OAuthError> {
    config
        .credentials
        .client_secret
        .as_deref()
        .map(String::as_str)
        .ok_or(OAuthError::MissingSecret(platform))
}

/// A token response: `access_token` and, if given, `expires_in` seconds.
fn token_of(
    platform: Platform,
    body: &Value,
) -> Result<(Zeroizing<String>, Option<Duration>), OAuthError> {
    let access = body["access_token"]
        .as_str()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::BadResponse {
            platform,
            message: "the token answer has no access_token".into(),
        })?;
    // Numbers beyond i64 (or written as floats) are read as "very long".
    let expires_in = match &body["expires_in"] {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_u64().map(|_| i64::MAX))
            .or_else(|| n.as_f64().map(|f| f.clamp(0.0, i64::MAX as f64) as i64)),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .and_then(super::schedule::lifetime_from_secs);
    Ok((Zeroizing::new(access.to_string()), expires_in))
}

/// Facebook: code → short-lived user token → 60-day user token → the
/// user's Pages with their Page tokens.
pub(super) async fn facebook_sign_in(
    http: &reqwest::Client,
    config: &PlatformConfig,
    redirect_uri: &str,
    code: &str,
    verifier: &str,
    now: DateTime<Utc>,
) -> Result<FacebookGrant, OAuthError> {
    let platform = Platform::Facebook;
    let secret = secret_of(platform, config)?;
    let client_id = config.credentials.client_id.as_str();
    let token_url = graph(&config.endpoints.token_base, "/oauth/access_token");

    // Secrets go in POST form bodies, never in URLs (which servers and
    // proxies log); Meta's token endpoint takes either.
    let short = call(http.post(token_url.clone()).form(&[
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("client_secret", secret),
        ("code", code),
        ("code_verifier", verifier),
    ]))
    .await
    .map_err(|e| e.into_oauth(platform))?;
    let (short, _) = token_of(platform, &short)?;

    // An expired token cannot be exchanged, so this happens right away.
    let long = call(http.post(token_url).form(&[
        ("grant_type", "fb_exchange_token"),
        ("client_id", client_id),
        ("client_secret", secret),
        ("fb_exchange_token", short.as_str()),
    ]))
    .await
    .map_err(|e| e.into_oauth(platform))?;
    let (user_token, expires_in) = token_of(platform, &long)?;

    let api = &config.endpoints.api_base;
    let me = call(
        http.get(graph(api, "/me"))
            .query(&[("fields", "id,name")])
            .bearer_auth(user_token.as_str()),
    )
    .await
    .map_err(|e| e.into_oauth(platform))?;
    let bad = |message: &str| OAuthError::BadResponse {
        platform,
        message: message.into(),
    };
    let user_id = text(&me, "id").ok_or_else(|| bad("the user profile has no id"))?;
    let user_name = text(&me, "name").unwrap_or_else(|| user_id.clone());

    let mut pages = Vec::new();
    let mut after: Option<String> = None;
    // At most 20 pages of 100: enough for any person, bounded for a broken server.
    for _ in 0..20 {
        let mut query = vec![
            (
                "fields",
                "id,name,access_token,tasks,instagram_business_account{id,username}".to_string(),
            ),
            ("limit", "100".to_string()),
        ];
        if let Some(cursor) = &after {
            query.push(("after", cursor.clone()));
        }
        let page = call(
            http.get(graph(api, "/me/accounts"))
                .query(&query)
                .bearer_auth(user_token.as_str()),
        )
        .await
        .map_err(|e| e.into_oauth(platform))?;
        let data = page["data"]
            .as_array()
            .ok_or_else(|| bad("the Page list has no data"))?;
        for p in data {
            let (Some(id), Some(token)) = (text(p, "id"), text(p, "access_token")) else {
                // A Page without a token cannot be published to; skip it.
                continue;
            };
            let tasks: Vec<&str> = p["tasks"]
                .as_array()
                .map(|t| t.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let ig = &p["instagram_business_account"];
            pages.push(PageToken {
                choice: PageChoice {
                    name: text(p, "name").unwrap_or_else(|| id.clone()),
                    id,
                    // Without `tasks` (older API versions) assume the user may publish.
                    can_publish: tasks.is_empty() || tasks.contains(&"CREATE_CONTENT"),
                    instagram: text(ig, "id").map(|ig_id| LinkedInstagram {
                        username: text(ig, "username").unwrap_or_else(|| ig_id.clone()),
                        id: ig_id,
                    }),
                },
                token: Zeroizing::new(token),
            });
        }
        after = page["paging"]["cursors"]["after"]
            .as_str()
            .filter(|_| page["paging"]["next"].is_string())
            .map(String::from);
        if after.is_none() {
            break;
        }
    }
    Ok(FacebookGrant {
        user_id,
        user_name,
        user_token,
        user_expires_at: expires_in.map(|d| super::schedule::expires_at(now, d)),
        pages,
        created_at: now,
    })
}

/// Connects the Pages and linked Instagram accounts the user picked, each
/// with its Page token (which does not expire) and the user grant it came
/// from (kept to revoke it with the last of them).
pub async fn connect_pages(
    store: &Store,
    vault: &Vault,
    grant: &FacebookGrant,
    selection: &PageSelection,
    now: DateTime<Utc>,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Vec<Account>, OAuthError> {
    if selection.pages.is_empty() && selection.instagram.is_empty() {
        return Err(OAuthError::BadSelection(
            "pick at least one Page or Instagram account".into(),
        ));
    }
    let mut targets = Vec::new();
    for id in &selection.pages {
        let page = grant
            .pages
            .iter()
            .find(|p| &p.choice.id == id)
            .ok_or_else(|| {
                OAuthError::BadSelection(format!("Page {id} is not one this sign-in manages"))
            })?;
        targets.push((
            Platform::Facebook,
            page.choice.id.clone(),
            page.choice.name.clone(),
            page.choice.name.clone(),
            page,
        ));
    }
    for id in &selection.instagram {
        let page = grant
            .pages
            .iter()
            .find(|p| p.choice.instagram.as_ref().is_some_and(|ig| &ig.id == id))
            .ok_or_else(|| {
                OAuthError::BadSelection(format!(
                    "Instagram account {id} is not linked to a Page of this sign-in"
                ))
            })?;
        let ig = page.choice.instagram.as_ref().expect("matched above");
        targets.push((
            Platform::Instagram,
            ig.id.clone(),
            format!("@{}", ig.username),
            format!("{} (via {})", ig.username, page.choice.name),
            page,
        ));
    }
    let scopes = super::profiles::FACEBOOK.scopes.join(",");
    let mut accounts = Vec::new();
    for (platform, external_id, handle, display_name, page) in targets {
        let id = match store.account_id_for(platform, &external_id).await? {
            Some(id) => id,
            None => new_id(rng),
        };
        let access_enc = vault.seal(page.token.as_bytes(), &token_owner(&id, "access"), rng);
        let grant_enc = vault.seal(grant.user_token.as_bytes(), &token_owner(&id, "grant"), rng);
        let account = store
            .save_connected_account(
                now,
                &ConnectedAccount {
                    id: &id,
                    platform,
                    external_id: &external_id,
                    handle: &handle,
                    display_name: &display_name,
                    scopes: &scopes,
                    access_token_enc: &access_enc,
                    refresh_token_enc: None,
                    // Page tokens from a long-lived user token do not expire.
                    token_expires_at: None,
                    refresh_expires_at: None,
                    next_refresh_at: None,
                    auth_flavor: Some("facebook_login"),
                    grant: Some(Grant {
                        subject: &grant.user_id,
                        token_enc: &grant_enc,
                        expires_at: grant.user_expires_at,
                    }),
                },
            )
            .await?;
        tracing::info!(platform = platform.as_str(), handle = %handle, "account connected through a Facebook Page");
        accounts.push(account);
    }
    Ok(accounts)
}

pub(super) fn new_id(rng: &mut impl RngCore) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// A fresh Instagram Login token and whose it is.
pub(super) struct InstagramSignIn {
    pub access: Zeroizing<String>,
    pub expires_in: Option<Duration>,
    pub who: Who,
    pub scopes: String,
}

/// Instagram Login: code → short-lived token → 60-day token → profile.
pub(super) async fn instagram_sign_in(
    http: &reqwest::Client,
    config: &PlatformConfig,
    redirect_uri: &str,
    code: &str,
    verifier: &str,
) -> Result<InstagramSignIn, OAuthError> {
    let platform = Platform::Instagram;
    let secret = secret_of(platform, config)?;
    let client_id = config.credentials.client_id.as_str();
    let profile = &super::profiles::INSTAGRAM;
    let exchanged = call(
        http.post(endpoint(&config.endpoints.token_base, profile.token_path))
            .form(&[
                ("client_id", client_id),
                ("client_secret", secret),
                ("grant_type", "authorization_code"),
                ("redirect_uri", redirect_uri),
                ("code", code),
                ("code_verifier", verifier),
            ]),
    )
    .await
    .map_err(|e| e.into_oauth(platform))?;
    // Documented as `{"data":[{…}]}`; live answers are reported flat.
    let first = match exchanged["data"].get(0) {
        Some(d) => d.clone(),
        None => exchanged,
    };
    let (short, _) = token_of(platform, &first)?;
    let scopes = match &first["permissions"] {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        _ => profile.scopes.join(","),
    };

    let long = call(
        http.get(endpoint(&config.endpoints.api_base, "/access_token"))
            .query(&[
                ("grant_type", "ig_exchange_token"),
                ("client_secret", secret),
                ("access_token", short.as_str()),
            ]),
    )
    .await
    .map_err(|e| e.into_oauth(platform))?;
    let (access, expires_in) = token_of(platform, &long)?;

    let me = call(
        http.get(graph(&config.endpoints.api_base, "/me"))
            .query(&[("fields", "user_id,username,name")])
            .bearer_auth(access.as_str()),
    )
    .await
    .map_err(|e| e.into_oauth(platform))?;
    let bad = |message: &str| OAuthError::BadResponse {
        platform,
        message: message.into(),
    };
    let external_id = text(&me, "user_id")
        .or_else(|| text(&me, "id"))
        .ok_or_else(|| bad("the Instagram profile has no user_id"))?;
    let username =
        text(&me, "username").ok_or_else(|| bad("the Instagram profile has no username"))?;
    Ok(InstagramSignIn {
        access,
        expires_in,
        who: Who {
            external_id,
            display_name: text(&me, "name").unwrap_or_else(|| username.clone()),
            handle: format!("@{username}"),
        },
        scopes,
    })
}

/// When to renew an Instagram Login token: Meta only renews tokens at least
/// 24 hours old, and each renewal lasts 60 days from then, so renew daily
/// (spread over an hour by `jitter` in `0.0..1.0`) for as long as the app runs.
pub fn instagram_refresh_at(issued_at: DateTime<Utc>, jitter: f64) -> DateTime<Utc> {
    let after = Duration::hours(24) + Duration::seconds((3600.0 * jitter.clamp(0.0, 1.0)) as i64);
    super::schedule::expires_at(issued_at, after)
}

/// Renews an Instagram Login token.
pub(super) async fn instagram_refresh(
    http: &reqwest::Client,
    config: &PlatformConfig,
    token: &str,
) -> Result<(Zeroizing<String>, Option<Duration>), RefreshFailure> {
    let platform = Platform::Instagram;
    let url = endpoint(&config.endpoints.api_base, "/refresh_access_token");
    match call(
        http.get(url)
            .query(&[("grant_type", "ig_refresh_token"), ("access_token", token)]),
    )
    .await
    {
        Ok(body) => token_of(platform, &body).map_err(|e| RefreshFailure::Transient(e.to_string())),
        Err(CallError::Refused { error, status }) if error.token_is_dead() => {
            Err(RefreshFailure::GrantRevoked(
                match super::server_words(&error.message, &sent_by_refresh(config, token)) {
                    Some(words) => format!("{words} (HTTP {status})"),
                    None => format!("HTTP {status}"),
                },
            ))
        }
        Err(CallError::Refused { error, status }) => Err(RefreshFailure::Transient(format!(
            "Instagram refused renewing the sign-in (HTTP {status}){}",
            super::server_words(&error.message, &sent_by_refresh(config, token))
                .map(|words| format!(": {words}"))
                .unwrap_or_default()
        ))),
        Err(CallError::Network(m)) => Err(RefreshFailure::Transient(format!(
            "cannot reach Instagram: {m}"
        ))),
        Err(CallError::Unreadable(m)) => Err(RefreshFailure::Transient(format!(
            "unreadable answer from Instagram: {m}"
        ))),
    }
}

/// What a renewal sent that an error must not repeat: the token and the
/// app secret.
fn sent_by_refresh<'a>(config: &'a PlatformConfig, token: &'a str) -> [&'a str; 2] {
    let secret = config.credentials.client_secret.as_deref();
    [token, secret.map_or("", |s| s.as_str())]
}

/// Ends a Facebook user grant: `DELETE /me/permissions` with the user token.
pub(super) async fn facebook_revoke(
    http: &reqwest::Client,
    config: &PlatformConfig,
    user_token: &str,
) -> Result<(), String> {
    match call(
        http.delete(graph(&config.endpoints.api_base, "/me/permissions"))
            .bearer_auth(user_token),
    )
    .await
    {
        Ok(body) if body["success"].as_bool() == Some(true) => Ok(()),
        Ok(_) => Err("Facebook did not confirm revoking access".into()),
        Err(CallError::Refused { error, status }) => Err(format!(
            "Facebook did not confirm revoking access (HTTP {status}): {}",
            error.message
        )),
        Err(CallError::Network(m) | CallError::Unreadable(m)) => {
            Err(format!("Facebook did not confirm revoking access: {m}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_every_error_shape_meta_uses() {
        let graph = json!({"error":{"message":"Error validating access token: Session has expired on Thursday, 01-Jan-24 00:00:00 PST.","type":"OAuthException","code":190,"error_subcode":463}});
        let e = GraphError::from_body(&graph).expect("graph");
        assert_eq!((e.code, e.subcode), (Some(190), Some(463)));
        assert!(e.token_is_dead());
        let ig = json!({"error_type":"OAuthException","code":400,"error_message":"Invalid authorization code"});
        let e = GraphError::from_body(&ig).expect("instagram");
        assert_eq!(e.message, "Invalid authorization code");
        assert!(!e.token_is_dead());
        let oauth = json!({"error":"invalid_request","error_description":"bad"});
        assert_eq!(
            GraphError::from_body(&oauth).expect("oauth").message,
            "invalid_request: bad"
        );
        assert_eq!(GraphError::from_body(&json!({"data":[]})), None);
    }

    #[test]
    fn instagram_renews_daily_within_the_hour() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(instagram_refresh_at(t, 0.0), t + Duration::hours(24));
        assert_eq!(instagram_refresh_at(t, 1.0), t + Duration::hours(25));
        assert_eq!(instagram_refresh_at(t, 7.0), t + Duration::hours(25));
    }

    #[test]
    fn versioned_paths_agree_with_the_profile() {
        let p = &super::super::profiles::FACEBOOK;
        assert!(p.authorize_path.starts_with(&format!("/{GRAPH_VERSION}/")));
        assert!(p.token_path.starts_with(&format!("/{GRAPH_VERSION}/")));
        let base = url::Url::parse("http://127.0.0.1:1/fb").expect("url");
        assert_eq!(graph(&base, "/me").path(), "/fb/v25.0/me");
    }
}
