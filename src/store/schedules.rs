//! Schedules and the posts they plan. A post row is a slot: UNIQUE on
//! (campaign, platform, account, instant), so planning the same slots twice,
//! or from two processes at once, inserts each once.

use chrono::{DateTime, Utc};
use reachloop_ipc::{Platform, Schedule, ScheduledPost};
use serde_json::json;
use uuid::Uuid;

use super::{audit, Actor, AuditRecord, Store, StoreError};
use crate::time;

/// A checked schedule as stored.
pub struct NewScheduleRow<'a> {
    pub campaign_id: &'a str,
    pub platform: Platform,
    pub account_id: &'a str,
    pub run_at: Option<DateTime<Utc>>,
    pub cron: Option<&'a str>,
    pub time_zone: &'a str,
    pub start_date: Option<chrono::NaiveDate>,
    pub end_date: Option<chrono::NaiveDate>,
    pub use_optimizer: bool,
}

#[derive(sqlx::FromRow)]
struct ScheduleRow {
    id: String,
    campaign_id: String,
    provider_id: Option<String>,
    account_id: Option<String>,
    kind: String,
    run_at: Option<String>,
    cron_expr: Option<String>,
    time_zone: String,
    starts_at: Option<String>,
    ends_at: Option<String>,
    next_run_at: Option<String>,
    paused: i64,
    use_optimizer: i64,
    created_at: String,
    updated_at: String,
}

const SCHEDULE_SELECT: &str = "SELECT id, campaign_id, provider_id, account_id, kind, run_at, cron_expr,
    time_zone, starts_at, ends_at, next_run_at, paused, use_optimizer, created_at, updated_at FROM schedules";

impl ScheduleRow {
    fn into_ipc(self) -> Result<Schedule, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("schedule {}: {what}", self.id));
        let platform = self
            .provider_id
            .as_deref()
            .and_then(Platform::parse)
            .ok_or_else(|| corrupt("no platform"))?;
        let description = match self.cron_expr.as_deref() {
            Some(expr) => crate::schedule::Cadence::parse(expr)
                .map(|c| c.describe())
                .map_err(|e| corrupt(&e.to_string()))?,
            None => {
                let at = self
                    .run_at
                    .as_deref()
                    .and_then(|t| crate::time::from_db(t).ok())
                    .ok_or_else(|| corrupt("a one-off without its time"))?;
                let zone = crate::schedule::parse_zone(&self.time_zone)
                    .map_err(|e| corrupt(&e.to_string()))?;
                crate::schedule::describe_once(at, zone)
            }
        };
        Ok(Schedule {
            platform,
            account_id: self
                .account_id
                .clone()
                .ok_or_else(|| corrupt("no account"))?,
            description,
            id: self.id,
            campaign_id: self.campaign_id,
            kind: self.kind,
            run_at: self.run_at,
            cron: self.cron_expr,
            time_zone: self.time_zone,
            start_date: self.starts_at,
            end_date: self.ends_at,
            paused: self.paused != 0,
            use_optimizer: self.use_optimizer != 0,
            blocked: None,
            fix: None,
            next_run_at: self.next_run_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct PostRow {
    id: String,
    campaign_id: String,
    provider_id: String,
    account_id: String,
    schedule_id: Option<String>,
    variant_id: Option<String>,
    scheduled_at: String,
    time_zone: String,
    status: String,
    overridden: i64,
    attempts: i64,
    remote_url: Option<String>,
    last_error: Option<String>,
    held_reason: Option<String>,
    upload_sent: Option<i64>,
    upload_total: Option<i64>,
    upload_processing: i64,
    m_state: Option<String>,
    m_error: Option<String>,
    #[sqlx(flatten)]
    metrics: super::metrics::MetricsRow,
}

/// A post with its newest metrics beside it (`post_metrics`, one row per
/// post: never the snapshots' history).
pub(super) const POST_SELECT: &str =
    "SELECT id, campaign_id, provider_id, account_id, schedule_id, variant_id,
    scheduled_at, time_zone, status, overridden, attempts, remote_url, last_error, held_reason,
    upload_sent, upload_total, upload_processing,
    m.state AS m_state, m.poll_error AS m_error, m.captured_at, m.impressions, m.views,
    m.likes, m.comments, m.shares, m.clicks, coalesce(m.extras, '{}') AS extras
    FROM posts LEFT JOIN post_metrics m ON m.post_id = posts.id";

impl PostRow {
    pub(super) fn into_ipc(self) -> Result<ScheduledPost, StoreError> {
        Ok(ScheduledPost {
            platform: Platform::parse(&self.provider_id).ok_or_else(|| {
                StoreError::Corrupt(format!("post {}: platform {}", self.id, self.provider_id))
            })?,
            id: self.id,
            campaign_id: self.campaign_id,
            account_id: self.account_id,
            schedule_id: self.schedule_id,
            variant_id: self.variant_id,
            scheduled_at: self.scheduled_at,
            time_zone: self.time_zone,
            overridden: self.overridden != 0,
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            remote_url: self.remote_url,
            last_error: self.last_error,
            held: self.held_reason.filter(|_| self.status == "scheduled"),
            fix: None,
            warnings: Vec::new(),
            upload: match (self.status.as_str(), self.upload_sent, self.upload_total) {
                ("publishing", Some(sent), Some(total)) if total > 0 => {
                    Some(reachloop_ipc::Upload {
                        sent: u64::try_from(sent).unwrap_or(0),
                        total: u64::try_from(total).unwrap_or(0),
                        processing: self.upload_processing != 0,
                    })
                }
                _ => None,
            },
            status: self.status,
            metrics: self.m_state.map(|state| {
                let m = self.metrics.counts();
                reachloop_ipc::PostMetrics {
                    captured_at: self.metrics.captured_at,
                    impressions: m.impressions,
                    views: m.views,
                    likes: m.likes,
                    comments: m.comments,
                    shares: m.shares,
                    clicks: m.clicks,
                    extras: m.extras,
                    state,
                    error: self.m_error,
                }
            }),
        })
    }
}

impl Store {
    /// Stores a checked schedule with its audit entry.
    pub async fn insert_schedule(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        row: &NewScheduleRow<'_>,
    ) -> Result<Schedule, StoreError> {
        self.insert_schedule_taking(now, actor, row, None)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// [`Store::insert_schedule`] for a one-off that takes over the post
    /// `replaces` at its minute (upcoming, or skipped: it becomes upcoming
    /// again), in the same transaction, so that post is the one-off's: its
    /// old schedule's pause or end no longer reaches it. `None` when that
    /// post is no longer upcoming or skipped (nothing is stored then).
    pub async fn insert_schedule_taking(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        row: &NewScheduleRow<'_>,
        replaces: Option<&str>,
    ) -> Result<Option<Schedule>, StoreError> {
        let id = Uuid::new_v4().to_string();
        let at = time::to_db(now);
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO schedules (id, campaign_id, provider_id, account_id, kind, run_at, cron_expr,
                 time_zone, starts_at, ends_at, use_optimizer, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(row.campaign_id)
        .bind(row.platform.as_str())
        .bind(row.account_id)
        .bind(if row.cron.is_some() { "cron" } else { "once" })
        .bind(row.run_at.map(time::to_db))
        .bind(row.cron)
        .bind(row.time_zone)
        .bind(row.start_date.map(|d| d.to_string()))
        .bind(row.end_date.map(|d| d.to_string()))
        .bind(i64::from(row.use_optimizer))
        .bind(&at)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        let record = AuditRecord {
            actor,
            action: "schedule.created",
            entity_type: "schedule",
            entity_id: Some(&id),
            details: json!({
                "campaign_id": row.campaign_id,
                "platform": row.platform.as_str(),
                "account_id": row.account_id,
                "cron": row.cron,
                "run_at": row.run_at.map(time::to_db),
                "time_zone": row.time_zone,
            }),
        };
        audit::record(&mut tx, now, &record).await?;
        if let Some(post_id) = replaces {
            let old_schedule: Option<Option<String>> = sqlx::query_scalar(
                "SELECT schedule_id FROM posts WHERE id = ? AND status IN ('scheduled', 'cancelled')",
            )
            .bind(post_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(old_schedule) = old_schedule else {
                tx.rollback().await?;
                return Ok(None);
            };
            sqlx::query(
                "UPDATE posts SET schedule_id = ?, time_zone = ?, status = 'scheduled', last_error = NULL,
                     overridden = 0, updated_at = ?
                 WHERE id = ?",
            )
            .bind(&id)
            .bind(row.time_zone)
            .bind(&at)
            .bind(post_id)
            .execute(&mut *tx)
            .await?;
            let record = AuditRecord {
                actor,
                action: "post.slot_replaced",
                entity_type: "post",
                entity_id: Some(post_id),
                details: json!({ "from_schedule": old_schedule, "to_schedule": id }),
            };
            audit::record(&mut tx, now, &record).await?;
        }
        tx.commit().await?;
        self.schedule(&id).await
    }

    pub async fn schedule(&self, id: &str) -> Result<Option<Schedule>, StoreError> {
        let row: Option<ScheduleRow> = sqlx::query_as(&format!("{SCHEDULE_SELECT} WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(ScheduleRow::into_ipc).transpose()
    }

    /// Every schedule (of one campaign), oldest first.
    pub async fn list_schedules(
        &self,
        campaign_id: Option<&str>,
    ) -> Result<Vec<Schedule>, StoreError> {
        let rows: Vec<ScheduleRow> = sqlx::query_as(&format!(
            "{SCHEDULE_SELECT} WHERE (?1 IS NULL OR campaign_id = ?1) AND provider_id IS NOT NULL
             ORDER BY created_at, id"
        ))
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(ScheduleRow::into_ipc).collect()
    }

    /// Pauses or resumes a schedule, audited. Its planned posts stay; the
    /// publisher leaves the posts of a paused schedule alone.
    pub async fn set_schedule_paused(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        id: &str,
        paused: bool,
    ) -> Result<Schedule, StoreError> {
        let mut tx = self.write_tx().await?;
        // Resuming skips the slots whose time passed while it was paused:
        // a pause is a decision not to post then (said before resuming).
        let paused_since: Option<String> =
            sqlx::query_scalar("SELECT updated_at FROM schedules WHERE id = ? AND paused = 1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let mut skipped = 0;
        if let (false, Some(since)) = (paused, &paused_since) {
            skipped = sqlx::query(
                "UPDATE posts SET status = 'cancelled', last_error = 'Skipped: its schedule was paused at that time.',
                     updated_at = ?1
                 WHERE schedule_id = ?2 AND status = 'scheduled' AND scheduled_at >= ?3 AND scheduled_at < ?1",
            )
            .bind(time::to_db(now))
            .bind(id)
            .bind(since)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        let changed = sqlx::query("UPDATE schedules SET paused = ?, updated_at = ? WHERE id = ?")
            .bind(i64::from(paused))
            .bind(time::to_db(now))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed != 1 {
            return Err(StoreError::NotFound);
        }
        let record = AuditRecord {
            actor,
            action: if paused {
                "schedule.paused"
            } else {
                "schedule.resumed"
            },
            entity_type: "schedule",
            entity_id: Some(id),
            details: match paused {
                true => json!({}),
                false => json!({ "skipped_missed": skipped }),
            },
        };
        audit::record(&mut tx, now, &record).await?;
        tx.commit().await?;
        self.schedule(id).await?.ok_or(StoreError::NotFound)
    }

    /// The times of the posts resuming would skip: those of schedule
    /// `schedule_id` (or, with `None`, of every schedule while publishing
    /// was paused) whose time passed during the pause.
    pub async fn missed_while_paused(
        &self,
        now: DateTime<Utc>,
        schedule_id: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let since: Option<String> = match schedule_id {
            Some(id) => {
                sqlx::query_scalar("SELECT updated_at FROM schedules WHERE id = ? AND paused = 1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
            }
            None => {
                sqlx::query_scalar(
                    "SELECT updated_at FROM settings WHERE key = ? AND value = 'true'",
                )
                .bind(super::PUBLISHING_PAUSED)
                .fetch_optional(&self.pool)
                .await?
            }
        };
        let Some(since) = since else {
            return Ok(Vec::new());
        };
        Ok(sqlx::query_scalar(
            "SELECT scheduled_at FROM posts
             WHERE (?1 IS NULL OR schedule_id = ?1) AND status = 'scheduled'
               AND scheduled_at >= ?2 AND scheduled_at < ?3
             ORDER BY scheduled_at",
        )
        .bind(schedule_id)
        .bind(since)
        .bind(time::to_db(now))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Plans `slots` of `schedule` as posts; a slot already planned (by this
    /// or another process) is left as it is. Returns how many were new, and
    /// moves the schedule's `next_run_at` to the first slot not yet past.
    pub async fn plan_posts(
        &self,
        now: DateTime<Utc>,
        schedule: &Schedule,
        slots: &[DateTime<Utc>],
    ) -> Result<u64, StoreError> {
        let at = time::to_db(now);
        let mut tx = self.write_tx().await?;
        let mut added = 0;
        // A one-off outranks a cadence at the same minute (it was saved
        // knowing the cadence posts then, see `App::create_schedule`): its
        // planning takes the cadence's upcoming post over, so the cadence's
        // pause or end no longer reaches it. Anything else already there
        // stays as it is.
        let sql = match schedule.kind.as_str() {
            "once" => {
                "INSERT INTO posts (id, campaign_id, provider_id, account_id, schedule_id, scheduled_at,
                     time_zone, status, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?)
                 ON CONFLICT (campaign_id, provider_id, account_id, scheduled_at) DO UPDATE
                   SET schedule_id = excluded.schedule_id, time_zone = excluded.time_zone,
                       updated_at = excluded.updated_at
                   WHERE posts.status = 'scheduled'
                     AND posts.schedule_id IN (SELECT id FROM schedules WHERE kind = 'cron')"
            }
            _ => {
                "INSERT INTO posts (id, campaign_id, provider_id, account_id, schedule_id, scheduled_at,
                     time_zone, status, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?)
                 ON CONFLICT (campaign_id, provider_id, account_id, scheduled_at) DO NOTHING"
            }
        };
        for slot in slots {
            added += sqlx::query(sql)
                .bind(Uuid::new_v4().to_string())
                .bind(&schedule.campaign_id)
                .bind(schedule.platform.as_str())
                .bind(&schedule.account_id)
                .bind(&schedule.id)
                .bind(time::to_db(*slot))
                .bind(&schedule.time_zone)
                .bind(&at)
                .bind(&at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        let next = slots.iter().find(|s| **s >= now).map(|s| time::to_db(*s));
        sqlx::query("UPDATE schedules SET next_run_at = ? WHERE id = ?")
            .bind(next)
            .bind(&schedule.id)
            .execute(&mut *tx)
            .await?;
        if added > 0 {
            let record = AuditRecord {
                actor: Actor::Scheduler,
                action: "posts.planned",
                entity_type: "schedule",
                entity_id: Some(&schedule.id),
                details: json!({ "added": added }),
            };
            audit::record(&mut tx, now, &record).await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// The calendar's window: the last `past` posts before `now` and the
    /// next `upcoming` from `now`, soonest first.
    pub async fn posts_around(
        &self,
        now: DateTime<Utc>,
        past: u32,
        upcoming: u32,
    ) -> Result<Vec<ScheduledPost>, StoreError> {
        let at = time::to_db(now);
        let mut before: Vec<PostRow> = sqlx::query_as(&format!(
            "{POST_SELECT} WHERE scheduled_at < ? ORDER BY scheduled_at DESC, id DESC LIMIT ?"
        ))
        .bind(&at)
        .bind(past)
        .fetch_all(&self.pool)
        .await?;
        before.reverse();
        let after: Vec<PostRow> = sqlx::query_as(&format!(
            "{POST_SELECT} WHERE scheduled_at >= ? ORDER BY scheduled_at, id LIMIT ?"
        ))
        .bind(&at)
        .bind(upcoming)
        .fetch_all(&self.pool)
        .await?;
        before
            .into_iter()
            .chain(after)
            .map(PostRow::into_ipc)
            .collect()
    }

    /// Posts scheduled in `[from, to)`, soonest first, at most `limit`.
    pub async fn posts_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ScheduledPost>, StoreError> {
        let rows: Vec<PostRow> = sqlx::query_as(&format!(
            "{POST_SELECT} WHERE scheduled_at >= ? AND scheduled_at < ? ORDER BY scheduled_at, id LIMIT ?"
        ))
        .bind(time::to_db(from))
        .bind(time::to_db(to))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(PostRow::into_ipc).collect()
    }

    /// One post, by id.
    pub async fn post(&self, id: &str) -> Result<Option<ScheduledPost>, StoreError> {
        let row: Option<PostRow> = sqlx::query_as(&format!("{POST_SELECT} WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(PostRow::into_ipc).transpose()
    }

    /// The post of `campaign_id` on `platform` to `account_id` at `at`, if
    /// any: the one a schedule's post at that minute would be.
    pub async fn post_at(
        &self,
        campaign_id: &str,
        platform: Platform,
        account_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<ScheduledPost>, StoreError> {
        let row: Option<PostRow> = sqlx::query_as(&format!(
            "{POST_SELECT} WHERE campaign_id = ? AND provider_id = ? AND account_id = ? AND scheduled_at = ?"
        ))
        .bind(campaign_id)
        .bind(platform.as_str())
        .bind(account_id)
        .bind(time::to_db(at))
        .fetch_optional(&self.pool)
        .await?;
        row.map(PostRow::into_ipc).transpose()
    }

    /// The first minute after `at`, within the hour, where `campaign_id`
    /// has no post on `platform` to `account_id`.
    pub async fn free_minute_after(
        &self,
        campaign_id: &str,
        platform: Platform,
        account_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let taken: Vec<String> = sqlx::query_scalar(
            "SELECT scheduled_at FROM posts WHERE campaign_id = ? AND provider_id = ? AND account_id = ?
               AND scheduled_at > ? AND scheduled_at <= ?",
        )
        .bind(campaign_id)
        .bind(platform.as_str())
        .bind(account_id)
        .bind(time::to_db(at))
        .bind(time::to_db(at + chrono::Duration::hours(1)))
        .fetch_all(&self.pool)
        .await?;
        Ok((1..=60)
            .map(|m| at + chrono::Duration::minutes(m))
            .find(|t| !taken.contains(&time::to_db(*t))))
    }

    /// Posts, soonest first; only those in `status` when given.
    pub async fn list_posts(&self, status: Option<&str>) -> Result<Vec<ScheduledPost>, StoreError> {
        let rows: Vec<PostRow> = sqlx::query_as(&format!(
            "{POST_SELECT} WHERE (?1 IS NULL OR status = ?1) ORDER BY scheduled_at, id"
        ))
        .bind(status)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(PostRow::into_ipc).collect()
    }
}

/// A person's change to one upcoming post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostOverride {
    /// Post this variant (of the post's campaign and platform).
    Variant(String),
    /// Post at this time instead.
    Move(DateTime<Utc>),
    /// Do not post it.
    Skip,
}

/// Why an override was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideRefused {
    #[error("this post is already being published; it cannot be changed now")]
    AlreadyPublishing,
    #[error("this post is {0}; only an upcoming post can be changed")]
    NotUpcoming(String),
    #[error("that variant is not a live variant of this post's campaign and platform")]
    WrongVariant,
    #[error("another post to this account is already planned at that time")]
    SlotTaken,
}

/// Ends a refused override: the transaction is rolled back at once, so a
/// write it made (a move's cancelled slot) cannot hold the database's write
/// lock until the connection happens to be used again.
async fn refuse(
    tx: super::WriteTx,
    why: OverrideRefused,
) -> Result<Result<ScheduledPost, OverrideRefused>, StoreError> {
    tx.rollback().await?;
    Ok(Err(why))
}

impl Store {
    /// Applies `change` to a scheduled post, atomically with its audit
    /// entry, only while the post is still scheduled: an override never
    /// reaches a post the publisher has claimed. Moving keeps the original
    /// slot as a cancelled row (so planning cannot bring it back) and plans
    /// the post anew at the chosen time, as a person's choice.
    pub async fn override_post(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        post_id: &str,
        change: &PostOverride,
    ) -> Result<Result<ScheduledPost, OverrideRefused>, StoreError> {
        let mut tx = self.write_tx().await?;
        let row: Option<PostRow> = sqlx::query_as(&format!("{POST_SELECT} WHERE id = ?"))
            .bind(post_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(post) = row else {
            return Err(StoreError::NotFound);
        };
        match post.status.as_str() {
            "scheduled" => {}
            "publishing" => return Ok(Err(OverrideRefused::AlreadyPublishing)),
            other => return Ok(Err(OverrideRefused::NotUpcoming(other.replace('_', " ")))),
        }
        let at = time::to_db(now);
        let mut result_id = post.id.clone();
        let details;
        match change {
            PostOverride::Variant(v) => {
                let ok: bool = sqlx::query_scalar(
                    "SELECT count(*) > 0 FROM variants WHERE id = ? AND campaign_id = ? AND provider_id = ? AND archived = 0",
                )
                .bind(v)
                .bind(&post.campaign_id)
                .bind(&post.provider_id)
                .fetch_one(&mut *tx)
                .await?;
                if !ok {
                    return refuse(tx, OverrideRefused::WrongVariant).await;
                }
                let n = sqlx::query(
                    "UPDATE posts SET variant_id = ?, overridden = 1, held_reason = NULL, updated_at = ?
                     WHERE id = ? AND status = 'scheduled'",
                )
                .bind(v)
                .bind(&at)
                .bind(&post.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n != 1 {
                    return refuse(tx, OverrideRefused::AlreadyPublishing).await;
                }
                details = json!({ "variant_id": v });
            }
            PostOverride::Skip => {
                let n = sqlx::query(
                    "UPDATE posts SET status = 'cancelled', overridden = 1, last_error = 'Skipped by you.', updated_at = ?
                     WHERE id = ? AND status = 'scheduled'",
                )
                .bind(&at)
                .bind(&post.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n != 1 {
                    return refuse(tx, OverrideRefused::AlreadyPublishing).await;
                }
                details = json!({ "skipped": post.scheduled_at });
            }
            PostOverride::Move(to) => {
                let n = sqlx::query(
                    "UPDATE posts SET status = 'cancelled', overridden = 1, last_error = ?, updated_at = ?
                     WHERE id = ? AND status = 'scheduled'",
                )
                .bind(format!(
                    "Moved by you to {}.",
                    crate::schedule::parse_zone(&post.time_zone).map_or_else(
                        |_| time::to_db(*to),
                        |zone| to.with_timezone(&zone).format("%a %Y-%m-%d %H:%M %Z").to_string()
                    )
                ))
                .bind(&at)
                .bind(&post.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n != 1 {
                    return refuse(tx, OverrideRefused::AlreadyPublishing).await;
                }
                let new_id = Uuid::new_v4().to_string();
                let inserted = sqlx::query(
                    "INSERT INTO posts (id, campaign_id, provider_id, account_id, variant_id, schedule_id,
                         scheduled_at, time_zone, status, overridden, created_at, updated_at)
                     VALUES (?, ?, ?, ?, ?, NULL, ?, ?, 'scheduled', 1, ?, ?)
                     ON CONFLICT (campaign_id, provider_id, account_id, scheduled_at) DO NOTHING",
                )
                .bind(&new_id)
                .bind(&post.campaign_id)
                .bind(&post.provider_id)
                .bind(&post.account_id)
                .bind(&post.variant_id)
                .bind(time::to_db(*to))
                .bind(&post.time_zone)
                .bind(&at)
                .bind(&at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted != 1 {
                    return refuse(tx, OverrideRefused::SlotTaken).await;
                }
                details = json!({ "from": post.scheduled_at, "to": time::to_db(*to), "new_post": new_id });
                result_id = new_id;
            }
        }
        let record = AuditRecord {
            actor,
            action: "post.overridden",
            entity_type: "post",
            entity_id: Some(post_id),
            details,
        };
        audit::record(&mut tx, now, &record).await?;
        tx.commit().await?;
        let row: PostRow = sqlx::query_as(&format!("{POST_SELECT} WHERE id = ?"))
            .bind(&result_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(Ok(row.into_ipc()?))
    }
}
