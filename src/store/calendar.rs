//! What the Calendar reads: counts of a range's posts in quarter hours (a
//! day in any zone is whole quarter hours), one day's posts a page at a
//! time, and the upcoming posts the warnings are checked among.

use chrono::{DateTime, Utc};
use reachloop_ipc::{Platform, ScheduledPost};

use super::schedules::{PostRow, POST_SELECT};
use super::{Store, StoreError};
use crate::time;

/// How many posts of one kind start in one quarter hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// The quarter hour's start.
    pub start: DateTime<Utc>,
    pub status: String,
    pub campaign_id: String,
    pub schedule_id: Option<String>,
    pub account_id: String,
    pub platform: Platform,
    /// The publisher held them (every variant breaks the rules).
    pub held: bool,
    /// A person chose their variant.
    pub picked: bool,
    pub count: u32,
}

/// An upcoming post as the warnings see it.
#[derive(Debug, Clone)]
pub struct PlannedRow {
    pub id: String,
    pub account_id: String,
    pub platform: Platform,
    pub at: DateTime<Utc>,
    pub variant_id: Option<String>,
}

/// A quarter hour, in seconds.
pub const QUARTER: i64 = 900;

impl Store {
    /// The posts of `[from, to)` counted by quarter hour and by what
    /// decides whether they go out.
    pub async fn post_buckets(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Bucket>, StoreError> {
        #[allow(clippy::type_complexity)]
        let rows: Vec<(
            i64,
            String,
            String,
            Option<String>,
            String,
            String,
            i64,
            i64,
            i64,
        )> = sqlx::query_as(
            "SELECT CAST(strftime('%s', scheduled_at) AS INTEGER) / ?3 AS quarter,
                    status, campaign_id, schedule_id, account_id, provider_id,
                    held_reason IS NOT NULL AS held,
                    overridden != 0 AND variant_id IS NOT NULL AS picked,
                    count(*)
                 FROM posts WHERE scheduled_at >= ?1 AND scheduled_at < ?2
                 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8",
        )
        .bind(time::to_db(from))
        .bind(time::to_db(to))
        .bind(QUARTER)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(
                |(
                    quarter,
                    status,
                    campaign_id,
                    schedule_id,
                    account_id,
                    platform,
                    held,
                    picked,
                    n,
                )| {
                    Ok(Bucket {
                        start: DateTime::from_timestamp(quarter * QUARTER, 0).ok_or_else(|| {
                            StoreError::Corrupt(format!("a post at quarter {quarter}"))
                        })?,
                        platform: Platform::parse(&platform).ok_or_else(|| {
                            StoreError::Corrupt(format!("a post's platform {platform}"))
                        })?,
                        status,
                        campaign_id,
                        schedule_id,
                        account_id,
                        held: held != 0,
                        picked: picked != 0,
                        count: u32::try_from(n).unwrap_or(u32::MAX),
                    })
                },
            )
            .collect()
    }

    /// The posts of `[from, to)` in time order, `limit` of them after the
    /// first `offset`.
    pub async fn posts_page(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<ScheduledPost>, StoreError> {
        let rows: Vec<PostRow> = sqlx::query_as(&format!(
            "{POST_SELECT} WHERE scheduled_at >= ? AND scheduled_at < ?
             ORDER BY scheduled_at, id LIMIT ? OFFSET ?"
        ))
        .bind(time::to_db(from))
        .bind(time::to_db(to))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(PostRow::into_ipc).collect()
    }

    /// How many posts `[from, to)` holds.
    pub async fn count_posts_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM posts WHERE scheduled_at >= ? AND scheduled_at < ?",
        )
        .bind(time::to_db(from))
        .bind(time::to_db(to))
        .fetch_one(&self.pool)
        .await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// The upcoming (scheduled) posts of `[from, to]` to `accounts`, in
    /// time order: what a post's warnings are checked among.
    pub async fn planned_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        accounts: &[String],
    ) -> Result<Vec<PlannedRow>, StoreError> {
        let mut out = Vec::new();
        for account in accounts {
            let rows: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
                "SELECT id, account_id, provider_id, scheduled_at, variant_id FROM posts
                 WHERE account_id = ? AND scheduled_at >= ? AND scheduled_at <= ?
                   AND status = 'scheduled'
                 ORDER BY scheduled_at, id",
            )
            .bind(account)
            .bind(time::to_db(from))
            .bind(time::to_db(to))
            .fetch_all(&self.pool)
            .await?;
            for (id, account_id, platform, at, variant_id) in rows {
                out.push(PlannedRow {
                    platform: Platform::parse(&platform).ok_or_else(|| {
                        StoreError::Corrupt(format!("post {id}: platform {platform}"))
                    })?,
                    at: time::from_db(&at)
                        .map_err(|_| StoreError::Corrupt(format!("post {id}: time {at}")))?,
                    id,
                    account_id,
                    variant_id,
                });
            }
        }
        Ok(out)
    }
}
