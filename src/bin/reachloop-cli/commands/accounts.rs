//! `accounts` (list, rename, connect social accounts) and `keychain`
//! (the data key in the OS keychain).

use std::io::Write;

use clap::Subcommand;
use reachloop::secrets::OsKeychain;
use reachloop::store::Actor;
use reachloop::{App, Error};

use crate::common::{parse_platform, print_json};

#[derive(Subcommand)]
pub(crate) enum AccountsCommand {
    /// List accounts by platform.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Give an account your own name (an empty name: the platform's
    /// display name again); refused when another account of its platform
    /// has it.
    Rename {
        id: String,
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Connect an account: prints the platform's consent address (on
    /// stderr) and waits, up to 10 minutes, for the answer on the same
    /// loopback listener the app uses; open the address in any browser on
    /// this computer. `sandbox` (Reachloop's simulated network) needs no
    /// sign-in.
    Connect {
        /// x, youtube, tiktok, facebook, instagram or sandbox.
        platform: String,
        /// The Sandbox account's name (default: "Sandbox", or "Sandbox 2"
        /// and so on when taken).
        #[arg(long, default_value = "")]
        name: String,
        /// Facebook: a Page to connect (its id); repeat for more. Without
        /// any, every Page you can publish to is connected.
        #[arg(long = "page")]
        pages: Vec<String>,
        /// Facebook: an Instagram account linked to a Page (its id); repeat
        /// for more. Without --page or --instagram, every linked one.
        #[arg(long = "instagram")]
        instagram: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum KeychainCommand {
    /// Unlock the data key, creating it on first use.
    Check,
}

pub(crate) async fn run(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
    out: &mut impl Write,
    command: AccountsCommand,
) -> Result<(), Error> {
    match command {
        AccountsCommand::List { json } => {
            let accounts = app.list_accounts(now).await?;
            if json {
                print_json(out, &accounts);
            } else if accounts.is_empty() {
                let _ = writeln!(out, "no accounts connected yet");
            } else {
                for a in &accounts {
                    let expires = a.token_expires_at.as_deref().unwrap_or("never");
                    let _ = writeln!(
                        out,
                        "{}  {:<10} {:<13} {:<24} {:<24} token expires {}",
                        a.id,
                        a.platform.as_str(),
                        a.status.as_str(),
                        a.handle,
                        a.name,
                        expires
                    );
                }
            }
        }
        AccountsCommand::Rename { id, name, json } => {
            let a = app.rename_account(now, Actor::Cli, &id, &name).await?;
            if json {
                print_json(out, &a);
            } else {
                let _ = writeln!(
                    out,
                    "{} {} is now called \"{}\"",
                    a.platform.as_str(),
                    a.handle,
                    a.name
                );
            }
        }
        AccountsCommand::Connect {
            platform,
            name,
            pages,
            instagram,
            json,
        } => {
            let platform = parse_platform(&platform)?;
            let accounts = if platform == reachloop_ipc::Platform::Sandbox {
                vec![app.connect_sandbox(now, &name).await?]
            } else {
                connect_by_browser(app, platform, pages, instagram).await?
            };
            if json {
                print_json(out, &accounts);
            } else {
                for account in &accounts {
                    let _ = writeln!(
                        out,
                        "connected {} {} ({})",
                        account.platform.as_str(),
                        account.handle,
                        account.id
                    );
                }
            }
        }
    }
    Ok(())
}

pub(crate) async fn run_keychain(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
    out: &mut impl Write,
    command: KeychainCommand,
) -> Result<(), Error> {
    match command {
        KeychainCommand::Check => {
            app.unlock_vault(now, &OsKeychain::from_env(), &mut rand::rngs::OsRng)
                .await?;
            let _ = writeln!(
                out,
                "keychain: ok (data key present and matches this database)"
            );
        }
    }
    Ok(())
}

/// Signs in through a browser: the consent address goes to stderr, the
/// answer comes back to the loopback listener. A Facebook sign-in then
/// connects the Pages (and linked Instagram accounts) asked for, else every
/// one the user can publish to.
async fn connect_by_browser(
    app: &App,
    platform: reachloop_ipc::Platform,
    pages: Vec<String>,
    instagram: Vec<String>,
) -> Result<Vec<reachloop_ipc::Account>, Error> {
    if let reachloop::app::RedirectVia::Relay(_) = app.redirect_via(platform).await? {
        return Err(Error::Validation(vec![reachloop_ipc::FieldError {
            field: "platform".into(),
            code: "needs_the_app".into(),
            message: format!(
                "{platform}'s sign-in comes back through your relay page as a reachloop:// link, which only the app receives: connect it in the app (the CLI then sees the account), or use a Meta app in development mode, which redirects to this computer."
            ),
        }]));
    }
    let keys = OsKeychain::from_env();
    let outcome = app
        .connect_account(platform, &keys, |url| {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "Open this address in a browser on this computer to connect {platform}:\n\n  {url}\n\nWaiting for the answer (up to 10 minutes; Ctrl-C stops)..."
            );
            Ok(())
        })
        .await?;
    match outcome {
        reachloop_ipc::ConnectOutcome::Connected { account } => Ok(vec![account]),
        reachloop_ipc::ConnectOutcome::ChoosePages {
            grant,
            user_name,
            pages: choices,
        } => {
            let everything = pages.is_empty() && instagram.is_empty();
            let selection = reachloop_ipc::PageSelection {
                grant,
                pages: if everything {
                    choices
                        .iter()
                        .filter(|c| c.can_publish)
                        .map(|c| c.id.clone())
                        .collect()
                } else {
                    pages
                },
                instagram: if everything {
                    choices
                        .iter()
                        .filter(|c| c.can_publish)
                        .filter_map(|c| c.instagram.as_ref().map(|i| i.id.clone()))
                        .collect()
                } else {
                    instagram
                },
            };
            if selection.pages.is_empty() && selection.instagram.is_empty() {
                return Err(Error::Validation(vec![reachloop_ipc::FieldError {
                    field: "page".into(),
                    code: "no_pages".into(),
                    message: format!(
                        "{} signed in, but manages no Page they can publish to; nothing was connected.",
                        reachloop::text::echo(&user_name, 40)
                    ),
                }]));
            }
            Ok(app
                .connect_pages(&selection, &keys, chrono::Utc::now())
                .await?)
        }
    }
}
