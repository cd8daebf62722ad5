//! What the optimizer reads and writes: each campaign's mature posts on a
//! platform (its state, derived from the snapshots and rebuildable from
//! them), the posts still maturing, and the decisions with their reasons.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{audit, Actor, AuditRecord, Store, StoreError};
use crate::analytics::Metrics;
use crate::time;

/// One mature post's figures (a row of `optimizer_observations`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ObservationRow {
    pub post_id: String,
    pub variant_id: String,
    pub published_at: String,
    pub captured_at: String,
    pub impressions: i64,
    pub likes: i64,
    pub comments: i64,
    pub shares: i64,
    pub clicks: i64,
}

/// A published post of the key not counted yet, with its snapshots.
#[derive(Debug, Clone)]
pub struct Maturing {
    pub post_id: String,
    pub variant_id: String,
    pub published_at: DateTime<Utc>,
    pub snapshots: Vec<(DateTime<Utc>, Metrics)>,
}

/// A variant of the key, in the order ties go (oldest first).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KeyVariant {
    pub id: String,
    pub body: String,
    pub archived: bool,
}

/// What a decision is fitted from.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub goal: String,
    /// Every variant of the key, archived ones too (for stable labels).
    pub variants: Vec<KeyVariant>,
    pub observations: Vec<ObservationRow>,
    /// Per variant: its posts attempted or published and not counted yet
    /// (not lost either).
    pub pending: Vec<(String, u32)>,
}

/// A decision to write.
#[derive(Debug, Clone)]
pub struct NewDecision {
    pub campaign_id: String,
    pub provider_id: String,
    pub post_id: Option<String>,
    pub actor: Actor,
    pub policy: String,
    pub chosen_variant_id: Option<String>,
    pub user_variant_id: Option<String>,
    pub explored: bool,
    pub reason: String,
    pub rationale: String,
    pub scores: serde_json::Value,
}

/// A decision as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DecisionRow {
    pub id: i64,
    pub post_id: Option<String>,
    pub campaign_id: String,
    pub provider_id: String,
    pub actor: String,
    pub policy: String,
    pub chosen_variant_id: Option<String>,
    pub user_variant_id: Option<String>,
    pub explored: bool,
    pub reason: String,
    pub rationale: String,
    pub scores: String,
    pub decided_at: String,
    /// The post's time, when the post is still there.
    pub post_at: Option<String>,
}

pub(super) async fn insert_decision(
    tx: &mut sqlx::SqliteConnection,
    now: DateTime<Utc>,
    d: &NewDecision,
) -> Result<i64, StoreError> {
    let actor = match d.actor {
        Actor::Optimizer => "optimizer",
        Actor::Cli => "cli",
        _ => "user",
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO optimizer_decisions (post_id, campaign_id, provider_id, actor, policy,
             chosen_variant_id, user_variant_id, explored, reason, rationale, scores, decided_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&d.post_id)
    .bind(&d.campaign_id)
    .bind(&d.provider_id)
    .bind(actor)
    .bind(&d.policy)
    .bind(&d.chosen_variant_id)
    .bind(&d.user_variant_id)
    .bind(d.explored)
    .bind(&d.reason)
    .bind(&d.rationale)
    .bind(d.scores.to_string())
    .bind(time::to_db(now))
    .fetch_one(&mut *tx)
    .await?;
    let action = if d.actor == Actor::Optimizer {
        "optimizer.decided"
    } else {
        "optimizer.overridden"
    };
    let record = AuditRecord {
        actor: d.actor,
        action,
        entity_type: "post",
        entity_id: d.post_id.as_deref(),
        details: json!({
            "campaign_id": d.campaign_id,
            "platform": d.provider_id,
            "variant_id": d.user_variant_id.as_ref().or(d.chosen_variant_id.as_ref()),
            "optimizer_variant_id": d.chosen_variant_id,
            "explored": d.explored,
            "rationale": d.rationale,
        }),
    };
    audit::record(tx, now, &record).await?;
    Ok(id)
}

impl Store {
    /// The published posts of `campaign_id` on `platform` with a variant and
    /// no observation yet, with their snapshots (oldest first).
    pub async fn maturing_posts(
        &self,
        campaign_id: &str,
        platform: &str,
    ) -> Result<Vec<Maturing>, StoreError> {
        let posts: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT p.id, p.variant_id, p.published_at FROM posts p
             WHERE p.campaign_id = ? AND p.provider_id = ? AND p.status = 'published'
               AND p.variant_id IS NOT NULL AND p.published_at IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM optimizer_observations o WHERE o.post_id = p.id)
             ORDER BY p.published_at, p.id",
        )
        .bind(campaign_id)
        .bind(platform)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(posts.len());
        for (post_id, variant_id, published_at) in posts {
            let snapshots = self
                .snapshots(&post_id)
                .await?
                .into_iter()
                .filter_map(|(at, m)| time::from_db(&at).ok().map(|at| (at, m)))
                .collect();
            out.push(Maturing {
                published_at: time::from_db(&published_at)
                    .map_err(|e| StoreError::Corrupt(format!("post {post_id}: {e}")))?,
                post_id,
                variant_id,
                snapshots,
            });
        }
        Ok(out)
    }

    /// Counts mature posts (a post counted once: a second write is ignored).
    pub async fn record_observations(
        &self,
        campaign_id: &str,
        platform: &str,
        rows: &[ObservationRow],
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        for r in rows {
            sqlx::query(
                "INSERT OR IGNORE INTO optimizer_observations (post_id, campaign_id, provider_id,
                     variant_id, published_at, captured_at, impressions, likes, comments, shares, clicks)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&r.post_id)
            .bind(campaign_id)
            .bind(platform)
            .bind(&r.variant_id)
            .bind(&r.published_at)
            .bind(&r.captured_at)
            .bind(r.impressions)
            .bind(r.likes)
            .bind(r.comments)
            .bind(r.shares)
            .bind(r.clicks)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Forgets the counted posts of `campaign_id` on `platform` (to count
    /// them again from the snapshots).
    pub async fn forget_observations(
        &self,
        campaign_id: &str,
        platform: &str,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query(
            "DELETE FROM optimizer_observations WHERE campaign_id = ? AND provider_id = ?",
        )
        .bind(campaign_id)
        .bind(platform)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// What a decision for `campaign_id` on `platform` is fitted from.
    /// Posts published before `lost_before` and never counted are lost, not
    /// pending.
    pub async fn optimizer_evidence(
        &self,
        campaign_id: &str,
        platform: &str,
        lost_before: DateTime<Utc>,
    ) -> Result<Option<Evidence>, StoreError> {
        let goal: Option<String> = sqlx::query_scalar("SELECT goal FROM campaigns WHERE id = ?")
            .bind(campaign_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(goal) = goal else {
            return Ok(None);
        };
        let variants: Vec<KeyVariant> = sqlx::query_as(
            "SELECT id, body, archived != 0 AS archived FROM variants
             WHERE campaign_id = ? AND provider_id = ? ORDER BY created_at, rowid",
        )
        .bind(campaign_id)
        .bind(platform)
        .fetch_all(&self.pool)
        .await?;
        let observations: Vec<ObservationRow> = sqlx::query_as(
            "SELECT post_id, variant_id, published_at, captured_at, impressions, likes, comments,
                 shares, clicks
             FROM optimizer_observations WHERE campaign_id = ? AND provider_id = ?
             ORDER BY published_at, post_id",
        )
        .bind(campaign_id)
        .bind(platform)
        .fetch_all(&self.pool)
        .await?;
        let pending: Vec<(String, i64)> = sqlx::query_as(
            "SELECT p.variant_id, count(*) FROM posts p
             WHERE p.campaign_id = ? AND p.provider_id = ? AND p.variant_id IS NOT NULL
               AND (p.status IN ('needs_verification')
                    OR (p.status = 'publishing' AND p.attempt_started_at IS NOT NULL)
                    OR (p.status = 'published' AND (p.published_at IS NULL OR p.published_at >= ?)))
               AND NOT EXISTS (SELECT 1 FROM optimizer_observations o WHERE o.post_id = p.id)
             GROUP BY p.variant_id",
        )
        .bind(campaign_id)
        .bind(platform)
        .bind(time::to_db(lost_before))
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(Evidence {
            goal,
            variants,
            observations,
            pending: pending
                .into_iter()
                .map(|(v, n)| (v, u32::try_from(n).unwrap_or(u32::MAX)))
                .collect(),
        }))
    }

    /// Writes a person's choice against the optimizer's (an override) with
    /// its audit entry.
    pub async fn record_override(
        &self,
        now: DateTime<Utc>,
        decision: &NewDecision,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write_tx().await?;
        let id = insert_decision(&mut tx, now, decision).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The latest `limit` decisions of `campaign_id` (on `platform`, or
    /// all), newest first.
    pub async fn optimizer_decisions(
        &self,
        campaign_id: &str,
        platform: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DecisionRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT d.id, d.post_id, d.campaign_id, d.provider_id, d.actor, d.policy,
                 d.chosen_variant_id, d.user_variant_id, d.explored != 0 AS explored, d.reason,
                 d.rationale, d.scores, d.decided_at, p.scheduled_at AS post_at
             FROM optimizer_decisions d LEFT JOIN posts p ON p.id = d.post_id
             WHERE d.campaign_id = ?1 AND (?2 IS NULL OR d.provider_id = ?2)
             ORDER BY d.id DESC LIMIT ?3",
        )
        .bind(campaign_id)
        .bind(platform)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The platforms `campaign_id` has variants on, or optimized schedules.
    pub async fn optimizer_platforms(&self, campaign_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT provider_id FROM variants WHERE campaign_id = ?1
             UNION SELECT provider_id FROM schedules WHERE campaign_id = ?1 AND provider_id IS NOT NULL
             ORDER BY 1",
        )
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The variant of `account_id`'s latest post on `platform` that was
    /// sent or is being sent (what the next one must not repeat where the
    /// platform refuses the same text twice in a row).
    pub async fn last_sent_variant(
        &self,
        account_id: &str,
        platform: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT variant_id FROM posts
             WHERE account_id = ? AND provider_id = ? AND variant_id IS NOT NULL
               AND (status IN ('published', 'needs_verification')
                    OR (status = 'publishing' AND attempt_started_at IS NOT NULL))
             ORDER BY coalesce(published_at, attempt_started_at) DESC, scheduled_at DESC
             LIMIT 1",
        )
        .bind(account_id)
        .bind(platform)
        .fetch_optional(&self.pool)
        .await?
        .flatten())
    }

    /// Whether `campaign_id` has a schedule on `platform` that leaves the
    /// variant to the optimizer.
    pub async fn optimized(&self, campaign_id: &str, platform: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM schedules WHERE campaign_id = ? AND provider_id = ?
                 AND use_optimizer = 1)",
        )
        .bind(campaign_id)
        .bind(platform)
        .fetch_one(&self.pool)
        .await?)
    }
}
