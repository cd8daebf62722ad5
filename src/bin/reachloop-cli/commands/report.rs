//! `report`: a campaign's figures as CSV, the Analytics chart, a post by age.

use std::io::Write;

use clap::Subcommand;
use reachloop::{App, Error};

use crate::common::print_json;

#[derive(Subcommand)]
pub(crate) enum ReportCommand {
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

pub(crate) async fn run(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
    out: &mut impl Write,
    command: ReportCommand,
) -> Result<(), Error> {
    match command {
        ReportCommand::Csv { campaign, from, to } => {
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
        ReportCommand::Chart {
            out: path,
            campaign,
            account,
            platforms,
            from,
            to,
        } => {
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
        ReportCommand::Post { id, chart, json } => {
            let format = chart.as_deref().map(chart_format).transpose()?;
            let history = app.post_history(&id, now).await?;
            if let (Some(path), Some(format)) = (&chart, format) {
                let bytes = format.encode(history.chart_svg.clone())?;
                reachloop::app::analytics::save_bytes(path, &bytes)?;
            }
            if json {
                print_json(out, &history);
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
    }
    Ok(())
}

/// A chart's format from its file name's extension.
fn chart_format(path: &std::path::Path) -> Result<reachloop::app::analytics::ChartFormat, Error> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    reachloop::app::analytics::ChartFormat::parse(ext)
}

/// A day (YYYY-MM-DD, in `zone`) as the instant it starts (`end`: the
/// instant the next day starts, so the day is included); anything else is
/// passed on as typed, for the core to check as an instant.
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
