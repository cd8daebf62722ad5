//! Campaign rows.

use chrono::{DateTime, Utc};
use reachloop_ipc::{Campaign, CampaignStatus, Goal, Platform};
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
    created_at: String,
    platforms: Option<String>,
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
        Ok(Campaign {
            id: r.id,
            name: r.name,
            prompt: r.prompt,
            platforms,
            goal,
            status,
            created_at: r.created_at,
        })
    }
}

const SELECT: &str = "SELECT c.id, c.name, c.prompt, c.goal, c.status, c.created_at,
        (SELECT group_concat(provider_id) FROM campaign_platforms p WHERE p.campaign_id = c.id) AS platforms
    FROM campaigns c";

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
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO campaigns (id, name, prompt, goal, status, created_at, updated_at)
             VALUES (?, ?, ?, ?, 'draft', ?, ?)",
        )
        .bind(&id)
        .bind(campaign.name())
        .bind(campaign.prompt())
        .bind(campaign.goal().as_str())
        .bind(&at)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        for platform in campaign.platforms() {
            sqlx::query("INSERT INTO campaign_platforms (campaign_id, provider_id) VALUES (?, ?)")
                .bind(&id)
                .bind(platform.as_str())
                .execute(&mut *tx)
                .await?;
        }
        audit::record(
            &mut tx,
            now,
            &AuditRecord {
                actor,
                action: "campaign.created",
                entity_type: "campaign",
                entity_id: Some(&id),
                details: json!({
                    "name": campaign.name(),
                    "goal": campaign.goal().as_str(),
                    "platforms": campaign.platforms().iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                }),
            },
        )
        .await?;
        let row: Row = sqlx::query_as(&format!("{SELECT} WHERE c.id = ?"))
            .bind(&id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        row.try_into()
    }

    /// Every campaign, newest first.
    pub async fn list_campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} ORDER BY c.created_at DESC, c.id"))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Campaign::try_from).collect()
    }
}
