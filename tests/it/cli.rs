//! The `reachloop-cli` binary, run as a user would.

use std::path::Path;
use std::process::{Command, Output};

use reachloop::store::Actor;
use reachloop::App;
use reachloop_ipc::{Campaign, NewCampaign};

use crate::{at, data_dir};

pub fn cli(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
        .env("REACHLOOP_DATA_DIR", data_dir)
        .args(args)
        .output()
        .expect("run reachloop-cli")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn prints_its_version() {
    let dir = data_dir();
    let out = cli(dir.path(), &["--version"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        format!("reachloop-cli {}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn lists_campaigns_the_app_created_as_json() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let input = NewCampaign {
        name: "Black Friday".into(),
        prompt: "Tease the sale".into(),
        platforms: vec!["tiktok".into(), "youtube".into()],
        goal: "reach".into(),
        ..Default::default()
    };
    let created = app
        .create_campaign(at(8, 30), uuid::Uuid::new_v4(), Actor::User, &input)
        .await
        .expect("create");

    let out = cli(dir.path(), &["campaigns", "list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed: Vec<Campaign> =
        serde_json::from_str(&stdout(&out)).expect("JSON list of campaigns");
    assert_eq!(listed, vec![created]);
}

#[test]
fn creates_with_the_same_rules_and_explains_bad_input() {
    let dir = data_dir();
    let bad = cli(
        dir.path(),
        &[
            "campaigns",
            "create",
            "--name",
            " ",
            "--platform",
            "myspace",
            "--goal",
            "reach",
        ],
    );
    assert!(!bad.status.success());
    let err = stderr(&bad);
    assert!(
        err.contains("name: Give the campaign a name. [required]"),
        "{err}"
    );
    assert!(err.contains("[unknown_platform]"), "{err}");

    let ok = cli(
        dir.path(),
        &[
            "campaigns",
            "create",
            "--name",
            "Launch",
            "--platform",
            "x",
            "--goal",
            "ctr",
            "--json",
        ],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    let created: Campaign = serde_json::from_str(&stdout(&ok)).expect("JSON campaign");
    let listed: Vec<Campaign> =
        serde_json::from_str(&stdout(&cli(dir.path(), &["campaigns", "list", "--json"])))
            .expect("JSON list");
    assert_eq!(listed, vec![created]);
    let table = stdout(&cli(dir.path(), &["campaigns", "list"]));
    assert!(
        table.contains("Launch") && table.contains("draft"),
        "{table}"
    );
}

#[test]
fn an_unusable_data_dir_is_a_clear_error() {
    let dir = data_dir();
    let file = dir.path().join("file");
    std::fs::write(&file, b"").expect("write");
    let out = cli(&file, &["campaigns", "list", "--json"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cannot create the data directory"),
        "{}",
        stderr(&out)
    );
}

/// `post check` with `body` on stdin.
fn post_check(args: &[&str], body: &[u8]) -> Output {
    // No data directory is touched: point it somewhere that cannot exist.
    let nowhere = Path::new("/nonexistent/reachloop-cli-test");
    cli_with_stdin(nowhere, &[&["post", "check"], args].concat(), body)
}

#[test]
fn post_check_prints_one_json_object_per_the_platforms_rules() {
    let out = post_check(&["--platform", "x"], "Hi http://test.co 日本\n".as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    assert_eq!(v["platform"], "x");
    assert_eq!(
        v["weighted_length"], 31,
        "'Hi ' 3 + URL 23 + ' ' 1 + two CJK 4; the newline ends the input"
    );
    assert_eq!(v["limit"], 280);
    assert_eq!(v["valid"], true);
    assert_eq!(v["problems"], serde_json::json!([]));

    let long = "a".repeat(2201);
    let out = post_check(
        &["--platform", "instagram", "--banned", "cheap"],
        format!("{long} CHEAP").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("json");
    let codes: Vec<&str> = v["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes, ["too_long", "banned_word"]);
    assert!(
        v.get("weighted_length").is_none(),
        "only X has a weighted length"
    );

    let out = post_check(
        &["--platform", "youtube", "--title", "Launch <day>"],
        b"Watch this",
    );
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("json");
    assert_eq!(v["title_length"], 12);
    assert_eq!(v["problems"][0]["code"], "invalid_character");
    assert_eq!(v["problems"][0]["field"], "title");
}

#[test]
fn post_check_explains_bad_input() {
    let out = post_check(&["--platform", "myspace"], b"hi");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown platform \"myspace\""),
        "{}",
        stderr(&out)
    );
    let out = post_check(&["--platform", "tiktok"], b"caf\xe9");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not UTF-8 text (invalid byte at offset 3)"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn post_check_refuses_endless_input_with_a_clear_message() {
    // Far more than any platform's limit (once: read until memory ran out).
    let huge = vec![b'a'; 1024 * 1024 + 1];
    let out = post_check(&["--platform", "x"], &huge);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("longer than 1024 KiB"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
    // 100,000 letters without a space: counted at once, not quadratically.
    let long = "a".repeat(100_000);
    let out = post_check(&["--platform", "x"], long.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("json");
    assert_eq!(v["weighted_length"], 100_000);
}

#[test]
fn create_errors_are_printed_once_safely_and_briefly() {
    let dir = data_dir();
    let mut args: Vec<String> = [
        "campaigns",
        "create",
        "--name",
        "\u{200b}\u{200b}",
        "--goal",
        "CTR",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // An escape sequence, then a flood of unknown platforms.
    args.extend(["--platform".into(), "\u{1b}[31mred".into()]);
    for i in 0..2_000 {
        args.extend(["--platform".into(), format!("p{i}")]);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = cli(dir.path(), &refs);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(!err.contains('\u{1b}'), "no raw escape codes: {err:?}");
    assert!(err.contains("\\u{001B}[31mred"), "{err}");
    assert!(
        err.len() < 1_000,
        "a short message, not a flood: {} bytes",
        err.len()
    );
    assert!(err.contains("and 1998 more"), "{err}");
    // Each problem once: the name (invisible only) and the platforms.
    assert_eq!(err.matches("[unknown_platform]").count(), 1, "{err}");
    assert_eq!(err.matches("only invisible characters").count(), 1, "{err}");
    // "CTR" is a goal, in any case.
    assert!(!err.contains("goal"), "{err}");
    let ok = cli(
        dir.path(),
        &[
            "campaigns",
            "create",
            "--name",
            "Spring",
            "--platform",
            "X",
            "--goal",
            "CTR",
        ],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
}

#[test]
fn backup_writes_a_database_that_opens_on_its_own() {
    let dir = data_dir();
    let made = cli(
        dir.path(),
        &[
            "campaigns",
            "create",
            "--name",
            "Saved",
            "--platform",
            "x",
            "--goal",
            "reach",
        ],
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let target = dir.path().join("backup.sqlite3");
    let out = cli(dir.path(), &["backup", target.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let restored = data_dir();
    std::fs::copy(&target, crate::db_path(restored.path())).expect("copy");
    let listed = stdout(&cli(restored.path(), &["campaigns", "list", "--json"]));
    assert!(listed.contains("\"Saved\""), "{listed}");
    let again = cli(dir.path(), &["backup", target.to_str().expect("utf-8")]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn schedule_preview_prints_utc_runs_and_names_a_bad_field() {
    let out = Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
        .env("REACHLOOP_DATA_DIR", "/nonexistent/reachloop-cli-test")
        .args([
            "schedule",
            "preview",
            "--cron",
            "30 2 * * *",
            "--tz",
            "America/New_York",
            "--from",
            "2026-03-07T00:00:00Z",
            "--count",
            "3",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // 02:30 does not exist on 2026-03-08: it runs at 03:00 EDT.
    assert_eq!(
        stdout(&out),
        "2026-03-07T07:30:00Z\n2026-03-08T07:00:00Z\n2026-03-09T06:30:00Z\n"
    );
    for (args, says) in [
        (vec!["--cron", "0 25 * * *"], "hour field \"25\""),
        (vec!["--cron", "0 14 * *"], "5 fields"),
        (
            vec!["--cron", "0 14 * * 1", "--tz", "Mars/Base"],
            "\"Mars/Base\" is not a time zone",
        ),
        (
            vec!["--cron", "0 14 * * 1", "--from", "yesterday"],
            "--from \"yesterday\"",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
            .env("REACHLOOP_DATA_DIR", "/nonexistent/reachloop-cli-test")
            .args(["schedule", "preview"])
            .args(&args)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
}

/// `reachloop-cli` on `data_dir` with `input` on stdin.
/// `schedule add --at` takes a wall time without offset read in `--tz`
/// (the computer here is in New York, the schedule in Berlin) as well as an
/// RFC 3339 instant, says the time back in the schedule's zone, and names
/// an unreadable time with the form to write it in.
#[test]
fn a_one_off_wall_time_is_read_in_the_schedules_zone() {
    let dir = data_dir();
    let d = dir.path();
    let campaign = json_of(&cli(
        d,
        &[
            "campaigns",
            "create",
            "--name",
            "Zones",
            "--platform",
            "sandbox",
            "--goal",
            "reach",
            "--json",
        ],
    ))["id"]
        .as_str()
        .expect("campaign id")
        .to_string();
    let account = json_of(&cli(
        d,
        &[
            "accounts", "connect", "sandbox", "--name", "Zones", "--json",
        ],
    ))[0]["id"]
        .as_str()
        .expect("account id")
        .to_string();
    let day = (chrono::Utc::now() + chrono::Duration::days(3)).date_naive();
    let add = |at: &str| {
        Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
            .env("REACHLOOP_DATA_DIR", d)
            .env("TZ", "America/New_York")
            .args([
                "schedule",
                "add",
                "--campaign",
                &campaign,
                "--platform",
                "sandbox",
                "--account",
                &account,
                "--at",
                at,
                "--tz",
                "Europe/Berlin",
            ])
            .output()
            .expect("run")
    };
    let out = add(&format!("{day}T09:10"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("09:10 CET"), "{}", stdout(&out));
    let out = add(&format!("{day}T09:20:00+01:00"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("09:20 CET"), "{}", stdout(&out));
    let out = add("tomorrow at nine");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("2026-12-10 09:10"),
        "{}",
        stderr(&out)
    );
    let posts = json_of(&cli(d, &["posts", "list", "--json"]));
    let mut times: Vec<&str> = posts
        .as_array()
        .expect("posts")
        .iter()
        .filter_map(|p| p["scheduled_at"].as_str())
        .collect();
    times.sort();
    assert_eq!(
        times,
        [
            format!("{day}T08:10:00.000Z"),
            format!("{day}T08:20:00.000Z")
        ],
        "posts at 08:10 and 08:20 UTC"
    );
}

fn cli_with_stdin(data_dir: &Path, args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
        .env("REACHLOOP_DATA_DIR", data_dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run reachloop-cli");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("reachloop-cli ends")
}

/// A successful run's JSON on stdout.
pub fn json_of(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// A user with only a shell: campaign, variants, activation, a Sandbox
/// account, a schedule, and the agent publishing, all through
/// `reachloop-cli`, no window and no code.
#[test]
fn the_whole_loop_runs_headless_from_the_cli() {
    let dir = data_dir();
    let d = dir.path();
    let campaign = json_of(&cli(
        d,
        &[
            "campaigns",
            "create",
            "--name",
            "Headless",
            "--platform",
            "sandbox",
            "--goal",
            "reach",
            "--json",
        ],
    ));
    let id = campaign["id"].as_str().expect("campaign id").to_string();
    assert_eq!(campaign["status"], "draft");

    json_of(&cli(
        d,
        &[
            "variants",
            "add",
            "--campaign",
            &id,
            "--platform",
            "sandbox",
            "--body",
            "First, from the shell",
            "--json",
        ],
    ));
    // The text may come on stdin, with the shell's newline left out.
    let second = json_of(&cli_with_stdin(
        d,
        &[
            "variants",
            "add",
            "--campaign",
            &id,
            "--platform",
            "sandbox",
            "--json",
        ],
        b"Second, piped in\n",
    ));
    assert_eq!(second["body"], "Second, piped in");
    let listed = json_of(&cli(d, &["variants", "list", "--campaign", &id, "--json"]));
    let bodies: Vec<_> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v["body"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    assert!(bodies.contains(&"First, from the shell".to_string()));
    let table = cli(d, &["variants", "list", "--campaign", &id]);
    assert!(
        stdout(&table).contains("Second, piped in"),
        "{}",
        stdout(&table)
    );

    // Bad input is named, and nothing is written.
    let refused = |args: &[&str], says: &str| {
        let out = cli(d, args);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    };
    let add = [
        "variants",
        "add",
        "--campaign",
        &id,
        "--body",
        "x",
        "--platform",
    ];
    refused(
        &[&add[..], &["myspace"]].concat(),
        "Unknown platform \"myspace\"",
    );
    refused(&[&add[..], &["x"]].concat(), "does not target X");
    refused(
        &["campaigns", "status", &id, "live"],
        "Unknown status \"live\"",
    );
    let still = json_of(&cli(d, &["variants", "list", "--campaign", &id, "--json"]));
    assert_eq!(still.as_array().map(Vec::len), Some(2));

    let active = json_of(&cli(d, &["campaigns", "status", &id, "active", "--json"]));
    assert_eq!(active["status"], "active");
    let accounts = json_of(&cli(
        d,
        &[
            "accounts",
            "connect",
            "sandbox",
            "--name",
            "Shell shop",
            "--json",
        ],
    ));
    let account = accounts[0]["id"].as_str().expect("account id").to_string();
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    json_of(&cli(
        d,
        &[
            "schedule",
            "add",
            "--campaign",
            &id,
            "--platform",
            "sandbox",
            "--account",
            &account,
            "--at",
            &at,
            "--tz",
            "Europe/Berlin",
            "--json",
        ],
    ));
    let planned = json_of(&cli(
        d,
        &["posts", "list", "--status", "scheduled", "--json"],
    ));
    assert_eq!(planned.as_array().map(Vec::len), Some(1), "{planned}");

    std::thread::sleep(std::time::Duration::from_secs(3));
    let agent = Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
        .env("REACHLOOP_DATA_DIR", d)
        .env("REACHLOOP_SANDBOX_FAILURE_RATE", "0")
        .args(["agent", "--once"])
        .output()
        .expect("run the agent");
    assert!(agent.status.success(), "{}", stderr(&agent));
    let published = json_of(&cli(
        d,
        &["posts", "list", "--status", "published", "--json"],
    ));
    let published = published.as_array().expect("a list");
    assert_eq!(published.len(), 1, "{}", stderr(&agent));
    assert!(published[0]["remote_url"]
        .as_str()
        .is_some_and(|u| u.starts_with("sandbox://posts/")));

    // The report: a row for the variant that went out, its platform and the
    // total; not polled yet, so its metrics are empty cells, not zeros.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let report = cli(d, &["report", "csv", "--campaign", &id, "--to", &today]);
    assert!(report.status.success(), "{}", stderr(&report));
    let mut rows = csv::Reader::from_reader(report.stdout.as_slice());
    assert_eq!(
        rows.headers().expect("header").iter().collect::<Vec<_>>(),
        reachloop::analytics::report::columns()
    );
    let rows: Vec<csv::StringRecord> = rows.records().map(|r| r.expect("row")).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(
        kinds,
        ["variant", "platform", "total"],
        "{}",
        stdout(&report)
    );
    assert_eq!(
        (&rows[0][1], &rows[0][4], &rows[0][5]),
        ("sandbox", "1", "")
    );
    assert!(rows[0][3].ends_with("from the shell") || rows[0][3].ends_with("piped in"));
    assert_eq!(&rows[2][4], "1");
    refused(
        &["report", "csv", "--campaign", &id, "--from", "2026-13-01"],
        "\"2026-13-01\" is not a time",
    );
    refused(&["report", "csv", "--campaign", "nope"], "no longer exists");
}

#[test]
fn the_agent_says_when_it_cannot_listen_for_webhooks() {
    let dir = data_dir();
    let out = cli(
        dir.path(),
        &["agent", "--once", "--webhooks", "not-an-address"],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("Cannot listen for webhooks on not-an-address"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_agent_recommends_a_loopback_address_for_webhooks_and_warns_about_others() {
    let dir = data_dir();
    let help = cli(dir.path(), &["agent", "--help"]);
    assert!(help.status.success(), "{}", stderr(&help));
    let help = stdout(&help);
    assert!(help.contains("127.0.0.1:8443"), "{help}");
    assert!(!help.contains("0.0.0.0"), "{help}");

    let warning = "is not a loopback address";
    let loopback = cli(
        dir.path(),
        &["agent", "--once", "--webhooks", "127.0.0.1:0"],
    );
    assert!(loopback.status.success(), "{}", stderr(&loopback));
    assert!(
        !stderr(&loopback).contains(warning),
        "{}",
        stderr(&loopback)
    );
    // Every interface: bound for the one round the agent runs, and warned
    // about (nothing is sent to it).
    let everywhere = cli(dir.path(), &["agent", "--once", "--webhooks", "0.0.0.0:0"]);
    assert!(everywhere.status.success(), "{}", stderr(&everywhere));
    assert!(
        stderr(&everywhere).contains("agent: warning: 0.0.0.0:")
            && stderr(&everywhere).contains(warning),
        "{}",
        stderr(&everywhere)
    );
}

#[tokio::test]
async fn a_waiting_agent_says_who_publishes_and_until_when() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let now = chrono::Utc::now();
    assert!(app
        .store()
        .take_publisher_lease(now, "app-window-1", "app", chrono::Duration::minutes(30))
        .await
        .expect("lease"));
    app.store().clone().close().await;
    let out = Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
        .env("REACHLOOP_DATA_DIR", dir.path())
        .args(["agent", "--once"])
        .output()
        .expect("run the agent");
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("the Reachloop app (app-window-1) is publishing, its lease renewed until"),
        "{said}"
    );
    let until = (now + chrono::Duration::minutes(30))
        .with_timezone(&chrono::Local)
        .format("%H:%M")
        .to_string();
    assert!(said.contains(&until), "{said}");
}

/// The CLI sets a campaign's brand constraints as the window does, on
/// create and afterwards, names a bad choice, and activating a campaign
/// names the variants the publisher will not pick.
#[test]
fn brand_constraints_are_set_from_the_cli_and_activation_names_rule_breakers() {
    let dir = data_dir();
    let d = dir.path();
    let c = json_of(&cli(
        d,
        &[
            "campaigns",
            "create",
            "--name",
            "Brand",
            "--platform",
            "sandbox",
            "--goal",
            "reach",
            "--banned",
            "cheap",
            "--tone",
            "warm",
            "--json",
        ],
    ));
    let id = c["id"].as_str().expect("id").to_string();
    assert_eq!(c["brand"]["banned_words"], serde_json::json!(["cheap"]));
    assert_eq!(c["brand"]["tone"], "warm");
    let changed = json_of(&cli(
        d,
        &[
            "campaigns",
            "brand",
            &id,
            "--banned",
            "discount",
            "--length",
            "short",
            "--media",
            "text_only",
            "--json",
        ],
    ));
    assert_eq!(
        changed["brand"]["banned_words"],
        serde_json::json!(["cheap", "discount"])
    );
    assert_eq!(changed["brand"]["length"], "short");
    assert_eq!(changed["brand"]["tone"], "warm", "kept");
    let bad = cli(d, &["campaigns", "brand", &id, "--length", "huge"]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("\"huge\" is not a length preference"),
        "{}",
        stderr(&bad)
    );
    let cleared = json_of(&cli(
        d,
        &[
            "campaigns",
            "brand",
            &id,
            "--clear-banned",
            "--banned",
            "cheap",
            "--json",
        ],
    ));
    assert_eq!(
        cleared["brand"]["banned_words"],
        serde_json::json!(["cheap"])
    );

    cli(
        d,
        &[
            "variants",
            "add",
            "--campaign",
            &id,
            "--platform",
            "sandbox",
            "--body",
            "Cheap bread today",
        ],
    );
    let active = cli(d, &["campaigns", "status", &id, "active"]);
    assert!(active.status.success(), "{}", stderr(&active));
    let warned = stderr(&active);
    assert!(
        warned.contains("Cheap bread today") && warned.contains("banned"),
        "{warned}"
    );
    assert!(warned.contains("will be held"), "{warned}");
}
