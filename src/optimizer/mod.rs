//! The optimizer: which variant of a campaign to post next on a platform,
//! learnt from how its earlier posts did, and why. Pure: no I/O, no clock,
//! no global randomness; time and a random number generator come in as
//! parameters, so the app, the agent, `reachloop-cli optimizer serve` and the
//! simulator run the very same code.
//!
//! - [`model`] turns each mature post into one observation of its variant
//!   and fits a posterior per variant (see its docs for the model and why).
//! - [`policy`] chooses: Thompson sampling on that posterior (the default),
//!   the product design's UCB1 and a uniform split as baselines.
//! - [`winner`] says when one variant is best with high probability.
//! - [`serve`] is the JSON-lines protocol; [`simulate`] runs scenarios
//!   against an oracle; [`times`] suggests posting times.

pub mod model;
pub mod policy;
pub mod serve;
pub mod simulate;

pub mod winner;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use policy::{select, Decision, Policy, Reason, Score};

/// What a campaign optimizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Goal {
    /// Impressions (or views).
    Reach,
    /// (likes + comments + shares) / impressions.
    Engagement,
    /// clicks / impressions.
    Ctr,
}

impl Goal {
    pub fn parse(s: &str) -> Option<Goal> {
        match s {
            "reach" => Some(Goal::Reach),
            "engagement" => Some(Goal::Engagement),
            "ctr" => Some(Goal::Ctr),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Goal::Reach => "reach",
            Goal::Engagement => "engagement",
            Goal::Ctr => "ctr",
        }
    }

    /// The goal's figure in words, for rationales.
    pub fn noun(self) -> &'static str {
        match self {
            Goal::Reach => "reach",
            Goal::Engagement => "engagement",
            Goal::Ctr => "click-through",
        }
    }

    /// `value` (in the goal's unit: a rate, or impressions) as people read it.
    pub fn show(self, value: f64) -> String {
        match self {
            Goal::Reach => {
                if value >= 10_000.0 {
                    format!("{:.0}k", value / 1000.0)
                } else {
                    format!("{value:.0}")
                }
            }
            Goal::Engagement | Goal::Ctr => {
                let pct = value * 100.0;
                if pct.abs() < 1.0 {
                    format!("{pct:.2} %")
                } else {
                    format!("{pct:.1} %")
                }
            }
        }
    }
}

/// One post's figures at the age it counts (its mature reading).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub impressions: u64,
    pub likes: u64,
    pub comments: u64,
    pub shares: u64,
    pub clicks: u64,
}

impl Outcome {
    /// The goal's figure for this one post.
    pub fn reward(&self, goal: Goal) -> f64 {
        let imp = self.impressions.max(1) as f64;
        match goal {
            Goal::Reach => self.impressions as f64,
            Goal::Engagement => {
                ((self.likes + self.comments + self.shares) as f64 / imp).min(MAX_RATE)
            }
            Goal::Ctr => (self.clicks as f64 / imp).min(MAX_RATE),
        }
    }

    /// The successes behind a rate goal (none for reach).
    fn successes(&self, goal: Goal) -> u64 {
        match goal {
            Goal::Reach => 0,
            Goal::Engagement => self.likes + self.comments + self.shares,
            Goal::Ctr => self.clicks,
        }
    }
}

/// A rate above this is read as this (likes can outnumber the impressions
/// a platform counted, e.g. when impressions lag).
const MAX_RATE: f64 = 1.0;

/// One mature post of a variant, in the order the posts were published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub arm: String,
    pub outcome: Outcome,
}

/// A variant that may be chosen now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub arm: String,
    /// Its posts already chosen whose figures are not mature yet.
    pub pending: u32,
}

/// The knobs, with the defaults the app uses.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Posts (mature or pending) each variant gets before the policy trusts
    /// its figures.
    pub min_posts: u32,
    /// The probability of being best at which a winner is declared.
    pub win_probability: f64,
    /// Mature posts a winner needs, in all, before it is declared.
    pub min_posts_for_winner: u32,
    /// Monte Carlo draws for the probabilities shown.
    pub draws: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_posts: 2,
            win_probability: 0.95,
            min_posts_for_winner: 20,
            draws: 4000,
        }
    }
}
