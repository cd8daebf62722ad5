//! Scenarios played against an oracle: each policy chooses post after post
//! in a world whose variants' true figures are known, and is scored by the
//! share of the oracle's expected reward it got (the oracle always posts the
//! truly best variant of the moment) and by its regret (what it gave up).
//!
//! A scenario (TOML, kept in `optimizer/scenarios/`) names the goal, the
//! number of posts, how late figures mature (in posts), the spread of
//! impressions (log-normal) and of a post's rate around its variant's
//! (a multiplier of mean 1), the variants (a rate, or for reach a
//! multiplier of the median impressions; `from_post` for one added later)
//! and shifts of the audience (`drift`, sudden or over some posts).
//!
//! Worlds use common random numbers: a post at index `t` of variant `a` in
//! run `r` turns out the same whichever policy chose it, so policies are
//! compared on the same luck.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::{select, Candidate, Config, Goal, Observation, Outcome, Policy};

/// The scenarios kept in the repository (`src/optimizer/scenarios/`).
pub const SCENARIOS: [(&str, &str); 10] = [
    (
        "clear-winner.toml",
        include_str!("scenarios/clear-winner.toml"),
    ),
    (
        "close-rates.toml",
        include_str!("scenarios/close-rates.toml"),
    ),
    (
        "delayed-metrics.toml",
        include_str!("scenarios/delayed-metrics.toml"),
    ),
    (
        "drifting-audience.toml",
        include_str!("scenarios/drifting-audience.toml"),
    ),
    (
        "headline-test.toml",
        include_str!("scenarios/headline-test.toml"),
    ),
    (
        "heavy-noise.toml",
        include_str!("scenarios/heavy-noise.toml"),
    ),
    (
        "many-variants.toml",
        include_str!("scenarios/many-variants.toml"),
    ),
    (
        "reach-lognormal.toml",
        include_str!("scenarios/reach-lognormal.toml"),
    ),
    (
        "small-audience.toml",
        include_str!("scenarios/small-audience.toml"),
    ),
    (
        "variant-added.toml",
        include_str!("scenarios/variant-added.toml"),
    ),
];

/// A world to play.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub goal: Goal,
    pub posts: u32,
    /// Posts published before one's figures are mature.
    #[serde(default)]
    pub delay: u32,
    pub impressions: Impressions,
    /// Log standard deviation of a post's rate around its variant's.
    #[serde(default)]
    pub noise: f64,
    pub arms: Vec<ArmSpec>,
    #[serde(default)]
    pub drift: Vec<Shift>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Impressions {
    pub median: f64,
    /// Log standard deviation.
    pub sigma: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArmSpec {
    pub name: String,
    /// Its mean rate, or for reach its multiplier of the median impressions.
    pub value: f64,
    /// The post from which it exists (a variant added later).
    #[serde(default)]
    pub from_post: u32,
}

/// From post `at_post` on (reached linearly over `over` posts), the named
/// variants' values become these.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    pub at_post: u32,
    #[serde(default)]
    pub over: u32,
    pub values: BTreeMap<String, f64>,
}

impl Scenario {
    /// Parses a scenario file's text, checking what TOML cannot.
    pub fn parse(text: &str) -> Result<Scenario, String> {
        let s: Scenario = toml::from_str(text).map_err(|e| e.to_string())?;
        if s.arms.is_empty() {
            return Err("a scenario needs at least one arm".into());
        }
        if s.arms.len() > 100 {
            return Err(format!("at most 100 arms, not {}", s.arms.len()));
        }
        if !(1..=100_000).contains(&s.posts) {
            return Err(format!("posts must be 1 to 100000, not {}", s.posts));
        }
        if !(s.impressions.median >= 1.0 && s.impressions.sigma >= 0.0) {
            return Err("impressions need a median of at least 1 and a sigma of 0 or more".into());
        }
        if !(s.noise >= 0.0 && s.noise.is_finite()) {
            return Err("noise must be 0 or more".into());
        }
        for a in &s.arms {
            let ok = match s.goal {
                Goal::Reach => a.value > 0.0,
                _ => (0.0..=1.0).contains(&a.value),
            };
            if !ok || !a.value.is_finite() {
                return Err(format!("arm {}: value {} is out of range", a.name, a.value));
            }
        }
        if !s.arms.iter().any(|a| a.from_post == 0) {
            return Err("at least one arm must exist from the first post".into());
        }
        for d in &s.drift {
            for name in d.values.keys() {
                if !s.arms.iter().any(|a| &a.name == name) {
                    return Err(format!("drift at post {}: no arm {name}", d.at_post));
                }
            }
        }
        Ok(s)
    }

    /// Whether the audience stays the same throughout.
    pub fn stable(&self) -> bool {
        self.drift.is_empty()
    }

    /// Arm `a`'s value at post `t`.
    fn value(&self, a: usize, t: u32) -> f64 {
        let arm = &self.arms[a];
        let mut v = arm.value;
        for d in &self.drift {
            let Some(&to) = d.values.get(&arm.name) else {
                continue;
            };
            if t >= d.at_post + d.over {
                v = to;
            } else if t >= d.at_post && d.over > 0 {
                let f = f64::from(t - d.at_post + 1) / f64::from(d.over + 1);
                v += (to - v) * f;
            }
        }
        v
    }

    /// Arm `a`'s expected reward at post `t`, in the goal's unit.
    fn expected(&self, a: usize, t: u32) -> f64 {
        let v = self.value(a, t);
        match self.goal {
            Goal::Reach => {
                self.impressions.median * v * (self.impressions.sigma.powi(2) / 2.0).exp()
            }
            _ => v,
        }
    }

    fn exists(&self, a: usize, t: u32) -> bool {
        self.arms[a].from_post <= t
    }

    /// What post `t` of arm `a` turns out to be in run `run`.
    fn outcome(&self, run: u64, t: u32, a: usize) -> Outcome {
        let mut rng = ChaCha8Rng::seed_from_u64(
            run.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (u64::from(t) << 20) ^ a as u64,
        );
        let z: f64 = rng.sample(StandardNormal);
        let v = self.value(a, t);
        let sigma = self.impressions.sigma;
        match self.goal {
            Goal::Reach => {
                let imp = self.impressions.median * v * (sigma * z).exp();
                Outcome {
                    impressions: imp.round().max(0.0) as u64,
                    ..Outcome::default()
                }
            }
            goal => {
                let impressions = (self.impressions.median * (sigma * z).exp())
                    .round()
                    .max(1.0) as u64;
                let z2: f64 = rng.sample(StandardNormal);
                let q = (v * (self.noise * z2 - self.noise * self.noise / 2.0).exp()).min(1.0);
                let hits = Binomial::new(impressions, q.clamp(0.0, 1.0))
                    .map(|b| b.sample(&mut rng))
                    .unwrap_or(0);
                match goal {
                    Goal::Ctr => Outcome {
                        impressions,
                        clicks: hits,
                        ..Outcome::default()
                    },
                    _ => Outcome {
                        impressions,
                        likes: hits,
                        ..Outcome::default()
                    },
                }
            }
        }
    }
}

/// One policy's figures on one scenario, over all runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcomes {
    pub scenario: String,
    pub policy: Policy,
    pub runs: u32,
    /// The policy's expected reward over the oracle's, averaged over runs.
    pub share: f64,
    /// The mean regret per run (oracle minus policy, in the goal's unit,
    /// summed over the posts), with its standard error.
    pub regret: f64,
    pub regret_se: f64,
    /// The share of posts that went to the best variant of the moment.
    pub best_share: f64,
}

/// Plays `scenario` with `policy` for `runs` runs from `seed`.
pub fn play(scenario: &Scenario, policy: Policy, runs: u32, seed: u64) -> Outcomes {
    let config = Config {
        draws: 0,
        ..Config::default()
    };
    let (mut shares, mut regrets, mut best_hits) = (Vec::new(), Vec::new(), 0u64);
    for r in 0..runs {
        let run = seed.wrapping_add(u64::from(r));
        let mut rng = ChaCha8Rng::seed_from_u64(run ^ 0x5EED);
        let mut seen: Vec<Observation> = Vec::new();
        // (mature at post, observation)
        let mut waiting: Vec<(u32, Observation)> = Vec::new();
        let (mut got, mut oracle) = (0.0, 0.0);
        for t in 0..scenario.posts {
            waiting.retain(|(at, o)| {
                if *at <= t {
                    seen.push(o.clone());
                    false
                } else {
                    true
                }
            });
            let live: Vec<usize> = (0..scenario.arms.len())
                .filter(|&a| scenario.exists(a, t))
                .collect();
            let candidates: Vec<Candidate> = live
                .iter()
                .map(|&a| Candidate {
                    arm: scenario.arms[a].name.clone(),
                    pending: waiting
                        .iter()
                        .filter(|(_, o)| o.arm == scenario.arms[a].name)
                        .count() as u32,
                })
                .collect();
            let labels = |a: &str| a.to_owned();
            let Some(d) = select(
                policy,
                scenario.goal,
                &candidates,
                &seen,
                &labels,
                &config,
                &mut rng,
            ) else {
                continue;
            };
            let a = live
                .iter()
                .copied()
                .find(|&a| scenario.arms[a].name == d.arm)
                .unwrap_or(live[0]);
            let best = live
                .iter()
                .map(|&b| scenario.expected(b, t))
                .fold(f64::NEG_INFINITY, f64::max);
            let mine = scenario.expected(a, t);
            got += mine;
            oracle += best;
            if mine >= best {
                best_hits += 1;
            }
            waiting.push((
                t + 1 + scenario.delay,
                Observation {
                    arm: d.arm,
                    outcome: scenario.outcome(run, t, a),
                },
            ));
        }
        shares.push(if oracle > 0.0 { got / oracle } else { 1.0 });
        regrets.push(oracle - got);
    }
    let n = f64::from(runs.max(1));
    let mean = regrets.iter().sum::<f64>() / n;
    let var = regrets.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    Outcomes {
        scenario: scenario.name.clone(),
        policy,
        runs,
        share: shares.iter().sum::<f64>() / n,
        regret: mean,
        regret_se: (var / n).sqrt(),
        best_share: best_hits as f64 / (n * f64::from(scenario.posts)),
    }
}

/// The table `reachloop-cli optimizer simulate` prints: per scenario and
/// policy the share of the oracle and the regret, and the default's regret
/// over each baseline's.
pub fn table(results: &[Outcomes]) -> String {
    let mut out = String::from(
        "scenario                 policy    share of oracle  regret (± se)        on best  vs ucb1  vs uniform\n",
    );
    let regret_of = |scenario: &str, p: Policy| {
        results
            .iter()
            .find(|r| r.scenario == scenario && r.policy == p)
            .map(|r| r.regret)
    };
    for r in results {
        let ratio = |p: Policy| match (r.policy, regret_of(&r.scenario, p)) {
            (Policy::Thompson, Some(b)) if b > 0.0 => format!("{:.2}", r.regret / b),
            _ => "".into(),
        };
        out.push_str(&format!(
            "{:<24} {:<9} {:>14.1} %  {:>9.4} ± {:<8.4} {:>6.1} %  {:>7}  {:>10}\n",
            r.scenario,
            r.policy.as_str(),
            r.share * 100.0,
            r.regret,
            r.regret_se,
            r.best_share * 100.0,
            ratio(Policy::Ucb1),
            ratio(Policy::Uniform),
        ));
    }
    out
}

/// The default policy against the targets: at least 95 % of the oracle
/// averaged over the scenarios; on a stable audience at most a third of
/// each baseline's regret; with a drifting one at least 90 % of the oracle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub mean_share: f64,
    pub mean_share_met: bool,
    pub scenarios: Vec<Target>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    pub scenario: String,
    pub stable: bool,
    pub share: f64,
    pub vs_ucb1: Option<f64>,
    pub vs_uniform: Option<f64>,
    pub met: bool,
}

impl Summary {
    pub fn words(&self) -> String {
        let yes = |b: bool| if b { "met" } else { "NOT met" };
        let mut out = format!(
            "default policy: {:.1} % of the oracle averaged over {} scenarios (target 95 %: {})\n",
            self.mean_share * 100.0,
            self.scenarios.len(),
            yes(self.mean_share_met)
        );
        for t in &self.scenarios {
            let ratio = |r: Option<f64>| r.map_or("-".to_owned(), |r| format!("{r:.2}"));
            if t.stable {
                out.push_str(&format!(
                    "  {}: regret {} of UCB1's, {} of uniform's (target at most 0.33: {})\n",
                    t.scenario,
                    ratio(t.vs_ucb1),
                    ratio(t.vs_uniform),
                    yes(t.met)
                ));
            } else {
                out.push_str(&format!(
                    "  {} (drifting): {:.1} % of the oracle (target 90 %: {})\n",
                    t.scenario,
                    t.share * 100.0,
                    yes(t.met)
                ));
            }
        }
        out
    }
}

/// Checks `results` (from [`play`] on `scenarios`) against the targets.
pub fn summary(scenarios: &[Scenario], results: &[Outcomes]) -> Summary {
    let find = |name: &str, p: Policy| results.iter().find(|r| r.scenario == name && r.policy == p);
    let mut targets = Vec::new();
    for s in scenarios {
        let Some(mine) = find(&s.name, Policy::Thompson) else {
            continue;
        };
        let ratio = |p: Policy| {
            find(&s.name, p).and_then(|b| (b.regret > 0.0).then(|| mine.regret / b.regret))
        };
        let (vs_ucb1, vs_uniform) = (ratio(Policy::Ucb1), ratio(Policy::Uniform));
        let met = if s.stable() {
            // No regret to speak of: nothing to divide.
            let ok = |r: Option<f64>| r.is_none_or(|r| r <= 1.0 / 3.0) || mine.regret <= 0.0;
            ok(vs_ucb1) && ok(vs_uniform)
        } else {
            mine.share >= 0.90
        };
        targets.push(Target {
            scenario: s.name.clone(),
            stable: s.stable(),
            share: mine.share,
            vs_ucb1,
            vs_uniform,
            met,
        });
    }
    let mean_share = if targets.is_empty() {
        0.0
    } else {
        targets.iter().map(|t| t.share).sum::<f64>() / targets.len() as f64
    };
    Summary {
        mean_share,
        mean_share_met: mean_share >= 0.95,
        scenarios: targets,
    }
}
