//! `sandbox`: the Sandbox network's world (its seed).

use std::io::Write;

use clap::Subcommand;
use reachloop::store::Actor;
use reachloop::{App, Error};

#[derive(Subcommand)]
pub(crate) enum SandboxCommand {
    /// Print the seed everything the Sandbox does follows from; with SEED
    /// (a whole number), use that one from now on (as Settings does).
    Seed { seed: Option<String> },
}

pub(crate) async fn run(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
    out: &mut impl Write,
    command: SandboxCommand,
) -> Result<(), Error> {
    match command {
        SandboxCommand::Seed { seed } => {
            let world = match seed {
                Some(seed) => app.set_sandbox_seed(now, Actor::Cli, &seed).await?,
                None => app.sandbox_world(now).await?,
            };
            let from = if world.from_environment {
                " (from REACHLOOP_SANDBOX_SEED)"
            } else {
                ""
            };
            let _ = writeln!(out, "{}{from}", world.seed);
        }
    }
    Ok(())
}
