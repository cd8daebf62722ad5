//! The JSON-lines protocol of `reachloop-cli optimizer serve`: one request
//! a line in, exactly one JSON line out, the same policy code as the app.
//!
//! - `{"op":"select","key":K,"arms":[..],"goal":G,"at":T}` →
//!   `{"arm":..,"explore":..,"rationale":..,"scores":{..}}`
//! - `{"op":"observe","key":K,"arm":A,"at":T,"impressions":N,"likes":N,
//!   "comments":N,"shares":N,"clicks":N}` → `{"ok":true}` (one post's mature
//!   figures; counts left out are 0, impressions are required)
//! - `{"op":"stats","key":K}` → per-arm figures, the probability of being
//!   best, the exploration share and the winner's verdict.
//!
//! A line that is not one of these gets `{"error":{"code":..,"message":..}}`
//! and the server goes on. Observations may come several selects after
//! their post was chosen, and the arms of a select may change between
//! requests: a post chosen and not observed yet counts as pending for its
//! arm.

use std::collections::BTreeMap;

use rand::Rng;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{model, policy, winner, Candidate, Config, Goal, Observation, Outcome, Policy};

/// How many recent decisions the exploration share is taken over.
pub const RECENT: usize = 20;

/// Everything the server has learnt, per key.
#[derive(Debug, Default)]
pub struct Server {
    policy: Policy,
    config: Config,
    keys: BTreeMap<String, Book>,
}

#[derive(Debug, Default)]
struct Book {
    goal: Option<Goal>,
    arms: Vec<String>,
    observations: Vec<Observation>,
    /// Chosen and not observed yet, per arm.
    pending: BTreeMap<String, u32>,
    /// Whether each decision explored, oldest first.
    explored: Vec<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Select {
    key: String,
    arms: Vec<String>,
    goal: String,
    at: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Observe {
    key: String,
    arm: String,
    at: String,
    impressions: u64,
    #[serde(default)]
    likes: u64,
    #[serde(default)]
    comments: u64,
    #[serde(default)]
    shares: u64,
    #[serde(default)]
    clicks: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Stats {
    key: String,
}

fn error(code: &str, message: impl Into<String>) -> Value {
    json!({ "error": { "code": code, "message": message.into() } })
}

impl Server {
    pub fn new(policy: Policy, config: Config) -> Server {
        Server {
            policy,
            config,
            keys: BTreeMap::new(),
        }
    }

    /// Answers one request line (without its newline) with one JSON value.
    pub fn handle(&mut self, line: &str, rng: &mut impl Rng) -> Value {
        let mut value: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => return error("malformed_json", format!("not a JSON value: {e}")),
        };
        let Some(object) = value.as_object_mut() else {
            return error("invalid_request", "a request is a JSON object");
        };
        let op = match object.remove("op") {
            Some(Value::String(op)) => op,
            Some(_) => return error("invalid_request", "\"op\" must be a string"),
            None => return error("invalid_request", "missing \"op\""),
        };
        let body = Value::Object(object.clone());
        let parsed = |kind: &'static str| {
            move |e: serde_json::Error| error("invalid_request", format!("{kind}: {e}"))
        };
        match op.as_str() {
            "select" => match serde_json::from_value::<Select>(body) {
                Ok(r) => self.select(r, rng),
                Err(e) => parsed("select")(e),
            },
            "observe" => match serde_json::from_value::<Observe>(body) {
                Ok(r) => self.observe(r),
                Err(e) => parsed("observe")(e),
            },
            "stats" => match serde_json::from_value::<Stats>(body) {
                Ok(r) => self.stats(&r.key, rng),
                Err(e) => parsed("stats")(e),
            },
            other => error(
                "unknown_op",
                format!("unknown op {other:?}: select, observe or stats"),
            ),
        }
    }

    fn select(&mut self, r: Select, rng: &mut impl Rng) -> Value {
        let Some(goal) = Goal::parse(&r.goal) else {
            return error(
                "invalid_goal",
                format!("goal {:?}: reach, engagement or ctr", r.goal),
            );
        };
        if let Err(e) = check_time(&r.at) {
            return e;
        }
        if r.key.is_empty() {
            return error("invalid_request", "the key is empty");
        }
        let mut arms: Vec<String> = Vec::new();
        for a in r.arms {
            if a.is_empty() {
                return error("invalid_arms", "an arm's name is empty");
            }
            if arms.contains(&a) {
                return error("invalid_arms", format!("arm {a:?} is listed twice"));
            }
            arms.push(a);
        }
        if arms.is_empty() {
            return error("invalid_arms", "no arms to choose from");
        }
        let book = self.keys.entry(r.key).or_default();
        book.goal = Some(goal);
        let candidates: Vec<Candidate> = arms
            .iter()
            .map(|a| Candidate {
                arm: a.clone(),
                pending: book.pending.get(a).copied().unwrap_or(0),
            })
            .collect();
        book.arms = arms;
        let labels = |a: &str| a.to_owned();
        let Some(d) = policy::select(
            self.policy,
            goal,
            &candidates,
            &book.observations,
            &labels,
            &self.config,
            rng,
        ) else {
            return error("invalid_arms", "no arms to choose from");
        };
        *book.pending.entry(d.arm.clone()).or_default() += 1;
        book.explored.push(d.explore);
        json!({
            "arm": d.arm,
            "explore": d.explore,
            "rationale": d.rationale,
            "reason": d.reason,
            "scores": d.scores,
        })
    }

    fn observe(&mut self, r: Observe) -> Value {
        if let Err(e) = check_time(&r.at) {
            return e;
        }
        if r.key.is_empty() || r.arm.is_empty() {
            return error("invalid_request", "the key and the arm must not be empty");
        }
        let book = self.keys.entry(r.key).or_default();
        if let Some(p) = book.pending.get_mut(&r.arm) {
            *p = p.saturating_sub(1);
        }
        book.observations.push(Observation {
            arm: r.arm,
            outcome: Outcome {
                impressions: r.impressions,
                likes: r.likes,
                comments: r.comments,
                shares: r.shares,
                clicks: r.clicks,
            },
        });
        json!({ "ok": true })
    }

    fn stats(&self, key: &str, rng: &mut impl Rng) -> Value {
        let Some(book) = self.keys.get(key) else {
            return error(
                "unknown_key",
                format!("no select or observe for key {key:?} yet"),
            );
        };
        let goal = book.goal.unwrap_or(Goal::Engagement);
        let mut arms = book.arms.clone();
        for o in &book.observations {
            if !arms.contains(&o.arm) {
                arms.push(o.arm.clone());
            }
        }
        let candidates: Vec<Candidate> = arms
            .iter()
            .map(|a| Candidate {
                arm: a.clone(),
                pending: book.pending.get(a).copied().unwrap_or(0),
            })
            .collect();
        let fit = model::fit(goal, &candidates, &book.observations);
        let p_best = policy::probabilities(&fit, self.config.draws, rng);
        let labels = |a: &str| a.to_owned();
        let verdict = winner::verdict(&fit, &p_best, &self.config, &labels);
        let per_arm: BTreeMap<&str, Value> = fit
            .arms
            .iter()
            .map(|a| {
                let (low, high) = fit.band(a);
                let known = a.posts > 0;
                (
                    a.arm.as_str(),
                    json!({
                        "posts": a.posts,
                        "set_aside": a.set_aside,
                        "pending": book.pending.get(&a.arm).copied().unwrap_or(0),
                        "estimate": known.then(|| fit.value(a.mean)),
                        "low": known.then_some(low),
                        "high": known.then_some(high),
                        "p_best": p_best.get(&a.arm).copied().unwrap_or(0.0),
                    }),
                )
            })
            .collect();
        json!({
            "key": key,
            "goal": goal,
            "policy": self.policy,
            "arms": per_arm,
            "decisions": book.explored.len(),
            "exploration_share": exploration_share(&book.explored),
            "verdict": verdict,
        })
    }
}

/// The share of the last [`RECENT`] decisions that explored (0 with none).
pub fn exploration_share(explored: &[bool]) -> f64 {
    let recent = &explored[explored.len().saturating_sub(RECENT)..];
    if recent.is_empty() {
        0.0
    } else {
        recent.iter().filter(|e| **e).count() as f64 / recent.len() as f64
    }
}

fn check_time(at: &str) -> Result<(), Value> {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|_| ())
        .map_err(|e| {
            error(
                "invalid_time",
                format!("\"at\" {at:?} is not RFC 3339: {e}"),
            )
        })
}
