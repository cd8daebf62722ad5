//! The policies with fixed seeds, the protocol and the simulator.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use super::model::fit;
use super::policy::{probabilities, select};
use super::serve::Server;
use super::simulate::{play, Scenario};
use super::winner::{verdict, Verdict};
use super::*;

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

fn arms(names: &[&str]) -> Vec<Candidate> {
    names
        .iter()
        .map(|a| Candidate {
            arm: (*a).to_owned(),
            pending: 0,
        })
        .collect()
}

/// A post of `arm` with `hits` likes (or clicks) out of `impressions`.
fn post(arm: &str, impressions: u64, hits: u64) -> Observation {
    Observation {
        arm: arm.to_owned(),
        outcome: Outcome {
            impressions,
            likes: hits,
            clicks: hits,
            ..Outcome::default()
        },
    }
}

fn name(a: &str) -> String {
    a.to_owned()
}

fn choose(goal: Goal, c: &[Candidate], obs: &[Observation], seed: u64) -> Decision {
    select(
        Policy::Thompson,
        goal,
        c,
        obs,
        &name,
        &Config::default(),
        &mut rng(seed),
    )
    .expect("a decision")
}

/// How often each arm is chosen over `n` seeds.
fn shares(goal: Goal, c: &[Candidate], obs: &[Observation], n: u64) -> Vec<(String, u64)> {
    let mut counts: Vec<(String, u64)> = c.iter().map(|c| (c.arm.clone(), 0)).collect();
    for seed in 0..n {
        let d = choose(goal, c, obs, seed);
        if let Some(x) = counts.iter_mut().find(|x| x.0 == d.arm) {
            x.1 += 1;
        }
    }
    counts
}

/// Posts whose rates vary around `rate` by a factor of about 1.5 either
/// way, the same pattern for every arm.
fn noisy(arm: &str, rate: f64, n: usize) -> Vec<Observation> {
    let luck = [1.0, 0.6, 1.5, 0.8, 1.3, 0.7, 1.6, 0.9, 1.1, 1.0];
    (0..n)
        .map(|i| {
            let imp = 2000 + 300 * (i as u64 % 7);
            post(
                arm,
                imp,
                (imp as f64 * rate * luck[i % luck.len()]).round() as u64,
            )
        })
        .collect()
}

#[test]
fn cold_start_gives_every_arm_its_posts_first_in_order() {
    let c = arms(&["v1", "v2", "v3"]);
    let d = choose(Goal::Engagement, &c, &[], 1);
    assert_eq!((d.arm.as_str(), d.reason), ("v1", Reason::ColdStart));
    assert!(d.explore);
    assert!(
        d.rationale.contains("only 0 of the 2 posts"),
        "{}",
        d.rationale
    );
    // v1 and v2 have their two posts (one still pending): v3 next.
    let mut c = c;
    c[0].pending = 1;
    c[1].pending = 2;
    let obs = vec![post("v1", 1000, 30)];
    let d = choose(Goal::Engagement, &c, &obs, 1);
    assert_eq!(d.arm, "v3");
    // Once every arm has them, the draws decide.
    c[2].pending = 2;
    let d = choose(Goal::Engagement, &c, &obs, 1);
    assert_eq!(d.reason, Reason::Sampled);
}

#[test]
fn ties_are_split_and_a_seed_gives_the_same_choice() {
    let c = arms(&["v1", "v2"]);
    let mut obs = noisy("v1", 0.03, 6);
    obs.extend(noisy("v2", 0.03, 6));
    let s = shares(Goal::Engagement, &c, &obs, 400);
    for (arm, n) in &s {
        assert!((120..=280).contains(n), "{arm} chosen {n} of 400: {s:?}");
    }
    assert_eq!(
        choose(Goal::Engagement, &c, &obs, 9),
        choose(Goal::Engagement, &c, &obs, 9)
    );
}

#[test]
fn a_clearly_better_arm_wins_through_the_noise() {
    let c = arms(&["v1", "v2", "v3"]);
    let mut obs = noisy("v1", 0.020, 10);
    obs.extend(noisy("v2", 0.045, 10));
    obs.extend(noisy("v3", 0.025, 10));
    let s = shares(Goal::Engagement, &c, &obs, 300);
    assert!(s[1].1 >= 285, "v2 should be chosen almost always: {s:?}");
    let d = choose(Goal::Engagement, &c, &obs, 3);
    assert_eq!(d.arm, "v2");
    assert!(!d.explore);
    assert!(
        d.rationale.starts_with("v2: highest sampled engagement"),
        "{}",
        d.rationale
    );
    // Its estimate is near the truth (the pattern's mean is 1.05 × 4.5 %).
    let est = d.scores["v2"].estimate.expect("an estimate");
    assert!((0.040..0.052).contains(&est), "{est}");
}

#[test]
fn a_retired_arm_is_never_chosen_even_when_it_was_best() {
    let mut obs = noisy("v1", 0.020, 8);
    obs.extend(noisy("gone", 0.09, 8));
    obs.extend(noisy("v2", 0.021, 8));
    let c = arms(&["v1", "v2"]);
    for seed in 0..200 {
        let d = choose(Goal::Engagement, &c, &obs, seed);
        assert_ne!(d.arm, "gone");
        assert!(!d.scores.contains_key("gone"));
    }
}

#[test]
fn pending_posts_count_toward_the_cold_start_and_are_named() {
    // Figures arrive late: v2 has two posts out, none mature.
    let mut c = arms(&["v1", "v2"]);
    c[1].pending = 2;
    let obs = noisy("v1", 0.03, 3);
    let d = choose(Goal::Engagement, &c, &obs, 5);
    assert_eq!(d.reason, Reason::Sampled, "{}", d.rationale);
    assert!(
        d.rationale.contains("2 posts not mature yet"),
        "{}",
        d.rationale
    );
    // With no mature post, v2 stays uncertain: it is still drawn now and then.
    let s = shares(Goal::Engagement, &c, &obs, 300);
    assert!(s[1].1 > 30, "{s:?}");
}

#[test]
fn reach_is_judged_on_the_log_scale_so_one_viral_post_does_not_rule() {
    // v1: usually 800, once 200,000 (raw mean about 19,000); v2: 3,000 every time.
    let mut obs: Vec<Observation> = (0..10).map(|_| post("v1", 800, 0)).collect();
    obs.insert(3, post("v1", 200_000, 0));
    obs.extend((0..11).map(|i| post("v2", 2800 + 40 * i, 0)));
    let c = arms(&["v1", "v2"]);
    let s = shares(Goal::Reach, &c, &obs, 300);
    assert!(s[1].1 >= 240, "v2 should usually be chosen: {s:?}");
    // The product design's UCB1 is fooled by the raw mean.
    let u = select(
        Policy::Ucb1,
        Goal::Reach,
        &c,
        &obs,
        &name,
        &Config::default(),
        &mut rng(1),
    )
    .expect("ucb1");
    assert_eq!(u.arm, "v1");
}

#[test]
fn a_winner_is_not_declared_on_thin_data_and_is_on_clear_data() {
    let config = Config::default();
    let c = arms(&["v1", "v2", "v3"]);
    // Thin: three posts each, though v2 looks far better.
    let mut obs = noisy("v1", 0.02, 3);
    obs.extend(noisy("v2", 0.06, 3));
    obs.extend(noisy("v3", 0.02, 3));
    let f = fit(Goal::Engagement, &c, &obs);
    let p = probabilities(&f, 4000, &mut rng(1));
    let Verdict::Waiting { words } = verdict(&f, &p, &config, &name) else {
        panic!("no winner on 9 posts");
    };
    assert!(words.contains("20 mature posts (9 so far)"), "{words}");
    // Clear: twelve each.
    let mut obs = noisy("v1", 0.02, 12);
    obs.extend(noisy("v2", 0.045, 12));
    obs.extend(noisy("v3", 0.025, 12));
    let f = fit(Goal::Engagement, &c, &obs);
    let p = probabilities(&f, 4000, &mut rng(1));
    match verdict(&f, &p, &config, &name) {
        Verdict::Winner {
            arm,
            p,
            words,
            losers,
            ..
        } => {
            assert_eq!(arm, "v2");
            assert!(p >= 0.95);
            assert_eq!(losers, ["v1", "v3"]);
            assert!(
                words.starts_with("v2 is best with")
                    && words.ends_with("v1 and v3 could be retired"),
                "{words}"
            );
        }
        v => panic!("expected a winner: {v:?}"),
    }
    // Close: enough posts, but not sure enough.
    let mut obs = noisy("v1", 0.030, 12);
    obs.extend(noisy("v2", 0.031, 12));
    let c = arms(&["v1", "v2"]);
    let f = fit(Goal::Engagement, &c, &obs);
    let p = probabilities(&f, 4000, &mut rng(1));
    let Verdict::Waiting { words } = verdict(&f, &p, &config, &name) else {
        panic!("no winner between 3.0 % and 3.1 %");
    };
    assert!(words.contains("a winner needs 95 %"), "{words}");
}

#[test]
fn a_changed_audience_sets_the_older_posts_aside() {
    // v1 did 5 % for 20 posts, then 1.5 %: the world changed.
    let mut obs = noisy("v1", 0.05, 20);
    obs.extend(noisy("v2", 0.03, 6));
    obs.extend(noisy("v1", 0.015, 10));
    let c = arms(&["v1", "v2"]);
    let f = fit(Goal::Engagement, &c, &obs);
    assert!(f.restart >= 20, "restart at {}", f.restart);
    assert!(f.arm("v1").map(|a| a.set_aside) >= Some(20));
    let d = choose(Goal::Engagement, &c, &obs, 2);
    assert!(d.rationale.contains("set aside: the audience changed"));
    // The same noise without a change is not taken for one.
    let mut obs = noisy("v1", 0.05, 30);
    obs.extend(noisy("v2", 0.03, 6));
    assert_eq!(fit(Goal::Engagement, &c, &obs).restart, 0);
}

#[test]
fn the_probabilities_add_up_and_favour_the_better_arm() {
    let c = arms(&["v1", "v2"]);
    let mut obs = noisy("v1", 0.02, 8);
    obs.extend(noisy("v2", 0.03, 8));
    let p = probabilities(&fit(Goal::Ctr, &c, &obs), 2000, &mut rng(4));
    assert!((p.values().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(p["v2"] > 0.9, "{p:?}");
}

fn ask(server: &mut Server, line: &str) -> Value {
    server.handle(line, &mut rng(11))
}

#[test]
fn the_protocol_answers_each_line_and_survives_bad_ones() {
    let mut s = Server::new(Policy::Thompson, Config::default());
    let at = "2026-12-03T10:00:00Z";
    for (line, code) in [
        ("{not json", "malformed_json"),
        ("[1,2]", "invalid_request"),
        (r#"{"key":"k"}"#, "invalid_request"),
        (r#"{"op":"dance"}"#, "unknown_op"),
        (
            r#"{"op":"select","key":"k","arms":["a"],"goal":"fame","at":"2026-12-03T10:00:00Z"}"#,
            "invalid_goal",
        ),
        (
            r#"{"op":"select","key":"k","arms":["a"],"goal":"ctr","at":"tomorrow"}"#,
            "invalid_time",
        ),
        (
            r#"{"op":"select","key":"k","arms":[],"goal":"ctr","at":"2026-12-03T10:00:00Z"}"#,
            "invalid_arms",
        ),
        (
            r#"{"op":"select","key":"k","arms":["a","a"],"goal":"ctr","at":"2026-12-03T10:00:00Z"}"#,
            "invalid_arms",
        ),
        (
            r#"{"op":"select","key":"k","arms":["a"],"goal":"ctr","at":"2026-12-03T10:00:00Z","extra":1}"#,
            "invalid_request",
        ),
        (
            r#"{"op":"observe","key":"k","arm":"a","at":"2026-12-03T10:00:00Z"}"#,
            "invalid_request",
        ),
        (
            r#"{"op":"observe","key":"k","arm":"a","at":"2026-12-03T10:00:00Z","impressions":-4}"#,
            "invalid_request",
        ),
        (r#"{"op":"stats","key":"nobody"}"#, "unknown_key"),
    ] {
        let v = ask(&mut s, line);
        assert_eq!(v["error"]["code"], code, "{line} → {v}");
        assert!(v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    // And it still works.
    let select = json!({"op":"select","key":"c1/x","arms":["v1","v2"],"goal":"engagement","at":at});
    let v = ask(&mut s, &select.to_string());
    assert_eq!(v["arm"], "v1", "{v}");
    assert_eq!(v["explore"], true);
    assert!(v["rationale"]
        .as_str()
        .is_some_and(|r| r.contains("explored")));
    assert!(v["scores"]["v2"].is_object());
    assert!(
        v["scores"]["v2"]["estimate"].is_null(),
        "no estimate without a post: {v}"
    );
    // The second select goes to v2 (v1 is pending), an observation for v1
    // arrives later, and the arms change (v3 added).
    assert_eq!(ask(&mut s, &select.to_string())["arm"], "v2");
    let observe = json!({"op":"observe","key":"c1/x","arm":"v1","at":at,"impressions":1200,"likes":20,"comments":3,"shares":2,"clicks":14});
    assert_eq!(ask(&mut s, &observe.to_string()), json!({"ok": true}));
    let select3 =
        json!({"op":"select","key":"c1/x","arms":["v1","v2","v3"],"goal":"engagement","at":at});
    let v = ask(&mut s, &select3.to_string());
    assert_ne!(v["arm"], "v2", "v2 has had its turn: {v}");
    let st = ask(&mut s, r#"{"op":"stats","key":"c1/x"}"#);
    assert_eq!(st["decisions"], 3, "{st}");
    assert_eq!(st["arms"]["v1"]["posts"], 1);
    assert_eq!(st["arms"]["v2"]["pending"], 1);
    assert!(st["exploration_share"].as_f64().is_some_and(|e| e > 0.0));
    assert_eq!(st["verdict"]["state"], "waiting");
}

#[test]
fn scenarios_are_checked_and_the_repositorys_all_parse() {
    for (text, why) in [
        ("name='x'\ngoal='ctr'\nposts=10\nimpressions={median=100,sigma=1}\narms=[]", "at least one arm"),
        ("name='x'\ngoal='ctr'\nposts=10\nimpressions={median=100,sigma=1}\narms=[{name='a',value=2.0}]", "out of range"),
        ("name='x'\ngoal='ctr'\nposts=10\nimpressions={median=100,sigma=1}\narms=[{name='a',value=0.1,colour=1}]", "unknown field"),
        ("name='x'\ngoal='ctr'\nposts=10\nimpressions={median=100,sigma=1}\narms=[{name='a',value=0.1}]\n[[drift]]\nat_post=3\nvalues={b=0.2}", "no arm b"),
    ] {
        let e = Scenario::parse(text).expect_err(why);
        assert!(e.contains(why), "{e}");
    }
    for (file, text) in super::simulate::SCENARIOS {
        Scenario::parse(text).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
}

#[test]
fn the_default_policy_beats_the_baselines_on_a_clear_scenario() {
    let s = Scenario::parse(
        "name='t'\ngoal='engagement'\nposts=60\ndelay=2\nnoise=0.4\nimpressions={median=2000,sigma=0.8}\narms=[{name='a',value=0.02},{name='b',value=0.045}]",
    )
    .expect("scenario");
    let ts = play(&s, Policy::Thompson, 40, 1);
    let uni = play(&s, Policy::Uniform, 40, 1);
    let ucb = play(&s, Policy::Ucb1, 40, 1);
    assert!(ts.regret < uni.regret / 2.0, "{ts:?} vs {uni:?}");
    assert!(ts.regret < ucb.regret / 2.0, "{ts:?} vs {ucb:?}");
    assert!(ts.share > 0.9 && ts.share <= 1.0, "{ts:?}");
    // The same seed plays the same game.
    assert_eq!(
        play(&s, Policy::Thompson, 5, 7),
        play(&s, Policy::Thompson, 5, 7)
    );
}
