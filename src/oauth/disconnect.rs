//! Disconnecting: revoke the grant at the platform where it has a revoke
//! endpoint, then delete the tokens. The account row, its posts and metrics
//! stay readable.

use chrono::{DateTime, Utc};
use reachloop_ipc::Platform;

use super::flow::open_token;
use super::profiles::Flow;
use super::{endpoint, profile, OAuthError, PlatformConfig};
use crate::secrets::Vault;
use crate::store::Store;
use zeroize::Zeroizing;

/// What disconnecting did at the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    Revoked,
    /// The platform has no revoke endpoint; the user can remove the app there.
    NotOffered,
    /// Revoking failed; the tokens were deleted here anyway. The text says so
    /// in words, with the HTTP status and the platform's parsed `error` code
    /// at most (never its raw body, which may echo the token), and where the
    /// user can remove Reachloop's access by hand.
    Failed(String),
    /// There was no token left to revoke.
    NothingToRevoke,
    /// Other accounts still use the same Facebook sign-in, so it was kept.
    KeptForOthers,
}

/// Whose app credentials and servers an account's tokens belong to: an
/// Instagram account reached through a Facebook Page is Facebook's.
pub fn issuer(platform: Platform, auth_flavor: Option<&str>) -> Platform {
    match auth_flavor {
        Some("facebook_login") => Platform::Facebook,
        _ => platform,
    }
}

/// Revokes and forgets `account_id`'s tokens. `config` is `None` when the
/// app's credentials for the platform are gone; the tokens are still deleted.
pub async fn disconnect(
    store: &Store,
    vault: &Vault,
    http: &reqwest::Client,
    config: Option<&PlatformConfig>,
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<Revocation, OAuthError> {
    let Some(target) = store.refresh_target(account_id).await? else {
        return Err(OAuthError::NoSuchAccount(account_id.to_string()));
    };
    let (access_enc, refresh_enc) = store.sealed_tokens(account_id).await?;
    let issuer = issuer(target.platform, target.auth_flavor.as_deref());
    let revocation = match (profile(issuer), config) {
        (Some(p), _) if p.flow == Flow::Facebook => {
            match (target.grant_subject, target.grant_token_enc) {
                (Some(subject), Some(_)) if store.grant_in_use(&subject, account_id).await? => {
                    Revocation::KeptForOthers
                }
                (Some(_), Some(sealed)) => match config {
                    Some(config) => {
                        let token =
                            Zeroizing::new(open_token(vault, &sealed, account_id, "grant")?);
                        match super::meta::facebook_revoke(http, config, &token).await {
                            Ok(()) => Revocation::Revoked,
                            Err(why) => failed(p, &why),
                        }
                    }
                    None => failed(p, "its app settings in Reachloop are missing"),
                },
                _ => Revocation::NothingToRevoke,
            }
        }
        (Some(p), Some(config)) if p.revoke_path.is_some() => {
            // Revoking the refresh token ends the whole grant; else the access token.
            let token = match (refresh_enc, access_enc) {
                (Some(r), _) => Some((
                    open_token(vault, &r, account_id, "refresh")?,
                    "refresh_token",
                )),
                (None, Some(a)) => {
                    Some((open_token(vault, &a, account_id, "access")?, "access_token"))
                }
                (None, None) => None,
            };
            match token {
                None => Revocation::NothingToRevoke,
                Some((token, hint)) => {
                    let token = Zeroizing::new(token);
                    revoke(http, p, config, &token, hint).await
                }
            }
        }
        _ => Revocation::NotOffered,
    };
    let (revoked, note) = match &revocation {
        Revocation::Revoked => (true, None),
        Revocation::NotOffered => (
            false,
            Some(format!(
                "{} has no revoke endpoint; remove Reachloop in its settings",
                target.platform
            )),
        ),
        Revocation::Failed(e) => (false, Some(e.clone())),
        Revocation::NothingToRevoke => (false, None),
        Revocation::KeptForOthers => (
            false,
            Some("other accounts still use this Facebook sign-in, so it was not revoked".into()),
        ),
    };
    store
        .mark_disconnected(now, account_id, revoked, note.as_deref())
        .await?;
    Ok(revocation)
}

/// What the user reads when revoking failed: the local tokens are gone, the
/// platform did not confirm, `why` (status and error code only), and where
/// to remove Reachloop's access there.
fn failed(profile: &super::Profile, why: &str) -> Revocation {
    Revocation::Failed(format!(
        "Reachloop deleted its tokens for this account, but {} did not confirm that it \
         revoked Reachloop's access ({why}). To be sure, remove Reachloop at {}.",
        profile.platform, profile.manage_access_at
    ))
}

fn secret_of(creds: &super::Credentials) -> &str {
    creds.client_secret.as_deref().map_or("", |s| s.as_str())
}

/// RFC 7009 revocation. Written out rather than through the `oauth2` crate,
/// which refuses non-https revocation URLs (the local fakes are http).
async fn revoke(
    http: &reqwest::Client,
    profile: &super::Profile,
    config: &PlatformConfig,
    token: &str,
    hint: &str,
) -> Revocation {
    let platform: Platform = profile.platform;
    let Some(path) = profile.revoke_path else {
        return Revocation::NotOffered;
    };
    let url = endpoint(&config.endpoints.token_base, path);
    let creds = &config.credentials;
    let mut form: Vec<(&str, &str)> = vec![("token", token), ("token_type_hint", hint)];
    let mut request = http.post(url);
    match (&creds.client_secret, platform) {
        // X's confidential clients authenticate with HTTP Basic.
        (Some(secret), Platform::X) => {
            request = request.basic_auth(&creds.client_id, Some(secret.as_str()))
        }
        (Some(secret), _) => {
            form.push((profile.client_id_param, &creds.client_id));
            form.push(("client_secret", secret.as_str()));
        }
        (None, _) => form.push((profile.client_id_param, &creds.client_id)),
    }
    match request.form(&form).send().await {
        Ok(r) if r.status().is_success() => Revocation::Revoked,
        Ok(r) => {
            let status = r.status().as_u16();
            // Only the parsed error code, checked against what was sent.
            let body: Option<serde_json::Value> = crate::body::json(r).await.ok();
            let code = body.as_ref().and_then(|b| {
                let e = b["error"]
                    .as_str()
                    .or_else(|| b["error"]["code"].as_str())?;
                super::server_words(e, &[token, secret_of(creds)])
            });
            let why = match code {
                Some(code) => format!("HTTP {status}, {code}"),
                None => format!("HTTP {status}"),
            };
            let _ = platform;
            failed(profile, &why)
        }
        Err(e) if e.is_timeout() => failed(profile, "it did not answer in time"),
        Err(_) => failed(profile, "it could not be reached"),
    }
}
