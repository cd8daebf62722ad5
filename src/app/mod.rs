//! The operations both shells (desktop and CLI) call: validation, storage and
//! auditing composed, with time and identifiers passed in. Accounts live
//! here; the campaign builder (campaigns, variants, generation, Settings →
//! AI) in `content.rs`.

mod accounts;
mod activity;
pub mod analytics;
pub mod bench;
mod blockers;
mod calendar;
pub mod changes;
mod content;
mod optimizer;
pub mod publishing;

pub use content::{default_policy, AI_KEY_ENTRY, DEFAULT_TEMPERATURE, MAX_TIMED_OUT_RUNS};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::{CryptoRng, RngCore};
use reachloop_ipc::{
    Account, AppStatus, Campaign, ConnectOutcome, NewCampaign, PageSelection, Platform,
};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::oauth::{self, RefreshLocks, RefreshOutcome, Revocation};
use crate::oauth::{Connected, Credentials, FacebookGrant, OAuthError, PlatformConfig};
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
    /// Facebook sign-ins waiting for the user to pick Pages, by grant id.
    pending_grants: Arc<Mutex<HashMap<String, FacebookGrant>>>,
    /// Connects waiting for a deep-link callback, by `state`.
    callback_waiters: Arc<Mutex<HashMap<String, oneshot::Sender<String>>>>,
    /// What each running generation job is doing, for the progress display.
    job_progress: Arc<Mutex<HashMap<String, String>>>,
    /// Platforms pointed at other servers than their own (local fakes).
    endpoint_overrides: Arc<Mutex<HashMap<reachloop_ipc::Platform, oauth::Endpoints>>>,
    /// The publisher's timings when set (tests), else from the environment.
    publish_timings: Arc<Mutex<Option<publishing::PublishTimings>>>,
    /// When a stray sign-in link was last audited (at most one a minute).
    ignored_link_audited: Arc<Mutex<Option<DateTime<Utc>>>>,
    /// The publishers of this process, each holding its lock file while it
    /// lives (how others tell a crashed publisher from a slow one).
    liveness: crate::publish::alive::Liveness,
}

/// What became of a sign-in link handed to [`App::deliver_callback`].
#[derive(Debug)]
pub enum Delivered {
    /// A connect in the window was waiting for it and finishes there.
    ToWaiter,
    /// It answers no sign-in in progress; dropped quietly.
    Ignored,
    /// It finished a sign-in nobody was waiting for (e.g. after a restart).
    Finished(ConnectOutcome),
}

/// Where a platform's consent page sends the browser back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectVia {
    /// A one-shot listener on 127.0.0.1 at this port (0: any free port).
    Loopback(u16),
    /// An https relay page (this redirect URI) that forwards to the deep link.
    Relay(String),
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
            pending_grants: Arc::default(),
            callback_waiters: Arc::default(),
            job_progress: Arc::default(),
            ignored_link_audited: Arc::default(),
            liveness: Default::default(),
            endpoint_overrides: Arc::default(),
            publish_timings: Arc::default(),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
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
                oauth::schedule::standing(a.status, expires_at, a.renews_itself, now);
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

    /// Records the start-at-login choice in the settings and the audit log.
    pub async fn record_start_at_login(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        enabled: bool,
    ) -> Result<(), Error> {
        Ok(self.store.set_start_at_login(now, actor, enabled).await?)
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

    /// The relay page set for `platform`: `REACHLOOP_<PLATFORM>_RELAY_URL`,
    /// else Settings.
    async fn relay_url(&self, platform: Platform) -> Result<Option<String>, Error> {
        Ok(match oauth::relay::relay_from_env(platform) {
            Some(r) => Some(r),
            None => self.store.oauth_relay_url(platform).await?,
        })
    }

    /// Where `platform`'s sign-in comes back: through the relay page when
    /// one is set (`REACHLOOP_<PLATFORM>_RELAY_URL` or Settings), else a
    /// loopback listener.
    pub async fn redirect_via(&self, platform: Platform) -> Result<RedirectVia, Error> {
        if let Some(relay) = self.relay_url(platform).await? {
            let base = oauth::relay::parse_relay(&relay).map_err(|e| {
                Error::OAuth(OAuthError::BadSelection(format!(
                    "{platform}: {e} ({relay:?})"
                )))
            })?;
            return Ok(RedirectVia::Relay(oauth::relay::relay_redirect_uri(
                &base, platform,
            )));
        }
        let port = oauth::loopback::port_for(platform).map_err(|m| {
            OAuthError::Loopback(oauth::loopback::LoopbackError::Bind { port: 0, reason: m })
        })?;
        Ok(RedirectVia::Loopback(port))
    }

    /// Connects an account of `platform` through the system browser; returns
    /// once the user approved (or failed). A Facebook sign-in returns the
    /// Pages to pick from (then [`App::connect_pages`]).
    pub async fn connect_account(
        &self,
        platform: Platform,
        keys: &OsKeychain,
        open_browser: impl FnOnce(&url::Url) -> Result<(), String>,
    ) -> Result<ConnectOutcome, Error> {
        let config = self.platform_config(platform, keys).await?;
        let via = self.redirect_via(platform).await?;
        let vault = self.vault(keys).await?;
        let mut rng = rand::rngs::OsRng;
        let connected = match via {
            RedirectVia::Loopback(port) => {
                oauth::connect_with_loopback(
                    &self.store,
                    &vault,
                    &self.http,
                    platform,
                    &config,
                    port,
                    CONSENT_TIMEOUT,
                    chrono::Utc::now,
                    &mut rng,
                    open_browser,
                )
                .await?
            }
            RedirectVia::Relay(redirect_uri) => {
                let begun = oauth::begin(
                    &self.store,
                    &vault,
                    platform,
                    &config,
                    &redirect_uri,
                    chrono::Utc::now(),
                    &mut rng,
                )
                .await?;
                let answer = self
                    .wait_for_deep_link(&begun.state, || {
                        open_browser(&begun.authorize_url).map_err(OAuthError::Browser)
                    })
                    .await?;
                let callback = oauth::parse_callback(&answer).map_err(OAuthError::from)?;
                oauth::complete(
                    &self.store,
                    &vault,
                    &self.http,
                    |_| Ok(config.clone()),
                    &callback,
                    chrono::Utc::now(),
                    &mut rng,
                )
                .await?
            }
        };
        Ok(self.outcome(connected))
    }

    /// Waits (at most [`CONSENT_TIMEOUT`]) for the deep link carrying `state`.
    async fn wait_for_deep_link(
        &self,
        state: &str,
        open_browser: impl FnOnce() -> Result<(), OAuthError>,
    ) -> Result<String, OAuthError> {
        let (tx, rx) = oneshot::channel();
        lock(&self.callback_waiters).insert(state.to_string(), tx);
        let waited = match open_browser() {
            Ok(()) => tokio::time::timeout(CONSENT_TIMEOUT, rx).await,
            Err(e) => {
                lock(&self.callback_waiters).remove(state);
                return Err(e);
            }
        };
        lock(&self.callback_waiters).remove(state);
        match waited {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(oauth::loopback::LoopbackError::Closed.into()),
            Err(_) => Err(oauth::loopback::LoopbackError::TimedOut(CONSENT_TIMEOUT).into()),
        }
    }

    /// Takes a sign-in answer that arrived as a deep link
    /// (`reachloop://oauth/<platform>/callback?…`). A connect waiting for it
    /// finishes there (`ToWaiter`); otherwise, e.g. after a restart,
    /// the sign-in is finished here. Either way the state is checked once.
    /// A link that is not a sign-in answer at all (any web page can open
    /// one, with any text) is ignored like a stray answer: no error that
    /// would quote it, no window raised.
    pub async fn deliver_callback(&self, raw: &str, keys: &OsKeychain) -> Result<Delivered, Error> {
        let Ok(callback) = oauth::parse_callback(raw) else {
            return Ok(self.ignore_link(raw).await);
        };
        let Some(state) = callback.state.as_deref() else {
            return Ok(self.ignore_link(raw).await);
        };
        if let Some(waiter) = lock(&self.callback_waiters).remove(state) {
            if waiter.send(raw.to_string()).is_ok() {
                return Ok(Delivered::ToWaiter);
            }
        }
        // A link for no sign-in Reachloop started (any web page can open a
        // reachloop:// link) is dropped before the keychain is touched.
        if !self
            .store
            .oauth_session_pending(chrono::Utc::now(), state)
            .await?
        {
            return Ok(self.ignore_link(raw).await);
        }
        let config = match callback.platform {
            Some(p) => self.platform_config(p, keys).await.ok(),
            None => None,
        };
        let vault = self.vault(keys).await?;
        let connected = oauth::complete(
            &self.store,
            &vault,
            &self.http,
            |p| config.clone().ok_or(OAuthError::MissingClientId(p)),
            &callback,
            chrono::Utc::now(),
            &mut rand::rngs::OsRng,
        )
        .await?;
        Ok(Delivered::Finished(self.outcome(connected)))
    }

    /// A sign-in link that answers nothing: one audit line a minute at most.
    async fn ignore_link(&self, raw: &str) -> Delivered {
        let now = chrono::Utc::now();
        let due = {
            let mut last = lock(&self.ignored_link_audited);
            let due = last.is_none_or(|t| now - t >= chrono::Duration::minutes(1));
            if due {
                *last = Some(now);
            }
            due
        };
        if due {
            let platform = oauth::parse_callback(raw)
                .ok()
                .and_then(|c| c.platform)
                .map(|p| p.as_str());
            let record = crate::store::AuditRecord {
                actor: crate::store::Actor::System,
                action: "oauth.link_ignored",
                entity_type: "account",
                entity_id: None,
                details: serde_json::json!({
                    "platform": platform,
                    "why": "it is not a sign-in answer, or answers no sign-in in progress",
                    "rate_limited": "at most one such entry a minute",
                }),
            };
            if let Err(e) = self.store.audit(now, &record).await {
                tracing::warn!("cannot audit an ignored sign-in link: {e}");
            }
        }
        Delivered::Ignored
    }

    fn outcome(&self, connected: Connected) -> ConnectOutcome {
        match connected {
            Connected::Account(account) => ConnectOutcome::Connected { account },
            Connected::ChoosePages(grant) => {
                let id = Uuid::new_v4().to_string();
                let outcome = ConnectOutcome::ChoosePages {
                    grant: id.clone(),
                    user_name: grant.user_name.clone(),
                    pages: grant.pages(),
                };
                let mut pending = lock(&self.pending_grants);
                let now = chrono::Utc::now();
                pending.retain(|_, g| !g.expired(now));
                pending.insert(id, grant);
                outcome
            }
        }
    }

    /// Connects the Pages and Instagram accounts picked from a pending
    /// Facebook sign-in. A selection naming something the sign-in does not
    /// manage is refused and the sign-in stays pending.
    pub async fn connect_pages(
        &self,
        selection: &PageSelection,
        keys: &OsKeychain,
        now: DateTime<Utc>,
    ) -> Result<Vec<Account>, Error> {
        let grant = lock(&self.pending_grants)
            .remove(&selection.grant)
            .filter(|g| !g.expired(now))
            .ok_or(OAuthError::NoPendingGrant)?;
        let vault = self.vault(keys).await?;
        let connected = oauth::connect_pages(
            &self.store,
            &vault,
            &grant,
            selection,
            now,
            &mut rand::rngs::OsRng,
        )
        .await;
        if matches!(connected, Err(OAuthError::BadSelection(_))) {
            lock(&self.pending_grants).insert(selection.grant.clone(), grant);
        }
        Ok(connected?)
    }

    /// Revokes (where the platform allows) and forgets an account's tokens.
    pub async fn disconnect_account(
        &self,
        account_id: &str,
        keys: &OsKeychain,
    ) -> Result<Revocation, Error> {
        let vault = self.vault(keys).await?;
        let target = self
            .store
            .refresh_target(account_id)
            .await?
            .ok_or_else(|| oauth::OAuthError::NoSuchAccount(account_id.to_string()))?;
        let issuer = oauth::issuer(target.platform, target.auth_flavor.as_deref());
        let config = self.platform_config(issuer, keys).await.ok();
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
        // Each account on its own: one broken account (an error, even a
        // panic) is logged and marked for a later retry, and the round goes on.
        for id in due {
            let outcome =
                match crate::background::isolate(self.refresh_one(keys, &vault, &id, now)).await {
                    Ok(Some(outcome)) => outcome,
                    Ok(None) => continue,
                    Err(failure) => {
                        if let crate::background::ItemFailure::Panicked(m) = &failure {
                            tracing::error!(account = %id, "token refresh panicked: {m}");
                        } else {
                            tracing::warn!(account = %id, "token refresh failed: {failure}");
                        }
                        let reason = format!(
                            "Renewing the sign-in failed: {failure}. Reachloop will try again."
                        );
                        let failures = self
                            .store
                            .refresh_target(&id)
                            .await
                            .ok()
                            .flatten()
                            .map_or(0, |t| t.refresh_failures);
                        let at = now + oauth::schedule::retry_after(failures, 0.5);
                        if let Err(e) = self
                            .store
                            .record_refresh_failure(now, &id, &reason, at)
                            .await
                        {
                            tracing::warn!(account = %id, "cannot mark the failed refresh: {e}");
                        }
                        RefreshOutcome::RetryLater { at, reason }
                    }
                };
            outcomes.push((id, outcome));
        }
        Ok(outcomes)
    }

    /// One account's renewal; `None` when the account is gone.
    async fn refresh_one(
        &self,
        keys: &OsKeychain,
        vault: &crate::secrets::Vault,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<RefreshOutcome>, Error> {
        let Some(target) = self.store.refresh_target(id).await? else {
            return Ok(None);
        };
        let outcome = match self.platform_config(target.platform, keys).await {
            Ok(config) => {
                oauth::refresh_account(
                    &self.store,
                    vault,
                    &self.http,
                    &self.refresh_locks,
                    &config,
                    id,
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
        Ok(Some(outcome))
    }

    /// Where `platform`'s servers are and which app Reachloop is there:
    /// Settings (client id) and the keychain (client secret), each overridden
    /// by `OAUTH_<PLATFORM>_CLIENT_ID` / `..._CLIENT_SECRET`.
    /// Sends every request for `platform` to `endpoints` instead of the
    /// platform's servers (or `REACHLOOP_<PLATFORM>_*_BASE`): tests point a
    /// platform at a local fake this way without touching the environment.
    /// Sets the publisher's timings (tests), instead of the environment's.
    pub fn tune_publishing(&self, timings: publishing::PublishTimings) {
        *lock(&self.publish_timings) = Some(timings);
    }

    pub(crate) fn publish_timings(&self) -> publishing::PublishTimings {
        lock(&self.publish_timings).unwrap_or_else(publishing::PublishTimings::from_env)
    }

    pub fn point_platform_at(
        &self,
        platform: reachloop_ipc::Platform,
        endpoints: oauth::Endpoints,
    ) {
        lock(&self.endpoint_overrides).insert(platform, endpoints);
    }

    /// Where `platform`'s servers are: as pointed (tests), else from the
    /// environment, else the platform's own.
    pub fn api_endpoints(
        &self,
        platform: reachloop_ipc::Platform,
    ) -> Result<oauth::Endpoints, Error> {
        let profile = oauth::profile(platform).ok_or(oauth::OAuthError::Unsupported(platform))?;
        if let Some(e) = lock(&self.endpoint_overrides).get(&platform).cloned() {
            return Ok(e);
        }
        Ok(oauth::Endpoints::from_env(profile).map_err(oauth::OAuthError::from)?)
    }

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
        let endpoints = self.api_endpoints(platform)?;
        Ok(PlatformConfig {
            endpoints,
            credentials,
        })
    }

    /// Stores a platform app's client id (Settings), its relay page (for
    /// platforms that want https redirects; empty removes it) and, when given,
    /// its client secret (keychain only).
    pub async fn save_platform_app(
        &self,
        platform: reachloop_ipc::Platform,
        client_id: &str,
        client_secret: Option<&str>,
        relay_url: Option<&str>,
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
        let relay_url = relay_url.map(str::trim).filter(|r| !r.is_empty());
        if let Some(relay) = relay_url {
            if let Err(e) = oauth::relay::parse_relay(relay) {
                problems.push(reachloop_ipc::FieldError {
                    field: "relay_url".into(),
                    code: "invalid".into(),
                    message: format!("{}.", capitalize(&e.to_string())),
                });
            }
        }
        if !problems.is_empty() {
            return Err(Error::Validation(problems));
        }
        if let Some(secret) = client_secret.map(str::trim).filter(|s| !s.is_empty()) {
            keys.with_user(&oauth::client_secret_entry(platform))
                .save(secret.as_bytes())
                .map_err(crate::secrets::SecretsError::from)?;
        }
        self.store
            .set_oauth_relay_url(now, platform, relay_url)
            .await?;
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
            let redirect_uri = match self.redirect_via(platform).await {
                Ok(RedirectVia::Relay(uri)) => uri,
                Ok(RedirectVia::Loopback(0)) | Err(_) => {
                    oauth::loopback_redirect_uri(platform, 0).replace(":0/", ":<any port>/")
                }
                Ok(RedirectVia::Loopback(port)) => oauth::loopback_redirect_uri(platform, port),
            };
            let relay_url = self.relay_url(platform).await?;
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
                redirect_uri,
                supports_relay: profile.flow != oauth::Flow::Standard,
                relay_url,
            });
        }
        Ok(apps)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
