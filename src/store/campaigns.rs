//! Campaign rows: create, edit, duplicate, change status, delete.

use chrono::{DateTime, Utc};
use reachloop_ipc::{BrandConstraints, Campaign, CampaignStatus, Goal, Kpi, Platform};
use serde_json::json;
use uuid::Uuid;

use super::{audit, Actor, AuditRecord, Store, StoreError};
use crate::campaigns::ValidCampaign;
use crate::time;

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    prompt: String,
    goal: String,
    status: String,
    brand_constraints: String,
    variants_per_platform: i64,
    created_at: String,
    updated_at: String,
    platforms: Option<String>,
}

/// What `brand_constraints` holds: the brand rules and the KPIs.
#[derive(serde::Serialize, serde::Deserialize, Default)]
struct Stored {
    #[serde(flatten)]
    brand: BrandConstraints,
    #[serde(default)]
    kpis: Vec<Kpi>,
}

impl TryFrom<Row> for Campaign {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Campaign, StoreError> {
        let corrupt =
            |what: &str, v: &str| StoreError::Corrupt(format!("campaign {}: {what} {v:?}", r.id));
        let goal = Goal::parse(&r.goal).ok_or_else(|| corrupt("goal", &r.goal))?;
        let status =
            CampaignStatus::parse(&r.status).ok_or_else(|| corrupt("status", &r.status))?;
        let mut platforms = r
            .platforms
            .as_deref()
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| Platform::parse(s).ok_or_else(|| corrupt("platform", s)))
            .collect::<Result<Vec<_>, _>>()?;
        platforms.sort();
        let stored: Stored = serde_json::from_str(&r.brand_constraints)
            .map_err(|e| corrupt("brand constraints", &e.to_string()))?;
        Ok(Campaign {
            id: r.id,
            name: r.name,
            prompt: r.prompt,
            platforms,
            goal,
            status,
            brand: stored.brand,
            kpis: stored.kpis,
            variants_per_platform: u8::try_from(r.variants_per_platform).unwrap_or(2),
            next_statuses: CampaignStatus::ALL
                .into_iter()
                .filter(|to| crate::campaigns::can_move(status, *to))
                .collect(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const SELECT: &str = "SELECT c.id, c.name, c.prompt, c.goal, c.status, c.brand_constraints,
        c.variants_per_platform, c.created_at, c.updated_at,
        (SELECT group_concat(provider_id) FROM campaign_platforms p WHERE p.campaign_id = c.id) AS platforms
    FROM campaigns c";

fn stored_json(campaign: &ValidCampaign) -> String {
    serde_json::to_string(&Stored {
        brand: campaign.brand().clone(),
        kpis: campaign.kpis().to_vec(),
    })
    .expect("plain data serialises")
}

async fn fetch(tx: &mut sqlx::SqliteConnection, id: &str) -> Result<Option<Campaign>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE c.id = ?"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    row.map(Campaign::try_from).transpose()
}

async fn set_platforms(
    tx: &mut sqlx::SqliteConnection,
    id: &str,
    platforms: &[Platform],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM campaign_platforms WHERE campaign_id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for platform in platforms {
        sqlx::query("INSERT INTO campaign_platforms (campaign_id, provider_id) VALUES (?, ?)")
            .bind(id)
            .bind(platform.as_str())
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

fn summary(campaign: &ValidCampaign) -> serde_json::Value {
    json!({
        "name": campaign.name(),
        "goal": campaign.goal().as_str(),
        "platforms": campaign.platforms().iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "variants_per_platform": campaign.variants_per_platform(),
        "banned_words": campaign.brand().banned_words.len(),
    })
}

impl Store {
    /// Stores a new draft campaign and its audit entry in one transaction.
    pub async fn create_campaign(
        &self,
        now: DateTime<Utc>,
        id: Uuid,
        actor: Actor,
        campaign: &ValidCampaign,
    ) -> Result<Campaign, StoreError> {
        let id = id.to_string();
        let at = time::to_db(now);
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO campaigns (id, name, prompt, goal, status, brand_constraints,
                 variants_per_platform, created_at, updated_at)
             VALUES (?, ?, ?, ?, 'draft', ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(campaign.name())
        .bind(campaign.prompt())
        .bind(campaign.goal().as_str())
        .bind(stored_json(campaign))
        .bind(i64::from(campaign.variants_per_platform()))
        .bind(&at)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        set_platforms(&mut tx, &id, campaign.platforms()).await?;
        let record = AuditRecord {
            actor,
            action: "campaign.created",
            entity_type: "campaign",
            entity_id: Some(&id),
            details: summary(campaign),
        };
        audit::record(&mut tx, now, &record).await?;
        let created = fetch(&mut tx, &id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(created)
    }

    /// Replaces a campaign's settings (its status and variants stay).
    pub async fn update_campaign(
        &self,
        now: DateTime<Utc>,
        id: &str,
        actor: Actor,
        campaign: &ValidCampaign,
        expected_updated_at: Option<&str>,
    ) -> Result<Campaign, StoreError> {
        let mut tx = self.write_tx().await?;
        if let Some(expected) = expected_updated_at {
            let now_at: Option<String> =
                sqlx::query_scalar("SELECT updated_at FROM campaigns WHERE id = ?")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            match now_at {
                None => return Err(StoreError::NotFound),
                Some(at) if at != expected => {
                    return Err(StoreError::Changed {
                        what: "campaign",
                        at,
                    })
                }
                Some(_) => {}
            }
        }
        let done = sqlx::query(
            "UPDATE campaigns SET name = ?, prompt = ?, goal = ?, brand_constraints = ?,
                 variants_per_platform = ?, updated_at = ?
             WHERE id = ?",
        )
        .bind(campaign.name())
        .bind(campaign.prompt())
        .bind(campaign.goal().as_str())
        .bind(stored_json(campaign))
        .bind(i64::from(campaign.variants_per_platform()))
        .bind(time::to_db(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        set_platforms(&mut tx, id, campaign.platforms()).await?;
        let record = AuditRecord {
            actor,
            action: "campaign.updated",
            entity_type: "campaign",
            entity_id: Some(id),
            details: summary(campaign),
        };
        audit::record(&mut tx, now, &record).await?;
        let updated = fetch(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        super::publishing::lift_holds_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Copies a campaign and its live variants into a new draft named
    /// "<name> (copy)".
    pub async fn duplicate_campaign(
        &self,
        now: DateTime<Utc>,
        id: &str,
        new_id: Uuid,
        actor: Actor,
    ) -> Result<Campaign, StoreError> {
        let new_id = new_id.to_string();
        let at = time::to_db(now);
        let mut tx = self.write_tx().await?;
        let original = fetch(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        let name: String = format!("{} (copy)", original.name)
            .chars()
            .take(crate::campaigns::NAME_MAX_CHARS)
            .collect();
        sqlx::query(
            "INSERT INTO campaigns (id, name, prompt, goal, status, brand_constraints,
                 variants_per_platform, created_at, updated_at)
             SELECT ?, ?, prompt, goal, 'draft', brand_constraints, variants_per_platform, ?, ?
             FROM campaigns WHERE id = ?",
        )
        .bind(&new_id)
        .bind(&name)
        .bind(&at)
        .bind(&at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        set_platforms(&mut tx, &new_id, &original.platforms).await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM variants WHERE campaign_id = ? AND archived = 0 ORDER BY created_at, id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        for old in ids {
            sqlx::query(
                "INSERT INTO variants (id, campaign_id, provider_id, title, body, media, source, model,
                     temperature, prompt_hash, flag_reason, created_at, updated_at)
                 SELECT ?, ?, provider_id, title, body, media, source, model, temperature, prompt_hash,
                     flag_reason, ?, ?
                 FROM variants WHERE id = ?",
            )
            .bind(Uuid::new_v4().to_string())
            .bind(&new_id)
            .bind(&at)
            .bind(&at)
            .bind(&old)
            .execute(&mut *tx)
            .await?;
        }
        let record = AuditRecord {
            actor,
            action: "campaign.duplicated",
            entity_type: "campaign",
            entity_id: Some(&new_id),
            details: json!({ "from": id, "name": name }),
        };
        audit::record(&mut tx, now, &record).await?;
        let copy = fetch(&mut tx, &new_id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(copy)
    }

    /// Moves a campaign to `to` if `allowed(from)` says so; returns the
    /// campaign, or `Err(Refused(from))` when the move is not allowed.
    pub async fn set_campaign_status(
        &self,
        now: DateTime<Utc>,
        id: &str,
        actor: Actor,
        to: CampaignStatus,
        allowed: impl Fn(CampaignStatus) -> bool,
    ) -> Result<Result<Campaign, CampaignStatus>, StoreError> {
        let mut tx = self.write_tx().await?;
        let current = fetch(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        if !allowed(current.status) {
            return Ok(Err(current.status));
        }
        sqlx::query("UPDATE campaigns SET status = ?, updated_at = ? WHERE id = ?")
            .bind(to.as_str())
            .bind(time::to_db(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let record = AuditRecord {
            actor,
            action: "campaign.status_changed",
            entity_type: "campaign",
            entity_id: Some(id),
            details: json!({ "from": current.status.as_str(), "to": to.as_str(), "name": current.name }),
        };
        audit::record(&mut tx, now, &record).await?;
        let moved = fetch(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(Ok(moved))
    }

    /// Deletes a campaign with everything it owns; the audit log keeps its name.
    pub async fn delete_campaign(
        &self,
        now: DateTime<Utc>,
        id: &str,
        actor: Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let campaign = fetch(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        sqlx::query("DELETE FROM campaigns WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let record = AuditRecord {
            actor,
            action: "campaign.deleted",
            entity_type: "campaign",
            entity_id: Some(id),
            details: json!({ "name": campaign.name }),
        };
        audit::record(&mut tx, now, &record).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn campaign(&self, id: &str) -> Result<Option<Campaign>, StoreError> {
        let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE c.id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Campaign::try_from).transpose()
    }

    /// Every campaign, newest first.
    pub async fn list_campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} ORDER BY c.created_at DESC, c.id"))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Campaign::try_from).collect()
    }
}
