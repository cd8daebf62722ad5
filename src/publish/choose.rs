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

/// Platforms that refuse a post whose text repeats the account's previous
/// one: X (403 "duplicate content") and Facebook (#506 "Duplicate posts
/// cannot be published consecutively").
const NO_REPEAT: [&str; 2] = ["x", "facebook"];

/// Leaves out of `inputs` the variant of the account's last post where the
/// platform refuses the same text twice in a row (when another variant is
/// left), and says so.
fn no_repeat(inputs: &mut Inputs, platform: &str, last: Option<&str>) {
    let Some(last) = last else { return };
    if !NO_REPEAT.contains(&platform) || inputs.candidates.len() < 2 {
        return;
    }
    if let Some(i) = inputs.candidates.iter().position(|c| c.arm == last) {
        inputs.candidates.remove(i);
        let name = reachloop_ipc::Platform::parse(platform).map_or(platform, |p| p.label());
        inputs.notes.push(format!(
            "{} skipped: it was this account's last post, and {name} refuses the same text twice in a row",
            inputs.label(last)
        ));
    }
}

/// The optimizer's choice for a post of `campaign_id` on `platform` to
/// `account_id` now, with the decision to write beside the attempt; `None`
/// when no variant may be chosen (the attempt then says why, as without
/// the optimizer).
#[allow(clippy::too_many_arguments)]
pub async fn choose(
    store: &Store,
    campaign_id: &str,
    platform: &str,
    account_id: &str,
    now: DateTime<Utc>,
    speedup: f64,
    ruled_out: &[RuledOut],
    rng: &mut impl Rng,
) -> Result<Option<(String, NewDecision)>, StoreError> {
    let Some(mut inputs) = inputs(store, campaign_id, platform, now, speedup, ruled_out).await?
    else {
        return Ok(None);
    };
    let last = store.last_sent_variant(account_id, platform).await?;
    no_repeat(&mut inputs, platform, last.as_deref());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(arms: &[&str]) -> Inputs {
        Inputs {
            goal: Goal::Engagement,
            candidates: arms
                .iter()
                .map(|a| Candidate {
                    arm: (*a).into(),
                    pending: 0,
                })
                .collect(),
            observations: Vec::new(),
            labels: arms
                .iter()
                .enumerate()
                .map(|(i, a)| ((*a).into(), format!("v{}", i + 1)))
                .collect(),
            bodies: HashMap::new(),
            retired: Vec::new(),
            notes: Vec::new(),
        }
    }

    #[test]
    fn x_and_facebook_never_get_the_accounts_last_text_again_while_another_is_left() {
        let mut i = inputs(&["a", "b"]);
        no_repeat(&mut i, "x", Some("b"));
        assert_eq!(i.candidates.len(), 1);
        assert_eq!(i.candidates[0].arm, "a");
        assert!(
            i.notes[0].starts_with("v2 skipped: it was this account's last post, and X refuses"),
            "{:?}",
            i.notes
        );
        let mut i = inputs(&["a", "b"]);
        no_repeat(&mut i, "facebook", Some("a"));
        assert_eq!(i.candidates[0].arm, "b");
        // The Sandbox and YouTube take a repeat; a lone variant stays.
        for (platform, arms) in [
            ("sandbox", &["a", "b"][..]),
            ("youtube", &["a", "b"][..]),
            ("x", &["a"][..]),
        ] {
            let mut i = inputs(arms);
            no_repeat(&mut i, platform, Some("a"));
            assert_eq!(i.candidates.len(), arms.len(), "{platform}");
            assert!(i.notes.is_empty());
        }
    }
}
