//! The operations both shells (desktop and CLI) call: validation, storage and
//! auditing composed, with time and identifiers passed in.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::{CryptoRng, RngCore};
use reachloop_ipc::{Account, AppStatus, AuditEntry, Campaign, NewCampaign};
use uuid::Uuid;

use crate::oauth::{self, RefreshLocks, RefreshOutcome, Revocation};
use crate::oauth::{Credentials, PlatformConfig};
use crate::secrets::{KeyStore, OsKeychain, Vault};
use crate::store::{Actor, Store};
use crate::{campaigns, Error};

/// An open Reachloop data directory.
#[derive(Clone, Debug)]
pub struct App {
    store: Store,
    data_dir: PathBuf,
    http: reqwest::Client,
    refresh_locks: RefreshLocks,
    vault: Arc<tokio::sync::Mutex<Option<Arc<Vault>>>>,
}

/// How long a user has to approve a connection in the browser.
pub const CONSENT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

impl App {
    /// Opens the data directory, creating and migrating the database if needed.
    pub async fn open(data_dir: &Path) -> Result<App, Error> {
        let store = Store::open_in(data_dir).await?;
        let http = reqwest::Client::builder()
            // Never follow redirects from OAuth or API endpoints.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("Reachloop/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Network(format!("cannot set up the HTTP client: {e}")))?;
        Ok(App {
            store,
            data_dir: data_dir.to_path_buf(),
            http,
            refresh_locks: RefreshLocks::default(),
            vault: Arc::default(),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Validates and stores a new draft campaign. Invalid input writes nothing.
    pub async fn create_campaign(
        &self,
        now: DateTime<Utc>,
        id: Uuid,
        actor: Actor,
        input: &NewCampaign,
    ) -> Result<Campaign, Error> {
        let valid = campaigns::validate(input).map_err(Error::Validation)?;
        Ok(self.store.create_campaign(now, id, actor, &valid).await?)
    }

    pub async fn list_campaigns(&self) -> Result<Vec<Campaign>, Error> {
        Ok(self.store.list_campaigns().await?)
    }

    /// Every account ever connected, without secrets, with its standing at
    /// `now` (a sign-in that cannot renew itself shows as expiring, then as
    /// needing action).
    pub async fn list_accounts(&self, now: DateTime<Utc>) -> Result<Vec<Account>, Error> {
        let mut accounts = self.store.list_accounts().await?;
        for a in &mut accounts {
            let expires_at = a
                .token_expires_at
                .as_deref()
                .and_then(|t| crate::time::from_db(t).ok());
            let (status, reason) =
                oauth::schedule::standing(a.status, expires_at, a.has_refresh_token, now);
            if status != a.status {
                a.status = status;
                a.status_reason = reason;
            }
        }
        Ok(accounts)
    }

    pub async fn status(&self) -> Result<AppStatus, Error> {
        Ok(AppStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            publishing_paused: self.store.publishing_paused().await?,
            data_dir: self.data_dir.display().to_string(),
        })
    }

    pub async fn set_publishing_paused(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        paused: bool,
    ) -> Result<(), Error> {
        Ok(self.store.set_publishing_paused(now, actor, paused).await?)
    }

    pub async fn recent_audit(&self, limit: u32) -> Result<Vec<AuditEntry>, Error> {
        Ok(self.store.recent_audit(limit).await?)
    }

    /// Unlocks the data key in `keys`, creating it on first use, and checks it
    /// against the canary this database recorded.
    pub async fn unlock_vault(
        &self,
        now: DateTime<Utc>,
        keys: &dyn KeyStore,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Vault, Error> {
        let canary = self.store.key_canary().await?;
        let unlocked = Vault::unlock(keys, canary.as_deref(), rng)?;
        if let Some(new) = unlocked.new_canary {
            self.store.set_key_canary(now, &new).await?;
        }
        Ok(unlocked.vault)
    }

    /// The unlocked vault, unlocking it on first use.
    pub async fn vault(&self, keys: &dyn KeyStore) -> Result<Arc<Vault>, Error> {
        let mut cached = self.vault.lock().await;
        if let Some(v) = cached.as_ref() {
            return Ok(v.clone());
        }
        let vault = Arc::new(
            self.unlock_vault(chrono::Utc::now(), keys, &mut rand::rngs::OsRng)
                .await?,
        );
        *cached = Some(vault.clone());
        Ok(vault)
    }

    /// Connects an account of `platform` through the system browser and a
    /// loopback redirect; returns once the user approved (or failed).
    pub async fn connect_account(
        &self,
        platform: reachloop_ipc::Platform,
        keys: &OsKeychain,
        open_browser: impl FnOnce(&url::Url) -> Result<(), String>,
    ) -> Result<Account, Error> {
        let config = self.platform_config(platform, keys).await?;
        let port = oauth::loopback::port_for(platform).map_err(|m| {
            oauth::OAuthError::Loopback(oauth::loopback::LoopbackError::Bind { port: 0, reason: m })
        })?;
        let vault = self.vault(keys).await?;
        let connected = oauth::connect_with_loopback(
            &self.store,
            &vault,
            &self.http,
            platform,
            &config,
            port,
            CONSENT_TIMEOUT,
            chrono::Utc::now,
            &mut rand::rngs::OsRng,
            open_browser,
        )
        .await?;
        Ok(connected.account)
    }

    /// Revokes (where the platform allows) and forgets an account's tokens.
    pub async fn disconnect_account(
        &self,
        account_id: &str,
        keys: &OsKeychain,
    ) -> Result<Revocation, Error> {
        let vault = self.vault(keys).await?;
        let platform = self
            .store
            .refresh_target(account_id)
            .await?
            .ok_or_else(|| oauth::OAuthError::NoSuchAccount(account_id.to_string()))?
            .platform;
        let config = self.platform_config(platform, keys).await.ok();
        let now = chrono::Utc::now();
        Ok(oauth::disconnect(
            &self.store,
            &vault,
            &self.http,
            config.as_ref(),
            account_id,
            now,
        )
        .await?)
    }

    /// Renews every token that is due at `now`.
    pub async fn refresh_due_accounts(
        &self,
        keys: &OsKeychain,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, RefreshOutcome)>, Error> {
        let due = self.store.accounts_due_for_refresh(now).await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let vault = self.vault(keys).await?;
        let mut outcomes = Vec::new();
        for id in due {
            let Some(target) = self.store.refresh_target(&id).await? else {
                continue;
            };
            let outcome = match self.platform_config(target.platform, keys).await {
                Ok(config) => {
                    oauth::refresh_account(
                        &self.store,
                        &vault,
                        &self.http,
                        &self.refresh_locks,
                        &config,
                        &id,
                        now,
                        &mut rand::rngs::OsRng,
                    )
                    .await?
                }
                // The app's credentials are missing: nothing to refresh with yet.
                Err(Error::OAuth(e)) => RefreshOutcome::Skipped(if e.code() == "not_configured" {
                    "not configured"
                } else {
                    "unsupported"
                }),
                Err(e) => return Err(e),
            };
            outcomes.push((id, outcome));
        }
        Ok(outcomes)
    }

    /// Where `platform`'s servers are and which app Reachloop is there:
    /// Settings (client id) and the keychain (client secret), each overridden
    /// by `OAUTH_<PLATFORM>_CLIENT_ID` / `..._CLIENT_SECRET`.
    pub async fn platform_config(
        &self,
        platform: reachloop_ipc::Platform,
        keys: &OsKeychain,
    ) -> Result<PlatformConfig, Error> {
        let profile = oauth::profile(platform).ok_or(oauth::OAuthError::Unsupported(platform))?;
        let stored_id = self.store.oauth_client_id(platform).await?;
        let secret = match Credentials::secret_from_env(platform) {
            Some(s) => Some(s),
            None => match keys.with_user(&oauth::client_secret_entry(platform)).load() {
                Ok(s) => s.map(|bytes| {
                    zeroize::Zeroizing::new(String::from_utf8_lossy(&bytes).into_owned())
                }),
                // A platform without a required secret still works without the keychain.
                Err(e) if profile.needs_secret => return Err(Error::Secrets(e.into())),
                Err(_) => None,
            },
        };
        let credentials =
            oauth::resolve_credentials(Credentials::from_env(platform), stored_id, secret)
                .ok_or(oauth::OAuthError::MissingClientId(platform))?;
        Ok(PlatformConfig {
            endpoints: oauth::Endpoints::from_env(profile).map_err(oauth::OAuthError::from)?,
            credentials,
        })
    }

    /// Stores a platform app's client id (Settings) and, when given, its
    /// client secret (keychain only).
    pub async fn save_platform_app(
        &self,
        platform: reachloop_ipc::Platform,
        client_id: &str,
        client_secret: Option<&str>,
        keys: &OsKeychain,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let client_id = client_id.trim();
        let mut problems = Vec::new();
        if client_id.is_empty() {
            problems.push(reachloop_ipc::FieldError {
                field: "client_id".into(),
                code: "required".into(),
                message: format!("Paste the client id of your {platform} app."),
            });
        } else if client_id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
            || client_id.len() > 200
        {
            problems.push(reachloop_ipc::FieldError {
                field: "client_id".into(),
                code: "invalid".into(),
                message: "A client id has no spaces and is at most 200 characters.".into(),
            });
        }
        if !problems.is_empty() {
            return Err(Error::Validation(problems));
        }
        if let Some(secret) = client_secret.map(str::trim).filter(|s| !s.is_empty()) {
            keys.with_user(&oauth::client_secret_entry(platform))
                .save(secret.as_bytes())
                .map_err(crate::secrets::SecretsError::from)?;
        }
        Ok(self
            .store
            .set_oauth_client_id(now, platform, client_id)
            .await?)
    }

    /// Each connectable platform's app settings, without the secret itself.
    pub async fn platform_apps(
        &self,
        keys: &OsKeychain,
    ) -> Result<Vec<reachloop_ipc::PlatformApp>, Error> {
        let mut apps = Vec::new();
        for platform in reachloop_ipc::Platform::ALL {
            let Some(profile) = oauth::profile(platform) else {
                continue;
            };
            let env = Credentials::from_env(platform);
            let stored = self.store.oauth_client_id(platform).await?;
            let has_secret = Credentials::secret_from_env(platform).is_some()
                || matches!(
                    keys.with_user(&oauth::client_secret_entry(platform)).load(),
                    Ok(Some(_))
                );
            let port = oauth::loopback::port_for(platform).unwrap_or(0);
            apps.push(reachloop_ipc::PlatformApp {
                platform,
                client_id: env
                    .as_ref()
                    .map(|c| c.client_id.clone())
                    .or(stored)
                    .unwrap_or_default(),
                from_env: env.is_some(),
                has_secret,
                needs_secret: profile.needs_secret,
                redirect_uri: if port == 0 {
                    oauth::loopback_redirect_uri(platform, 0).replace(":0/", ":<any port>/")
                } else {
                    oauth::loopback_redirect_uri(platform, port)
                },
            });
        }
        Ok(apps)
    }
}
