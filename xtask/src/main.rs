//! `cargo xtask`: everything needed to build, run, test and measure Reachloop
//! from a fresh clone, as ordinary Rust instead of shell scripts.
//!
//! - `cargo xtask run`: set up, build the UI and start the app.
//! - `cargo xtask test`: set up, then every test (unit, integration, Tauri
//!   command tests, end-to-end through the real window).
//! - `cargo xtask bench startup`: start-up time and idle memory.
//! - `cargo xtask bench calendar`: the Calendar with 20,000 posts.
//! - `cargo xtask ui`: only build the UI into `ui/dist`.
//! - `cargo xtask doctor`: where every external program comes from.

mod bench;
mod doctor;
mod headless;
mod setup;
mod ui;

#[cfg(test)]
mod tidy;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  run              install what is missing, build the UI and start Reachloop
  test             install what is missing, then run every test
  bench startup    measure start-up time and idle memory of the release app
  bench calendar   measure the Calendar with 20,000 posts: draw time, memory, idle CPU
  ui               build the UI (wasm32) into ui/dist
  setup            only install what is missing (system packages, cargo tools)
  doctor           show where every external tool was found and what provides it;
                   fail if one is missing or provided by nothing [--run-only]
";

fn main() -> std::process::ExitCode {
    match run_cli() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run_cli() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["run", rest @ ..] => run_app(rest),
        ["test"] => test_all(),
        ["bench", "startup", rest @ ..] => bench::startup(rest),
        ["bench", "calendar", rest @ ..] => bench::calendar(rest),
        ["ui"] => {
            setup::ensure(setup::Purpose::Run)?;
            ui::build()
        }
        ["setup"] => setup::ensure(setup::Purpose::Test),
        ["doctor", rest @ ..] => doctor::run(rest),
        ["help" | "--help" | "-h"] | [] => {
            print!("{USAGE}");
            Ok(())
        }
        _ => bail!("unknown command {:?}\n\n{USAGE}", args.join(" ")),
    }
}

fn run_app(extra: &[&str]) -> Result<()> {
    setup::ensure(setup::Purpose::Run)?;
    ui::build()?;
    step("build the desktop app (release)", || {
        run(cargo().args(["build", "--release", "-p", "reachloop-desktop"]))
    })?;
    let app = target_dir().join("release").join(exe("reachloop"));
    println!("xtask: starting {}", app.display());
    let mut cmd = if headless::has_display() {
        Command::new(&app)
    } else {
        println!(
            "xtask: no display found; starting under a virtual display (Xvfb). Close with Ctrl+C."
        );
        headless::wrap(
            &app,
            headless::Session {
                display: true,
                keyring: false,
            },
        )
    };
    cmd.args(extra);
    run(&mut cmd)
}

fn test_all() -> Result<()> {
    let started = Instant::now();
    setup::ensure(setup::Purpose::Test)?;
    step("check where every tool comes from (xtask doctor)", || {
        doctor::check(true)
    })?;
    ui::build()?;
    let cargo_bin = cargo_path();
    step(
        "unit, integration and command tests (cargo test --workspace)",
        || {
            let mut cmd = headless::wrap(
                Path::new(&cargo_bin),
                headless::Session {
                    display: false,
                    keyring: true,
                },
            );
            cmd.args(["test", "--workspace"]);
            run(&mut cmd)
        },
    )?;
    step("end-to-end tests through the real window", || {
        // A stuck journey (a window that never appears) must not eat the
        // CI's time: the whole step gets 20 minutes (it takes about one).
        let mut cmd = headless::wrap(
            Path::new("timeout"),
            headless::Session {
                display: true,
                keyring: true,
            },
        );
        cmd.args(["--kill-after=15", "1200"]).arg(&cargo_bin).args([
            "test",
            "-p",
            "reachloop-desktop",
            "--features",
            "e2e",
            "--test",
            "e2e",
            "--",
            // One app at a time: Reachloop is a single-instance app.
            "--test-threads=1",
        ]);
        cmd.env(
            "REACHLOOP_E2E_ARTIFACTS",
            workspace_root().join("target").join("e2e"),
        );
        run(&mut cmd)
    })?;
    println!(
        "xtask: all tests passed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs `f` with a heading and its duration, so slow steps show progress.
pub fn step<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    println!("\nxtask: ▶ {what}");
    let started = Instant::now();
    let out = f().with_context(|| format!("step failed: {what}"))?;
    println!("xtask: ✔ {what} ({:.1} s)", started.elapsed().as_secs_f64());
    Ok(out)
}

/// Runs a command, inheriting stdio; fails if it exits non-zero.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{:?} exited with {status}", cmd.get_program());
    }
    Ok(())
}

/// Runs a command and returns its stdout, or `None` if it cannot start or fails.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn cargo_path() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// `cargo` in the workspace root.
pub fn cargo() -> Command {
    let mut cmd = Command::new(cargo_path());
    cmd.current_dir(workspace_root());
    cmd
}

/// The clone xtask runs in. `cargo run` sets `CARGO_MANIFEST_DIR` at run
/// time; the compile-time value is only a fallback, because one shared
/// `CARGO_TARGET_DIR` may hold an xtask binary built from another clone.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Cargo's target directory, honouring `CARGO_TARGET_DIR`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        _ => workspace_root().join("target"),
    }
}

pub fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

/// Whether `program` can be found on `PATH`.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(exe(program)).is_file()))
        .unwrap_or(false)
}
