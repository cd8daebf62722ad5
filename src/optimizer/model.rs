//! What the optimizer believes about each variant: a posterior for the
//! mean of its goal figure per post.
//!
//! # The model, and why
//! - **One post, one observation.** A post's rate varies far more from post
//!   to post than the binomial noise of its impressions (timing, ranking,
//!   virality), so pooling impressions into one Beta-Binomial per variant
//!   would make it far too sure. Each post `i` of variant `a` gives
//!   `y_i = μ_a + ε_i` with `Var ε_i = τ² + b_i`: `τ²` the post-to-post
//!   variance (shared by the campaign's variants on a platform, estimated
//!   from the spread within each variant, from a prior guess worth three
//!   posts), `b_i` the binomial variance of that post at its impressions.
//!   When posts differ only by their binomial noise (`τ² ≈ 0`, a headline
//!   test) this becomes the pooled binomial model; when they differ a lot,
//!   each post counts about once (a random-effects model).
//! - **On a log scale.** `y` is `ln` of the post's rate (successes + ½ over
//!   impressions + 1) or of its impressions for reach. Luck multiplies
//!   (a post does twice or half as well), impressions span orders of
//!   magnitude, and one viral post would rule a raw mean (and make a UCB
//!   bonus noise beside it). With `τ²` shared, ordering by the log mean is
//!   ordering by the expected figure `exp(μ + τ²/2)`, which is what is
//!   shown. `b_i` is the delta method's `(1 - p) / (n p)`.
//! - **Shrinkage and honesty about `τ²`:** each variant's mean starts from
//!   the campaign's mean worth one post, and draws come from a Student t
//!   whose degrees of freedom grow with the posts seen, so that a variant
//!   with three posts is not trusted like one with thirty. Draws use the
//!   posterior variance times [`SHARPEN`].
//! - **A changing audience:** when a variant's recent posts differ from its
//!   earlier ones by more than chance allows (a two-sample test over every
//!   split, threshold [`CHANGE_Z`]), every variant's posts before that
//!   point are set aside: the world changed for all of them (a global
//!   restart, as in Cao et al. 2019's M-UCB). A fixed sliding window would
//!   forget good data when nothing changed.
//!
//! The fit depends only on the observations in publishing order, so a
//! state rebuilt from the stored snapshots equals one kept incrementally.

use std::collections::BTreeMap;

use rand::Rng;
use rand_distr::{Distribution, StudentT};

use super::{Candidate, Goal, Observation};

/// The prior guess of the post-to-post spread of `ln(rate)` (about a
/// coefficient of variation of 0.5).
const PRIOR_LOG_SD_RATE: f64 = 0.5;
/// The prior guess of the post-to-post spread of `ln(impressions)`.
const PRIOR_LOG_SD: f64 = 1.0;
/// How many posts' worth the prior guess of `τ²` weighs.
const PRIOR_DOF: f64 = 3.0;
/// How many posts' worth the campaign's mean weighs in each variant's.
const SHRINK_POSTS: f64 = 1.0;
/// The |z| beyond which a variant's recent posts are taken to differ from
/// its earlier ones.
pub const CHANGE_Z: f64 = 3.5;
/// Draws are taken from the posterior with its variance times this: a
/// horizon of a hundred posts rewards exploiting sooner than the full
/// posterior would (Chapelle & Li 2011 found the same with 0.25-0.5). The
/// simulator's table shows what it buys.
pub const SHARPEN: f64 = 0.25;
/// The fewest posts on each side of a split the change test looks at.
const CHANGE_MIN_SEGMENT: usize = 5;

/// The posterior of one variant, on the model's scale.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmFit {
    pub arm: String,
    /// Mature posts counted (after a restart, those since).
    pub posts: u32,
    /// Mature posts set aside by a restart.
    pub set_aside: u32,
    /// Posterior mean and variance of its mean (model scale).
    pub mean: f64,
    pub var: f64,
}

/// The campaign's variants on one platform, fitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub goal: Goal,
    pub arms: Vec<ArmFit>,
    /// The post-to-post variance on the model's scale.
    pub tau2: f64,
    /// Degrees of freedom of the draws.
    pub dof: f64,
    /// Observations before this index were set aside after a change.
    pub restart: usize,
}

impl Fit {
    pub fn arm(&self, arm: &str) -> Option<&ArmFit> {
        self.arms.iter().find(|a| a.arm == arm)
    }

    /// `x` on the model's scale in the goal's unit (a rate, impressions).
    pub fn value(&self, x: f64) -> f64 {
        match self.goal {
            Goal::Reach => ((x + self.tau2 / 2.0).exp() - 1.0).max(0.0),
            Goal::Engagement | Goal::Ctr => (x + self.tau2 / 2.0).exp().min(1.0),
        }
    }

    /// A 95 % interval of the variant's mean, in the goal's unit.
    pub fn band(&self, a: &ArmFit) -> (f64, f64) {
        let half = 1.96 * a.var.sqrt();
        (self.value(a.mean - half), self.value(a.mean + half))
    }

    /// One Thompson draw of the variant's mean, on the model's scale.
    pub fn draw(&self, a: &ArmFit, rng: &mut impl Rng) -> f64 {
        let t = StudentT::new(self.dof.max(1.0))
            .map(|d| d.sample(rng))
            .unwrap_or(0.0);
        a.mean + (a.var * SHARPEN).sqrt() * t
    }
}

/// The model's figure for one post.
fn observed(goal: Goal, o: &Observation) -> f64 {
    match goal {
        Goal::Reach => (1.0 + o.outcome.impressions as f64).ln(),
        Goal::Engagement | Goal::Ctr => {
            ((o.outcome.successes(goal) as f64 + 0.5) / (o.outcome.impressions as f64 + 1.0)).ln()
        }
    }
}

/// Fits `candidates` (and only them: a retired variant's posts still tell
/// the post-to-post spread, but it gets no posterior) from `observations`
/// in publishing order.
pub fn fit(goal: Goal, candidates: &[Candidate], observations: &[Observation]) -> Fit {
    let mut restart = 0;
    // A change found after a restart is searched again in what is left.
    for _ in 0..8 {
        let (tau2, rate) = spread(goal, &observations[restart..]);
        match change_point(goal, &observations[restart..], tau2, rate) {
            Some(at) if at > 0 => restart += at,
            _ => break,
        }
    }
    let kept = &observations[restart..];
    let (tau2, rate) = spread(goal, kept);
    let noise = |o: &Observation| tau2 + binomial(goal, rate, o);

    let dof = PRIOR_DOF + within_dof(kept);
    // The campaign's mean: every kept post alike.
    let grand = if kept.is_empty() {
        None
    } else {
        Some(kept.iter().map(|o| observed(goal, o)).sum::<f64>() / kept.len() as f64)
    };
    let typical_noise = if kept.is_empty() {
        prior_tau2(goal)
    } else {
        kept.iter().map(noise).sum::<f64>() / kept.len() as f64
    };
    let (m0, w0) = match grand {
        Some(m) => (m, SHRINK_POSTS / typical_noise.max(f64::MIN_POSITIVE)),
        // Nothing seen: a flat belief.
        None => (0.0, 1e-9),
    };

    let arms = candidates
        .iter()
        .map(|c| {
            let (mut wsum, mut wy, mut posts) = (w0, w0 * m0, 0u32);
            for o in kept.iter().filter(|o| o.arm == c.arm) {
                let w = 1.0 / noise(o).max(f64::MIN_POSITIVE);
                wsum += w;
                wy += w * observed(goal, o);
                posts += 1;
            }
            let set_aside = observations[..restart]
                .iter()
                .filter(|o| o.arm == c.arm)
                .count() as u32;
            ArmFit {
                arm: c.arm.clone(),
                posts,
                set_aside,
                mean: wy / wsum,
                var: 1.0 / wsum,
            }
        })
        .collect();
    Fit {
        goal,
        arms,
        tau2,
        dof,
        restart,
    }
}

/// The prior guess of `τ²`.
fn prior_tau2(goal: Goal) -> f64 {
    match goal {
        Goal::Reach => PRIOR_LOG_SD * PRIOR_LOG_SD,
        Goal::Engagement | Goal::Ctr => PRIOR_LOG_SD_RATE * PRIOR_LOG_SD_RATE,
    }
}

/// The binomial variance of one post's rate.
fn binomial(goal: Goal, rate: f64, o: &Observation) -> f64 {
    match goal {
        Goal::Reach => 0.0,
        // The delta method: Var ln p̂ ≈ (1 - p) / (n p), kept finite for
        // posts too small to show a single success.
        Goal::Engagement | Goal::Ctr => {
            let r = rate.clamp(1e-6, 1.0 - 1e-6);
            (1.0 - r) / (r * o.outcome.impressions.max(1) as f64 + 0.5)
        }
    }
}

/// Posts minus variants seen: the degrees of freedom of the spread within.
fn within_dof(obs: &[Observation]) -> f64 {
    let mut per_arm: BTreeMap<&str, usize> = BTreeMap::new();
    for o in obs {
        *per_arm.entry(o.arm.as_str()).or_default() += 1;
    }
    per_arm.values().map(|n| n.saturating_sub(1)).sum::<usize>() as f64
}

/// `τ²` (post-to-post variance beyond the binomial noise) and the pooled
/// rate, from the spread within each variant, with the prior guess worth
/// [`PRIOR_DOF`] posts.
fn spread(goal: Goal, obs: &[Observation]) -> (f64, f64) {
    let (succ, imp) = obs.iter().fold((0u64, 0u64), |(s, i), o| {
        (s + o.outcome.successes(goal), i + o.outcome.impressions)
    });
    let rate = if imp > 0 {
        succ as f64 / imp as f64
    } else {
        0.0
    };
    let mut by_arm: BTreeMap<&str, Vec<&Observation>> = BTreeMap::new();
    for o in obs {
        by_arm.entry(o.arm.as_str()).or_default().push(o);
    }
    let (mut excess, mut dof) = (0.0, 0.0);
    for posts in by_arm.values().filter(|p| p.len() >= 2) {
        let n = posts.len() as f64;
        let ys: Vec<f64> = posts.iter().map(|o| observed(goal, o)).collect();
        let mean = ys.iter().sum::<f64>() / n;
        let ss: f64 = ys.iter().map(|y| (y - mean).powi(2)).sum();
        let b: f64 = posts.iter().map(|o| binomial(goal, rate, o)).sum::<f64>() / n;
        excess += ss - b * (n - 1.0);
        dof += n - 1.0;
    }
    let prior = prior_tau2(goal);
    let tau2 = (PRIOR_DOF * prior + excess.max(0.0)) / (PRIOR_DOF + dof);
    (tau2.max(prior * 1e-4), rate)
}

/// The latest point (an index into `obs`) after which some variant's posts
/// differ from its earlier ones by more than [`CHANGE_Z`].
fn change_point(goal: Goal, obs: &[Observation], tau2: f64, rate: f64) -> Option<usize> {
    let mut by_arm: BTreeMap<&str, Vec<(usize, f64, f64)>> = BTreeMap::new();
    for (i, o) in obs.iter().enumerate() {
        by_arm.entry(o.arm.as_str()).or_default().push((
            i,
            observed(goal, o),
            tau2 + binomial(goal, rate, o),
        ));
    }
    let mut latest: Option<usize> = None;
    for posts in by_arm.values() {
        let n = posts.len();
        if n < 2 * CHANGE_MIN_SEGMENT {
            continue;
        }
        // Prefix sums of y and of the noise, for every split at once.
        let mut sum_y = vec![0.0; n + 1];
        let mut sum_v = vec![0.0; n + 1];
        for (k, (_, y, v)) in posts.iter().enumerate() {
            sum_y[k + 1] = sum_y[k] + y;
            sum_v[k + 1] = sum_v[k] + v;
        }
        for k in CHANGE_MIN_SEGMENT..=(n - CHANGE_MIN_SEGMENT) {
            let (n1, n2) = (k as f64, (n - k) as f64);
            let m1 = sum_y[k] / n1;
            let m2 = (sum_y[n] - sum_y[k]) / n2;
            let v1 = sum_v[k] / n1;
            let v2 = (sum_v[n] - sum_v[k]) / n2;
            let se = (v1 / n1 + v2 / n2).sqrt();
            if se > 0.0 && ((m2 - m1) / se).abs() > CHANGE_Z {
                let at = posts[k].0;
                latest = Some(latest.map_or(at, |l: usize| l.max(at)));
            }
        }
    }
    latest
}
