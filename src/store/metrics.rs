//! Metric snapshots of published posts: every poll kept, the newest per
//! post beside it in the same transaction, and when each post is polled
//! next.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{audit, Actor, AuditRecord, Store, StoreError};
use crate::analytics::Metrics;
use crate::time;

/// Rows per multi-row INSERT (13 values each, well under SQLite's 32,766
/// bound parameters).
const ROWS_PER_STATEMENT: usize = 500;

/// One poll's answer for one post, to keep.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot<'a> {
    pub captured_at: DateTime<Utc>,
    pub post_id: &'a str,
    pub metrics: &'a Metrics,
    /// The next poll (`None`: polling is over).
    pub next: Option<DateTime<Utc>>,
}

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

/// A post and the posts it is compared with (`Store::post_with_peers`).
#[derive(Debug, Clone)]
pub struct PostPeers {
    pub platform: String,
    pub status: String,
    pub published_at: Option<DateTime<Utc>>,
    /// Every published post of its campaign on its platform, with the
    /// snapshots asked for.
    pub histories: Vec<crate::analytics::age::History>,
}

/// A post's counts as `post_metrics` and `metric_snapshots` hold them
/// (also read from a JSON array of these columns in this order: see
/// [`METRICS_ARRAY`]).
#[derive(sqlx::FromRow, serde::Deserialize)]
pub(super) struct MetricsRow {
    pub(super) captured_at: Option<String>,
    impressions: Option<i64>,
    views: Option<i64>,
    likes: Option<i64>,
    comments: Option<i64>,
    shares: Option<i64>,
    clicks: Option<i64>,
    extras: String,
}

/// The columns of a [`MetricsRow`] as one JSON array, for the packed
/// reads (`{m}` is the table's alias).
const METRICS_ARRAY: &str = "json_array({m}.captured_at, {m}.impressions, {m}.views, {m}.likes, \
     {m}.comments, {m}.shares, {m}.clicks, coalesce({m}.extras, '{}'))";

fn metrics_array(alias: &str) -> String {
    METRICS_ARRAY.replace("{m}", alias)
}

fn count(v: Option<i64>) -> Option<u64> {
    v.and_then(|n| u64::try_from(n).ok())
}

fn stored(v: Option<u64>) -> Option<i64> {
    v.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

impl MetricsRow {
    /// The counts (a poll not made yet has none).
    pub(super) fn counts(&self) -> Metrics {
        Metrics {
            impressions: count(self.impressions),
            views: count(self.views),
            likes: count(self.likes),
            comments: count(self.comments),
            shares: count(self.shares),
            clicks: count(self.clicks),
            extras: serde_json::from_str(&self.extras).unwrap_or_default(),
        }
    }

    fn into_metrics(self) -> Option<(String, Metrics)> {
        let counts = self.counts();
        Some((self.captured_at?, counts))
    }
}

/// Where the data stood at one look: the newest change of each kind (and
/// how many rows, so a deletion shows too).
#[derive(Debug, Default, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ChangeMarks {
    pub posts: Option<String>,
    pub post_count: i64,
    pub metrics: Option<String>,
    pub accounts: Option<String>,
    pub account_count: i64,
    pub jobs: Option<String>,
    pub audit: Option<i64>,
}

/// Which published posts: in `[from, to)`, on these platforms (empty: all),
/// of this campaign and account when given.
#[derive(Debug, Clone)]
pub struct PostsFilter<'a> {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub platforms: &'a [String],
    pub campaign_id: Option<&'a str>,
    pub account_id: Option<&'a str>,
}

impl Store {
    /// Where the data stands, for the live-update watcher (indexed reads).
    pub async fn change_marks(&self) -> Result<ChangeMarks, StoreError> {
        Ok(sqlx::query_as(
            "SELECT (SELECT max(updated_at) FROM posts) AS posts,
                    (SELECT count(*) FROM posts) AS post_count,
                    (SELECT max(captured_at) FROM post_metrics) AS metrics,
                    (SELECT max(updated_at) FROM social_accounts) AS accounts,
                    (SELECT count(*) FROM social_accounts) AS account_count,
                    (SELECT max(updated_at) FROM generation_jobs) AS jobs,
                    (SELECT max(id) FROM audit_log) AS audit",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Published posts with their newest metrics (one row per post from
    /// `post_metrics`: never the snapshots' history).
    pub async fn published_figures(
        &self,
        f: &PostsFilter<'_>,
    ) -> Result<Vec<crate::analytics::dashboard::PostFigures>, StoreError> {
        let platforms = serde_json::to_string(f.platforms).unwrap_or_else(|_| "[]".into());
        // All rows as one JSON array: sqlx hands SQLite's rows over one at
        // a time between threads (tens of microseconds each), which made a
        // dashboard of a few thousand posts take over 100 ms.
        let packed: Option<String> = sqlx::query_scalar(&format!(
            "SELECT json_group_array(json_array(p.provider_id, p.account_id, p.variant_id,
                        p.published_at, {})
                        ORDER BY p.published_at, p.id)
             FROM posts p INDEXED BY posts_published
             LEFT JOIN post_metrics m ON m.post_id = p.id
             WHERE p.status = 'published' AND p.published_at >= ?1 AND p.published_at < ?2
               AND (json_array_length(?3) = 0 OR p.provider_id IN (SELECT value FROM json_each(?3)))
               AND (?4 IS NULL OR p.campaign_id = ?4) AND (?5 IS NULL OR p.account_id = ?5)",
            metrics_array("m")
        ))
        .bind(time::to_db(f.from))
        .bind(time::to_db(f.to))
        .bind(platforms)
        .bind(f.campaign_id)
        .bind(f.account_id)
        .fetch_one(&self.pool)
        .await?;
        type Packed = (String, String, Option<String>, String, MetricsRow);
        let rows: Vec<Packed> = serde_json::from_str(packed.as_deref().unwrap_or("[]"))
            .map_err(|e| StoreError::Corrupt(format!("published posts: {e}")))?;
        rows.into_iter()
            .map(|(platform, account_id, variant_id, published_at, latest)| {
                let published_at = time::from_db(&published_at)
                    .map_err(|e| StoreError::Corrupt(format!("a post's publishing time: {e}")))?;
                let latest = latest.into_metrics();
                Ok(crate::analytics::dashboard::PostFigures {
                    platform,
                    account_id,
                    variant_id,
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
        self.record_snapshots(&[Snapshot {
            captured_at,
            post_id,
            metrics: m,
            next,
        }])
        .await
    }

    /// [`Store::record_snapshot`] for many at once, in one transaction and
    /// a few statements (many rows each): what a batch of polls, or an
    /// import, writes.
    pub async fn record_snapshots(&self, batch: &[Snapshot<'_>]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        // The newest of the batch per post (the first of equal instants),
        // for `post_metrics`.
        let mut newest: std::collections::HashMap<&str, &Snapshot<'_>> = Default::default();
        for s in batch {
            match newest.get(s.post_id) {
                Some(n) if n.captured_at >= s.captured_at => {}
                _ => {
                    newest.insert(s.post_id, s);
                }
            }
        }
        let mut newest: Vec<&Snapshot<'_>> = newest.into_values().collect();
        newest.sort_by_key(|s| s.post_id);
        let mut tx = self.write_tx().await?;
        for chunk in batch.chunks(ROWS_PER_STATEMENT) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO metric_snapshots (post_id, captured_at, impressions, views, likes,
                     comments, shares, clicks, extras) ",
            );
            q.push_values(chunk, |mut row, s| {
                let m = s.metrics;
                row.push_bind(s.post_id)
                    .push_bind(time::to_db(s.captured_at))
                    .push_bind(stored(m.impressions))
                    .push_bind(stored(m.views))
                    .push_bind(stored(m.likes))
                    .push_bind(stored(m.comments))
                    .push_bind(stored(m.shares))
                    .push_bind(stored(m.clicks))
                    .push_bind(serde_json::to_string(&m.extras).unwrap_or_else(|_| "{}".into()));
            });
            q.push(" ON CONFLICT (post_id, captured_at) DO NOTHING");
            q.build().execute(&mut *tx).await?;
        }
        for chunk in newest.chunks(ROWS_PER_STATEMENT) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO post_metrics (post_id, captured_at, impressions, views, likes, comments,
                     shares, clicks, extras, polls, next_poll_at, state, poll_error) ",
            );
            q.push_values(chunk, |mut row, s| {
                let m = s.metrics;
                row.push_bind(s.post_id)
                    .push_bind(time::to_db(s.captured_at))
                    .push_bind(stored(m.impressions))
                    .push_bind(stored(m.views))
                    .push_bind(stored(m.likes))
                    .push_bind(stored(m.comments))
                    .push_bind(stored(m.shares))
                    .push_bind(stored(m.clicks))
                    .push_bind(serde_json::to_string(&m.extras).unwrap_or_else(|_| "{}".into()))
                    .push_bind(1i64)
                    .push_bind(s.next.map(time::to_db))
                    .push_bind(if s.next.is_some() {
                        "collecting"
                    } else {
                        "done"
                    })
                    .push_bind(None::<String>);
            });
            q.push(
                " ON CONFLICT (post_id) DO UPDATE SET
                     captured_at = excluded.captured_at, impressions = excluded.impressions,
                     views = excluded.views, likes = excluded.likes, comments = excluded.comments,
                     shares = excluded.shares, clicks = excluded.clicks, extras = excluded.extras,
                     polls = post_metrics.polls + 1, next_poll_at = excluded.next_poll_at,
                     state = excluded.state, poll_error = NULL
                 WHERE post_metrics.captured_at IS NULL OR post_metrics.captured_at < excluded.captured_at",
            );
            q.build().execute(&mut *tx).await?;
        }
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

    /// A post's platform, status and publishing time, with every published
    /// post of its campaign on that platform (itself among them) and their
    /// snapshots taken within `windows_of(platform)` after publishing (a
    /// second wider either side, so rounding never drops one), oldest
    /// first; `None`: no such post. The campaign's unique (campaign,
    /// platform, account, time) index finds the posts.
    pub async fn post_with_peers(
        &self,
        post_id: &str,
        windows_of: impl FnOnce(&str) -> Vec<(chrono::Duration, chrono::Duration)>,
    ) -> Result<Option<PostPeers>, StoreError> {
        let me: Option<(String, String, Option<String>)> =
            sqlx::query_as("SELECT provider_id, status, published_at FROM posts WHERE id = ?")
                .bind(post_id)
                .fetch_optional(&self.pool)
                .await?;
        let Some((platform, status, published_at)) = me else {
            return Ok(None);
        };
        let published_at = match published_at {
            Some(at) => Some(
                time::from_db(&at)
                    .map_err(|e| StoreError::Corrupt(format!("a post's publishing time: {e}")))?,
            ),
            None => None,
        };
        // Each window as SQLite date modifiers ("+2699.000 seconds"): the
        // snapshots' key (post, time) then seeks each window's range.
        let modifier =
            |d: chrono::Duration| format!("{:+.3} seconds", d.num_milliseconds() as f64 / 1000.0);
        let second = chrono::Duration::seconds(1);
        let windows: Vec<[String; 2]> = windows_of(&platform)
            .into_iter()
            .map(|(lo, hi)| [modifier(lo - second), modifier(hi + second)])
            .collect();
        let windows = serde_json::to_string(&windows).unwrap_or_else(|_| "[]".into());
        // As one JSON array, for the reason in `published_figures`. A
        // window without snapshots leaves a row of nulls: the post is
        // still there.
        let packed: Option<String> = sqlx::query_scalar(&format!(
            "SELECT json_group_array(json_array(p.id, p.published_at, {})
                        ORDER BY p.id, s.captured_at)
             FROM posts me
             JOIN posts p ON p.campaign_id = me.campaign_id AND p.provider_id = me.provider_id
             JOIN json_each(?2) w
             LEFT JOIN metric_snapshots s ON s.post_id = p.id
                AND s.captured_at
                    BETWEEN strftime('%Y-%m-%dT%H:%M:%fZ', p.published_at, w.value ->> 0)
                        AND strftime('%Y-%m-%dT%H:%M:%fZ', p.published_at, w.value ->> 1)
             WHERE me.id = ?1 AND p.status = 'published' AND p.published_at IS NOT NULL",
            metrics_array("s")
        ))
        .bind(post_id)
        .bind(windows)
        .fetch_one(&self.pool)
        .await?;
        type Packed = (String, String, MetricsRow);
        let rows: Vec<Packed> = serde_json::from_str(packed.as_deref().unwrap_or("[]"))
            .map_err(|e| StoreError::Corrupt(format!("a campaign's snapshots: {e}")))?;
        let mut histories: Vec<crate::analytics::age::History> = Vec::new();
        for (post_id, published_at, row) in rows {
            if histories.last().is_none_or(|h| h.post_id != post_id) {
                histories.push(crate::analytics::age::History {
                    published_at: time::from_db(&published_at).map_err(|e| {
                        StoreError::Corrupt(format!("a post's publishing time: {e}"))
                    })?,
                    post_id,
                    snapshots: Vec::new(),
                });
            }
            if let (Some((at, m)), Some(h)) = (row.into_metrics(), histories.last_mut()) {
                let at = time::from_db(&at)
                    .map_err(|e| StoreError::Corrupt(format!("a snapshot's time: {e}")))?;
                // In two windows that overlap: once.
                if h.snapshots.last().is_none_or(|(last, _)| *last != at) {
                    h.snapshots.push((at, m));
                }
            }
        }
        Ok(Some(PostPeers {
            platform,
            status,
            published_at,
            histories,
        }))
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
