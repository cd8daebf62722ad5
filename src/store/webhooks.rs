//! What the webhook listener keeps: the signatures it accepted (so a
//! replay is refused after a restart too), early polls with their audit
//! entry, and refusals' audit entries.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{audit, Actor, AuditRecord, Store, StoreError};
use crate::time;

impl Store {
    /// Remembers an accepted webhook signature of `route` until `until`.
    /// False when it is remembered already: a replay. Signatures whose time
    /// is over are forgotten in the same transaction.
    pub async fn remember_webhook_signature(
        &self,
        now: DateTime<Utc>,
        route: &str,
        signature: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM webhook_signatures WHERE expires_at <= ?")
            .bind(time::to_db(now))
            .execute(&mut *tx)
            .await?;
        let new = sqlx::query(
            "INSERT INTO webhook_signatures (route, signature, expires_at) VALUES (?, ?, ?)
             ON CONFLICT DO NOTHING",
        )
        .bind(route)
        .bind(signature)
        .bind(time::to_db(until))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(new)
    }

    /// Verified webhooks from `platform` (`events` of them, merged into one
    /// early poll): its posts still being collected are polled now instead
    /// of at their next planned time, and one audit entry says so, in the
    /// same transaction. How many posts.
    pub async fn poll_soon(
        &self,
        now: DateTime<Utc>,
        platform: &str,
        events: u64,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query(
            "UPDATE post_metrics SET next_poll_at = ?1
             WHERE state = 'collecting' AND next_poll_at > ?1
               AND post_id IN (SELECT id FROM posts WHERE provider_id = ?2)",
        )
        .bind(time::to_db(now))
        .bind(platform)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let record = AuditRecord {
            actor: Actor::System,
            action: "webhook.accepted",
            entity_type: "webhook",
            entity_id: Some(platform),
            details: json!({ "posts_polled_early": n, "events": events }),
        };
        audit::record(&mut tx, now, &record).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Audits refused webhooks: why (never a body), and how many refusals
    /// of that kind the entry stands for.
    pub async fn audit_webhook_refused(
        &self,
        now: DateTime<Utc>,
        platform: &str,
        why: &str,
        times: u64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let record = AuditRecord {
            actor: Actor::System,
            action: "webhook.refused",
            entity_type: "webhook",
            entity_id: Some(platform),
            details: json!({ "why": why, "times": times }),
        };
        audit::record(&mut tx, now, &record).await?;
        tx.commit().await?;
        Ok(())
    }
}
