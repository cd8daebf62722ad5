//! The optimizer at the publisher: a post of an optimized schedule gets its
//! variant when its attempt starts (not when its slot is planned), from
//! the campaign's mature posts on that platform, and the decision is
//! written in the same transaction as the attempt
//! ([`Store::start_attempt_deciding`]). A post that already has a variant
//! (a person's choice, or an earlier attempt's) keeps it.
//!
//! Also what the Optimizer page and the CLI read ([`inputs`]), so that
//! what they show is what the publisher decides from.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use crate::analytics::age::{self, History, Maturity};
use crate::analytics::dashboard::reach;
use crate::optimizer::{self, Candidate, Config, Goal, Observation, Outcome, Policy};
use crate::rules::RuledOut;
use crate::store::{Actor, NewDecision, ObservationRow, Store, StoreError};
use crate::time;

/// The policy the app runs.
pub const POLICY: Policy = Policy::Thompson;

/// Counts the posts of `campaign_id` on `platform` that have matured since
/// the last call (the optimizer's state, kept incrementally); `speedup`
/// is how much faster than real time the platform's audience lives (the
/// Sandbox in demos and tests). Returns how many were counted.
pub async fn catch_up(
    store: &Store,
    campaign_id: &str,
    platform: &str,
    now: DateTime<Utc>,
    speedup: f64,
) -> Result<usize, StoreError> {
    let rows: Vec<ObservationRow> = store
        .maturing_posts(campaign_id, platform)
        .await?
        .into_iter()
        .filter_map(|m| {
            let h = History {
                post_id: m.post_id.clone(),
                published_at: m.published_at,
                snapshots: m.snapshots,
            };
            match age::maturity(&h, now, speedup) {
                Maturity::Mature(at, metrics) => Some(ObservationRow {
                    post_id: m.post_id,
                    variant_id: m.variant_id,
                    published_at: time::to_db(m.published_at),
                    captured_at: time::to_db(at),
                    impressions: stored(reach(metrics)),
                    likes: stored(metrics.likes),
                    comments: stored(metrics.comments),
                    shares: stored(metrics.shares),
                    clicks: stored(metrics.clicks),
                }),
                Maturity::Pending | Maturity::Lost => None,
            }
        })
        .collect();
    store
        .record_observations(campaign_id, platform, &rows)
        .await?;
    Ok(rows.len())
}

/// Forgets the counted posts of `campaign_id` on `platform` and counts
/// them again from the stored snapshots.
pub async fn rebuild(
    store: &Store,
    campaign_id: &str,
    platform: &str,
    now: DateTime<Utc>,
    speedup: f64,
) -> Result<usize, StoreError> {
    store.forget_observations(campaign_id, platform).await?;
    catch_up(store, campaign_id, platform, now, speedup).await
}

fn stored(v: Option<u64>) -> i64 {
    v.map_or(0, |n| i64::try_from(n).unwrap_or(i64::MAX))
}

fn outcome(r: &ObservationRow) -> Outcome {
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Outcome {
        impressions: n(r.impressions),
        likes: n(r.likes),
        comments: n(r.comments),
        shares: n(r.shares),
        clicks: n(r.clicks),
    }
}

/// A decision's inputs in the optimizer's terms.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub goal: Goal,
    /// The variants that may be chosen now, oldest first.
    pub candidates: Vec<Candidate>,
    /// The mature posts, in publishing order.
    pub observations: Vec<Observation>,
    /// "v1", "v2"... by age among all the key's variants (retired ones
    /// keep their number).
    pub labels: HashMap<String, String>,
    /// Each variant's first words, by id.
    pub bodies: HashMap<String, String>,
    /// Retired variant ids.
    pub retired: Vec<String>,
    /// Guardrails that left a variant out, in words.
    pub notes: Vec<String>,
}

impl Inputs {
    pub fn label(&self, id: &str) -> String {
        self.labels
            .get(id)
            .cloned()
            .unwrap_or_else(|| "a deleted variant".into())
    }
}

/// Reads what a decision for `campaign_id` on `platform` is fitted from,
/// counting newly mature posts first. `ruled_out`: live variants that break
/// the rules (left out, and named). `None`: no such campaign.
pub async fn inputs(
    store: &Store,
    campaign_id: &str,
    platform: &str,
    now: DateTime<Utc>,
    speedup: f64,
    ruled_out: &[RuledOut],
) -> Result<Option<Inputs>, StoreError> {
    catch_up(store, campaign_id, platform, now, speedup).await?;
    let lost = Duration::milliseconds(
        (Duration::minutes(age::LOST_MINUTES).num_milliseconds() as f64 / speedup.max(1.0)) as i64,
    );
    let Some(ev) = store
        .optimizer_evidence(campaign_id, platform, now - lost)
        .await?
    else {
        return Ok(None);
    };
    let goal = Goal::parse(&ev.goal).unwrap_or(Goal::Engagement);
    let labels: HashMap<String, String> = ev
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| (v.id.clone(), format!("v{}", i + 1)))
        .collect();
    let bodies = ev
        .variants
        .iter()
        .map(|v| (v.id.clone(), crate::text::echo(&v.body, 48)))
        .collect();
    let pending: HashMap<&str, u32> = ev.pending.iter().map(|(v, n)| (v.as_str(), *n)).collect();
    let mut notes = Vec::new();
    let mut candidates = Vec::new();
    for v in ev.variants.iter().filter(|v| !v.archived) {
        if let Some(r) = ruled_out.iter().find(|r| r.variant_id == v.id) {
            let label = labels.get(&v.id).cloned().unwrap_or_default();
            notes.push(format!("{label} skipped: {}", r.why.trim_end_matches('.')));
            continue;
        }
        candidates.push(Candidate {
            arm: v.id.clone(),
            pending: pending.get(v.id.as_str()).copied().unwrap_or(0),
        });
    }
    Ok(Some(Inputs {
        goal,
        candidates,
        observations: ev
            .observations
            .iter()
            .map(|r| Observation {
                arm: r.variant_id.clone(),
                outcome: outcome(r),
            })
            .collect(),
        labels,
        bodies,
        retired: ev
            .variants
            .iter()
            .filter(|v| v.archived)
            .map(|v| v.id.clone())
            .collect(),
        notes,
    }))
}

/// The optimizer's choice for a post of `campaign_id` on `platform` now,
/// with the decision to write beside the attempt; `None` when no variant
/// may be chosen (the attempt then says why, as without the optimizer).
pub async fn choose(
    store: &Store,
    campaign_id: &str,
    platform: &str,
    now: DateTime<Utc>,
    speedup: f64,
    ruled_out: &[RuledOut],
    rng: &mut impl Rng,
) -> Result<Option<(String, NewDecision)>, StoreError> {
    let Some(inputs) = inputs(store, campaign_id, platform, now, speedup, ruled_out).await? else {
        return Ok(None);
    };
    let labels = |id: &str| inputs.label(id);
    let config = Config {
        draws: 2000,
        ..Config::default()
    };
    let Some(mut d) = optimizer::select(
        POLICY,
        inputs.goal,
        &inputs.candidates,
        &inputs.observations,
        &labels,
        &config,
        rng,
    ) else {
        return Ok(None);
    };
    for note in &inputs.notes {
        tracing::warn!(campaign = campaign_id, platform, "optimizer: {note}");
        d.note(note);
    }
    let decision = NewDecision {
        campaign_id: campaign_id.to_owned(),
        provider_id: platform.to_owned(),
        post_id: None,
        actor: Actor::Optimizer,
        policy: POLICY.as_str().to_owned(),
        chosen_variant_id: Some(d.arm.clone()),
        user_variant_id: None,
        explored: d.explore,
        reason: serde_json::to_value(d.reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        rationale: d.rationale.clone(),
        scores: serde_json::to_value(&d.scores).unwrap_or_default(),
    };
    Ok(Some((d.arm, decision)))
}
