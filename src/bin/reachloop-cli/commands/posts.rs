//! `post check` (a post body against a platform's rules, without the
//! data) and `posts` (the posts schedules planned: override, list).

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use reachloop::store::Actor;
use reachloop::{App, Error};

use crate::common::{print_json, read_post_stdin};

#[derive(Subcommand)]
pub(crate) enum PostCommand {
    /// Read a post body on stdin and print one JSON object: platform, length
    /// (and weighted_length for X), limit, valid and problems (codes with
    /// messages). Exits 0 when the post is valid, 1 when it breaks a rule,
    /// 2 when the input cannot be read.
    Check(CheckArgs),
}

#[derive(Args)]
pub(crate) struct CheckArgs {
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
pub(crate) enum PostsCommand {
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

pub(crate) fn post_check(args: &CheckArgs) -> ExitCode {
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

pub(crate) async fn run(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
    out: &mut impl Write,
    command: PostsCommand,
) -> Result<(), Error> {
    match command {
        PostsCommand::Override {
            id,
            variant,
            at,
            skip,
            now: publish_now,
        } => {
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
        PostsCommand::List { status, json } => {
            let posts = app.list_posts(status.as_deref()).await?;
            if json {
                print_json(out, &posts);
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
    }
    Ok(())
}
