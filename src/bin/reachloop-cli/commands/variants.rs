//! `variants`: a campaign's variants, written by hand or listed with their rule checks.

use std::io::Write;

use clap::Subcommand;
use reachloop::store::Actor;
use reachloop::{App, Error};

use crate::common::{parse_platform, print_json, read_post_stdin};

#[derive(Subcommand)]
pub(crate) enum VariantsCommand {
    /// Add a hand-written variant: the text from --body, else from stdin
    /// (at most 1 MiB). A variant that breaks a platform rule is still
    /// saved, with the problems printed; it is not published until fixed.
    Add {
        #[arg(long)]
        campaign: String,
        /// x, youtube, facebook, instagram, tiktok or sandbox.
        #[arg(long)]
        platform: String,
        /// The video title (YouTube).
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        body: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List a campaign's variants with their rule checks.
    List {
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        json: bool,
    },
}

pub(crate) async fn run(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
    out: &mut impl Write,
    command: VariantsCommand,
) -> Result<(), Error> {
    match command {
        VariantsCommand::Add {
            campaign,
            platform,
            title,
            body,
            json,
        } => {
            let platform = parse_platform(&platform)?;
            let body = match body {
                Some(body) => body,
                None => read_post_stdin().map_err(|e| {
                    Error::Validation(vec![reachloop_ipc::FieldError {
                        field: "body".into(),
                        code: "unreadable".into(),
                        message: e,
                    }])
                })?,
            };
            let variant = app
                .add_variant(
                    now,
                    &campaign,
                    platform,
                    &reachloop_ipc::VariantText { title, body },
                    Actor::Cli,
                )
                .await?;
            if json {
                print_json(out, &variant);
            } else {
                let _ = writeln!(out, "added variant {} for {}", variant.id, platform);
                print_problems(out, app, &variant).await?;
            }
        }
        VariantsCommand::List { campaign, json } => {
            let variants = app.list_variants(&campaign).await?;
            if json {
                print_json(out, &variants);
            } else if variants.is_empty() {
                let _ = writeln!(
                    out,
                    "no variants yet; add one with `reachloop-cli variants add`"
                );
            } else {
                for v in &variants {
                    let _ = writeln!(
                        out,
                        "{}  {:<10} {:<7} {}",
                        v.id,
                        v.platform.as_str(),
                        v.source,
                        reachloop::text::echo(&v.body, 60)
                    );
                    print_problems(out, app, v).await?;
                }
            }
        }
    }
    Ok(())
}

/// The rules a variant breaks, one per line, indented under it.
async fn print_problems(
    out: &mut impl Write,
    app: &App,
    v: &reachloop_ipc::Variant,
) -> Result<(), Error> {
    let text = reachloop_ipc::VariantText {
        title: v.title.clone(),
        body: v.body.clone(),
    };
    let check = app
        .check_post(v.platform, &text, Some(&v.campaign_id), Some(&v.id))
        .await?;
    for p in &check.problems {
        let _ = writeln!(out, "    breaks a rule ({}): {}", p.code, p.message);
    }
    Ok(())
}
