//! Declaring a winner: one variant best with high probability after enough
//! mature posts, each variant with its own minimum. Until then, what it
//! waits for, in words. Looking every time is a peek (PostHog warns of
//! stopping early on one), so the bar is a probability of 95 % by default
//! *and* a minimum of posts, and the page says a winner is a suggestion:
//! retiring the others is the user's decision.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::Fit;
use super::Config;

/// Where a campaign on a platform stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Verdict {
    /// `arm` is best with probability `p` after `posts` mature posts.
    Winner {
        arm: String,
        p: f64,
        posts: u32,
        losers: Vec<String>,
        words: String,
    },
    /// Not yet, and why.
    Waiting { words: String },
}

/// The verdict on `fit` with `p_best` (from [`super::policy::probabilities`]).
pub fn verdict(
    fit: &Fit,
    p_best: &BTreeMap<String, f64>,
    config: &Config,
    labels: &dyn Fn(&str) -> String,
) -> Verdict {
    if fit.arms.len() < 2 {
        return Verdict::Waiting {
            words: "one variant only: nothing to compare it with".into(),
        };
    }
    let posts: u32 = fit.arms.iter().map(|a| a.posts).sum();
    if posts < config.min_posts_for_winner {
        return Verdict::Waiting {
            words: format!(
                "a winner needs {} mature posts ({} so far)",
                config.min_posts_for_winner, posts
            ),
        };
    }
    let each = config.min_posts.max(3);
    if let Some(thin) = fit.arms.iter().find(|a| a.posts < each) {
        return Verdict::Waiting {
            words: format!(
                "a winner needs {} mature posts of each variant ({} has {})",
                each,
                labels(&thin.arm),
                thin.posts
            ),
        };
    }
    let (arm, p) = fit
        .arms
        .iter()
        .map(|a| (a.arm.as_str(), p_best.get(&a.arm).copied().unwrap_or(0.0)))
        .fold(("", -1.0), |b, x| if x.1 > b.1 { x } else { b });
    if p >= config.win_probability {
        let losers: Vec<String> = fit
            .arms
            .iter()
            .filter(|a| a.arm != arm)
            .map(|a| a.arm.clone())
            .collect();
        let names: Vec<String> = losers.iter().map(|l| labels(l)).collect();
        Verdict::Winner {
            arm: arm.to_owned(),
            p,
            posts,
            words: format!(
                "{} is best with {:.0} % probability after {} posts; {} could be retired",
                labels(arm),
                p * 100.0,
                posts,
                join_and(&names)
            ),
            losers,
        }
    } else {
        Verdict::Waiting {
            words: format!(
                "best so far: {} with {:.0} % probability; a winner needs {:.0} %",
                labels(arm),
                p * 100.0,
                config.win_probability * 100.0
            ),
        }
    }
}

/// "a", "a and b", "a, b and c".
pub fn join_and(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {}", rest.join(", "), last),
    }
}
