//! The `reachloop-cli` binary, run as a user would.

use std::path::Path;
use std::process::{Command, Output};

use reachloop::store::Actor;
use reachloop::App;
use reachloop_ipc::{Campaign, NewCampaign};

use crate::{at, data_dir};

fn cli(data_dir: &Path, args: &[&str]) -> Output {
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
