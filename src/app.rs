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
use crate::secrets::{KeyStore, Vault};
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

    /// Every account ever connected, without secrets.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, Error> {
        Ok(self.store.list_accounts().await?)
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
        keys: &dyn KeyStore,
        open_browser: impl FnOnce(&url::Url) -> Result<(), String>,
    ) -> Result<Account, Error> {
        let config = oauth::config_from_env(platform)?;
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
        keys: &dyn KeyStore,
    ) -> Result<Revocation, Error> {
        let vault = self.vault(keys).await?;
        let platform = self
            .store
            .refresh_target(account_id)
            .await?
            .ok_or_else(|| oauth::OAuthError::NoSuchAccount(account_id.to_string()))?
            .platform;
        let config = oauth::config_from_env(platform).ok();
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
        keys: &dyn KeyStore,
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
            let outcome = match oauth::config_from_env(target.platform) {
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
                Err(e) => RefreshOutcome::Skipped(if e.code() == "not_configured" {
                    "not configured"
                } else {
                    "unsupported"
                }),
            };
            outcomes.push((id, outcome));
        }
        Ok(outcomes)
    }
}
