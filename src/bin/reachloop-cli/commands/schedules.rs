//! `schedule`: preview a cadence (without the data), add, list, plan,
//! pause and resume schedules.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use reachloop::store::Actor;
use reachloop::{App, Error};

use crate::common::print_json;

#[derive(Subcommand)]
pub(crate) enum ScheduleCommand {
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
pub(crate) struct AddScheduleArgs {
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
    /// Let the optimizer choose each post's variant when it is published.
    #[arg(long)]
    optimizer: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub(crate) struct PreviewArgs {
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

pub(crate) fn schedule_preview(args: &PreviewArgs) -> ExitCode {
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

pub(crate) async fn run(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
    out: &mut impl Write,
    command: ScheduleCommand,
) -> Result<(), Error> {
    match command {
        ScheduleCommand::Add(args) => {
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
                print_json(out, &s);
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
        ScheduleCommand::List { campaign, json } => {
            let list = app.list_schedules(campaign.as_deref()).await?;
            if json {
                print_json(out, &list);
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
        ScheduleCommand::Preview(_) => {
            unreachable!("handled before opening the data")
        }
        ScheduleCommand::Plan => {
            let added = app.plan_all(now).await?;
            let _ = writeln!(out, "{added}");
        }
        ScheduleCommand::Pause { id } => {
            app.set_schedule_paused(now, Actor::Cli, &id, true).await?;
            let _ = writeln!(out, "paused {id}");
        }
        ScheduleCommand::Resume { id } => {
            app.set_schedule_paused(now, Actor::Cli, &id, false).await?;
            let _ = writeln!(out, "resumed {id}");
        }
    }
    Ok(())
}
