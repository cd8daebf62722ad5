//! The append-only audit log.

use chrono::{DateTime, Utc};
use reachloop_ipc::AuditEntry;

use super::{Store, StoreError};
use crate::time;

/// Who did something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User,
    System,
    Scheduler,
    Optimizer,
    Cli,
}

impl Actor {
    fn as_str(self) -> &'static str {
        match self {
            Actor::User => "user",
            Actor::System => "system",
            Actor::Scheduler => "scheduler",
            Actor::Optimizer => "optimizer",
            Actor::Cli => "cli",
        }
    }
}

/// One thing worth remembering.
#[derive(Debug, Clone)]
pub struct AuditRecord<'a> {
    pub actor: Actor,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<&'a str>,
    /// Must never hold a secret.
    pub details: serde_json::Value,
}

pub(super) async fn record(
    tx: &mut sqlx::SqliteConnection,
    now: DateTime<Utc>,
    rec: &AuditRecord<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, entity_type, entity_id, details) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(time::to_db(now))
    .bind(rec.actor.as_str())
    .bind(rec.action)
    .bind(rec.entity_type)
    .bind(rec.entity_id)
    .bind(rec.details.to_string())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    at: String,
    actor: String,
    action: String,
    entity_type: String,
    entity_id: Option<String>,
    details: String,
}

impl Store {
    /// Appends one entry on its own.
    pub async fn audit(&self, now: DateTime<Utc>, rec: &AuditRecord<'_>) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        record(&mut tx, now, rec).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest `limit` entries, newest first.
    pub async fn recent_audit(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_entries(limit, None, None).await
    }

    /// The newest `limit` entries about `campaign` (itself, its variants,
    /// schedules and posts, the optimizer's decisions for it) by `who`:
    /// `automated` (the publisher, the optimizer, the app itself),
    /// `optimizer`, or `people` (the user in the window or the CLI).
    pub async fn audit_entries(
        &self,
        limit: u32,
        campaign: Option<&str>,
        who: Option<&str>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT a.* FROM audit_log a
             WHERE (?1 IS NULL
                    OR (a.entity_type = 'campaign' AND a.entity_id = ?1)
                    OR json_extract(a.details, '$.campaign_id') = ?1
                    OR (a.entity_type = 'post'
                        AND a.entity_id IN (SELECT id FROM posts WHERE campaign_id = ?1))
                    OR (a.entity_type = 'variant'
                        AND a.entity_id IN (SELECT id FROM variants WHERE campaign_id = ?1))
                    OR (a.entity_type = 'schedule'
                        AND a.entity_id IN (SELECT id FROM schedules WHERE campaign_id = ?1)))
               AND (?2 IS NULL
                    OR (?2 = 'automated' AND a.actor IN ('optimizer', 'scheduler', 'system'))
                    OR (?2 = 'optimizer' AND a.actor = 'optimizer')
                    OR (?2 = 'people' AND a.actor IN ('user', 'cli')))
             ORDER BY a.id DESC LIMIT ?3",
        )
        .bind(campaign)
        .bind(who)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: r.at,
                actor: r.actor,
                action: r.action,
                entity_type: r.entity_type,
                entity_id: r.entity_id,
                details: r.details,
                about: Default::default(),
            })
            .collect())
    }
}
