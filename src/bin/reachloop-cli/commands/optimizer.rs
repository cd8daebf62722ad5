//! `optimizer`: the variant chooser headless. `serve` speaks the JSON-lines
//! protocol of `reachloop::optimizer::serve`; `simulate` plays scenarios
//! against an oracle (both pure: no data directory); `show`, `decisions`
//! and `rebuild` are the Optimizer page's content and actions.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reachloop::optimizer::simulate::{self, Scenario};
use reachloop::optimizer::{serve::Server, Config, Policy};
use reachloop::{App, Error};

use crate::common::print_json;

#[derive(Subcommand)]
pub(crate) enum OptimizerCommand {
    /// Answer JSON lines on stdin, one JSON line out per line in: select,
    /// observe, stats (see `reachloop::optimizer::serve`).
    Serve {
        /// thompson (the default), ucb1 or uniform.
        #[arg(long, default_value = "thompson", value_parser = parse_policy)]
        policy: Policy,
        /// Seed the draws, for answers that repeat.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Play scenarios against an oracle and print, per policy, the share of
    /// the oracle's expected reward and the regret.
    Simulate {
        /// A scenario file (TOML) or a folder of them; again for more.
        /// Without one, the scenarios kept in the repository.
        #[arg(long)]
        scenario: Vec<PathBuf>,
        /// Runs (seeds) per scenario and policy.
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        runs: u32,
        /// The first run's seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// What the Optimizer page shows for a campaign: per platform each
    /// variant's estimate, chance of being best and of being chosen next,
    /// the exploration share, the verdict and the latest decisions.
    Show {
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        json: bool,
    },
    /// A campaign's decisions, newest first, with their rationale.
    Decisions {
        #[arg(long)]
        campaign: String,
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Count a campaign's mature posts again from the stored snapshots.
    Rebuild {
        #[arg(long)]
        campaign: String,
    },
}

impl OptimizerCommand {
    /// Needs no data directory.
    pub(crate) fn is_pure(&self) -> bool {
        matches!(self, Self::Serve { .. } | Self::Simulate { .. })
    }
}

fn parse_policy(s: &str) -> Result<Policy, String> {
    Policy::parse(s).ok_or_else(|| format!("unknown policy {s:?}: thompson, ucb1 or uniform"))
}

/// A request line longer than this is answered with an error, unread.
const MAX_LINE: usize = 1 << 20;

pub(crate) fn run_pure(command: &OptimizerCommand) -> ExitCode {
    match command {
        OptimizerCommand::Serve { policy, seed } => serve(*policy, *seed),
        OptimizerCommand::Simulate {
            scenario,
            runs,
            seed,
            json,
        } => simulate(scenario, *runs, *seed, *json),
        _ => unreachable!("needs the data directory: run"),
    }
}

pub(crate) async fn run(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
    out: &mut impl Write,
    command: OptimizerCommand,
) -> Result<(), Error> {
    match command {
        OptimizerCommand::Show { campaign, json } => {
            let view = app.optimizer_view(&campaign, now).await?;
            if json {
                print_json(out, &view);
            } else {
                print_view(out, &view);
            }
        }
        OptimizerCommand::Decisions {
            campaign,
            limit,
            json,
        } => {
            let decisions = app.optimizer_decisions(&campaign, limit, now).await?;
            if json {
                print_json(out, &decisions);
            } else if decisions.is_empty() {
                let _ = writeln!(out, "No decisions yet.");
            } else {
                for d in &decisions {
                    print_decision(out, d);
                }
            }
        }
        OptimizerCommand::Rebuild { campaign } => {
            let n = app.rebuild_optimizer(&campaign, now).await?;
            let _ = writeln!(out, "{n} mature posts counted from the stored snapshots.");
        }
        OptimizerCommand::Serve { .. } | OptimizerCommand::Simulate { .. } => {
            unreachable!("handled before opening the data")
        }
    }
    Ok(())
}

fn figure(goal: &str, v: Option<f64>) -> String {
    match (v, reachloop::optimizer::Goal::parse(goal)) {
        (Some(v), Some(g)) => g.show(v),
        _ => "-".into(),
    }
}

fn print_view(out: &mut impl Write, view: &reachloop_ipc::OptimizerView) {
    let _ = writeln!(out, "{} (goal: {})", view.campaign_name, view.goal);
    if view.platforms.is_empty() {
        let _ = writeln!(out, "No variants yet.");
    }
    for p in &view.platforms {
        let on = if p.optimized {
            "the optimizer chooses"
        } else {
            "no schedule uses the optimizer"
        };
        let _ = writeln!(out, "\n{} ({on}; policy {})", p.platform.label(), p.policy);
        let _ = writeln!(
            out,
            "  variant  posts  pending  estimate   95 % band            best   next"
        );
        for v in &p.variants {
            let band = match (v.low, v.high) {
                (Some(l), Some(h)) => format!(
                    "{} – {}",
                    figure(&view.goal, Some(l)),
                    figure(&view.goal, Some(h))
                ),
                _ => "-".into(),
            };
            let _ = writeln!(
                out,
                "  {:<7}  {:>5}  {:>7}  {:>8}   {:<19} {:>4.0} %  {:>3.0} %{}",
                v.label,
                v.posts,
                v.pending,
                figure(&view.goal, v.estimate),
                band,
                v.p_best * 100.0,
                v.p_next * 100.0,
                if v.retired { "  (retired)" } else { "" }
            );
        }
        match p.exploration_share {
            Some(e) => {
                let _ = writeln!(
                    out,
                    "  exploring: {:.0} % of the last {} decisions",
                    e * 100.0,
                    p.recent_decisions
                );
            }
            None => {
                let _ = writeln!(out, "  no decision yet");
            }
        }
        let _ = writeln!(out, "  verdict: {}", p.verdict.words);
        if !p.next.is_empty() {
            let _ = writeln!(out, "  {}", p.next);
        }
        for d in p.decisions.iter().take(5) {
            print_decision(out, d);
        }
    }
}

fn print_decision(out: &mut impl Write, d: &reachloop_ipc::OptimizerDecision) {
    let who = match d.actor.as_str() {
        "optimizer" if d.explored => "optimizer (explored)",
        "optimizer" => "optimizer",
        "cli" => "you (cli)",
        _ => "you",
    };
    let _ = writeln!(
        out,
        "  {}  {}  {}: {}",
        d.decided_at,
        d.platform.label(),
        who,
        d.rationale
    );
}

fn serve(policy: Policy, seed: Option<u64>) -> ExitCode {
    let mut rng = ChaCha8Rng::seed_from_u64(seed.unwrap_or_else(|| rand::thread_rng().gen()));
    let mut server = Server::new(policy, Config::default());
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = std::io::stdout().lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        let (read, whole) = match read_line(&mut input, &mut line) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: reading stdin: {e}");
                return ExitCode::FAILURE;
            }
        };
        if read == 0 {
            return ExitCode::SUCCESS;
        }
        let answer = if !whole {
            serde_json::json!({"error": {"code": "line_too_long",
                "message": format!("a request line is at most {MAX_LINE} bytes")}})
        } else {
            match std::str::from_utf8(&line) {
                Ok(text) => server.handle(text.trim_end_matches(['\n', '\r']), &mut rng),
                Err(_) => serde_json::json!({"error": {"code": "malformed_json",
                    "message": "the line is not UTF-8"}}),
            }
        };
        if writeln!(out, "{answer}")
            .and_then(|()| out.flush())
            .is_err()
        {
            // The reader went away.
            return ExitCode::SUCCESS;
        }
    }
}

/// Reads one line into `buf` (at most [`MAX_LINE`] bytes kept, the rest
/// skipped): the bytes read, and whether the line fitted.
fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<(usize, bool)> {
    let mut read = 0;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok((read, buf.len() <= MAX_LINE));
        }
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if buf.len() <= MAX_LINE {
            let room = (MAX_LINE + 1).saturating_sub(buf.len());
            buf.extend_from_slice(&chunk[..take.min(room)]);
        }
        input.consume(take);
        read += take;
        if done {
            return Ok((read, buf.len() <= MAX_LINE));
        }
    }
}

fn simulate(paths: &[PathBuf], runs: u32, seed: u64, json: bool) -> ExitCode {
    let mut scenarios = Vec::new();
    if paths.is_empty() {
        for (file, text) in simulate::SCENARIOS {
            match Scenario::parse(text) {
                Ok(s) => scenarios.push(s),
                Err(e) => {
                    eprintln!("error: {file}: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    for path in paths {
        let files = if path.is_dir() {
            match std::fs::read_dir(path) {
                Ok(entries) => {
                    let mut files: Vec<PathBuf> = entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                        .collect();
                    files.sort();
                    files
                }
                Err(e) => {
                    eprintln!("error: {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
            }
        } else {
            vec![path.clone()]
        };
        for file in files {
            let text = match std::fs::read_to_string(&file) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: {}: {e}", file.display());
                    return ExitCode::FAILURE;
                }
            };
            match Scenario::parse(&text) {
                Ok(s) => scenarios.push(s),
                Err(e) => {
                    eprintln!("error: {}: {e}", file.display());
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    if scenarios.is_empty() {
        eprintln!("error: no scenario files found");
        return ExitCode::FAILURE;
    }
    let total = scenarios.len();
    let mut results = Vec::new();
    for (i, s) in scenarios.iter().enumerate() {
        eprintln!("[{}/{total}] {} ({runs} runs per policy)", i + 1, s.name);
        for policy in Policy::ALL {
            results.push(simulate::play(s, policy, runs, seed));
        }
    }
    let summary = simulate::summary(&scenarios, &results);
    let mut out = std::io::stdout().lock();
    if json {
        let value = serde_json::json!({ "results": results, "summary": summary });
        let _ = writeln!(out, "{value}");
    } else {
        let _ = write!(out, "{}", simulate::table(&results));
        let _ = write!(out, "\n{}", summary.words());
    }
    ExitCode::SUCCESS
}
