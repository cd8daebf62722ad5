//! `reachloop-cli`: the headless face of Reachloop, on the same database as the app.
//!
//! This file holds the top of the argument tree and hands each command to
//! its group's module under `commands/`; helpers they share are in `common`.

mod commands;
mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use reachloop::{paths, App, Error};

use commands::accounts::{AccountsCommand, KeychainCommand};
use commands::agent::AgentArgs;
use commands::backup::BackupArgs;
use commands::bench::BenchCommand;
use commands::campaigns::CampaignsCommand;
use commands::optimizer::OptimizerCommand;
use commands::posts::{PostCommand, PostsCommand};
use commands::report::ReportCommand;
use commands::sandbox::SandboxCommand;
use commands::schedules::ScheduleCommand;
use commands::variants::VariantsCommand;
use commands::{
    accounts, agent, backup, bench, campaigns, optimizer, posts, report, sandbox, schedules,
    variants,
};
use common::runtime;

#[derive(Parser)]
#[command(
    name = "reachloop-cli",
    version,
    about = "Reachloop without the window"
)]
struct Cli {
    /// Data directory (default: $REACHLOOP_DATA_DIR, else the OS data directory).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List and create campaigns.
    #[command(subcommand)]
    Campaigns(CampaignsCommand),
    /// List connected social accounts (never their tokens).
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// Check that the OS keychain holds (or can hold) the data key.
    #[command(subcommand)]
    Keychain(KeychainCommand),
    /// Check post text against a platform's rules.
    #[command(subcommand)]
    Post(PostCommand),
    /// Schedules: preview, add, list, pause and resume.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// A campaign's variants: write them by hand, list them.
    #[command(subcommand)]
    Variants(VariantsCommand),
    /// Posts planned by schedules, and their state.
    #[command(subcommand)]
    Posts(PostsCommand),
    /// The Sandbox network's world.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Reports of published posts' metrics.
    #[command(subcommand)]
    Report(ReportCommand),
    /// The optimizer: serve its policies over JSON lines, simulate them.
    #[command(subcommand)]
    Optimizer(OptimizerCommand),
    /// Measure the publisher (in a throwaway data directory).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Plan and publish in the background without a window, until stopped
    /// (Ctrl-C finishes the round in flight). Only one publisher runs at a
    /// time: while the app holds the lease, the agent waits.
    Agent(AgentArgs),
    /// Write a consistent copy of the database to FILE (a new file), even
    /// while the app is running. Media files live in the data directory's
    /// media/ folder; the data key lives in the OS keychain.
    Backup(BackupArgs),
}

/// Log lines go to stderr (stdout is for results): `REACHLOOP_LOG` as in
/// the app, else warnings, and for the agent what it does too.
fn init_logging(agent: bool) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("REACHLOOP_LOG").unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(if agent { "info" } else { "warn" })
        });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(matches!(cli.command, Command::Agent(_)));
    // Pure: needs no data directory.
    if let Command::Post(PostCommand::Check(args)) = &cli.command {
        return posts::post_check(args);
    }
    if let Command::Schedule(ScheduleCommand::Preview(args)) = &cli.command {
        return schedules::schedule_preview(args);
    }
    if let Command::Bench(command) = &cli.command {
        return bench::run(command);
    }
    if let Command::Optimizer(command) = &cli.command {
        if command.is_pure() {
            return optimizer::run_pure(command);
        }
    }
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A validation error lists its problems once, one per line.
            if e.fields().is_empty() {
                eprintln!("error: {e}");
            } else {
                eprintln!("error: nothing was changed; fix these and try again:");
            }
            for field in e.fields() {
                eprintln!("  {}: {} [{}]", field.field, field.message, field.code);
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Error> {
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => paths::data_dir()?,
    };
    let app = App::open(&data_dir).await?;
    let result = run_on(&app, cli.command).await;
    // Also after an error: a clean close checkpoints the WAL.
    app.store().clone().close().await;
    result
}

async fn run_on(app: &App, command: Command) -> Result<(), Error> {
    let now = chrono::Utc::now();
    let mut out = std::io::stdout().lock();
    match command {
        Command::Campaigns(command) => campaigns::run(app, now, &mut out, command).await,
        Command::Accounts(command) => accounts::run(app, now, &mut out, command).await,
        Command::Keychain(command) => accounts::run_keychain(app, now, &mut out, command).await,
        Command::Schedule(command) => schedules::run(app, now, &mut out, command).await,
        Command::Variants(command) => variants::run(app, now, &mut out, command).await,
        Command::Posts(command) => posts::run(app, now, &mut out, command).await,
        Command::Sandbox(command) => sandbox::run(app, now, &mut out, command).await,
        Command::Report(command) => report::run(app, now, &mut out, command).await,
        Command::Agent(args) => agent::run(app, args).await,
        Command::Backup(args) => backup::run(app, &mut out, args).await,
        Command::Optimizer(command) => optimizer::run(app, now, &mut out, command).await,
        Command::Post(PostCommand::Check(_)) | Command::Bench(_) => {
            unreachable!("handled before opening the data")
        }
    }
}
