//! `reachloop-cli`: the headless face of Reachloop, on the same database as the app.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use reachloop::secrets::OsKeychain;
use reachloop::store::Actor;
use reachloop::{paths, App, Error};
use reachloop_ipc::{Campaign, NewCampaign};

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
}

#[derive(Subcommand)]
enum CampaignsCommand {
    /// List campaigns, newest first.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Create a draft campaign.
    Create(CreateArgs),
}

#[derive(Args)]
struct CreateArgs {
    #[arg(long)]
    name: String,
    #[arg(long, default_value = "")]
    prompt: String,
    /// A target platform (x, youtube, facebook, instagram, tiktok, sandbox); repeat for more.
    #[arg(long = "platform", required = true)]
    platforms: Vec<String>,
    /// reach, engagement or ctr.
    #[arg(long)]
    goal: String,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum AccountsCommand {
    /// List accounts by platform.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum KeychainCommand {
    /// Unlock the data key, creating it on first use.
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
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
    let now = chrono::Utc::now();
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Campaigns(CampaignsCommand::List { json }) => {
            let campaigns = app.list_campaigns().await?;
            if json {
                print_json(&mut out, &campaigns);
            } else {
                print_table(&mut out, &campaigns);
            }
        }
        Command::Campaigns(CampaignsCommand::Create(args)) => {
            let input = NewCampaign {
                name: args.name,
                prompt: args.prompt,
                platforms: args.platforms,
                goal: args.goal,
            };
            let campaign = app
                .create_campaign(now, uuid::Uuid::new_v4(), Actor::Cli, &input)
                .await?;
            if args.json {
                print_json(&mut out, &campaign);
            } else {
                let _ = writeln!(out, "created campaign {} ({})", campaign.name, campaign.id);
            }
        }
        Command::Accounts(AccountsCommand::List { json }) => {
            let accounts = app.list_accounts(now).await?;
            if json {
                print_json(&mut out, &accounts);
            } else if accounts.is_empty() {
                let _ = writeln!(out, "no accounts connected yet");
            } else {
                for a in &accounts {
                    let expires = a.token_expires_at.as_deref().unwrap_or("never");
                    let _ = writeln!(
                        out,
                        "{}  {:<10} {:<13} {:<24} token expires {}",
                        a.id,
                        a.platform.as_str(),
                        a.status.as_str(),
                        a.handle,
                        expires
                    );
                }
            }
        }
        Command::Keychain(KeychainCommand::Check) => {
            app.unlock_vault(now, &OsKeychain::from_env(), &mut rand::rngs::OsRng)
                .await?;
            let _ = writeln!(
                out,
                "keychain: ok (data key present and matches this database)"
            );
        }
    }
    app.store().clone().close().await;
    Ok(())
}

fn print_json(out: &mut impl Write, value: &impl serde::Serialize) {
    let text = serde_json::to_string_pretty(value).expect("ipc types always serialise");
    let _ = writeln!(out, "{text}");
}

fn print_table(out: &mut impl Write, campaigns: &[Campaign]) {
    if campaigns.is_empty() {
        let _ = writeln!(
            out,
            "no campaigns yet; create one with `reachloop-cli campaigns create`"
        );
        return;
    }
    for c in campaigns {
        let platforms: Vec<&str> = c.platforms.iter().map(|p| p.as_str()).collect();
        let _ = writeln!(
            out,
            "{}  {:<9} {:<10} {:<30} {}",
            c.id,
            c.status.as_str(),
            c.goal.as_str(),
            c.name,
            platforms.join(",")
        );
    }
}
