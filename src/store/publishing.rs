//! The publisher's writes: each step is its own committed transaction, so a
//! crash between any two leaves a state the next round can read.
//!
//! scheduled ──claim──▶ publishing (lease) ──begin_attempt (committed before
//! the platform call)──▶ published | failed | scheduled (retry later).
//! A lease that runs out before `begin_attempt` puts the post back to
//! scheduled (the platform was never called); after it, the post becomes
//! needs_verification, and only asking the platform can move it on.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{audit, Actor, AuditRecord, Store, StoreError};
use crate::time;
use reachloop_ipc::Attachment;

/// A claimed post, with what the publisher needs to send it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedPost {
    pub id: String,
    pub campaign_id: String,
    pub provider_id: String,
    pub account_id: String,
    pub variant_id: Option<String>,
    pub scheduled_at: String,
    pub attempts: i64,
    pub attempt_started_at: Option<String>,
    /// Its schedule leaves the variant to the optimizer.
    pub use_optimizer: bool,
}

/// The order in which a campaign's variants take turns: the least used
/// first, then the oldest. Every post that holds a variant counts, also one
/// waiting to retry with it (else two posts could take the same text).
const VARIANT_TURNS: &str = "ORDER BY (SELECT count(*) FROM posts p WHERE p.variant_id = v.id
        AND p.status IN ('scheduled', 'publishing', 'published', 'needs_verification')),
    v.created_at, v.rowid";

impl Store {
    /// Claims up to `limit` due posts for `owner`, atomically: a post is
    /// claimed by one publisher at a time, whoever else runs. Due: scheduled
    /// at or before `now`, within `grace`, its schedule not paused, its
    /// campaign active, publishing not paused globally.
    pub async fn claim_due_posts(
        &self,
        now: DateTime<Utc>,
        owner: &str,
        lease: chrono::Duration,
        grace: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedPost>, StoreError> {
        self.claim_due_posts_on(now, owner, lease, grace, limit, None)
            .await
    }

    /// [`Store::claim_due_posts`] for the platforms in `platforms` only
    /// (those the publisher has an adapter for); all when `None`.
    pub async fn claim_due_posts_on(
        &self,
        now: DateTime<Utc>,
        owner: &str,
        lease: chrono::Duration,
        grace: chrono::Duration,
        limit: u32,
        platforms: Option<&[&str]>,
    ) -> Result<Vec<ClaimedPost>, StoreError> {
        let platforms = platforms.map(|p| serde_json::to_string(p).unwrap_or_else(|_| "[]".into()));
        if self.publishing_paused().await? {
            return Ok(Vec::new());
        }
        let mut tx = self.write_tx().await?;
        let claimed: Vec<ClaimedPost> = sqlx::query_as(
            "UPDATE posts SET status = 'publishing', claimed_by = ?1, lease_until = ?2,
                 attempt_started_at = NULL, updated_at = ?3
             WHERE id IN (
                 SELECT p.id FROM posts p
                 JOIN campaigns c ON c.id = p.campaign_id
                 LEFT JOIN schedules s ON s.id = p.schedule_id
                 WHERE p.status = 'scheduled' AND p.scheduled_at <= ?3
                   -- Within the grace window, unless it is a retry (which
                   -- waits for its backoff instead).
                   AND (p.scheduled_at >= ?4 OR p.attempts > 0)
                   AND (p.next_attempt_at IS NULL OR p.next_attempt_at <= ?3)
                   AND c.status = 'active' AND (s.id IS NULL OR s.paused = 0)
                   -- Held for a person's choice (every variant breaks the rules).
                   AND p.held_reason IS NULL
                   AND (?6 IS NULL OR p.provider_id IN (SELECT value FROM json_each(?6)))
                   -- Not while its account or platform is held back (rate
                   -- limit, quota, circuit breaker).
                   AND NOT EXISTS (SELECT 1 FROM publish_pauses h WHERE h.until > ?3
                        AND h.scope IN ('account:' || p.account_id, 'platform:' || p.provider_id))
                 ORDER BY p.scheduled_at, p.id LIMIT ?5)
               AND status = 'scheduled'
             RETURNING id, campaign_id, provider_id, account_id, variant_id, scheduled_at, attempts,
                 attempt_started_at,
                 coalesce((SELECT s.use_optimizer FROM schedules s WHERE s.id = posts.schedule_id), 0)
                     != 0 AS use_optimizer",
        )
        .bind(owner)
        .bind(time::to_db(now + lease))
        .bind(time::to_db(now))
        .bind(time::to_db(now - grace))
        .bind(limit)
        .bind(platforms)
        .fetch_all(&mut *tx)
        .await?;
        for post in &claimed {
            let record = AuditRecord {
                actor: Actor::Scheduler,
                action: "post.claimed",
                entity_type: "post",
                entity_id: Some(&post.id),
                details: json!({ "by": owner, "scheduled_at": post.scheduled_at }),
            };
            audit::record(&mut tx, now, &record).await?;
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Records the attempt on a claimed post before the platform call,
    /// with `variant_id` when the post has a variant already (a person's
    /// choice or an earlier attempt's), else picking the next one in turn
    /// (`VARIANT_TURNS`). One write, so two publishers after a lease
    /// hand-over cannot both start, nor pick the same variant for one
    /// account. It also gives the claim back when the account or the
    /// platform is held back (a rate limit, the breaker).
    pub async fn start_attempt(
        &self,
        now: DateTime<Utc>,
        post_id: &str,
        owner: &str,
        variant_id: Option<&str>,
        ruled_out: &[String],
    ) -> Result<AttemptStart, StoreError> {
        self.start_attempt_deciding(now, post_id, owner, variant_id, ruled_out, None)
            .await
    }

    /// [`Store::start_attempt`] with the optimizer's `decision` for it
    /// (`variant_id` is its choice), written in the same transaction as the
    /// attempt: both or neither.
    pub async fn start_attempt_deciding(
        &self,
        now: DateTime<Utc>,
        post_id: &str,
        owner: &str,
        variant_id: Option<&str>,
        ruled_out: &[String],
        decision: Option<&super::optimizer::NewDecision>,
    ) -> Result<AttemptStart, StoreError> {
        let ruled_out = serde_json::to_string(ruled_out).unwrap_or_else(|_| "[]".into());
        let mut tx = self.write_tx().await?;
        let started: Option<(Option<String>, Option<String>, Option<String>)> =
            sqlx::query_as(&format!(
                "UPDATE posts SET attempt_started_at = ?1, attempts = attempts + 1, updated_at = ?1,
                     upload_sent = NULL, upload_total = NULL, upload_processing = 0,
                     variant_id = coalesce(?4, (SELECT v.id FROM variants v
                         WHERE v.campaign_id = posts.campaign_id AND v.provider_id = posts.provider_id
                           AND v.archived = 0
                           AND v.id NOT IN (SELECT value FROM json_each(?5))
                         {VARIANT_TURNS} LIMIT 1))
                 WHERE id = ?2 AND status = 'publishing' AND claimed_by = ?3 AND lease_until > ?1
                   AND NOT EXISTS (SELECT 1 FROM publish_pauses WHERE until > ?1
                       AND scope IN ('account:' || posts.account_id, 'platform:' || posts.provider_id))
                   AND EXISTS (SELECT 1 FROM variants v WHERE v.campaign_id = posts.campaign_id
                       AND v.provider_id = posts.provider_id AND v.archived = 0
                       AND (?4 IS NULL OR v.id = ?4)
                       AND (?4 IS NOT NULL OR v.id NOT IN (SELECT value FROM json_each(?5))))
                 RETURNING variant_id,
                     (SELECT body FROM variants WHERE id = posts.variant_id),
                     (SELECT media FROM variants WHERE id = posts.variant_id)"
            ))
            .bind(time::to_db(now))
            .bind(post_id)
            .bind(owner)
            .bind(variant_id)
            .bind(&ruled_out)
            .fetch_optional(&mut *tx)
            .await?;
        let outcome = match started {
            Some((Some(variant_id), Some(body), media)) => {
                record_attempt(&mut tx, now, post_id, owner, &variant_id).await?;
                if let Some(d) = decision {
                    let d = super::optimizer::NewDecision {
                        post_id: Some(post_id.to_owned()),
                        chosen_variant_id: Some(variant_id.clone()),
                        ..d.clone()
                    };
                    super::optimizer::insert_decision(&mut tx, now, &d).await?;
                }
                AttemptStart::Started {
                    media: media
                        .as_deref()
                        .map(super::variants::attachments_of)
                        .unwrap_or_default(),
                    variant_id,
                    body,
                }
            }
            Some(_) => {
                return Err(StoreError::Corrupt(format!(
                    "post {post_id}: its variant vanished while the attempt was recorded"
                )))
            }
            // Why not: rare, so asked only now.
            None => {
                let (held, holds, any_live): (bool, bool, bool) = sqlx::query_as(
                    "SELECT EXISTS (SELECT 1 FROM publish_pauses WHERE until > ?1
                                AND scope IN ('account:' || p.account_id, 'platform:' || p.provider_id)),
                            p.status = 'publishing' AND p.claimed_by = ?3 AND p.lease_until > ?1,
                            EXISTS (SELECT 1 FROM variants v WHERE v.campaign_id = p.campaign_id
                                AND v.provider_id = p.provider_id AND v.archived = 0)
                     FROM posts p WHERE p.id = ?2",
                )
                .bind(time::to_db(now))
                .bind(post_id)
                .bind(owner)
                .fetch_optional(&mut *tx)
                .await?
                .unwrap_or((false, false, false));
                if !holds {
                    AttemptStart::LostClaim
                } else if held {
                    release(&mut tx, now, post_id, owner).await?;
                    AttemptStart::Held
                } else if any_live && variant_id.is_none() {
                    AttemptStart::OnlyRuledOut
                } else {
                    AttemptStart::NoVariant
                }
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// Gives a claimed post back to the calendar, held: the publisher does
    /// not take it again until a person picks its variant or the campaign's
    /// variants change (`lift_holds`). Only while `owner` holds the claim.
    pub async fn hold_for_choice(
        &self,
        now: DateTime<Utc>,
        post_id: &str,
        owner: &str,
        why: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let held = sqlx::query(
            "UPDATE posts SET status = 'scheduled', held_reason = ?, claimed_by = NULL,
                 lease_until = NULL, attempt_started_at = NULL, updated_at = ?
             WHERE id = ? AND status = 'publishing' AND claimed_by = ?",
        )
        .bind(why)
        .bind(time::to_db(now))
        .bind(post_id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if held {
            let record = AuditRecord {
                actor: Actor::Scheduler,
                action: "post.held",
                entity_type: "post",
                entity_id: Some(post_id),
                details: json!({ "why": why, "by": owner }),
            };
            audit::record(&mut tx, now, &record).await?;
        }
        tx.commit().await?;
        Ok(held)
    }

    /// The live variants of `campaign_id` on `platform` with their text,
    /// title and media, and the campaign's banned words: what the rules are
    /// checked against before the publisher picks one.
    pub async fn variants_to_check(
        &self,
        campaign_id: &str,
        platform: &str,
    ) -> Result<(Vec<LiveVariant>, Vec<String>), StoreError> {
        let rows: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT id, body, title, media FROM variants
             WHERE campaign_id = ? AND provider_id = ? AND archived = 0 ORDER BY created_at, rowid",
        )
        .bind(campaign_id)
        .bind(platform)
        .fetch_all(&self.pool)
        .await?;
        let brand: Option<String> =
            sqlx::query_scalar("SELECT brand_constraints FROM campaigns WHERE id = ?")
                .bind(campaign_id)
                .fetch_optional(&self.pool)
                .await?
                .flatten();
        let brand: serde_json::Value = match brand {
            Some(b) => serde_json::from_str(&b)
                .map_err(|e| StoreError::Corrupt(format!("campaign {campaign_id}: brand {e}")))?,
            None => serde_json::Value::Null,
        };
        let banned = brand["banned_words"]
            .as_array()
            .map(|words| {
                words
                    .iter()
                    .filter_map(|w| w.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let variants = rows
            .into_iter()
            .map(|(id, body, title, media)| LiveVariant {
                id,
                body,
                title,
                media: media
                    .as_deref()
                    .map(super::variants::attachments_of)
                    .unwrap_or_default(),
            })
            .collect();
        Ok((variants, banned))
    }

    /// [`Store::start_attempt`] with a given variant: whether it started.
    pub async fn begin_attempt(
        &self,
        now: DateTime<Utc>,
        post_id: &str,
        owner: &str,
        variant_id: &str,
    ) -> Result<bool, StoreError> {
        Ok(matches!(
            self.start_attempt(now, post_id, owner, Some(variant_id), &[])
                .await?,
            AttemptStart::Started { .. }
        ))
    }

    /// The platform took the post: its id and link, committed at once.
    ///
    /// A success is the truth whoever holds the post now: an answer that
    /// arrives after its claim ran out (a slow platform, a long wait for
    /// the database) is recorded all the same, and the post is never sent
    /// again. Only a post already published keeps what it has; if the
    /// platform's id differs, the platform holds the post twice, which is
    /// audited (`post.duplicate_found`) and logged for the user to remove.
    pub async fn finish_published(
        &self,
        now: DateTime<Utc>,
        post_id: &str,
        by: Finisher<'_>,
        remote_id: &str,
        remote_url: Option<&str>,
        how: &str,
    ) -> Result<Finish, StoreError> {
        let mut tx = self.write_tx().await?;
        let before: Option<(String, Option<String>, Option<String>, i64)> = sqlx::query_as(
            "SELECT status, claimed_by, remote_id, attempts FROM posts WHERE id = ?",
        )
        .bind(post_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((status, claimed_by, existing, attempts)) = before else {
            return Ok(Finish::Dropped);
        };
        if status == "published" {
            let record = if existing.as_deref() != Some(remote_id) {
                tracing::error!(post = %post_id, "the platform holds this post twice: {remote_id} besides {}", existing.as_deref().unwrap_or("?"));
                AuditRecord {
                    actor: Actor::Scheduler,
                    action: "post.duplicate_found",
                    entity_type: "post",
                    entity_id: Some(post_id),
                    details: json!({ "remote_id": remote_id, "remote_url": remote_url, "kept": existing, "how": how, "by": by.name() }),
                }
            } else {
                // The same post, known already (verified before the answer came).
                late_answer(post_id, by, "published")
            };
            audit::record(&mut tx, now, &record).await?;
            tx.commit().await?;
            return Ok(Finish::Dropped);
        }
        let on_time = by.holds(&status, claimed_by.as_deref(), attempts);
        sqlx::query(
            "UPDATE posts SET status = 'published', remote_id = ?, remote_url = ?, published_at = ?,
                 claimed_by = NULL, lease_until = NULL, error_code = NULL, last_error = NULL,
                 next_attempt_at = NULL, updated_at = ?
             WHERE id = ? AND status != 'published'",
        )
        .bind(remote_id)
        .bind(remote_url)
        .bind(time::to_db(now))
        .bind(time::to_db(now))
        .bind(post_id)
        .execute(&mut *tx)
        .await?;
        let mut details = json!({ "remote_id": remote_id, "how": how, "by": by.name() });
        if !on_time {
            // Someone else may have moved the post meanwhile: what it was.
            details["late"] = json!({ "status": status, "claimed_by": claimed_by });
        }
        let record = AuditRecord {
            actor: Actor::Scheduler,
            action: "post.published",
            entity_type: "post",
            entity_id: Some(post_id),
            details,
        };
        audit::record(&mut tx, now, &record).await?;
        tx.commit().await?;
        Ok(if on_time {
            Finish::Applied
        } else {
            Finish::Late
        })
    }

    /// The post did not go out: `retry` puts it back to scheduled (the
    /// platform said it was not created), else it failed for good. Only
    /// the one who holds the post writes this (its claim, or the unclear
    /// state a verifier read): an answer that comes after the post moved
    /// on is dropped (audited as `post.late_answer_dropped`), since
    /// whoever holds it now decides.
    pub async fn finish_unpublished(
        &self,
        now: DateTime<Utc>,
        post_id: &str,
        by: Finisher<'_>,
        code: &str,
        message: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<Finish, StoreError> {
        let retry = retry_at.is_some();
        let (owner, attempts) = by.condition();
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE posts SET status = ?, error_code = ?, last_error = ?, claimed_by = NULL,
                 lease_until = NULL, attempt_started_at = NULL, next_attempt_at = ?, updated_at = ?
             WHERE id = ?
               AND ((?7 IS NOT NULL AND status = 'publishing' AND claimed_by = ?7)
                 OR (?8 IS NOT NULL AND status = 'needs_verification' AND attempts = ?8))",
        )
        .bind(if retry { "scheduled" } else { "failed" })
        .bind(code)
        .bind(message)
        .bind(retry_at.map(time::to_db))
        .bind(time::to_db(now))
        .bind(post_id)
        .bind(owner)
        .bind(attempts)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let record = if changed {
            AuditRecord {
                actor: Actor::Scheduler,
                action: if retry {
                    "post.retry_later"
                } else {
                    "post.failed"
                },
                entity_type: "post",
                entity_id: Some(post_id),
                details: json!({ "code": code, "message": message, "retry_at": retry_at.map(time::to_db), "by": by.name() }),
            }
        } else {
            late_answer(post_id, by, code)
        };
        audit::record(&mut tx, now, &record).await?;
        tx.commit().await?;
        Ok(if changed {
            Finish::Applied
        } else {
            Finish::Dropped
        })
    }

    /// Keeps the limits a platform reported (the latest per scope and name).
    pub async fn record_limits(
        &self,
        now: DateTime<Utc>,
        account_scope: &str,
        platform_scope: &str,
        limits: &[crate::platforms::ObservedLimit],
    ) -> Result<(), StoreError> {
        if limits.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        for l in limits {
            sqlx::query(
                "INSERT INTO platform_limits (scope, name, window_secs, lim, remaining, resets_at, observed_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (scope, name) DO UPDATE SET window_secs = excluded.window_secs,
                     lim = excluded.lim, remaining = excluded.remaining,
                     resets_at = excluded.resets_at, observed_at = excluded.observed_at",
            )
            .bind(if l.whole_platform { platform_scope } else { account_scope })
            .bind(&l.name)
            .bind(l.window_secs.max(1))
            .bind(l.limit)
            .bind(l.remaining)
            .bind(time::to_db(l.resets_at))
            .bind(time::to_db(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The limits last reported for these scopes that have not reset yet.
    pub async fn live_limits(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, crate::platforms::ObservedLimit)>, StoreError> {
        let rows: Vec<(String, String, i64, i64, i64, String)> = sqlx::query_as(
            "SELECT scope, name, window_secs, lim, remaining, resets_at FROM platform_limits
             WHERE resets_at > ? ORDER BY scope, name",
        )
        .bind(time::to_db(now))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(scope, name, window_secs, lim, remaining, resets_at)| {
                Ok((
                    scope.clone(),
                    crate::platforms::ObservedLimit {
                        whole_platform: scope.starts_with("platform:"),
                        name,
                        window_secs,
                        limit: u32::try_from(lim).unwrap_or(0),
                        remaining: u32::try_from(remaining).unwrap_or(0),
                        resets_at: time::from_db(&resets_at)
                            .map_err(|e| StoreError::Corrupt(format!("limit {scope}: {e}")))?,
                    },
                ))
            })
            .collect()
    }

    /// Claims whose lease ran out: back to scheduled when the platform was
    /// never called, else needs_verification. Returns (requeued, to verify).
    pub async fn expire_leases(&self, now: DateTime<Utc>) -> Result<(u64, u64), StoreError> {
        let at = time::to_db(now);
        let mut tx = self.write_tx().await?;
        let requeued = sqlx::query(
            "UPDATE posts SET status = 'scheduled', claimed_by = NULL, lease_until = NULL, updated_at = ?1
             WHERE status = 'publishing' AND lease_until <= ?1 AND attempt_started_at IS NULL",
        )
        .bind(&at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let to_verify = sqlx::query(
            "UPDATE posts SET status = 'needs_verification', claimed_by = NULL, lease_until = NULL,
                 updated_at = ?1
             WHERE status = 'publishing' AND lease_until <= ?1 AND attempt_started_at IS NOT NULL",
        )
        .bind(&at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok((requeued, to_verify))
    }

    /// Scheduled posts more than `grace` late become missed (only those of
    /// `platforms` when given: a platform nobody can publish to yet keeps
    /// its posts as they are).
    pub async fn mark_missed(
        &self,
        now: DateTime<Utc>,
        grace: chrono::Duration,
    ) -> Result<u64, StoreError> {
        self.mark_missed_on(now, grace, None).await
    }

    pub async fn mark_missed_on(
        &self,
        now: DateTime<Utc>,
        grace: chrono::Duration,
        platforms: Option<&[&str]>,
    ) -> Result<u64, StoreError> {
        let platforms = platforms.map(|p| serde_json::to_string(p).unwrap_or_else(|_| "[]".into()));
        let mut tx = self.write_tx().await?;
        let n = sqlx::query(
            "UPDATE posts SET status = 'missed', last_error = ?, updated_at = ?
             WHERE status = 'scheduled' AND scheduled_at < ? AND attempts = 0
               AND (? IS NULL OR provider_id IN (SELECT value FROM json_each(?)))",
        )
        .bind(
            "Reachloop was not running at this post's time (nor within the grace window after it).",
        )
        .bind(time::to_db(now))
        .bind(time::to_db(now - grace))
        .bind(platforms.clone())
        .bind(platforms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n > 0 {
            let record = AuditRecord {
                actor: Actor::Scheduler,
                action: "posts.missed",
                entity_type: "post",
                entity_id: None,
                details: json!({ "count": n }),
            };
            audit::record(&mut tx, now, &record).await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Posts waiting to be checked at their platform.
    pub async fn posts_to_verify(&self) -> Result<Vec<ClaimedPost>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, campaign_id, provider_id, account_id, variant_id, scheduled_at, attempts,
                 attempt_started_at, 0 AS use_optimizer FROM posts
             WHERE status = 'needs_verification'
             ORDER BY scheduled_at, id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The platform ids recorded for `account_id`'s posts other than
    /// `post_id` published since `since` (what verification must not take
    /// for that post).
    pub async fn remote_ids_near(
        &self,
        account_id: &str,
        post_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT remote_id FROM posts WHERE account_id = ? AND id != ? AND remote_id IS NOT NULL
               AND published_at >= ?",
        )
        .bind(account_id)
        .bind(post_id)
        .bind(time::to_db(since))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The live variant of `campaign` on `platform` to post next: the one
    /// used least so far (then the oldest). Round-robin until the optimizer.
    pub async fn next_variant(
        &self,
        campaign_id: &str,
        platform: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT v.id, v.body FROM variants v
             WHERE v.campaign_id = ?1 AND v.provider_id = ?2 AND v.archived = 0
             {VARIANT_TURNS} LIMIT 1"
        ))
        .bind(campaign_id)
        .bind(platform)
        .fetch_optional(&self.pool)
        .await?)
    }
}

impl Store {
    /// The platform may or may not have the post (a timeout after sending):
    /// only asking it can tell. Only while `owner` still holds the claim;
    /// after that the claim's expiry has made it unclear already.
    pub async fn mark_needs_verification(
        &self,
        now: DateTime<Utc>,
        post_id: &str,
        owner: &str,
        why: &str,
    ) -> Result<Finish, StoreError> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE posts SET status = 'needs_verification', last_error = ?, claimed_by = NULL,
                 lease_until = NULL, updated_at = ?
             WHERE id = ? AND status = 'publishing' AND claimed_by = ?",
        )
        .bind(why)
        .bind(time::to_db(now))
        .bind(post_id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let record = if changed {
            AuditRecord {
                actor: Actor::Scheduler,
                action: "post.needs_verification",
                entity_type: "post",
                entity_id: Some(post_id),
                details: json!({ "why": why, "by": owner }),
            }
        } else {
            late_answer(post_id, Finisher::Claim(owner), "unknown")
        };
        audit::record(&mut tx, now, &record).await?;
        tx.commit().await?;
        Ok(if changed {
            Finish::Applied
        } else {
            Finish::Dropped
        })
    }

    /// The text of a variant that may be posted (not archived).
    pub async fn variant_body(&self, variant_id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT body FROM variants WHERE id = ? AND archived = 0")
                .bind(variant_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Which of `ids` the Sandbox still holds.
    pub async fn sandbox_holds(
        &self,
        ids: &[&str],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let held: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM sandbox_posts WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(list)
        .fetch_all(&self.pool)
        .await?;
        Ok(held.into_iter().collect())
    }

    /// The Sandbox network stores a post.
    pub async fn sandbox_insert(
        &self,
        now: DateTime<Utc>,
        id: &str,
        account_id: &str,
        body: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sandbox_posts (id, account_id, body, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(account_id)
        .bind(body)
        .bind(time::to_db(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The Sandbox's posts by `account_id` with `body` made in
    /// `[since, until]` that no other post of ours has claimed as its own.
    pub async fn sandbox_find(
        &self,
        account_id: &str,
        body: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT s.id FROM sandbox_posts s
             WHERE s.account_id = ? AND s.body = ? AND s.created_at >= ? AND s.created_at <= ?
               AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.remote_id = s.id AND p.provider_id = 'sandbox')
             ORDER BY s.created_at",
        )
        .bind(account_id)
        .bind(body)
        .bind(time::to_db(since))
        .bind(time::to_db(until))
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many posts the Sandbox holds for `account_id` (tests, and the
    /// "exactly once" checks).
    pub async fn sandbox_count(&self, account_id: &str) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT count(*) FROM sandbox_posts WHERE account_id = ?")
                .bind(account_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}

/// Who publishes now.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LeaseHolder {
    pub holder: String,
    /// `app` or `agent`.
    pub kind: String,
    pub until: String,
}

impl Store {
    /// Takes or renews the publisher lease for `holder` until `now + ttl`;
    /// false while another live holder has it.
    pub async fn take_publisher_lease(
        &self,
        now: DateTime<Utc>,
        holder: &str,
        kind: &str,
        ttl: chrono::Duration,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let before: Option<LeaseHolder> =
            sqlx::query_as("SELECT holder, kind, until FROM publisher_lease WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?;
        let until = time::to_db(now + ttl);
        let taken = match &before {
            None => {
                sqlx::query(
                    "INSERT INTO publisher_lease (id, holder, kind, until) VALUES (1, ?, ?, ?)",
                )
                .bind(holder)
                .bind(kind)
                .bind(&until)
                .execute(&mut *tx)
                .await?;
                true
            }
            Some(_) => {
                sqlx::query(
                    "UPDATE publisher_lease SET holder = ?1, kind = ?2, until = ?3
                     WHERE id = 1 AND (holder = ?1 OR until <= ?4)",
                )
                .bind(holder)
                .bind(kind)
                .bind(&until)
                .bind(time::to_db(now))
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1
            }
        };
        let changed_hands = taken && before.as_ref().is_none_or(|b| b.holder != holder);
        if changed_hands {
            let record = AuditRecord {
                actor: Actor::Scheduler,
                action: "publisher.lease_taken",
                entity_type: "publisher",
                entity_id: Some(holder),
                details: json!({ "kind": kind, "from": before.map(|b| b.holder) }),
            };
            audit::record(&mut tx, now, &record).await?;
        }
        tx.commit().await?;
        Ok(taken)
    }

    /// Ends the lease of `holder`, whose process is gone, so that a live
    /// publisher takes over at once instead of waiting it out.
    pub async fn break_publisher_lease(
        &self,
        now: DateTime<Utc>,
        holder: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let broken = sqlx::query(
            "UPDATE publisher_lease SET until = ?1 WHERE id = 1 AND holder = ?2 AND until > ?1",
        )
        .bind(time::to_db(now))
        .bind(holder)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if broken {
            let record = AuditRecord {
                actor: Actor::Scheduler,
                action: "publisher.gone",
                entity_type: "publisher",
                entity_id: Some(holder),
                details: json!({ "lease": "ended" }),
            };
            audit::record(&mut tx, now, &record).await?;
        }
        tx.commit().await?;
        Ok(broken)
    }

    /// A holder's renewal found the lease taken: it stops sending.
    pub async fn note_lease_lost(
        &self,
        now: DateTime<Utc>,
        holder: &str,
        to: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let record = AuditRecord {
            actor: Actor::Scheduler,
            action: "publisher.lease_lost",
            entity_type: "publisher",
            entity_id: Some(holder),
            details: json!({ "to": to }),
        };
        audit::record(&mut tx, now, &record).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Who holds claims on posts now (any lease).
    pub async fn claim_holders(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT claimed_by FROM posts WHERE status = 'publishing' AND claimed_by IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Ends every claim of `holder`, whose process is gone: the next
    /// expiry puts its posts back (never attempted) or up for
    /// verification (attempted). Returns how many.
    pub async fn end_claims_of(&self, now: DateTime<Utc>, holder: &str) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query(
            "UPDATE posts SET lease_until = ?1, updated_at = ?1
             WHERE status = 'publishing' AND claimed_by = ?2 AND lease_until > ?1",
        )
        .bind(time::to_db(now))
        .bind(holder)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n > 0 {
            let record = AuditRecord {
                actor: Actor::Scheduler,
                action: "publisher.gone",
                entity_type: "publisher",
                entity_id: Some(holder),
                details: json!({ "claims_ended": n }),
            };
            audit::record(&mut tx, now, &record).await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Gives the lease up (a clean stop), so the other side takes over at once.
    pub async fn release_publisher_lease(&self, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM publisher_lease WHERE id = 1 AND holder = ?")
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Who holds the lease, if anyone does now.
    pub async fn publisher_lease(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<LeaseHolder>, StoreError> {
        let row: Option<LeaseHolder> =
            sqlx::query_as("SELECT holder, kind, until FROM publisher_lease WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.filter(|r| r.until.as_str() > time::to_db(now).as_str()))
    }
}

impl Store {
    /// Holds `scope` (`account:<id>` or `platform:<id>`) back until
    /// `until`, keeping the later of an existing hold and this one.
    pub async fn pause_scope(
        &self,
        now: DateTime<Utc>,
        scope: &str,
        until: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO publish_pauses (scope, until, reason, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (scope) DO UPDATE SET
                 until = max(publish_pauses.until, excluded.until),
                 reason = excluded.reason, updated_at = excluded.updated_at",
        )
        .bind(scope)
        .bind(time::to_db(until))
        .bind(reason)
        .bind(time::to_db(now))
        .execute(&mut *tx)
        .await?;
        let record = AuditRecord {
            actor: Actor::Scheduler,
            action: "publishing.held_back",
            entity_type: "publisher",
            entity_id: Some(scope),
            details: json!({ "until": time::to_db(until), "reason": reason }),
        };
        audit::record(&mut tx, now, &record).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Counts one more failure in a row for `scope`; returns the count.
    pub async fn count_failure(&self, now: DateTime<Utc>, scope: &str) -> Result<u32, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "INSERT INTO publish_pauses (scope, until, reason, failures, updated_at)
             VALUES (?1, ?2, '', 1, ?2)
             ON CONFLICT (scope) DO UPDATE SET failures = publish_pauses.failures + 1, updated_at = ?2
             RETURNING failures",
        )
        .bind(scope)
        .bind(time::to_db(now))
        .fetch_one(&self.pool)
        .await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// A success ends the run of failures for `scope`.
    pub async fn clear_failures(&self, scope: &str) -> Result<(), StoreError> {
        // Read first: after every success, and nearly always nothing to
        // clear; a read does not queue behind other writers.
        let failing: bool = sqlx::query_scalar(
            "SELECT count(*) > 0 FROM publish_pauses WHERE scope = ? AND failures > 0",
        )
        .bind(scope)
        .fetch_one(&self.pool)
        .await?;
        if failing {
            sqlx::query("UPDATE publish_pauses SET failures = 0 WHERE scope = ?")
                .bind(scope)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// The scopes held back at `now`, with until when and why.
    pub async fn paused_scopes(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT scope, until, reason FROM publish_pauses WHERE until > ? ORDER BY scope",
        )
        .bind(time::to_db(now))
        .fetch_all(&self.pool)
        .await?)
    }
}

impl Store {
    /// When the Sandbox's posts by `account_id` since `since` began, and
    /// how many there are (its rate limit).
    pub async fn sandbox_recent(
        &self,
        account_id: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, Option<String>), StoreError> {
        Ok(sqlx::query_as(
            "SELECT count(*), min(created_at) FROM sandbox_posts WHERE account_id = ? AND created_at >= ?",
        )
        .bind(account_id)
        .bind(time::to_db(since))
        .fetch_one(&self.pool)
        .await?)
    }
}

impl Store {
    /// Whether the account or its platform is held back at `now`.
    pub async fn is_held(
        &self,
        now: DateTime<Utc>,
        account_id: &str,
        provider_id: &str,
    ) -> Result<bool, StoreError> {
        let scopes = [
            format!("account:{account_id}"),
            format!("platform:{provider_id}"),
        ];
        self.any_held(now, &scopes).await
    }

    /// Whether any of `scopes` is held back at `now`.
    pub async fn any_held(
        &self,
        now: DateTime<Utc>,
        scopes: &[String],
    ) -> Result<bool, StoreError> {
        let list = serde_json::to_string(scopes).unwrap_or_else(|_| "[]".into());
        Ok(sqlx::query_scalar(
            "SELECT count(*) > 0 FROM publish_pauses
             WHERE until > ? AND scope IN (SELECT value FROM json_each(?))",
        )
        .bind(time::to_db(now))
        .bind(list)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Gives a claim back untouched (no attempt was made).
    pub async fn release_claim(
        &self,
        now: DateTime<Utc>,
        post_id: &str,
        owner: &str,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        release(&mut conn, now, post_id, owner).await
    }
}

impl Store {
    /// Notes how far a publishing post's upload got (for the calendar);
    /// nothing once the post is no longer publishing.
    pub async fn set_upload_progress(
        &self,
        post_id: &str,
        p: crate::platforms::UploadProgress,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE posts SET upload_sent = ?, upload_total = ?, upload_processing = ?
             WHERE id = ? AND status = 'publishing'",
        )
        .bind(i64::try_from(p.sent).unwrap_or(i64::MAX))
        .bind(i64::try_from(p.total).unwrap_or(i64::MAX))
        .bind(p.processing)
        .bind(post_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Who writes a post's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finisher<'a> {
    /// The publisher that claimed the post and called the platform.
    Claim(&'a str),
    /// A verifier that read the post as needs_verification after this
    /// many attempts (verification takes no claim).
    Verifier { attempts: i64 },
}

impl Finisher<'_> {
    /// Who wrote it, for the audit log.
    fn name(self) -> String {
        match self {
            Finisher::Claim(owner) => owner.to_string(),
            Finisher::Verifier { .. } => "verifier".to_string(),
        }
    }

    fn condition(self) -> (Option<String>, Option<i64>) {
        match self {
            Finisher::Claim(owner) => (Some(owner.to_string()), None),
            Finisher::Verifier { attempts } => (None, Some(attempts)),
        }
    }

    /// Whether the post, as it stands, is still this finisher's to write.
    fn holds(self, status: &str, claimed_by: Option<&str>, attempts: i64) -> bool {
        match self {
            Finisher::Claim(owner) => status == "publishing" && claimed_by == Some(owner),
            Finisher::Verifier { attempts: read } => {
                status == "needs_verification" && attempts == read
            }
        }
    }
}

/// How a finishing write went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// Written: the post was still the writer's.
    Applied,
    /// A success that came after the post moved on, recorded as the truth.
    Late,
    /// Not written: the post moved on (someone else decides now), or it
    /// was published already.
    Dropped,
}

/// The audit row of an answer that came too late to count.
fn late_answer<'a>(post_id: &'a str, by: Finisher<'_>, code: &str) -> AuditRecord<'a> {
    tracing::info!(post = %post_id, "a late answer ({code}) is dropped: the post moved on");
    AuditRecord {
        actor: Actor::Scheduler,
        action: "post.late_answer_dropped",
        entity_type: "post",
        entity_id: Some(post_id),
        details: json!({ "code": code, "by": by.name() }),
    }
}

/// The campaign's variants or rules changed (in `tx`): its held posts are
/// looked at again by the next round, and held again if nothing fits.
pub(super) async fn lift_holds_in(
    tx: &mut super::WriteTx,
    campaign_id: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE posts SET held_reason = NULL WHERE campaign_id = ? AND held_reason IS NOT NULL",
    )
    .bind(campaign_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// [`lift_holds_in`] for the campaign of variant `variant_id`.
pub(super) async fn lift_holds_of_variant(
    tx: &mut super::WriteTx,
    variant_id: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE posts SET held_reason = NULL WHERE held_reason IS NOT NULL
           AND campaign_id = (SELECT campaign_id FROM variants WHERE id = ?)",
    )
    .bind(variant_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A live variant as the rules check it.
#[derive(Debug, Clone)]
pub struct LiveVariant {
    pub id: String,
    pub body: String,
    pub title: Option<String>,
    pub media: Vec<reachloop_ipc::Attachment>,
}

/// How [`Store::start_attempt`] went.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptStart {
    /// Recorded: send this.
    Started {
        variant_id: String,
        body: String,
        media: Vec<Attachment>,
    },
    /// The account or the platform is held back: the claim was given back.
    Held,
    /// No live variant of the campaign for this platform (or the chosen
    /// one was deleted or archived).
    NoVariant,
    /// Every live variant was ruled out (it breaks the rules): the post
    /// waits for a person's choice, see [`Store::hold_for_choice`].
    OnlyRuledOut,
    /// The claim ran out: someone else may hold the post now.
    LostClaim,
}

async fn release(
    conn: &mut sqlx::SqliteConnection,
    now: DateTime<Utc>,
    post_id: &str,
    owner: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE posts SET status = 'scheduled', claimed_by = NULL, lease_until = NULL, updated_at = ?
         WHERE id = ? AND status = 'publishing' AND claimed_by = ? AND attempt_started_at IS NULL",
    )
    .bind(time::to_db(now))
    .bind(post_id)
    .bind(owner)
    .execute(conn)
    .await?;
    Ok(())
}

/// Audits an attempt, in the transaction that records it.
async fn record_attempt(
    tx: &mut sqlx::SqliteConnection,
    now: DateTime<Utc>,
    post_id: &str,
    owner: &str,
    variant_id: &str,
) -> Result<(), StoreError> {
    let record = AuditRecord {
        actor: Actor::Scheduler,
        action: "post.attempt",
        entity_type: "post",
        entity_id: Some(post_id),
        details: json!({ "by": owner, "variant_id": variant_id }),
    };
    audit::record(tx, now, &record).await
}
