//! Non-secret settings, stored as JSON values by key. Every change is audited
//! in the same transaction.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{audit, Actor, AuditRecord, Store, StoreError};
use crate::time;

/// Whether background publishing is paused (bool).
pub const PUBLISHING_PAUSED: &str = "publishing.paused";

/// The Sandbox world's seed (a number; see [`Store::sandbox_seed`]).
pub const SANDBOX_SEED: &str = "sandbox.seed";

/// The sealed canary that identifies the data key (hex; not a secret).
const KEY_CANARY: &str = "secrets.key_canary";

impl Store {
    /// Whether background publishing is paused; false until set.
    pub async fn publishing_paused(&self) -> Result<bool, StoreError> {
        match self.setting(PUBLISHING_PAUSED).await? {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(b),
            Some(other) => Err(StoreError::Corrupt(format!(
                "{PUBLISHING_PAUSED} = {other}"
            ))),
        }
    }

    /// Pauses or resumes background publishing, with an audit entry.
    pub async fn set_publishing_paused(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        paused: bool,
    ) -> Result<(), StoreError> {
        if paused {
            return self
                .set_setting(
                    now,
                    actor,
                    "publishing.paused",
                    PUBLISHING_PAUSED,
                    json!(true),
                )
                .await;
        }
        // Resuming skips the posts whose time passed while publishing was
        // paused (a pause is a decision not to post then), in the same
        // transaction as the resume.
        let mut tx = self.write_tx().await?;
        let since: Option<String> =
            sqlx::query_scalar("SELECT updated_at FROM settings WHERE key = ? AND value = 'true'")
                .bind(PUBLISHING_PAUSED)
                .fetch_optional(&mut *tx)
                .await?;
        let mut skipped = 0;
        if let Some(since) = since {
            skipped = sqlx::query(
                "UPDATE posts SET status = 'cancelled', last_error = 'Skipped: publishing was paused at that time.',
                     updated_at = ?1
                 WHERE status = 'scheduled' AND scheduled_at >= ?2 AND scheduled_at < ?1",
            )
            .bind(time::to_db(now))
            .bind(since)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, 'false', ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(PUBLISHING_PAUSED)
        .bind(time::to_db(now))
        .execute(&mut *tx)
        .await?;
        let record = AuditRecord {
            actor,
            action: "publishing.resumed",
            entity_type: "settings",
            entity_id: Some(PUBLISHING_PAUSED),
            details: json!({ "skipped_missed": skipped }),
        };
        audit::record(&mut tx, now, &record).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The Sandbox world's seed, if one was picked yet.
    pub async fn sandbox_seed(&self) -> Result<Option<u32>, StoreError> {
        match self.setting(SANDBOX_SEED).await? {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| StoreError::Corrupt(format!("{SANDBOX_SEED} = {v}"))),
        }
    }

    /// The Sandbox world's seed, keeping `fresh` when none was picked yet
    /// (audited). Two processes starting at once keep the same one.
    pub async fn sandbox_seed_or_init(
        &self,
        now: DateTime<Utc>,
        fresh: u32,
    ) -> Result<u32, StoreError> {
        if let Some(seed) = self.sandbox_seed().await? {
            return Ok(seed);
        }
        let mut tx = self.write_tx().await?;
        let inserted = sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(SANDBOX_SEED)
        .bind(json!(fresh).to_string())
        .bind(time::to_db(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            let record = AuditRecord {
                actor: Actor::System,
                action: "sandbox.seed_picked",
                entity_type: "settings",
                entity_id: Some(SANDBOX_SEED),
                details: json!({ "seed": fresh }),
            };
            audit::record(&mut tx, now, &record).await?;
        }
        tx.commit().await?;
        self.sandbox_seed()
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("{SANDBOX_SEED} vanished")))
    }

    /// Gives the Sandbox a new world (audited, with the old seed).
    pub async fn set_sandbox_seed(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        seed: u32,
    ) -> Result<(), StoreError> {
        let before = self.sandbox_seed().await?;
        self.set_setting_with(
            now,
            actor,
            "sandbox.seed_changed",
            SANDBOX_SEED,
            json!(seed),
            json!({ "seed": seed, "before": before }),
        )
        .await
    }

    /// Notes (and audits) the start-at-login choice; the OS's own autostart
    /// entry is what takes effect.
    pub async fn set_start_at_login(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        enabled: bool,
    ) -> Result<(), StoreError> {
        self.set_setting(
            now,
            actor,
            "settings.start_at_login",
            "start_at_login",
            json!(enabled),
        )
        .await
    }

    /// The canary sealed with this database's data key, if a key was made.
    pub async fn key_canary(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let corrupt = |what: String| StoreError::Corrupt(format!("{KEY_CANARY}: {what}"));
        match self.setting(KEY_CANARY).await? {
            None => Ok(None),
            Some(Value::String(hex)) => hex::decode(hex)
                .map(Some)
                .map_err(|e| corrupt(e.to_string())),
            Some(other) => Err(corrupt(format!("not a string: {other}"))),
        }
    }

    pub async fn set_key_canary(
        &self,
        now: DateTime<Utc>,
        canary: &[u8],
    ) -> Result<(), StoreError> {
        let value = json!(hex::encode(canary));
        self.set_setting(now, Actor::System, "secrets.key_created", KEY_CANARY, value)
            .await
    }

    /// The app client id stored for `platform` in Settings.
    pub async fn oauth_client_id(
        &self,
        platform: reachloop_ipc::Platform,
    ) -> Result<Option<String>, StoreError> {
        let key = format!("oauth.{}.client_id", platform.as_str());
        match self.setting(&key).await? {
            None => Ok(None),
            Some(Value::String(id)) => Ok(Some(id)),
            Some(other) => Err(StoreError::Corrupt(format!("{key} = {other}"))),
        }
    }

    pub async fn set_oauth_client_id(
        &self,
        now: DateTime<Utc>,
        platform: reachloop_ipc::Platform,
        client_id: &str,
    ) -> Result<(), StoreError> {
        let key = format!("oauth.{}.client_id", platform.as_str());
        self.set_setting(
            now,
            Actor::User,
            "oauth.app_configured",
            &key,
            json!(client_id),
        )
        .await
    }

    /// The https relay page `platform`'s sign-in redirects to, if the user set one.
    pub async fn oauth_relay_url(
        &self,
        platform: reachloop_ipc::Platform,
    ) -> Result<Option<String>, StoreError> {
        let key = format!("oauth.{}.relay_url", platform.as_str());
        match self.setting(&key).await? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(url)) => Ok(Some(url)),
            Some(other) => Err(StoreError::Corrupt(format!("{key} = {other}"))),
        }
    }

    pub async fn set_oauth_relay_url(
        &self,
        now: DateTime<Utc>,
        platform: reachloop_ipc::Platform,
        url: Option<&str>,
    ) -> Result<(), StoreError> {
        let key = format!("oauth.{}.relay_url", platform.as_str());
        self.set_setting(now, Actor::User, "oauth.app_configured", &key, json!(url))
            .await
    }

    /// Settings → AI: base URL, model, temperature (the key is in the keychain).
    pub async fn ai_settings(
        &self,
    ) -> Result<(Option<String>, Option<String>, Option<f32>), StoreError> {
        let text = |v: Option<Value>| v.and_then(|v| v.as_str().map(String::from));
        Ok((
            text(self.setting("ai.base_url").await?),
            text(self.setting("ai.model").await?),
            self.setting("ai.temperature")
                .await?
                .and_then(|v| v.as_f64())
                .map(|t| t as f32),
        ))
    }

    /// Saves Settings → AI in one transaction with one audit entry that
    /// names what changed (the key is not here: it lives in the keychain).
    pub async fn set_ai_settings(
        &self,
        now: DateTime<Utc>,
        base_url: Option<&str>,
        model: &str,
        temperature: f32,
        key_dropped: bool,
    ) -> Result<(), StoreError> {
        let values = [
            ("ai.base_url", json!(base_url)),
            ("ai.model", json!(model)),
            ("ai.temperature", json!(temperature)),
        ];
        let mut tx = self.write_tx().await?;
        let mut changed = Vec::new();
        for (key, value) in &values {
            let before: Option<String> =
                sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
            let before: Option<Value> = before.and_then(|b| serde_json::from_str(&b).ok());
            if before.as_ref() != Some(value) {
                changed.push(key.trim_start_matches("ai."));
            }
            sqlx::query(
                "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(key)
            .bind(value.to_string())
            .bind(time::to_db(now))
            .execute(&mut *tx)
            .await?;
        }
        if !changed.is_empty() || key_dropped {
            let record = AuditRecord {
                actor: Actor::User,
                action: "ai.configured",
                entity_type: "settings",
                entity_id: Some("ai"),
                details: json!({
                    "changed": changed,
                    "base_url": base_url,
                    "model": model,
                    "temperature": temperature,
                    "api_key_dropped": key_dropped,
                }),
            };
            audit::record(&mut tx, now, &record).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The response format the AI endpoint last accepted, to start there.
    pub async fn ai_format(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .setting("ai.format")
            .await?
            .and_then(|v| v.as_str().map(String::from)))
    }

    pub async fn set_ai_format(&self, now: DateTime<Utc>, format: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ('ai.format', ?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(json!(format).to_string())
        .bind(crate::time::to_db(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn setting(&self, key: &str) -> Result<Option<Value>, StoreError> {
        let text: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(format!("{key}: {e}")))
        })
        .transpose()
    }

    async fn set_setting(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        action: &str,
        key: &str,
        value: Value,
    ) -> Result<(), StoreError> {
        self.set_setting_with(now, actor, action, key, value, json!({}))
            .await
    }

    /// [`Store::set_setting`] with the audit entry's details.
    async fn set_setting_with(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        action: &str,
        key: &str,
        value: Value,
        details: Value,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value.to_string())
        .bind(time::to_db(now))
        .execute(&mut *tx)
        .await?;
        let record = AuditRecord {
            actor,
            action,
            entity_type: "settings",
            entity_id: Some(key),
            details,
        };
        audit::record(&mut tx, now, &record).await?;
        tx.commit().await?;
        Ok(())
    }
}
