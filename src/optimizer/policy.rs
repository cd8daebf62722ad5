//! Choosing the next variant: Thompson sampling on [`super::model`]'s
//! posterior (the default), and two baselines kept selectable: UCB1 as the
//! product design wrote it (mean raw figure plus `sqrt(2 ln N / n)`) and a
//! uniform split (the least used variant next, as before the optimizer).
//!
//! Guardrails, each named in the rationale when it shaped the choice:
//! every variant gets [`super::Config::min_posts`] posts (mature or not)
//! before its figures are trusted (a variant added later explores first);
//! only the candidates passed in can be chosen (the caller leaves out
//! retired variants and those that break the platform's rules, and says so
//! with [`Decision::note`]); posts set aside after a change are named.

use std::collections::BTreeMap;

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::model::{self, Fit};
use super::{Candidate, Config, Goal, Observation};

/// Which policy chooses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Thompson sampling on the per-post model (the default).
    #[default]
    Thompson,
    /// The product design's UCB1 on raw figures (a baseline).
    Ucb1,
    /// The least used variant next (a baseline; the app before the optimizer).
    Uniform,
}

impl Policy {
    pub const ALL: [Policy; 3] = [Policy::Thompson, Policy::Ucb1, Policy::Uniform];

    pub fn parse(s: &str) -> Option<Policy> {
        match s {
            "thompson" | "default" => Some(Policy::Thompson),
            "ucb1" => Some(Policy::Ucb1),
            "uniform" => Some(Policy::Uniform),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Thompson => "thompson",
            Policy::Ucb1 => "ucb1",
            Policy::Uniform => "uniform",
        }
    }
}

/// Why this variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// It had fewer posts than every variant gets before it is trusted.
    ColdStart,
    /// Its Thompson draw was the highest.
    Sampled,
    /// Its UCB1 index was the highest.
    Index,
    /// It had been used least.
    Turn,
}

/// One variant's figures at a decision, in the goal's unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Mature posts counted, and those set aside after a change.
    pub posts: u32,
    pub set_aside: u32,
    /// Chosen posts whose figures are not mature yet.
    pub pending: u32,
    /// Estimated mean figure per post, with a 95 % band (none before its
    /// first mature post).
    pub estimate: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// This decision's Thompson draw (or UCB1 index).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sampled: Option<f64>,
    /// The probability that it is the best variant.
    pub p_best: f64,
    /// The chance that it is chosen next.
    pub p_next: f64,
}

/// A choice, with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub arm: String,
    /// Chosen for what it may teach rather than for its estimate.
    pub explore: bool,
    pub reason: Reason,
    pub rationale: String,
    pub scores: BTreeMap<String, Score>,
}

impl Decision {
    /// Adds a guardrail that shaped the choice to the rationale.
    pub fn note(&mut self, text: &str) {
        if !text.is_empty() {
            self.rationale.push_str("; ");
            self.rationale.push_str(text);
        }
    }
}

/// Chooses among `candidates` (in the order ties go: oldest first), from the
/// `observations` of this campaign on this platform in publishing order.
/// `None` when there is no candidate. `labels` names arms in the rationale.
pub fn select(
    policy: Policy,
    goal: Goal,
    candidates: &[Candidate],
    observations: &[Observation],
    labels: &dyn Fn(&str) -> String,
    config: &Config,
    rng: &mut impl Rng,
) -> Option<Decision> {
    if candidates.is_empty() {
        return None;
    }
    let fit = model::fit(goal, candidates, observations);
    let p_best = probabilities(&fit, config.draws, rng);
    let mut scores = scores(&fit, candidates, &p_best);
    let total = |c: &Candidate| {
        let f = fit.arm(&c.arm);
        f.map_or(0, |a| a.posts + a.set_aside) + c.pending
    };

    let (chosen, reason, explore, mut rationale) = match policy {
        Policy::Uniform => {
            let c = least(candidates, &total);
            let why = format!(
                "{}: its turn (used least, {} posts)",
                labels(&c.arm),
                total(c)
            );
            let explore = Some(c.arm.as_str()) != best_estimate(&fit);
            (c.arm.clone(), Reason::Turn, explore, why)
        }
        _ if candidates.iter().any(|c| total(c) < config.min_posts) => {
            let c = least(candidates, &total);
            let seen = total(c);
            let why = format!(
                "{} explored: only {} of the {} posts each variant gets before it is trusted",
                labels(&c.arm),
                seen,
                config.min_posts
            );
            (c.arm.clone(), Reason::ColdStart, true, why)
        }
        Policy::Ucb1 => {
            let (arm, index) = ucb1(goal, candidates, observations);
            if let Some(s) = scores.get_mut(&arm) {
                s.sampled = Some(index);
            }
            let why = format!(
                "{}: highest UCB1 index {:.4} (mean {} plus sqrt(2 ln N / n))",
                labels(&arm),
                index,
                scores
                    .get(&arm)
                    .and_then(|s| s.estimate)
                    .map_or("unknown".into(), |e| goal.show(e))
            );
            let explore = Some(arm.as_str()) != best_estimate(&fit);
            (arm, Reason::Index, explore, why)
        }
        Policy::Thompson => {
            let mut draws: Vec<(&str, f64)> = fit
                .arms
                .iter()
                .map(|a| (a.arm.as_str(), fit.draw(a, rng)))
                .collect();
            for (arm, x) in &draws {
                if let Some(s) = scores.get_mut(*arm) {
                    s.sampled = Some(fit.value(*x));
                }
            }
            // The highest draw; ties to the oldest.
            let top = draws
                .iter()
                .enumerate()
                .fold(0, |best, (i, d)| if d.1 > draws[best].1 { i } else { best });
            let arm = draws[top].0.to_owned();
            let best = best_estimate(&fit).map(str::to_owned);
            let explore = best.as_deref() != Some(arm.as_str());
            draws.sort_by(|a, b| b.1.total_cmp(&a.1));
            let others: Vec<String> = draws
                .iter()
                .filter(|d| d.0 != arm)
                .map(|d| format!("{} {}", labels(d.0), goal.show(fit.value(d.1))))
                .collect();
            let mine = goal.show(fit.value(draws[0].1));
            let why = if explore {
                let posts = fit.arm(&arm).map_or(0, |a| a.posts);
                let leader = best.as_deref().map(labels).unwrap_or_default();
                format!(
                    "{} explored: its sampled {} {} beat {}; {} has the higher estimate, {} {} mature post{}",
                    labels(&arm),
                    goal.noun(),
                    mine,
                    others.join(", "),
                    leader,
                    labels(&arm),
                    posts,
                    if posts == 1 { "" } else { "s" }
                )
            } else {
                format!(
                    "{}: highest sampled {} {} against {}",
                    labels(&arm),
                    goal.noun(),
                    mine,
                    others.join(", ")
                )
            };
            (arm, Reason::Sampled, explore, why)
        }
    };

    let pending: u32 = candidates.iter().map(|c| c.pending).sum();
    if pending > 0 {
        rationale.push_str(&format!(
            "; {} post{} not mature yet",
            pending,
            if pending == 1 { "" } else { "s" }
        ));
    }
    if fit.restart > 0 {
        rationale.push_str(&format!(
            "; the {} posts before the last {} set aside: the audience changed",
            fit.restart,
            observations.len() - fit.restart
        ));
    }
    // The chance of being chosen next, as this policy goes.
    let forced = matches!(reason, Reason::ColdStart | Reason::Turn | Reason::Index);
    for (arm, s) in scores.iter_mut() {
        s.p_next = if forced {
            if *arm == chosen {
                1.0
            } else {
                0.0
            }
        } else {
            s.p_best
        };
    }
    Some(Decision {
        arm: chosen,
        explore,
        reason,
        rationale,
        scores,
    })
}

/// The candidate with the fewest posts (the oldest of those).
fn least<'c>(candidates: &'c [Candidate], total: &dyn Fn(&Candidate) -> u32) -> &'c Candidate {
    candidates.iter().fold(
        &candidates[0],
        |m, c| if total(c) < total(m) { c } else { m },
    )
}

/// The arm with the highest posterior mean (ties to the oldest).
pub fn best_estimate(fit: &Fit) -> Option<&str> {
    let first = fit.arms.first()?;
    Some(
        fit.arms
            .iter()
            .fold(first, |b, a| if a.mean > b.mean { a } else { b })
            .arm
            .as_str(),
    )
}

/// Each arm's probability of having the highest mean, from `draws` joint
/// posterior draws (none: all zero).
pub fn probabilities(fit: &Fit, draws: u32, rng: &mut impl Rng) -> BTreeMap<String, f64> {
    let mut wins = vec![0u32; fit.arms.len()];
    for _ in 0..draws {
        let mut top = (0, f64::NEG_INFINITY);
        for (i, a) in fit.arms.iter().enumerate() {
            let x = fit.draw(a, rng);
            if x > top.1 {
                top = (i, x);
            }
        }
        if !fit.arms.is_empty() {
            wins[top.0] += 1;
        }
    }
    fit.arms
        .iter()
        .zip(wins)
        .map(|(a, w)| {
            let p = if draws == 0 {
                0.0
            } else {
                f64::from(w) / f64::from(draws)
            };
            (a.arm.clone(), p)
        })
        .collect()
}

fn scores(
    fit: &Fit,
    candidates: &[Candidate],
    p_best: &BTreeMap<String, f64>,
) -> BTreeMap<String, Score> {
    candidates
        .iter()
        .filter_map(|c| {
            let a = fit.arm(&c.arm)?;
            let (low, high) = fit.band(a);
            let known = a.posts > 0;
            Some((
                c.arm.clone(),
                Score {
                    posts: a.posts,
                    set_aside: a.set_aside,
                    pending: c.pending,
                    estimate: known.then(|| fit.value(a.mean)),
                    low: known.then_some(low),
                    high: known.then_some(high),
                    sampled: None,
                    p_best: p_best.get(&c.arm).copied().unwrap_or(0.0),
                    p_next: 0.0,
                },
            ))
        })
        .collect()
}

/// UCB1 as the product design wrote it: the mean raw figure (a rate, or raw
/// impressions) plus `sqrt(2 ln N / n)` over mature posts; a variant with no
/// mature post first.
fn ucb1(goal: Goal, candidates: &[Candidate], observations: &[Observation]) -> (String, f64) {
    let n_total = observations.len().max(1) as f64;
    let mut best: Option<(&Candidate, f64)> = None;
    for c in candidates {
        let rewards: Vec<f64> = observations
            .iter()
            .filter(|o| o.arm == c.arm)
            .map(|o| o.outcome.reward(goal))
            .collect();
        let index = if rewards.is_empty() {
            // Untried: first, the fewest waiting first.
            f64::INFINITY
        } else {
            let n = rewards.len() as f64;
            rewards.iter().sum::<f64>() / n + (2.0 * n_total.ln() / n).sqrt()
        };
        let better = match best {
            None => true,
            Some((b, bi)) => {
                index > bi || (index == bi && index.is_infinite() && c.pending < b.pending)
            }
        };
        if better {
            best = Some((c, index));
        }
    }
    best.map(|(c, i)| (c.arm.clone(), i))
        .unwrap_or_else(|| (candidates[0].arm.clone(), 0.0))
}
