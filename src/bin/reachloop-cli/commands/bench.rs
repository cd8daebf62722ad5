//! `bench`: measure the publisher, Analytics and the Calendar's reads in a
//! throwaway data directory (without the user's data).

use std::process::ExitCode;

use clap::Subcommand;

use crate::common::runtime;

#[derive(Subcommand)]
pub(crate) enum BenchCommand {
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

/// Runs a bench; needs no data directory.
pub(crate) fn run(command: &BenchCommand) -> ExitCode {
    match command {
        BenchCommand::Publish {
            posts,
            accounts,
            latency_ms,
            rate_limit,
        } => bench_publish(*posts, *accounts, *latency_ms, rate_limit),
        BenchCommand::Analytics { posts, snapshots } => bench_analytics(*posts, *snapshots),
        BenchCommand::CalendarSeed { into, posts } => bench_calendar_seed(into, *posts),
    }
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
