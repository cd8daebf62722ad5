//! What the Calendar reads: counts of a range's posts in five-minute
//! buckets (a day in any zone is whole quarter hours, so whole buckets),
//! one day's posts a page at a time, and the upcoming posts the warnings
//! are checked among.

use chrono::{DateTime, Utc};
use reachloop_ipc::{Platform, ScheduledPost};

use super::schedules::{PostRow, POST_SELECT};
use super::{Store, StoreError};
use crate::time;

/// How many posts of one kind start in one five minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// The five minutes' start.
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

/// "2026-12-03T16:2" + "1" (minute 25 to 29) → 16:25 UTC.
fn bucket_start(key: &str) -> Option<DateTime<Utc>> {
    let (tens, half) = key.split_at_checked(15)?;
    let minute = match half {
        "0" => "0",
        "1" => "5",
        _ => return None,
    };
    chrono::NaiveDateTime::parse_from_str(&format!("{tens}{minute}"), "%Y-%m-%dT%H:%M")
        .ok()
        .map(|t| t.and_utc())
}

impl Store {
    /// The posts of `[from, to)` counted by five minutes and by what
    /// decides whether they go out. The bucket comes from the stored text
    /// itself (`2026-12-03T16:2` and whether the minute's last digit is 5
    /// or more), and the groups come back as one JSON array: a busy month
    /// is as many groups as posts, and sqlx hands rows over one at a time
    /// (20,000 took 150-250 ms).
    pub async fn post_buckets(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Bucket>, StoreError> {
        #[allow(clippy::type_complexity)]
        let rows: Vec<(
            String,
            String,
            String,
            Option<String>,
            String,
            String,
            i64,
            i64,
            i64,
        )> = {
            let packed: Option<String> = sqlx::query_scalar(
                "SELECT json_group_array(json_array(bucket, status, campaign_id, schedule_id,
                        account_id, provider_id, held, picked, n))
                 FROM (SELECT substr(scheduled_at, 1, 15) || (substr(scheduled_at, 16, 1) >= '5') AS bucket,
                        status, campaign_id, schedule_id, account_id, provider_id,
                        held_reason IS NOT NULL AS held,
                        overridden != 0 AND variant_id IS NOT NULL AS picked,
                        count(*) AS n
                     FROM posts WHERE scheduled_at >= ?1 AND scheduled_at < ?2
                     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8)",
            )
            .bind(time::to_db(from))
            .bind(time::to_db(to))
            .fetch_one(&self.pool)
            .await?;
            serde_json::from_str(packed.as_deref().unwrap_or("[]"))
                .map_err(|e| StoreError::Corrupt(format!("post counts: {e}")))?
        };
        rows.into_iter()
            .map(
                |(
                    bucket,
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
                        start: bucket_start(&bucket).ok_or_else(|| {
                            StoreError::Corrupt(format!("a post in bucket {bucket}"))
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
            // All rows as one JSON array: sqlx hands rows over one at a
            // time between threads, which made a month of an every-minute
            // cadence take a third of a second.
            let packed: Option<String> = sqlx::query_scalar(
                "SELECT json_group_array(json_array(id, account_id, provider_id, scheduled_at, variant_id)
                        ORDER BY scheduled_at, id)
                 FROM posts INDEXED BY posts_by_account
                 WHERE account_id = ? AND scheduled_at >= ? AND scheduled_at <= ?
                   AND status = 'scheduled'",
            )
            .bind(account)
            .bind(time::to_db(from))
            .bind(time::to_db(to))
            .fetch_one(&self.pool)
            .await?;
            let rows: Vec<(String, String, String, String, Option<String>)> =
                serde_json::from_str(packed.as_deref().unwrap_or("[]"))
                    .map_err(|e| StoreError::Corrupt(format!("upcoming posts: {e}")))?;
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_bucket_is_the_five_minutes_a_post_starts_in() {
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .expect("an instant")
                .to_utc()
        };
        assert_eq!(
            super::bucket_start("2026-12-03T16:21"),
            Some(at("2026-12-03T16:25:00Z"))
        );
        assert_eq!(
            super::bucket_start("2026-12-03T16:20"),
            Some(at("2026-12-03T16:20:00Z"))
        );
        assert_eq!(
            super::bucket_start("2026-12-03T23:51"),
            Some(at("2026-12-03T23:55:00Z"))
        );
        assert_eq!(super::bucket_start("2026-12-03T16:2"), None);
        assert_eq!(super::bucket_start("2026-12-03T16:22"), None);
    }
}
