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
    /// Revoking failed; the tokens were deleted here anyway.
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
                            Err(e) => Revocation::Failed(e),
                        }
                    }
                    None => Revocation::Failed(
                        "Facebook's app settings are missing, so access could not be revoked there"
                            .into(),
                    ),
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
                Some((token, hint)) => revoke(http, p, config, &token, hint).await,
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
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            let detail: String = body.chars().take(200).collect();
            Revocation::Failed(format!(
                "{platform} did not confirm revoking access (HTTP {status}): {detail}"
            ))
        }
        Err(e) => Revocation::Failed(format!(
            "{platform} did not confirm revoking access: {}",
            e.without_url()
        )),
    }
}
