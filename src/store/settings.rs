//! Non-secret settings, stored as JSON values by key.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{audit, Actor, AuditRecord, Store, StoreError};
use crate::time;

/// Whether background publishing is paused (bool).
pub const PUBLISHING_PAUSED: &str = "publishing.paused";

impl Store {
    /// Whether background publishing is paused; false until set.
    pub async fn publishing_paused(&self) -> Result<bool, StoreError> {
        let value: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(PUBLISHING_PAUSED)
            .fetch_optional(&self.pool)
            .await?;
        match value.as_deref() {
            None => Ok(false),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
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
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(PUBLISHING_PAUSED)
        .bind(json!(paused).to_string())
        .bind(time::to_db(now))
        .execute(&mut *tx)
        .await?;
        let action = if paused {
            "publishing.paused"
        } else {
            "publishing.resumed"
        };
        audit::record(
            &mut tx,
            now,
            &AuditRecord {
                actor,
                action,
                entity_type: "settings",
                entity_id: None,
                details: json!({}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The sealed canary that identifies the data key (hex; not a secret).
const KEY_CANARY: &str = "secrets.key_canary";

impl Store {
    /// The canary sealed with this database's data key, if a key was made.
    pub async fn key_canary(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let value: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(KEY_CANARY)
            .fetch_optional(&self.pool)
            .await?;
        let Some(value) = value else { return Ok(None) };
        let hex: String = serde_json::from_str(&value)
            .map_err(|e| StoreError::Corrupt(format!("{KEY_CANARY}: {e}")))?;
        hex::decode(hex)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("{KEY_CANARY}: {e}")))
    }

    pub async fn set_key_canary(
        &self,
        now: DateTime<Utc>,
        canary: &[u8],
    ) -> Result<(), StoreError> {
        let hex = hex::encode(canary);
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(KEY_CANARY)
        .bind(json!(hex).to_string())
        .bind(time::to_db(now))
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            now,
            &AuditRecord {
                actor: Actor::System,
                action: "secrets.key_created",
                entity_type: "settings",
                entity_id: None,
                details: json!({}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
