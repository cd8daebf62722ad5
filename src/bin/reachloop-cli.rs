//! `reachloop-cli`: the headless face of Reachloop, on the same database as the app.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use reachloop::secrets::OsKeychain;
use reachloop::store::Actor;
use reachloop::{paths, App, Error};
use reachloop_ipc::{Campaign, CampaignStatus, NewCampaign};

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
    /// Measure the publisher (in a throwaway data directory).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Plan and publish in the background without a window, until stopped
    /// (Ctrl-C finishes the round in flight). Only one publisher runs at a
    /// time: while the app holds the lease, the agent waits.
    Agent {
        /// Seconds between rounds.
        #[arg(long, default_value_t = 15)]
        interval_secs: u64,
        /// Run one round and stop.
        #[arg(long)]
        once: bool,
        /// Also listen for platforms' webhooks on ADDR, a loopback address
        /// your https proxy forwards to (e.g. 127.0.0.1:8443; any other
        /// address is warned about): verified events make the agent poll
        /// that platform's metrics early. Secrets: REACHLOOP_X_CONSUMER_SECRET,
        /// REACHLOOP_META_VERIFY_TOKEN, and the Facebook and TikTok app
        /// secrets (Settings or OAUTH_<PLATFORM>_CLIENT_SECRET).
        #[arg(long, value_name = "ADDR")]
        webhooks: Option<String>,
    },
    /// Write a consistent copy of the database to FILE (a new file), even
    /// while the app is running. Media files live in the data directory's
    /// media/ folder; the data key lives in the OS keychain.
    Backup {
        /// Where to write the copy; must not exist yet.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum PostCommand {
    /// Read a post body on stdin and print one JSON object: platform, length
    /// (and weighted_length for X), limit, valid and problems (codes with
    /// messages). Exits 0 when the post is valid, 1 when it breaks a rule,
    /// 2 when the input cannot be read.
    Check(CheckArgs),
}

#[derive(Subcommand)]
enum ScheduleCommand {
    /// Print the first N runs of a cadence at or after --from, as RFC 3339
    /// UTC instants, one per line (the same code as the app's preview).
    /// Exits 2 with the field named when the cadence or zone is wrong.
    Preview(PreviewArgs),
    /// Schedule a campaign's posts to one account: once (--at) or on a
    /// cadence (--cron), in a time zone (default: this computer's).
    Add(AddScheduleArgs),
    /// List schedules.
    List {
        #[arg(long)]
        campaign: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Pause a schedule: its posts wait.
    Pause { id: String },
    /// Plan every schedule's posts for the next 14 days now (the agent and
    /// the app do this every minute). Prints how many were new.
    Plan,
    /// Resume a paused schedule.
    Resume { id: String },
}

#[derive(Args)]
struct AddScheduleArgs {
    #[arg(long)]
    campaign: String,
    /// x, youtube, facebook, instagram, tiktok or sandbox.
    #[arg(long)]
    platform: String,
    /// The account id (see `accounts list`).
    #[arg(long)]
    account: String,
    /// Post once at this time: a wall time read in --tz
    /// ("2026-12-10T09:10") or an instant with its offset (RFC 3339).
    #[arg(long)]
    at: Option<String>,
    /// Post on this 5-field crontab cadence, e.g. "0 14 * * 1,3,5".
    #[arg(long)]
    cron: Option<String>,
    /// IANA time zone (default: this computer's).
    #[arg(long, default_value = "")]
    tz: String,
    /// A one-off on a minute where the campaign already has a post for the
    /// account (from a cadence, or skipped) takes that post over.
    #[arg(long)]
    replace_slot: bool,
    /// First local day (YYYY-MM-DD).
    #[arg(long)]
    start: Option<String>,
    /// Last local day (YYYY-MM-DD).
    #[arg(long)]
    end: Option<String>,
    /// Let the optimizer pick each post's variant (round-robin until it exists).
    #[arg(long)]
    optimizer: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Claim and drain posts against the Sandbox with a latency and a
    /// per-account rate limit; prints the times, the rate limit's lower
    /// bound, duplicates (must be 0) and peak memory.
    Publish {
        #[arg(long, default_value_t = 1000)]
        posts: u32,
        #[arg(long, default_value_t = 10)]
        accounts: u32,
        #[arg(long, default_value_t = 50)]
        latency_ms: u64,
        /// Posts per account per window, e.g. 25/10 (25 every 10 seconds).
        #[arg(long, default_value = "25/10")]
        rate_limit: String,
    },
    /// Publish posts in a throwaway data directory, ingest metric snapshots
    /// into it, then time the Analytics dashboard with each filter and a
    /// campaign's CSV export; prints the ingest rate and the times.
    Analytics {
        #[arg(long, default_value_t = 10_000)]
        posts: u32,
        #[arg(long, default_value_t = 1_000_000)]
        snapshots: u64,
    },
    /// Fill a new, empty data directory with upcoming posts spread over
    /// this month (publishing paused there), for `cargo xtask bench
    /// calendar` to open the app on; prints the core's Calendar read times.
    CalendarSeed {
        /// The new data directory (must not exist, or be empty).
        #[arg(long)]
        into: std::path::PathBuf,
        #[arg(long, default_value_t = 20_000)]
        posts: u32,
    },
}

#[derive(Subcommand)]
enum PostsCommand {
    /// Change one upcoming post: pick its variant, move it, skip it, or
    /// publish it now. Audited; refused once the post is being published.
    Override {
        id: String,
        #[arg(long, conflicts_with_all = ["at", "skip", "now"])]
        variant: Option<String>,
        /// Post at this time instead (RFC 3339).
        #[arg(long, conflicts_with_all = ["skip", "now"])]
        at: Option<String>,
        #[arg(long, conflicts_with = "now")]
        skip: bool,
        #[arg(long)]
        now: bool,
    },
    /// List planned and published posts, soonest first.
    List {
        /// Only posts in this status (scheduled, publishing, published,
        /// failed, needs_verification, missed, cancelled).
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct PreviewArgs {
    /// A 5-field crontab expression, e.g. "0 14 * * 1,3,5".
    #[arg(long = "cron")]
    cron: String,
    /// An IANA time zone, e.g. Europe/Berlin (default: UTC).
    #[arg(long = "tz", default_value = "UTC")]
    tz: String,
    /// Start here (RFC 3339; default: now).
    #[arg(long)]
    from: Option<String>,
    /// How many runs to print (1-1000).
    #[arg(long, default_value_t = 5)]
    count: usize,
}

#[derive(Args)]
struct CheckArgs {
    /// x, youtube, instagram, tiktok or facebook.
    #[arg(long)]
    platform: String,
    /// The video title (YouTube).
    #[arg(long)]
    title: Option<String>,
    /// A banned word or phrase; repeat for more.
    #[arg(long = "banned")]
    banned: Vec<String>,
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

#[derive(Subcommand)]
enum ReportCommand {
    /// A campaign's figures as CSV on stdout: a row per platform and
    /// variant, then per platform, then the total (columns: row, platform,
    /// variant_id, variant, posts, reach, likes, comments, shares, clicks,
    /// engagement_rate, ctr, then quotes, bookmarks, profile_clicks,
    /// engagements, saves, video_views, watch_minutes; an empty cell is a
    /// metric the platform does not give). Posts published from --from to --to (days in this computer's
    /// zone, both included, or RFC 3339 instants).
    Csv {
        #[arg(long)]
        campaign: String,
        /// First day (YYYY-MM-DD) or instant; default: when the campaign was created.
        #[arg(long)]
        from: Option<String>,
        /// Last day (YYYY-MM-DD, included) or instant; default: now.
        #[arg(long)]
        to: Option<String>,
    },
    /// The Analytics chart (reach and engagements by day of publishing)
    /// saved to FILE as SVG or PNG, as its extension says. Filters as on
    /// the Analytics page; default period: the last 30 days.
    Chart {
        /// Where to save it: a name ending in .svg or .png.
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long)]
        campaign: Option<String>,
        #[arg(long)]
        account: Option<String>,
        /// Only this platform (repeat for more).
        #[arg(long = "platform")]
        platforms: Vec<String>,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
    },
    /// A published post by age (1 h, 6 h, 24 h, 72 h, 7 days, 30 days)
    /// beside the median of its campaign's other posts on its platform.
    Post {
        id: String,
        /// Also save its chart to FILE (.svg or .png).
        #[arg(long)]
        chart: Option<std::path::PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SandboxCommand {
    /// Print the seed everything the Sandbox does follows from; with SEED
    /// (a whole number), use that one from now on (as Settings does).
    Seed { seed: Option<String> },
}

#[derive(Subcommand)]
enum VariantsCommand {
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

#[derive(Args)]
struct CreateArgs {
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
struct BrandArgs {
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

#[derive(Subcommand)]
enum AccountsCommand {
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
enum KeychainCommand {
    /// Unlock the data key, creating it on first use.
    Check,
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
    init_logging(matches!(cli.command, Command::Agent { .. }));
    // Pure: needs no data directory.
    if let Command::Post(PostCommand::Check(args)) = &cli.command {
        return post_check(args);
    }
    if let Command::Schedule(ScheduleCommand::Preview(args)) = &cli.command {
        return schedule_preview(args);
    }
    if let Command::Bench(BenchCommand::Publish {
        posts,
        accounts,
        latency_ms,
        rate_limit,
    }) = &cli.command
    {
        return bench_publish(*posts, *accounts, *latency_ms, rate_limit);
    }
    if let Command::Bench(BenchCommand::Analytics { posts, snapshots }) = &cli.command {
        return bench_analytics(*posts, *snapshots);
    }
    if let Command::Bench(BenchCommand::CalendarSeed { into, posts }) = &cli.command {
        return bench_calendar_seed(into, *posts);
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
        Command::Backup { file } => {
            app.store().backup_to(&file).await?;
            let _ = writeln!(out, "backed up the database to {}", file.display());
        }
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
                brand: args.brand.apply(Default::default())?,
                ..Default::default()
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
        Command::Campaigns(CampaignsCommand::Brand { id, brand, json }) => {
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
                print_json(&mut out, &campaign);
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
        Command::Campaigns(CampaignsCommand::Status { id, status, json }) => {
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
                print_json(&mut out, &campaign);
            } else {
                let _ = writeln!(
                    out,
                    "campaign {} is {}",
                    campaign.id,
                    campaign.status.as_str()
                );
            }
        }
        Command::Variants(VariantsCommand::Add {
            campaign,
            platform,
            title,
            body,
            json,
        }) => {
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
                print_json(&mut out, &variant);
            } else {
                let _ = writeln!(out, "added variant {} for {}", variant.id, platform);
                print_problems(&mut out, app, &variant).await?;
            }
        }
        Command::Report(ReportCommand::Csv { campaign, from, to }) => {
            let zone = reachloop::time::local_zone_name();
            let filter = reachloop_ipc::AnalyticsFilter {
                from: from.map(|d| day_or_instant(&d, &zone, false)),
                to: to.map(|d| day_or_instant(&d, &zone, true)),
                campaign_id: Some(campaign),
                ..Default::default()
            };
            let text = app.campaign_csv(&filter, &zone, now).await?;
            let _ = out.write_all(text.as_bytes());
        }
        Command::Report(ReportCommand::Chart {
            out: path,
            campaign,
            account,
            platforms,
            from,
            to,
        }) => {
            let format = chart_format(&path)?;
            let zone = reachloop::time::local_zone_name();
            let filter = reachloop_ipc::AnalyticsFilter {
                from: from.map(|d| day_or_instant(&d, &zone, false)),
                to: to.map(|d| day_or_instant(&d, &zone, true)),
                platforms,
                campaign_id: campaign,
                account_id: account,
            };
            let svg = app.dashboard_svg(&filter, &zone, now).await?;
            reachloop::app::analytics::save_bytes(&path, &format.encode(svg)?)?;
            let _ = writeln!(out, "saved the chart to {}", path.display());
        }
        Command::Report(ReportCommand::Post { id, chart, json }) => {
            let format = chart.as_deref().map(chart_format).transpose()?;
            let history = app.post_history(&id, now).await?;
            if let (Some(path), Some(format)) = (&chart, format) {
                let bytes = format.encode(history.chart_svg.clone())?;
                reachloop::app::analytics::save_bytes(path, &bytes)?;
            }
            if json {
                print_json(&mut out, &history);
            } else {
                let n = |v: Option<u64>| v.map_or("—".to_string(), |v| v.to_string());
                let _ = writeln!(
                    out,
                    "{:<8} {:>10} {:>12} {:>8}   {:>14} {:>6}",
                    "age", "reach", "engagements", "clicks", "others' reach", "n"
                );
                for a in &history.ages {
                    if !a.reached {
                        let _ = writeln!(out, "{:<8} {:>10}", a.label, "not yet");
                        continue;
                    }
                    let _ = writeln!(
                        out,
                        "{:<8} {:>10} {:>12} {:>8}   {:>14} {:>6}",
                        a.label,
                        n(a.own.reach),
                        n(a.own.engagements),
                        n(a.own.clicks),
                        n(a.peer_median.reach),
                        a.peers
                    );
                }
                let _ = writeln!(out, "{}", history.compared_with);
                if let Some(path) = &chart {
                    let _ = writeln!(out, "saved the chart to {}", path.display());
                }
            }
        }
        Command::Sandbox(SandboxCommand::Seed { seed }) => {
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
        Command::Variants(VariantsCommand::List { campaign, json }) => {
            let variants = app.list_variants(&campaign).await?;
            if json {
                print_json(&mut out, &variants);
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
                    print_problems(&mut out, app, v).await?;
                }
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
        Command::Accounts(AccountsCommand::Rename { id, name, json }) => {
            let a = app.rename_account(now, Actor::Cli, &id, &name).await?;
            if json {
                print_json(&mut out, &a);
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
        Command::Post(PostCommand::Check(_))
        | Command::Schedule(ScheduleCommand::Preview(_))
        | Command::Bench(_) => {
            unreachable!("handled before opening the data")
        }
        Command::Accounts(AccountsCommand::Connect {
            platform,
            name,
            pages,
            instagram,
            json,
        }) => {
            let platform = parse_platform(&platform)?;
            let accounts = if platform == reachloop_ipc::Platform::Sandbox {
                vec![app.connect_sandbox(now, &name).await?]
            } else {
                connect_by_browser(app, platform, pages, instagram).await?
            };
            if json {
                print_json(&mut out, &accounts);
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
        Command::Schedule(ScheduleCommand::Add(args)) => {
            let input = reachloop_ipc::NewSchedule {
                campaign_id: args.campaign,
                platform: args.platform,
                account_id: args.account,
                run_at: args.at,
                cron: args.cron,
                time_zone: args.tz,
                start_date: args.start,
                end_date: args.end,
                use_optimizer: args.optimizer,
                replace_slot: args.replace_slot,
            };
            let zone = reachloop::time::local_zone_name();
            let s = app.create_schedule(now, Actor::Cli, &input, &zone).await?;
            if args.json {
                print_json(&mut out, &s);
            } else {
                let _ = writeln!(
                    out,
                    "scheduled {} ({}, {}); next run {}",
                    s.id,
                    s.description,
                    s.time_zone,
                    s.next_run_at.as_deref().unwrap_or("none")
                );
            }
        }
        Command::Schedule(ScheduleCommand::List { campaign, json }) => {
            let list = app.list_schedules(campaign.as_deref()).await?;
            if json {
                print_json(&mut out, &list);
            } else if list.is_empty() {
                let _ = writeln!(
                    out,
                    "no schedules yet; add one with `reachloop-cli schedule add`"
                );
            } else {
                for s in &list {
                    let _ = writeln!(
                        out,
                        "{}  {:<8} {:<8} {:<40} {:<20} next {}",
                        s.id,
                        s.platform.as_str(),
                        if s.paused { "paused" } else { "active" },
                        s.description,
                        s.time_zone,
                        s.next_run_at.as_deref().unwrap_or("none")
                    );
                }
            }
        }
        Command::Agent {
            interval_secs,
            once,
            webhooks,
        } => {
            if let Some(addr) = webhooks {
                let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| {
                    Error::Validation(vec![reachloop_ipc::FieldError {
                        field: "webhooks".into(),
                        code: "cannot_listen".into(),
                        message: format!(
                            "Cannot listen for webhooks on {}: {e}",
                            reachloop::text::echo(&addr, 60)
                        ),
                    }])
                })?;
                let secrets = webhook_secrets(app).await;
                eprintln!("agent: listening for webhooks on {addr}");
                if let Ok(bound) = listener.local_addr() {
                    if !bound.ip().to_canonical().is_loopback() {
                        eprintln!(
                            "agent: warning: {bound} is not a loopback address, so anyone who \
                             can reach it talks to the listener without your https proxy; \
                             listen on 127.0.0.1 and let the proxy forward to it"
                        );
                    }
                }
                tokio::spawn(reachloop::webhooks::listener::serve(
                    listener,
                    app.store().clone(),
                    secrets,
                    reachloop::webhooks::listener::Limits::default(),
                ));
            }
            let holder = format!("agent-{}", uuid::Uuid::new_v4());
            let adapters = app.adapters(&OsKeychain::from_env());
            let sources = app.metrics_sources(&OsKeychain::from_env());
            let clock = chrono::Utc::now;
            // Listen for Ctrl-C (and SIGTERM) from the start, so a stop that
            // comes mid-round lets the round finish instead of killing it.
            let stop = std::sync::Arc::new(tokio::sync::Notify::new());
            let stopping = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            {
                let (stop, stopping) = (stop.clone(), stopping.clone());
                tokio::spawn(async move {
                    wait_for_stop_signal().await;
                    stopping.store(true, std::sync::atomic::Ordering::SeqCst);
                    stop.notify_one();
                });
            }
            tokio::task::yield_now().await;
            eprintln!(
                "agent: publishing from {} (Ctrl-C to stop)",
                app.data_dir().display()
            );
            loop {
                match app
                    .publishing_tick(&holder, "agent", &adapters, &clock)
                    .await
                {
                    Ok(Some(r)) => {
                        if r != reachloop::publish::Round::default() {
                            eprintln!(
                                "agent: published {}, verified {}, retried {}, failed {}, to verify {}, missed {}",
                                r.published, r.verified, r.retried, r.failed, r.to_verify, r.missed
                            );
                        }
                    }
                    Ok(None) => eprintln!("agent: {}", waiting_for(app, clock()).await),
                    // One bad round does not stop the agent.
                    Err(e) => eprintln!("agent: this round failed: {e}"),
                }
                match app.collecting_tick(&holder, &sources, &clock).await {
                    Ok(Some(c)) if c.snapshots + c.gone + c.deferred > 0 => eprintln!(
                        "agent: metrics of {} posts kept, {} gone, {} asked again later",
                        c.snapshots, c.gone, c.deferred
                    ),
                    Ok(_) => {}
                    Err(e) => eprintln!("agent: collecting metrics failed: {e}"),
                }
                if once || stopping.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(interval_secs.max(1))) => {}
                    _ = stop.notified() => break,
                }
            }
            app.stop_publishing(&holder).await?;
            eprintln!("agent: stopped");
        }
        Command::Schedule(ScheduleCommand::Plan) => {
            let added = app.plan_all(now).await?;
            let _ = writeln!(out, "{added}");
        }
        Command::Schedule(ScheduleCommand::Pause { id }) => {
            app.set_schedule_paused(now, Actor::Cli, &id, true).await?;
            let _ = writeln!(out, "paused {id}");
        }
        Command::Schedule(ScheduleCommand::Resume { id }) => {
            app.set_schedule_paused(now, Actor::Cli, &id, false).await?;
            let _ = writeln!(out, "resumed {id}");
        }
        Command::Posts(PostsCommand::Override {
            id,
            variant,
            at,
            skip,
            now: publish_now,
        }) => {
            use reachloop::store::PostOverride;
            let change = match (variant, at, skip, publish_now) {
                (Some(v), _, _, _) => PostOverride::Variant(v),
                (_, Some(t), _, _) => match chrono::DateTime::parse_from_rfc3339(t.trim()) {
                    Ok(t) => PostOverride::Move(t.with_timezone(&chrono::Utc)),
                    Err(_) => {
                        return Err(Error::Validation(vec![reachloop_ipc::FieldError {
                            field: "at".into(),
                            code: "invalid".into(),
                            message: format!(
                                "\"{}\" is not an RFC 3339 time, e.g. 2026-12-01T14:00:00+01:00.",
                                reachloop::text::echo(&t, 30)
                            ),
                        }]))
                    }
                },
                (_, _, true, _) => PostOverride::Skip,
                (_, _, _, true) => PostOverride::Move(now),
                _ => {
                    return Err(Error::Validation(vec![reachloop_ipc::FieldError {
                        field: "override".into(),
                        code: "required".into(),
                        message: "Say what to change: --variant ID, --at TIME, --skip or --now."
                            .into(),
                    }]))
                }
            };
            let post = app.override_post(now, Actor::Cli, &id, &change).await?;
            let _ = writeln!(out, "{} {} {}", post.id, post.scheduled_at, post.status);
        }
        Command::Posts(PostsCommand::List { status, json }) => {
            let posts = app.list_posts(status.as_deref()).await?;
            if json {
                print_json(&mut out, &posts);
            } else if posts.is_empty() {
                let _ = writeln!(out, "no posts");
            } else {
                for p in &posts {
                    let _ = writeln!(
                        out,
                        "{}  {}  {:<8} {:<19} {}",
                        p.id,
                        p.scheduled_at,
                        p.platform.as_str(),
                        p.status,
                        p.remote_url.as_deref().unwrap_or("")
                    );
                    for w in &p.warnings {
                        let _ = writeln!(out, "    warning: {w}");
                    }
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
    Ok(())
}

fn bench_calendar_seed(into: &std::path::Path, posts: u32) -> ExitCode {
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    let today = chrono::Utc::now().date_naive();
    match runtime.block_on(reachloop::app::bench::calendar_seed(into, posts, today)) {
        Ok(r) => {
            let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
            println!(
                "seeded {} posts this month (busiest day {}) in {:.1} s",
                r.posts,
                r.busiest_day,
                r.setup.as_secs_f64()
            );
            println!(
                "core read, month view (counts, 4 posts a day): {:.1} ms",
                ms(r.month)
            );
            println!(
                "core read, week view (20 posts a day): {:.1} ms",
                ms(r.week)
            );
            println!("core read, a day's page of 100: {:.1} ms", ms(r.day_page));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench_analytics(posts: u32, snapshots: u64) -> ExitCode {
    if posts == 0 || u64::from(posts) > snapshots {
        eprintln!("error: give at least one post, and at least one snapshot per post");
        return ExitCode::from(2);
    }
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    eprintln!(
        "setting up {posts} published posts, then {snapshots} snapshots (this takes a while)..."
    );
    let opts = reachloop::app::bench::BenchAnalytics { posts, snapshots };
    match runtime.block_on(reachloop::app::bench::analytics(opts)) {
        Ok(r) => {
            let secs = r.ingest.as_secs_f64().max(1e-9);
            println!("posts {}, snapshots {}", r.posts, r.snapshots);
            println!(
                "setup (publishing the posts): {:.1} s",
                r.setup.as_secs_f64()
            );
            println!(
                "ingest: {:.1} s, {:.0} snapshots/s",
                secs,
                r.snapshots as f64 / secs
            );
            for (name, t) in &r.refresh {
                println!(
                    "dashboard refresh, {name}: {:.1} ms",
                    t.as_secs_f64() * 1000.0
                );
            }
            println!(
                "CSV export of one campaign ({} lines): {:.1} ms",
                r.csv_rows,
                r.csv.as_secs_f64() * 1000.0
            );
            println!(
                "one post by age beside its campaign's others ({} posts, {} snapshots near the ages): {:.1} ms",
                r.post_peers,
                r.post_snapshots,
                r.post_by_age.as_secs_f64() * 1000.0
            );
            println!("its chart as PNG: {:.1} ms", r.png.as_secs_f64() * 1000.0);
            println!("database: {:.1} MiB", r.db_bytes as f64 / 1048576.0);
            if let Some(kib) = r.peak_rss_kib {
                println!("peak memory (RSS): {:.1} MiB", kib as f64 / 1024.0);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench_publish(posts: u32, accounts: u32, latency_ms: u64, rate_limit: &str) -> ExitCode {
    let usage = ExitCode::from(2);
    let parsed = rate_limit
        .split_once('/')
        .and_then(|(n, s)| Some((n.trim().parse::<u32>().ok()?, s.trim().parse::<i64>().ok()?)));
    let Some((n, secs)) = parsed.filter(|(n, s)| *n > 0 && *s > 0) else {
        eprintln!("error: --rate-limit is POSTS/SECONDS, e.g. 25/10");
        return usage;
    };
    if posts == 0 || accounts == 0 || accounts > posts {
        eprintln!("error: give at least one post per account");
        return usage;
    }
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    let opts = reachloop::app::bench::BenchPublish {
        posts,
        accounts,
        latency: std::time::Duration::from_millis(latency_ms),
        rate_limit: (n, chrono::Duration::seconds(secs)),
    };
    match runtime.block_on(reachloop::app::bench::publish(opts)) {
        Ok(r) => {
            let share = r.drain.as_secs_f64() / r.bound.as_secs_f64().max(1e-9);
            println!("posts {posts}, accounts {accounts}, latency {latency_ms} ms, rate limit {n} per {secs} s per account");
            println!(
                "claim {} due posts: {:.1} ms",
                posts,
                r.claim.as_secs_f64() * 1000.0
            );
            println!(
                "drain: {:.2} s (lower bound {:.2} s; {:.1} % of the bound)",
                r.drain.as_secs_f64(),
                r.bound.as_secs_f64(),
                share * 100.0
            );
            println!("published {}, duplicates {}", r.published, r.duplicates);
            if let Some(kib) = r.peak_rss_kib {
                println!("peak memory (RSS): {:.1} MiB", kib as f64 / 1024.0);
            }
            if r.duplicates == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C, or on Unix also SIGTERM (a service manager stopping the agent).
async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn schedule_preview(args: &PreviewArgs) -> ExitCode {
    let usage = ExitCode::from(2);
    let from = match &args.from {
        None => chrono::Utc::now(),
        Some(raw) => match chrono::DateTime::parse_from_rfc3339(raw.trim()) {
            Ok(t) => t.with_timezone(&chrono::Utc),
            Err(_) => {
                eprintln!(
                    "error: --from \"{}\" is not an RFC 3339 instant, e.g. 2026-12-01T09:00:00Z",
                    reachloop::text::echo(raw, 40)
                );
                return usage;
            }
        },
    };
    if !(1..=1000).contains(&args.count) {
        eprintln!("error: --count must be between 1 and 1000");
        return usage;
    }
    match reachloop::schedule::preview(&args.cron, &args.tz, from, args.count) {
        Ok(runs) => {
            let mut out = std::io::stdout().lock();
            for t in runs {
                let _ = writeln!(
                    out,
                    "{}",
                    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            usage
        }
    }
}

/// The most `post check` reads from stdin: far above the longest post any
/// platform takes (Facebook's 63,206 characters are at most 253 KB).
const POST_INPUT_MAX: usize = 1024 * 1024;

fn post_check(args: &CheckArgs) -> ExitCode {
    let usage = ExitCode::from(2);
    let platform = match reachloop_ipc::Platform::parse(&args.platform.trim().to_lowercase()) {
        Some(p) if p != reachloop_ipc::Platform::Sandbox => p,
        _ => {
            eprintln!(
                "error: unknown platform \"{}\"; use x, youtube, instagram, tiktok or facebook",
                reachloop::text::echo(&args.platform, 30)
            );
            return usage;
        }
    };
    let body = match read_post_stdin() {
        Ok(body) => body,
        Err(e) => {
            eprintln!("error: {e}");
            return usage;
        }
    };
    let body = body.as_str();
    let checked = reachloop::rules::check(&reachloop::rules::Post {
        platform,
        body,
        title: args.title.as_deref(),
        banned: &args.banned,
    });
    let mut out = std::io::stdout().lock();
    let text = serde_json::to_string(&checked).expect("ipc types always serialise");
    let _ = writeln!(out, "{text}");
    if checked.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A post's text from stdin: at most [`POST_INPUT_MAX`] bytes of UTF-8, a
/// single trailing newline (how shells end input) left out.
fn read_post_stdin() -> Result<String, String> {
    let mut bytes = Vec::new();
    let mut input = std::io::Read::take(std::io::stdin().lock(), POST_INPUT_MAX as u64 + 1);
    std::io::Read::read_to_end(&mut input, &mut bytes)
        .map_err(|e| format!("cannot read the post from stdin: {e}"))?;
    if bytes.len() > POST_INPUT_MAX {
        return Err(format!(
            "the post is longer than {} KiB; no platform takes a post that long",
            POST_INPUT_MAX / 1024
        ));
    }
    let body = String::from_utf8(bytes).map_err(|e| {
        format!(
            "the post is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok(
        match body
            .strip_suffix("\r\n")
            .or_else(|| body.strip_suffix('\n'))
        {
            Some(trimmed) => trimmed.to_string(),
            None => body,
        },
    )
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

/// A day (YYYY-MM-DD, in `zone`) as the instant it starts (`end`: the
/// instant the next day starts, so the day is included); anything else is
/// passed on as typed, for the core to check as an instant.
/// A chart's format from its file name's extension.
fn chart_format(path: &std::path::Path) -> Result<reachloop::app::analytics::ChartFormat, Error> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    reachloop::app::analytics::ChartFormat::parse(ext)
}

fn day_or_instant(v: &str, zone: &str, end: bool) -> String {
    let Ok(day) = chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d") else {
        return v.to_string();
    };
    let day = if end {
        day.succ_opt().unwrap_or(day)
    } else {
        day
    };
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    match day.and_hms_opt(0, 0, 0).map(|t| t.and_local_timezone(tz)) {
        Some(chrono::LocalResult::Single(t)) | Some(chrono::LocalResult::Ambiguous(t, _)) => {
            t.with_timezone(&chrono::Utc).to_rfc3339()
        }
        // Midnight skipped by a DST change: the day starts an hour later.
        _ => day
            .and_hms_opt(1, 0, 0)
            .and_then(|t| t.and_local_timezone(tz).earliest())
            .map(|t| t.with_timezone(&chrono::Utc).to_rfc3339())
            .unwrap_or_else(|| v.to_string()),
    }
}

/// What the webhook listener verifies with: the environment, else the
/// platform apps' secrets (the keychain).
async fn webhook_secrets(app: &App) -> reachloop::webhooks::listener::Secrets {
    use zeroize::Zeroizing;
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .map(Zeroizing::new)
    };
    let keys = OsKeychain::from_env();
    let secret_of = |platform| {
        let (app, keys) = (app.clone(), keys.clone());
        async move {
            app.platform_config(platform, &keys)
                .await
                .ok()
                .and_then(|c| c.credentials.client_secret)
        }
    };
    reachloop::webhooks::listener::Secrets {
        x_consumer_secret: env("REACHLOOP_X_CONSUMER_SECRET"),
        meta_app_secret: secret_of(reachloop_ipc::Platform::Facebook).await,
        meta_verify_token: env("REACHLOOP_META_VERIFY_TOKEN"),
        tiktok_client_secret: secret_of(reachloop_ipc::Platform::Tiktok).await,
    }
}

/// The runtime every command (and the agent) runs on: one thread, as the
/// app's background work needs no more; `None` after saying why it failed.
fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            None
        }
    }
}

/// A platform named on the command line.
fn parse_platform(name: &str) -> Result<reachloop_ipc::Platform, Error> {
    reachloop_ipc::Platform::parse(&name.trim().to_lowercase()).ok_or_else(|| {
        Error::Validation(vec![reachloop_ipc::FieldError {
            field: "platform".into(),
            code: "unknown_platform".into(),
            message: format!(
                "Unknown platform \"{}\": use x, youtube, facebook, instagram, tiktok or sandbox.",
                reachloop::text::echo(name, 20)
            ),
        }])
    })
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

/// Who holds the publisher lease the agent waits for, and until when.
async fn waiting_for(app: &App, now: chrono::DateTime<chrono::Utc>) -> String {
    match app.publisher_lease(now).await {
        Ok(Some(lease)) => {
            let who = match lease.kind.as_str() {
                "app" => format!("the Reachloop app ({})", lease.holder),
                _ => format!("another agent ({})", lease.holder),
            };
            let until = reachloop::time::from_db(&lease.until)
                .map(|t| {
                    t.with_timezone(&chrono::Local)
                        .format("%Y-%m-%d %H:%M:%S %Z")
                        .to_string()
                })
                .unwrap_or(lease.until);
            format!("{who} is publishing, its lease renewed until {until}; waiting (a holder that stops or crashes is taken over at once)")
        }
        Ok(None) => "another publisher is publishing; waiting".into(),
        Err(e) => format!("another publisher is publishing ({e}); waiting"),
    }
}
