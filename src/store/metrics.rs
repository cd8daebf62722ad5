//! Metric snapshots of published posts: every poll kept, the newest per
//! post beside it in the same transaction, and when each post is polled
//! next.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{audit, Actor, AuditRecord, Store, StoreError};
use crate::analytics::Metrics;
use crate::time;

/// A published post the collector should poll now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DuePoll {
    pub post_id: String,
    pub provider_id: String,
    pub account_id: String,
    pub remote_id: String,
    pub variant_id: Option<String>,
    pub published_at: String,
    pub polls: i64,
}

#[derive(sqlx::FromRow)]
struct MetricsRow {
    captured_at: Option<String>,
    impressions: Option<i64>,
    views: Option<i64>,
    likes: Option<i64>,
    comments: Option<i64>,
    shares: Option<i64>,
    clicks: Option<i64>,
    extras: String,
}

fn count(v: Option<i64>) -> Option<u64> {
    v.and_then(|n| u64::try_from(n).ok())
}

fn stored(v: Option<u64>) -> Option<i64> {
    v.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

impl MetricsRow {
    fn into_metrics(self) -> Option<(String, Metrics)> {
        Some((
            self.captured_at?,
            Metrics {
                impressions: count(self.impressions),
                views: count(self.views),
                likes: count(self.likes),
                comments: count(self.comments),
                shares: count(self.shares),
                clicks: count(self.clicks),
                extras: serde_json::from_str(&self.extras).unwrap_or_default(),
            },
        ))
    }
}

#[derive(sqlx::FromRow)]
struct DashboardRow {
    id: String,
    campaign_id: String,
    provider_id: String,
    account_id: String,
    variant_id: Option<String>,
    published_at: String,
    #[sqlx(flatten)]
    metrics: MetricsRow,
}

/// Which published posts: in `[from, to)`, on these platforms (empty: all),
/// of this campaign and account when given.
#[derive(Debug, Clone, Default)]
pub struct PostsFilter<'a> {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub platforms: &'a [String],
    pub campaign_id: Option<&'a str>,
    pub account_id: Option<&'a str>,
}

impl Store {
    /// Published posts with their newest metrics (one row per post from
    /// `post_metrics`: never the snapshots' history).
    pub async fn published_figures(
        &self,
        f: &PostsFilter<'_>,
    ) -> Result<Vec<crate::analytics::dashboard::PostFigures>, StoreError> {
        let platforms = serde_json::to_string(f.platforms).unwrap_or_else(|_| "[]".into());
        let rows: Vec<DashboardRow> = sqlx::query_as(
            "SELECT p.id, p.campaign_id, p.provider_id, p.account_id, p.variant_id, p.published_at,
                    m.captured_at, m.impressions, m.views, m.likes, m.comments, m.shares, m.clicks,
                    coalesce(m.extras, '{}') AS extras
             FROM posts p LEFT JOIN post_metrics m ON m.post_id = p.id
             WHERE p.status = 'published' AND p.published_at IS NOT NULL
               AND (?1 IS NULL OR p.published_at >= ?1) AND (?2 IS NULL OR p.published_at < ?2)
               AND (json_array_length(?3) = 0 OR p.provider_id IN (SELECT value FROM json_each(?3)))
               AND (?4 IS NULL OR p.campaign_id = ?4) AND (?5 IS NULL OR p.account_id = ?5)
             ORDER BY p.published_at, p.id",
        )
        .bind(f.from.map(time::to_db))
        .bind(f.to.map(time::to_db))
        .bind(platforms)
        .bind(f.campaign_id)
        .bind(f.account_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let published_at = time::from_db(&r.published_at)
                    .map_err(|e| StoreError::Corrupt(format!("post {}: {e}", r.id)))?;
                let latest = r.metrics.into_metrics();
                Ok(crate::analytics::dashboard::PostFigures {
                    post_id: r.id,
                    campaign_id: r.campaign_id,
                    platform: r.provider_id,
                    account_id: r.account_id,
                    variant_id: r.variant_id,
                    published_at,
                    fetched_at: latest.as_ref().and_then(|(at, _)| time::from_db(at).ok()),
                    metrics: latest.map(|(_, m)| m),
                })
            })
            .collect()
    }

    /// The bodies of these variants, by id (deleted ones are left out).
    pub async fn variant_bodies(
        &self,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, body FROM variants WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(list)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().collect())
    }

    /// Published posts the collector does not know yet, with when each was
    /// published: the collector plans their first poll.
    pub async fn published_without_polls(
        &self,
        limit: u32,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT p.id, p.provider_id, p.published_at FROM posts p
             WHERE p.status = 'published' AND p.published_at IS NOT NULL AND p.remote_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM post_metrics m WHERE m.post_id = p.id)
             ORDER BY p.published_at LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Plans the polls of newly published posts (`None`: too old to poll).
    /// Planning a post twice keeps the first plan.
    pub async fn plan_polls(
        &self,
        plans: &[(String, Option<DateTime<Utc>>)],
    ) -> Result<(), StoreError> {
        if plans.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        for (post_id, next) in plans {
            sqlx::query(
                "INSERT INTO post_metrics (post_id, next_poll_at, state) VALUES (?, ?, ?)
                 ON CONFLICT (post_id) DO NOTHING",
            )
            .bind(post_id)
            .bind(next.map(time::to_db))
            .bind(if next.is_some() { "collecting" } else { "done" })
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Posts due for a poll at `now`, the longest waiting first.
    pub async fn due_polls(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DuePoll>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT p.id AS post_id, p.provider_id, p.account_id, p.remote_id, p.variant_id,
                    p.published_at, m.polls
             FROM post_metrics m JOIN posts p ON p.id = m.post_id
             WHERE m.next_poll_at IS NOT NULL AND m.next_poll_at <= ? AND m.state = 'collecting'
               AND p.remote_id IS NOT NULL AND p.published_at IS NOT NULL
             ORDER BY m.next_poll_at LIMIT ?",
        )
        .bind(time::to_db(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Keeps one poll's answer: the snapshot, and the newest per post
    /// (unless a newer one is there already), in one transaction; `next`
    /// is the next poll (`None`: polling is over).
    pub async fn record_snapshot(
        &self,
        captured_at: DateTime<Utc>,
        post_id: &str,
        m: &Metrics,
        next: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let extras = serde_json::to_string(&m.extras).unwrap_or_else(|_| "{}".into());
        let at = time::to_db(captured_at);
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO metric_snapshots (post_id, captured_at, impressions, views, likes,
                 comments, shares, clicks, extras)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (post_id, captured_at) DO NOTHING",
        )
        .bind(post_id)
        .bind(&at)
        .bind(stored(m.impressions))
        .bind(stored(m.views))
        .bind(stored(m.likes))
        .bind(stored(m.comments))
        .bind(stored(m.shares))
        .bind(stored(m.clicks))
        .bind(&extras)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO post_metrics (post_id, captured_at, impressions, views, likes, comments,
                 shares, clicks, extras, polls, next_poll_at, state, poll_error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11, NULL)
             ON CONFLICT (post_id) DO UPDATE SET
                 captured_at = excluded.captured_at, impressions = excluded.impressions,
                 views = excluded.views, likes = excluded.likes, comments = excluded.comments,
                 shares = excluded.shares, clicks = excluded.clicks, extras = excluded.extras,
                 polls = post_metrics.polls + 1, next_poll_at = excluded.next_poll_at,
                 state = excluded.state, poll_error = NULL
             WHERE post_metrics.captured_at IS NULL OR post_metrics.captured_at < excluded.captured_at",
        )
        .bind(post_id)
        .bind(&at)
        .bind(stored(m.impressions))
        .bind(stored(m.views))
        .bind(stored(m.likes))
        .bind(stored(m.comments))
        .bind(stored(m.shares))
        .bind(stored(m.clicks))
        .bind(&extras)
        .bind(next.map(time::to_db))
        .bind(if next.is_some() { "collecting" } else { "done" })
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A poll that did not answer for this post: asked again at `retry_at`.
    pub async fn defer_poll(
        &self,
        post_id: &str,
        retry_at: DateTime<Utc>,
        why: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE post_metrics SET next_poll_at = ?, poll_error = ?
             WHERE post_id = ? AND state = 'collecting'",
        )
        .bind(time::to_db(retry_at))
        .bind(why)
        .bind(post_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The platform no longer has the post: polling ends, history stays.
    pub async fn mark_gone(
        &self,
        now: DateTime<Utc>,
        post_id: &str,
        why: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query(
            "UPDATE post_metrics SET state = 'gone', next_poll_at = NULL, poll_error = ?
             WHERE post_id = ? AND state != 'gone'",
        )
        .bind(why)
        .bind(post_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            let record = AuditRecord {
                actor: Actor::System,
                action: "post.gone",
                entity_type: "post",
                entity_id: Some(post_id),
                details: json!({ "why": why }),
            };
            audit::record(&mut tx, now, &record).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A post's newest metrics and when they were fetched, if polled yet.
    pub async fn latest_metrics(
        &self,
        post_id: &str,
    ) -> Result<Option<(String, Metrics)>, StoreError> {
        let row: Option<MetricsRow> = sqlx::query_as(
            "SELECT captured_at, impressions, views, likes, comments, shares, clicks, extras
             FROM post_metrics WHERE post_id = ?",
        )
        .bind(post_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(MetricsRow::into_metrics))
    }

    /// Every snapshot of a post, oldest first.
    pub async fn snapshots(&self, post_id: &str) -> Result<Vec<(String, Metrics)>, StoreError> {
        let rows: Vec<MetricsRow> = sqlx::query_as(
            "SELECT captured_at, impressions, views, likes, comments, shares, clicks, extras
             FROM metric_snapshots WHERE post_id = ? ORDER BY captured_at",
        )
        .bind(post_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(MetricsRow::into_metrics)
            .collect())
    }

    /// A post's polling state: `collecting`, `done` or `gone`, with the
    /// last poll's error; `None` before its first poll was planned.
    pub async fn poll_state(
        &self,
        post_id: &str,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT state, poll_error FROM post_metrics WHERE post_id = ?")
                .bind(post_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}
