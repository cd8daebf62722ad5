//! The optimizer as the Optimizer page and `reachloop-cli optimizer`
//! show it, and the person's side of it: overrides recorded against what
//! the optimizer would have chosen, and its state rebuilt from the stored
//! snapshots. The choice itself is made by the publisher
//! (`publish::choose`) from the same inputs.

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use reachloop_ipc::{
    OptimizerDecision, OptimizerPlatform, OptimizerVariant, OptimizerVerdict, OptimizerView,
    Platform,
};

use super::App;
use crate::optimizer::{self, model, policy, serve, winner, Config, Goal};
use crate::publish::choose::{self, Inputs, POLICY};
use crate::store::{Actor, NewDecision, StoreError};
use crate::Error;

/// Decisions shown per platform.
const DECISIONS_SHOWN: u32 = 50;
/// Draws for the probabilities shown (a fixed seed: the page does not
/// flicker between two reads of the same state).
const DRAWS: u32 = 4000;

impl App {
    /// How much faster than real time `platform`'s audience lives.
    pub(crate) fn audience_speedup(&self, platform: &str) -> f64 {
        if Platform::parse(platform) == Some(Platform::Sandbox) {
            crate::platforms::MetricsSource::speedup(&self.sandbox())
        } else {
            1.0
        }
    }

    async fn optimizer_inputs(
        &self,
        campaign_id: &str,
        platform: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Inputs>, Error> {
        let ruled_out = match Platform::parse(platform) {
            Some(p) => {
                crate::publish::ruled_out_of(self.store(), campaign_id, p)
                    .await?
                    .1
            }
            None => Vec::new(),
        };
        Ok(choose::inputs(
            self.store(),
            campaign_id,
            platform,
            now,
            self.audience_speedup(platform),
            &ruled_out,
        )
        .await?)
    }

    /// The Optimizer page of `campaign_id`.
    pub async fn optimizer_view(
        &self,
        campaign_id: &str,
        now: DateTime<Utc>,
    ) -> Result<OptimizerView, Error> {
        let campaign = self.campaign(campaign_id).await?;
        let mut platforms = Vec::new();
        for platform in self.store().optimizer_platforms(campaign_id).await? {
            let Some(p) = Platform::parse(&platform) else {
                continue;
            };
            let Some(inputs) = self.optimizer_inputs(campaign_id, &platform, now).await? else {
                return Err(StoreError::NotFound.into());
            };
            let decisions = self
                .store()
                .optimizer_decisions(campaign_id, Some(&platform), DECISIONS_SHOWN)
                .await?;
            platforms.push(OptimizerPlatform {
                platform: p,
                optimized: self.store().optimized(campaign_id, &platform).await?,
                policy: POLICY.as_str().into(),
                ..platform_view(&inputs, &decisions)
            });
        }
        Ok(OptimizerView {
            campaign_id: campaign.id,
            campaign_name: campaign.name,
            goal: serde_json::to_value(campaign.goal)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            platforms,
        })
    }

    /// The latest decisions of `campaign_id`, newest first (all platforms).
    pub async fn optimizer_decisions(
        &self,
        campaign_id: &str,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<OptimizerDecision>, Error> {
        self.campaign(campaign_id).await?;
        let rows = self
            .store()
            .optimizer_decisions(campaign_id, None, limit)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut labels: std::collections::HashMap<String, Inputs> = Default::default();
        for r in rows {
            if !labels.contains_key(&r.provider_id) {
                if let Some(i) = self
                    .optimizer_inputs(campaign_id, &r.provider_id, now)
                    .await?
                {
                    labels.insert(r.provider_id.clone(), i);
                }
            }
            let Some(inputs) = labels.get(&r.provider_id) else {
                continue;
            };
            out.push(decision_view(inputs, &r));
        }
        Ok(out)
    }

    /// Counts `campaign_id`'s mature posts again from the stored snapshots
    /// on every platform: how many count.
    pub async fn rebuild_optimizer(
        &self,
        campaign_id: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, Error> {
        self.campaign(campaign_id).await?;
        let mut n = 0;
        for platform in self.store().optimizer_platforms(campaign_id).await? {
            n += choose::rebuild(
                self.store(),
                campaign_id,
                &platform,
                now,
                self.audience_speedup(&platform),
            )
            .await?;
        }
        Ok(n)
    }

    /// Retires the variants a declared winner beat on `platform` (the user's
    /// decision, each audited); refused while there is no winner. Returns
    /// the retired variants' labels.
    pub async fn retire_losers(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        campaign_id: &str,
        platform: Platform,
    ) -> Result<Vec<String>, Error> {
        let view = self.optimizer_view(campaign_id, now).await?;
        let Some(p) = view.platforms.iter().find(|p| p.platform == platform) else {
            return Err(StoreError::NotFound.into());
        };
        if p.verdict.winner.is_none() {
            return Err(super::publishing::problem(
                "winner",
                "no_winner",
                format!("No winner yet: {}.", p.verdict.words),
            ));
        }
        let mut retired = Vec::new();
        for id in &p.verdict.losers {
            self.store().archive_variant(now, id, actor).await?;
            if let Some(v) = p.variants.iter().find(|v| &v.variant_id == id) {
                retired.push(v.label.clone());
            }
        }
        Ok(retired)
    }

    /// Writes down that a person chose for a post of an optimized schedule
    /// (picked `user_variant`, or moved it: out of automatic selection),
    /// beside what the optimizer would have chosen then.
    pub(crate) async fn record_override(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        post: &reachloop_ipc::ScheduledPost,
        user_variant: Option<&str>,
        what: &str,
    ) -> Result<(), Error> {
        let platform = post.platform.as_str();
        if !self.store().optimized(&post.campaign_id, platform).await? {
            return Ok(());
        }
        let Some(inputs) = self
            .optimizer_inputs(&post.campaign_id, platform, now)
            .await?
        else {
            return Ok(());
        };
        let labels = |id: &str| inputs.label(id);
        let mut rng = ChaCha8Rng::seed_from_u64(now.timestamp_millis().unsigned_abs());
        let config = Config {
            draws: 0,
            ..Config::default()
        };
        let d = optimizer::select(
            POLICY,
            inputs.goal,
            &inputs.candidates,
            &inputs.observations,
            &labels,
            &config,
            &mut rng,
        );
        let (chosen, would) = match &d {
            Some(d) => (
                Some(d.arm.clone()),
                format!("the optimizer would have chosen {}", d.rationale),
            ),
            None => (None, "the optimizer had no variant to choose".into()),
        };
        let rationale = match user_variant {
            Some(v) => format!("{} chosen by you {what}; {would}", inputs.label(v)),
            None => format!("Moved by you {what}: out of automatic selection; {would}"),
        };
        let decision = NewDecision {
            campaign_id: post.campaign_id.clone(),
            provider_id: platform.to_owned(),
            post_id: Some(post.id.clone()),
            actor: if actor == Actor::Cli {
                Actor::Cli
            } else {
                Actor::User
            },
            policy: POLICY.as_str().into(),
            chosen_variant_id: chosen,
            user_variant_id: user_variant.map(str::to_owned),
            explored: false,
            reason: "override".into(),
            rationale,
            scores: serde_json::Value::Object(Default::default()),
        };
        self.store().record_override(now, &decision).await?;
        Ok(())
    }
}

fn decision_view(inputs: &Inputs, r: &crate::store::DecisionRow) -> OptimizerDecision {
    OptimizerDecision {
        id: r.id,
        decided_at: r.decided_at.clone(),
        platform: Platform::parse(&r.provider_id).unwrap_or(Platform::Sandbox),
        post_id: r.post_id.clone(),
        post_at: r.post_at.clone(),
        actor: r.actor.clone(),
        chosen: r.chosen_variant_id.as_deref().map(|v| inputs.label(v)),
        user_choice: r.user_variant_id.as_deref().map(|v| inputs.label(v)),
        explored: r.explored,
        rationale: r.rationale.clone(),
    }
}

/// Everything of a platform's view but its identity.
fn platform_view(inputs: &Inputs, decisions: &[crate::store::DecisionRow]) -> OptimizerPlatform {
    let labels = |id: &str| inputs.label(id);
    let config = Config::default();
    let fit = model::fit(inputs.goal, &inputs.candidates, &inputs.observations);
    let p_best = policy::probabilities(&fit, DRAWS, &mut ChaCha8Rng::seed_from_u64(0));
    let next = optimizer::select(
        POLICY,
        inputs.goal,
        &inputs.candidates,
        &inputs.observations,
        &labels,
        &Config { draws: 0, ..config },
        &mut ChaCha8Rng::seed_from_u64(0),
    );
    let verdict = match winner::verdict(&fit, &p_best, &config, &labels) {
        winner::Verdict::Winner {
            arm, losers, words, ..
        } => OptimizerVerdict {
            winner: Some(arm),
            losers,
            words,
        },
        winner::Verdict::Waiting { words } => OptimizerVerdict {
            winner: None,
            losers: Vec::new(),
            words,
        },
    };
    let forced = next
        .as_ref()
        .filter(|d| d.reason == optimizer::Reason::ColdStart);
    let mut variants: Vec<OptimizerVariant> = fit
        .arms
        .iter()
        .map(|a| {
            let (low, high) = fit.band(a);
            let known = a.posts > 0;
            let p = p_best.get(&a.arm).copied().unwrap_or(0.0);
            OptimizerVariant {
                variant_id: a.arm.clone(),
                label: inputs.label(&a.arm),
                excerpt: inputs.bodies.get(&a.arm).cloned().unwrap_or_default(),
                retired: false,
                posts: a.posts,
                set_aside: a.set_aside,
                pending: inputs
                    .candidates
                    .iter()
                    .find(|c| c.arm == a.arm)
                    .map_or(0, |c| c.pending),
                estimate: known.then(|| fit.value(a.mean)),
                low: known.then_some(low),
                high: known.then_some(high),
                p_best: p,
                p_next: match forced {
                    Some(d) => f64::from(u8::from(d.arm == a.arm)),
                    None => p,
                },
            }
        })
        .collect();
    for id in &inputs.retired {
        variants.push(OptimizerVariant {
            variant_id: id.clone(),
            label: inputs.label(id),
            excerpt: inputs.bodies.get(id).cloned().unwrap_or_default(),
            retired: true,
            posts: inputs.observations.iter().filter(|o| &o.arm == id).count() as u32,
            set_aside: 0,
            pending: 0,
            estimate: None,
            low: None,
            high: None,
            p_best: 0.0,
            p_next: 0.0,
        });
    }
    let explored: Vec<bool> = decisions
        .iter()
        .rev()
        .filter(|d| d.actor == "optimizer")
        .map(|d| d.explored)
        .collect();
    let recent = explored.len().min(serve::RECENT) as u32;
    let mut next_words = match &next {
        Some(d) if d.reason == optimizer::Reason::ColdStart => format!("Next: {}", d.rationale),
        Some(_) => "Next: each variant is chosen with its chance above (Thompson sampling: a draw from what each may be worth)".to_owned(),
        None if inputs.candidates.is_empty() => {
            "Nothing to choose: no live variant keeps the rules".to_owned()
        }
        None => String::new(),
    };
    if fit.restart > 0 {
        next_words.push_str(&format!(
            "; the {} posts before the last {} are set aside: the audience changed",
            fit.restart,
            inputs.observations.len() - fit.restart
        ));
    }
    for note in &inputs.notes {
        next_words.push_str("; ");
        next_words.push_str(note);
    }
    let rows: Vec<crate::analytics::chart::Estimate> = variants
        .iter()
        .filter(|v| !v.retired)
        .map(|v| crate::analytics::chart::Estimate {
            label: v.label.clone(),
            estimate: v.estimate,
            low: v.low,
            high: v.high,
            p_best: v.p_best,
        })
        .collect();
    let chart_svg = crate::analytics::chart::estimates_svg(
        &rows,
        inputs.goal != Goal::Reach,
        &format!("Estimated {} per post", inputs.goal.noun()),
    );
    OptimizerPlatform {
        platform: Platform::Sandbox,
        optimized: false,
        policy: String::new(),
        variants,
        exploration_share: (recent > 0).then(|| serve::exploration_share(&explored)),
        recent_decisions: recent,
        verdict,
        next: next_words,
        decisions: decisions.iter().map(|r| decision_view(inputs, r)).collect(),
        chart_svg,
    }
}
