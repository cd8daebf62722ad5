//! `campaigns`: list, create, rebrand and move campaigns between states.

use std::io::Write;

use clap::{Args, Subcommand};
use reachloop::store::Actor;
use reachloop::{App, Error};
use reachloop_ipc::{Campaign, CampaignStatus, NewCampaign};

use crate::common::print_json;

#[derive(Subcommand)]
pub(crate) enum CampaignsCommand {
    /// List campaigns, newest first.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Create a draft campaign.
    Create(CreateArgs),
    /// Change a campaign's brand constraints (tone, banned words, length,
    /// media), as the window's Edit does.
    Brand {
        id: String,
        #[command(flatten)]
        brand: BrandArgs,
        #[arg(long)]
        json: bool,
    },
    /// Move a campaign to draft, active, paused, completed or archived.
    /// Only an active campaign's posts are published; activating names the
    /// variants the publisher will not pick because they break the rules.
    Status {
        id: String,
        status: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub(crate) struct CreateArgs {
    #[arg(long)]
    name: String,
    #[arg(long, default_value = "")]
    prompt: String,
    /// A target platform (x, youtube, facebook, instagram, tiktok, sandbox); repeat for more.
    #[arg(long = "platform", required = true)]
    platforms: Vec<String>,
    /// reach, engagement or CTR (any case).
    #[arg(long)]
    goal: String,
    #[command(flatten)]
    brand: BrandArgs,
    #[arg(long)]
    json: bool,
}

/// A campaign's brand constraints, as the window's campaign form has them.
#[derive(Args, Default)]
pub(crate) struct BrandArgs {
    /// The brand's tone, e.g. "warm, playful, no jargon".
    #[arg(long)]
    tone: Option<String>,
    /// A word or phrase never to post (matched ignoring case); repeat for
    /// more. Variants with one are never published automatically.
    #[arg(long = "banned")]
    banned: Vec<String>,
    /// Forget the banned words (before adding any given with --banned).
    #[arg(long)]
    clear_banned: bool,
    /// any, short, medium or long.
    #[arg(long)]
    length: Option<String>,
    /// The media variants should carry: any, image, video or text_only.
    #[arg(long)]
    media: Option<String>,
}

impl BrandArgs {
    /// `brand` with these changes.
    fn apply(
        self,
        mut brand: reachloop_ipc::BrandConstraints,
    ) -> Result<reachloop_ipc::BrandConstraints, Error> {
        let choice = |field: &str, value: &str, allowed: &str| {
            Error::Validation(vec![reachloop_ipc::FieldError {
                field: field.into(),
                code: "invalid".into(),
                message: format!(
                    "\"{}\" is not a {field} preference: use {allowed}.",
                    reachloop::text::echo(value, 20)
                ),
            }])
        };
        if let Some(tone) = self.tone {
            brand.tone = tone;
        }
        if self.clear_banned {
            brand.banned_words.clear();
        }
        brand.banned_words.extend(self.banned);
        if let Some(l) = self.length {
            brand.length = serde_json::from_value(serde_json::json!(l.trim().to_lowercase()))
                .map_err(|_| choice("length", &l, "any, short, medium or long"))?;
        }
        if let Some(m) = self.media {
            brand.media = serde_json::from_value(serde_json::json!(m.trim().to_lowercase()))
                .map_err(|_| choice("media", &m, "any, image, video or text_only"))?;
        }
        Ok(brand)
    }
}

pub(crate) async fn run(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
    out: &mut impl Write,
    command: CampaignsCommand,
) -> Result<(), Error> {
    match command {
        CampaignsCommand::List { json } => {
            let campaigns = app.list_campaigns().await?;
            if json {
                print_json(out, &campaigns);
            } else {
                print_table(out, &campaigns);
            }
        }
        CampaignsCommand::Create(args) => {
            let input = NewCampaign {
                name: args.name,
                prompt: args.prompt,
                platforms: args.platforms,
                goal: args.goal,
                brand: args.brand.apply(Default::default())?,
                ..Default::default()
            };
            let campaign = app
                .create_campaign(now, uuid::Uuid::new_v4(), Actor::Cli, &input)
                .await?;
            if args.json {
                print_json(out, &campaign);
            } else {
                let _ = writeln!(out, "created campaign {} ({})", campaign.name, campaign.id);
            }
        }
        CampaignsCommand::Brand { id, brand, json } => {
            let c = app.campaign(&id).await?;
            let input = NewCampaign {
                name: c.name,
                prompt: c.prompt,
                platforms: c.platforms.iter().map(|p| p.as_str().to_string()).collect(),
                goal: c.goal.as_str().to_string(),
                brand: brand.apply(c.brand)?,
                kpis: c.kpis,
                variants_per_platform: Some(c.variants_per_platform),
            };
            let campaign = app
                .update_campaign(now, &id, Actor::Cli, &input, Some(&c.updated_at))
                .await?;
            if json {
                print_json(out, &campaign);
            } else {
                let b = &campaign.brand;
                let _ = writeln!(
                    out,
                    "campaign {}: tone {:?}; banned: {}; length {}; media {}",
                    campaign.id,
                    b.tone,
                    if b.banned_words.is_empty() {
                        "none".to_string()
                    } else {
                        b.banned_words.join(", ")
                    },
                    b.length.as_str(),
                    b.media.as_str()
                );
            }
        }
        CampaignsCommand::Status { id, status, json } => {
            let Some(status) = CampaignStatus::parse(&status.trim().to_lowercase()) else {
                return Err(Error::Validation(vec![reachloop_ipc::FieldError {
                    field: "status".into(),
                    code: "unknown_status".into(),
                    message: format!(
                        "Unknown status \"{}\": use draft, active, paused, completed or archived.",
                        reachloop::text::echo(&status, 20)
                    ),
                }]));
            };
            let campaign = app
                .set_campaign_status(now, &id, Actor::Cli, status)
                .await?;
            if campaign.status == CampaignStatus::Active {
                for w in app.rule_breaking_variants(&id).await? {
                    eprintln!("warning: not picked by itself: {w}");
                }
            }
            if json {
                print_json(out, &campaign);
            } else {
                let _ = writeln!(
                    out,
                    "campaign {} is {}",
                    campaign.id,
                    campaign.status.as_str()
                );
            }
        }
    }
    Ok(())
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
