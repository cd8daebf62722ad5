//! What the webhook listener keeps: the signatures it accepted (so a
//! replay is refused after a restart too) with the early poll they ask
//! for and its audit entry, and refusals' audit entries.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{audit, Actor, AuditRecord, Store, StoreError};
use crate::time;

/// What accepting a verified webhook did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookAccepted {
    /// Its signature was accepted before: nothing done.
    Replay,
    /// Remembered; merged into an early poll made a moment ago.
    Remembered,
    /// Remembered, and this many posts are polled now.
    PolledEarly(u64),
}

impl Store {
    /// Accepts a verified webhook of `route`: remembers its signature until
    /// `until` and, with `early_poll` (the platform and how many events it
    /// stands for), polls that platform's young posts now, with one audit
    /// entry, all in one transaction. A replay (the signature is remembered
    /// already) changes nothing; neither does a failure, so the platform's
    /// retry of an event that could not be recorded is not taken for a
    /// replay. Signatures whose time is over are forgotten on the way.
    pub async fn accept_webhook(
        &self,
        now: DateTime<Utc>,
        route: &str,
        signature: &str,
        until: DateTime<Utc>,
        early_poll: Option<(&str, u64)>,
    ) -> Result<WebhookAccepted, StoreError> {
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
        if !new {
            tx.rollback().await?;
            return Ok(WebhookAccepted::Replay);
        }
        let Some((platform, events)) = early_poll else {
            tx.commit().await?;
            return Ok(WebhookAccepted::Remembered);
        };
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
        Ok(WebhookAccepted::PolledEarly(n))
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
