//! The operations both shells (desktop and CLI) call: validation, storage and
//! auditing composed, with time and identifiers passed in.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rand::{CryptoRng, RngCore};
use reachloop_ipc::{Account, AppStatus, AuditEntry, Campaign, NewCampaign};
use uuid::Uuid;

use crate::secrets::{KeyStore, Vault};
use crate::store::{Actor, Store};
use crate::{campaigns, Error};

/// An open Reachloop data directory.
#[derive(Clone, Debug)]
pub struct App {
    store: Store,
    data_dir: PathBuf,
}

impl App {
    /// Opens the data directory, creating and migrating the database if needed.
    pub async fn open(data_dir: &Path) -> Result<App, Error> {
        let store = Store::open_in(data_dir).await?;
        Ok(App {
            store,
            data_dir: data_dir.to_path_buf(),
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
}
