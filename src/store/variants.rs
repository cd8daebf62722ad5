//! Variant rows and generation jobs.

use chrono::{DateTime, Utc};
use reachloop_ipc::{Attachment, GenerationJob, MediaKind, MediaRecommendation, Platform, Variant};
use serde_json::json;
use uuid::Uuid;

use super::{audit, Actor, AuditRecord, Store, StoreError};
use crate::time;

/// What the `media` column holds.
#[derive(serde::Serialize, serde::Deserialize)]
struct MediaColumn {
    recommendation: MediaRecommendation,
    #[serde(default)]
    attachments: Vec<Attachment>,
}

fn no_media() -> MediaRecommendation {
    MediaRecommendation {
        kind: MediaKind::None,
        aspect_ratio: None,
        duration_seconds: None,
        notes: None,
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    campaign_id: String,
    provider_id: String,
    title: Option<String>,
    body: String,
    media: String,
    source: String,
    model: Option<String>,
    temperature: Option<f64>,
    prompt_hash: Option<String>,
    flag_reason: Option<String>,
    created_at: String,
    updated_at: String,
}

impl TryFrom<Row> for Variant {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Variant, StoreError> {
        let platform = Platform::parse(&r.provider_id).ok_or_else(|| {
            StoreError::Corrupt(format!("variant {}: platform {:?}", r.id, r.provider_id))
        })?;
        // Rows from before media was recorded hold `[]`.
        let media: MediaColumn = serde_json::from_str(&r.media).unwrap_or(MediaColumn {
            recommendation: no_media(),
            attachments: Vec::new(),
        });
        Ok(Variant {
            id: r.id,
            campaign_id: r.campaign_id,
            platform,
            title: r.title,
            body: r.body,
            media: media.recommendation,
            attachments: media.attachments,
            source: r.source,
            model: r.model,
            temperature: r.temperature.map(|t| t as f32),
            prompt_hash: r.prompt_hash,
            flag_reason: r.flag_reason,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const SELECT: &str = "SELECT id, campaign_id, provider_id, title, body, media, source, model,
        temperature, prompt_hash, flag_reason, created_at, updated_at
    FROM variants";

/// A variant to store.
#[derive(Debug, Clone)]
pub struct NewVariant<'a> {
    pub platform: Platform,
    pub title: Option<&'a str>,
    pub body: &'a str,
    pub media: &'a MediaRecommendation,
    pub flag_reason: Option<&'a str>,
}

/// How generated variants were asked for, stored with each and audited.
#[derive(Debug, Clone)]
pub struct Provenance<'a> {
    pub model: &'a str,
    pub temperature: f32,
    pub prompt_hash: &'a str,
    /// Extra audit details (format, repairs, duplicates).
    pub details: serde_json::Value,
    /// The generation job writing these, if any: they are written only
    /// while it is running, and its platform is marked done in the same
    /// transaction.
    pub job: Option<&'a str>,
}

/// Marks `platform` done for a running `job` inside `tx`; refuses (so the
/// caller rolls back) when the job is not running or already did it.
async fn mark_job_platform(
    tx: &mut sqlx::SqliteConnection,
    now: DateTime<Utc>,
    job: &str,
    platform: Platform,
) -> Result<(), StoreError> {
    let marker = format!("{},", platform.as_str());
    let updated = sqlx::query(
        "UPDATE generation_jobs SET done_platforms = done_platforms || ?, updated_at = ?
         WHERE id = ? AND status = 'running' AND instr(done_platforms, ?) = 0",
    )
    .bind(&marker)
    .bind(time::to_db(now))
    .bind(job)
    .bind(&marker)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 1 {
        Ok(())
    } else {
        Err(StoreError::JobNotRunning)
    }
}

impl Provenance<'_> {
    /// Adds the extra audit details to `details`.
    fn add_details(&self, details: &mut serde_json::Value) {
        if let Some(extra) = self.details.as_object() {
            for (k, v) in extra {
                details[k] = v.clone();
            }
        }
    }
}

async fn fetch(tx: &mut sqlx::SqliteConnection, id: &str) -> Result<Variant, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE id = ?"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    row.ok_or(StoreError::NotFound)?.try_into()
}

fn media_json(media: &MediaRecommendation, attachments: &[Attachment]) -> String {
    serde_json::to_string(&MediaColumn {
        recommendation: media.clone(),
        attachments: attachments.to_vec(),
    })
    .expect("plain data serialises")
}

impl Store {
    /// Stores generated (`provenance` set) or hand-written variants of one
    /// campaign, with one audit entry.
    pub async fn insert_variants(
        &self,
        now: DateTime<Utc>,
        campaign_id: &str,
        actor: Actor,
        variants: &[NewVariant<'_>],
        provenance: Option<&Provenance<'_>>,
    ) -> Result<Vec<Variant>, StoreError> {
        let at = time::to_db(now);
        let mut tx = self.write_tx().await?;
        let exists: bool = sqlx::query_scalar("SELECT count(*) > 0 FROM campaigns WHERE id = ?")
            .bind(campaign_id)
            .fetch_one(&mut *tx)
            .await?;
        if !exists {
            return Err(StoreError::NotFound);
        }
        if let Some(job) = provenance.and_then(|p| p.job) {
            let mut platforms: Vec<Platform> = variants.iter().map(|v| v.platform).collect();
            platforms.dedup();
            for platform in platforms {
                mark_job_platform(&mut tx, now, job, platform).await?;
            }
        }
        let mut ids = Vec::new();
        for v in variants {
            let id = Uuid::new_v4().to_string();
            sqlx::query(
                "INSERT INTO variants (id, campaign_id, provider_id, title, body, media, source, model,
                     temperature, prompt_hash, flag_reason, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&id)
            .bind(campaign_id)
            .bind(v.platform.as_str())
            .bind(v.title)
            .bind(v.body)
            .bind(media_json(v.media, &[]))
            .bind(if provenance.is_some() { "ai" } else { "manual" })
            .bind(provenance.map(|p| p.model))
            .bind(provenance.map(|p| f64::from(p.temperature)))
            .bind(provenance.map(|p| p.prompt_hash))
            .bind(v.flag_reason)
            .bind(&at)
            .bind(&at)
            .execute(&mut *tx)
            .await?;
            ids.push(id);
        }
        let platforms: Vec<&str> = variants.iter().map(|v| v.platform.as_str()).collect();
        let (action, mut details) = match provenance {
            Some(p) => (
                "variants.generated",
                json!({
                    "model": p.model,
                    "temperature": p.temperature,
                    "prompt_hash": p.prompt_hash,
                    "flagged": variants.iter().filter(|v| v.flag_reason.is_some()).count(),
                }),
            ),
            None => ("variant.added", json!({})),
        };
        details["count"] = json!(variants.len());
        details["platforms"] = json!(platforms);
        details["variant_ids"] = json!(ids);
        if let Some(p) = provenance {
            p.add_details(&mut details);
        }
        let record = AuditRecord {
            actor,
            action,
            entity_type: "campaign",
            entity_id: Some(campaign_id),
            details,
        };
        audit::record(&mut tx, now, &record).await?;
        let mut saved = Vec::new();
        for id in &ids {
            saved.push(fetch(&mut tx, id).await?);
        }
        super::publishing::lift_holds_in(&mut tx, campaign_id).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// A campaign's live variants, by platform then age.
    pub async fn list_variants(&self, campaign_id: &str) -> Result<Vec<Variant>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "{SELECT} WHERE campaign_id = ? AND archived = 0 ORDER BY provider_id, created_at, rowid"
        ))
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Variant::try_from).collect()
    }

    pub async fn variant(&self, id: &str) -> Result<Option<Variant>, StoreError> {
        let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE id = ? AND archived = 0"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Variant::try_from).transpose()
    }

    /// Saves the user's edit of a variant's text; clears its flag (the live
    /// check now speaks for it).
    pub async fn edit_variant(
        &self,
        now: DateTime<Utc>,
        id: &str,
        actor: Actor,
        title: Option<&str>,
        body: &str,
        expected_updated_at: Option<&str>,
    ) -> Result<Variant, StoreError> {
        let mut tx = self.write_tx().await?;
        let before = fetch(&mut tx, id).await?;
        if let Some(expected) = expected_updated_at {
            if before.updated_at != expected {
                return Err(StoreError::Changed {
                    what: "variant",
                    at: before.updated_at,
                });
            }
        }
        sqlx::query(
            "UPDATE variants SET title = ?, body = ?, flag_reason = NULL, updated_at = ? WHERE id = ? AND archived = 0",
        )
        .bind(title)
        .bind(body)
        .bind(time::to_db(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let record = AuditRecord {
            actor,
            action: "variant.edited",
            entity_type: "variant",
            entity_id: Some(id),
            details: json!({
                "campaign_id": before.campaign_id,
                "platform": before.platform.as_str(),
                "chars_before": before.body.chars().count(),
                "chars_after": body.chars().count(),
            }),
        };
        audit::record(&mut tx, now, &record).await?;
        let after = fetch(&mut tx, id).await?;
        super::publishing::lift_holds_of_variant(&mut tx, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Replaces a variant's content with a regenerated one.
    pub async fn replace_variant(
        &self,
        now: DateTime<Utc>,
        id: &str,
        actor: Actor,
        new: &NewVariant<'_>,
        provenance: &Provenance<'_>,
    ) -> Result<Variant, StoreError> {
        let mut tx = self.write_tx().await?;
        let before = fetch(&mut tx, id).await?;
        if let Some(job) = provenance.job {
            mark_job_platform(&mut tx, now, job, before.platform).await?;
        }
        sqlx::query(
            "UPDATE variants SET title = ?, body = ?, media = ?, source = 'ai', model = ?, temperature = ?,
                 prompt_hash = ?, flag_reason = ?, updated_at = ?
             WHERE id = ?",
        )
        .bind(new.title)
        .bind(new.body)
        .bind(media_json(new.media, &before.attachments))
        .bind(provenance.model)
        .bind(f64::from(provenance.temperature))
        .bind(provenance.prompt_hash)
        .bind(new.flag_reason)
        .bind(time::to_db(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let mut details = json!({
            "campaign_id": before.campaign_id,
            "platform": before.platform.as_str(),
            "model": provenance.model,
            "temperature": provenance.temperature,
            "prompt_hash": provenance.prompt_hash,
        });
        provenance.add_details(&mut details);
        let record = AuditRecord {
            actor,
            action: "variant.regenerated",
            entity_type: "variant",
            entity_id: Some(id),
            details,
        };
        audit::record(&mut tx, now, &record).await?;
        let after = fetch(&mut tx, id).await?;
        super::publishing::lift_holds_of_variant(&mut tx, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Sets a variant's attachments.
    pub async fn set_attachments(
        &self,
        now: DateTime<Utc>,
        id: &str,
        actor: Actor,
        attachments: &[Attachment],
        action: &str,
    ) -> Result<Variant, StoreError> {
        let mut tx = self.write_tx().await?;
        let before = fetch(&mut tx, id).await?;
        sqlx::query("UPDATE variants SET media = ?, updated_at = ? WHERE id = ?")
            .bind(media_json(&before.media, attachments))
            .bind(time::to_db(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let record = AuditRecord {
            actor,
            action,
            entity_type: "variant",
            entity_id: Some(id),
            details: json!({
                "attachments": attachments.iter().map(|a| json!({ "sha256": a.sha256, "mime": a.mime })).collect::<Vec<_>>(),
            }),
        };
        audit::record(&mut tx, now, &record).await?;
        let after = fetch(&mut tx, id).await?;
        super::publishing::lift_holds_of_variant(&mut tx, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Removes a variant from the campaign (kept, hidden, for the history
    /// of posts made from it).
    pub async fn archive_variant(
        &self,
        now: DateTime<Utc>,
        id: &str,
        actor: Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let before = fetch(&mut tx, id).await?;
        sqlx::query("UPDATE variants SET archived = 1, updated_at = ? WHERE id = ?")
            .bind(time::to_db(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let record = AuditRecord {
            actor,
            action: "variant.deleted",
            entity_type: "variant",
            entity_id: Some(id),
            details: json!({ "campaign_id": before.campaign_id, "platform": before.platform.as_str() }),
        };
        audit::record(&mut tx, now, &record).await?;
        super::publishing::lift_holds_of_variant(&mut tx, id).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: String,
    campaign_id: String,
    provider_id: Option<String>,
    variant_id: Option<String>,
    status: String,
    message: Option<String>,
    attempts: i64,
    created_at: String,
    updated_at: String,
    done_platforms: String,
}

impl JobRow {
    fn done(&self) -> Vec<Platform> {
        self.done_platforms
            .split(',')
            .filter_map(Platform::parse)
            .collect()
    }
}

impl From<JobRow> for GenerationJob {
    fn from(r: JobRow) -> GenerationJob {
        GenerationJob {
            id: r.id,
            campaign_id: r.campaign_id,
            platform: r.provider_id.as_deref().and_then(Platform::parse),
            variant_id: r.variant_id,
            status: r.status,
            message: r.message,
            attempts: u32::try_from(r.attempts).unwrap_or(0),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const JOB_SELECT: &str =
    "SELECT id, campaign_id, provider_id, variant_id, status, message, attempts,
        created_at, updated_at, done_platforms FROM generation_jobs";

impl Store {
    /// Records a generation request as queued.
    pub async fn queue_generation(
        &self,
        now: DateTime<Utc>,
        campaign_id: &str,
        platform: Option<Platform>,
        variant_id: Option<&str>,
    ) -> Result<GenerationJob, StoreError> {
        let id = Uuid::new_v4().to_string();
        let at = time::to_db(now);
        sqlx::query(
            "INSERT INTO generation_jobs (id, campaign_id, provider_id, variant_id, status, created_at, updated_at)
             VALUES (?, ?, ?, ?, 'queued', ?, ?)",
        )
        .bind(&id)
        .bind(campaign_id)
        .bind(platform.map(Platform::as_str))
        .bind(variant_id)
        .bind(&at)
        .bind(&at)
        .execute(&self.pool)
        .await?;
        self.generation_job(&id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn generation_job(&self, id: &str) -> Result<Option<GenerationJob>, StoreError> {
        let row: Option<JobRow> = sqlx::query_as(&format!("{JOB_SELECT} WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(GenerationJob::from))
    }

    /// Moves a job to `status` with a message; `attempted` counts a try.
    /// Moves a job to `status` only from one of the states in `from`;
    /// false when it was elsewhere (a cancel that landed first wins over a
    /// "done", say).
    #[allow(clippy::too_many_arguments)]
    pub async fn move_job(
        &self,
        now: DateTime<Utc>,
        id: &str,
        from: &[&str],
        status: &str,
        message: Option<&str>,
        attempted: bool,
    ) -> Result<bool, StoreError> {
        let placeholders = vec!["?"; from.len()].join(", ");
        let sql = format!(
            "UPDATE generation_jobs SET status = ?, message = ?, attempts = attempts + ?, updated_at = ?
             WHERE id = ? AND status IN ({placeholders})"
        );
        let mut q = sqlx::query(&sql)
            .bind(status)
            .bind(message)
            .bind(i64::from(attempted))
            .bind(time::to_db(now))
            .bind(id);
        for f in from {
            q = q.bind(*f);
        }
        Ok(q.execute(&self.pool).await?.rows_affected() == 1)
    }

    /// The platforms a job has already written variants for.
    pub async fn job_done_platforms(&self, id: &str) -> Result<Vec<Platform>, StoreError> {
        let row: Option<JobRow> = sqlx::query_as(&format!("{JOB_SELECT} WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.done()).unwrap_or_default())
    }

    /// Takes a queued job for running; false when another runner has it
    /// (or it was cancelled meanwhile).
    pub async fn claim_job(&self, now: DateTime<Utc>, id: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "UPDATE generation_jobs SET status = 'running', message = 'Starting…',
                 attempts = attempts + 1, updated_at = ?
             WHERE id = ? AND status = 'queued'",
        )
        .bind(time::to_db(now))
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Jobs of a campaign that are not finished, oldest first.
    pub async fn open_jobs(
        &self,
        campaign_id: Option<&str>,
    ) -> Result<Vec<GenerationJob>, StoreError> {
        let rows: Vec<JobRow> = sqlx::query_as(&format!(
            "{JOB_SELECT} WHERE status IN ('queued', 'running') AND (? IS NULL OR campaign_id = ?)
             ORDER BY created_at, id"
        ))
        .bind(campaign_id)
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(GenerationJob::from).collect())
    }

    /// The latest jobs of a campaign (any status), newest first.
    pub async fn recent_jobs(
        &self,
        campaign_id: &str,
        limit: u32,
    ) -> Result<Vec<GenerationJob>, StoreError> {
        let rows: Vec<JobRow> = sqlx::query_as(&format!(
            "{JOB_SELECT} WHERE campaign_id = ? ORDER BY created_at DESC, id LIMIT ?"
        ))
        .bind(campaign_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(GenerationJob::from).collect())
    }

    /// Jobs a crash left running go back to the queue.
    pub async fn requeue_running_jobs(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE generation_jobs SET status = 'queued', message = 'interrupted; will run again', updated_at = ?
             WHERE status = 'running'",
        )
        .bind(time::to_db(now))
        .execute(&self.pool)
        .await?
        .rows_affected())
    }
}

impl Store {
    /// What publishing a variant sends: its body and attachments. `live`:
    /// only when it is not archived (sending); verifying a past attempt
    /// reads it whatever happened to it since.
    pub async fn variant_to_send(
        &self,
        variant_id: &str,
        live: bool,
    ) -> Result<Option<(String, Vec<Attachment>)>, StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT body, media FROM variants WHERE id = ? AND (archived = 0 OR ? = 0)",
        )
        .bind(variant_id)
        .bind(live)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(body, media)| (body, attachments_of(&media))))
    }
}

/// The attachments a variant's `media` column lists.
pub(super) fn attachments_of(media: &str) -> Vec<Attachment> {
    serde_json::from_str::<MediaColumn>(media)
        .map(|m| m.attachments)
        .unwrap_or_default()
}
