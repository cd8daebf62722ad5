//! Keeping tokens alive: renew each access token before it expires, persist a
//! rotated refresh token together with the access token it came with, and
//! tell a revoked grant (the user must reconnect) from a network blip (retry
//! later, stay connected).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use oauth2::basic::BasicErrorResponseType;
use oauth2::{RefreshToken, RequestTokenError};
use rand::{CryptoRng, RngCore};
use reachloop_ipc::{AccountStatus, Platform};
use zeroize::Zeroizing;

use super::flow::{
    open_token, parse_failure, token_client, token_owner, token_transport_words, tokens_from,
    unit_draw, TokenError, Tokens,
};
use super::schedule::{refresh_at, retry_after};
use super::{profile, OAuthError, PlatformConfig};
use crate::secrets::Vault;
use crate::store::Store;

/// What one refresh attempt did.
#[derive(Debug, Clone, PartialEq)]
pub enum RefreshOutcome {
    Refreshed {
        expires_at: Option<DateTime<Utc>>,
        rotated: bool,
    },
    /// The grant is gone; `newly` is true the first time, so the user is
    /// notified once.
    NeedsAction { reason: String, newly: bool },
    /// A transient failure; the account stays connected.
    RetryLater { at: DateTime<Utc>, reason: String },
    /// Nothing to do (no refresh token, or the account is not connected).
    Skipped(&'static str),
}

/// How a failed refresh should be treated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshFailure {
    /// Revoked, expired or already-rotated grant: only reconnecting helps.
    GrantRevoked(String),
    /// Network, timeout, 5xx, rate limit, unreadable answer: try again later.
    Transient(String),
}

/// Classifies a token-endpoint failure during refresh, in words safe to
/// store, log and show: the server's `error` and description pass through
/// [`super::server_words`] (dropped when they contain any of `sent`, the
/// refresh token and client secret), the rest is Reachloop's own words.
pub fn classify(platform: Platform, error: &TokenError, sent: &[&str]) -> RefreshFailure {
    match error {
        RequestTokenError::ServerResponse(r) => {
            let raw_description = r.error_description().map_or("", String::as_str);
            let code = super::server_words(r.error().as_ref(), sent)
                .unwrap_or_else(|| "an unreadable error".into());
            let text = match super::server_words(raw_description, sent) {
                Some(description) => format!("{code}: {description}"),
                None => code,
            };
            match r.error() {
                BasicErrorResponseType::InvalidGrant => RefreshFailure::GrantRevoked(text),
                // X answers a rotated or revoked refresh token with invalid_request.
                BasicErrorResponseType::InvalidRequest
                    if platform == Platform::X && raw_description.contains("token was invalid") =>
                {
                    RefreshFailure::GrantRevoked(text)
                }
                // The app's own credentials were refused: reconnecting the
                // account would not help, and retrying slowly costs nothing.
                _ => RefreshFailure::Transient(text),
            }
        }
        RequestTokenError::Request(e) => RefreshFailure::Transient(format!(
            "cannot reach {platform}: {}",
            token_transport_words(e)
        )),
        // 5xx pages and proxies' error pages land here.
        RequestTokenError::Parse(e, _) => RefreshFailure::Transient(format!(
            "unreadable answer from {platform}: {}",
            parse_failure(e)
        )),
        RequestTokenError::Other(m) => RefreshFailure::Transient(format!(
            "{platform}: {}",
            super::server_words(m, sent).unwrap_or_else(|| "an unexpected answer".into())
        )),
    }
}

/// One refresh at a time per account, however many callers ask.
#[derive(Default, Clone, Debug)]
pub struct RefreshLocks {
    locks: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl RefreshLocks {
    fn lock_for(&self, account_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self
            .locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.entry(account_id.to_string()).or_default().clone()
    }
}

/// Renews `account_id`'s access token now.
#[allow(clippy::too_many_arguments)]
pub async fn refresh_account(
    store: &Store,
    vault: &Vault,
    http: &reqwest::Client,
    locks: &RefreshLocks,
    config: &PlatformConfig,
    account_id: &str,
    now: DateTime<Utc>,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<RefreshOutcome, OAuthError> {
    let lock = locks.lock_for(account_id);
    let _guard = lock.lock().await;
    // Read under the lock: a refresh that just finished has rotated the token.
    let Some(target) = store.refresh_target(account_id).await? else {
        return Ok(RefreshOutcome::Skipped("no such account"));
    };
    if !matches!(
        target.status,
        AccountStatus::Connected | AccountStatus::Expiring
    ) {
        return Ok(RefreshOutcome::Skipped("not connected"));
    }
    let profile = profile(target.platform).ok_or(OAuthError::Unsupported(target.platform))?;
    let renewed = if target.auth_flavor.as_deref() == Some("instagram_login") {
        // Instagram Login renews the access token itself; there is no refresh token.
        let Some(access_enc) = target.access_token_enc else {
            return Ok(RefreshOutcome::Skipped("no token"));
        };
        let access = Zeroizing::new(open_token(vault, &access_enc, account_id, "access")?);
        super::meta::instagram_refresh(http, config, &access)
            .await
            .map(|(access, expires_in)| {
                let next = super::meta::instagram_refresh_at(now, unit_draw(rng));
                (
                    Tokens {
                        access,
                        refresh: None,
                        expires_in,
                        scopes: String::new(),
                    },
                    Some(next),
                )
            })
    } else {
        let Some(refresh_enc) = target.refresh_token_enc else {
            return Ok(RefreshOutcome::Skipped("no refresh token"));
        };
        let refresh = open_token(vault, &refresh_enc, account_id, "refresh")?;
        let client = token_client(profile, config);
        let refresh = RefreshToken::new(refresh);
        let mut request = client.exchange_refresh_token(&refresh);
        if profile.client_id_param != "client_id" {
            request = request.add_extra_param(
                profile.client_id_param,
                config.credentials.client_id.clone(),
            );
        }
        match request.request_async(&crate::body::TokenHttp(http)).await {
            Ok(response) => {
                let tokens = tokens_from(profile, &response);
                let next = tokens
                    .expires_in
                    .map(|d| refresh_at(now, d, unit_draw(rng)));
                Ok((tokens, next))
            }
            Err(e) => {
                let secret = config.credentials.client_secret.as_deref();
                let sent = [refresh.secret().as_str(), secret.map_or("", |s| s.as_str())];
                Err(classify(profile.platform, &e, &sent))
            }
        }
    };
    match renewed {
        Ok((tokens, next)) => {
            let access_enc = vault.seal(
                tokens.access.as_bytes(),
                &token_owner(account_id, "access"),
                rng,
            );
            let refresh_enc = tokens
                .refresh
                .as_ref()
                .map(|r| vault.seal(r.as_bytes(), &token_owner(account_id, "refresh"), rng));
            let expires_at = tokens
                .expires_in
                .map(|d| super::schedule::expires_at(now, d));
            store
                .save_refreshed_tokens(
                    now,
                    account_id,
                    &access_enc,
                    refresh_enc.as_deref(),
                    expires_at,
                    next,
                )
                .await?;
            tracing::info!(
                account = account_id,
                platform = profile.platform.as_str(),
                "token refreshed"
            );
            Ok(RefreshOutcome::Refreshed {
                expires_at,
                rotated: refresh_enc.is_some(),
            })
        }
        Err(failure) => match failure {
            RefreshFailure::GrantRevoked(reason) => {
                let reason = format!(
                    "{} refused the saved sign-in ({reason}); reconnect the account",
                    profile.platform
                );
                let newly = store.mark_needs_action(now, account_id, &reason).await?;
                tracing::warn!(account = account_id, "refresh refused: grant revoked");
                Ok(RefreshOutcome::NeedsAction { reason, newly })
            }
            RefreshFailure::Transient(reason) => {
                let at = now + retry_after(target.refresh_failures, unit_draw(rng));
                store
                    .record_refresh_failure(now, account_id, &reason, at)
                    .await?;
                tracing::warn!(account = account_id, retry_at = %at, "refresh failed, will retry: {reason}");
                Ok(RefreshOutcome::RetryLater { at, reason })
            }
        },
    }
}
