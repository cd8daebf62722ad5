//! What the user reads instead of ids: accounts by a name they can change
//! (never two of a platform with the same one), and the audit log's
//! entries by campaign, post time, variant and account.

use chrono::Utc;
use reachloop::store::Actor;
use reachloop::App;
use reachloop_ipc::{NewSchedule, PostChange};

use crate::data_dir;

fn refused(r: Result<reachloop_ipc::Account, reachloop::Error>) -> String {
    match r {
        Err(reachloop::Error::Validation(f)) => {
            assert_eq!((f[0].field.as_str(), f[0].code.as_str()), ("name", "taken"));
            f[0].message.clone()
        }
        other => panic!("not refused: {other:?}"),
    }
}

#[tokio::test]
async fn two_sandbox_accounts_never_share_a_name_and_any_account_can_be_renamed() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let now = Utc::now();
    let first = app.connect_sandbox(now, "").await.expect("first");
    let second = app.connect_sandbox(now, "").await.expect("second");
    assert_eq!(
        (first.name.as_str(), first.handle.as_str()),
        ("Sandbox", "@sandbox")
    );
    assert_eq!(
        (second.name.as_str(), second.handle.as_str()),
        ("Sandbox 2", "@sandbox_2")
    );
    // The same name again, in other letters, is refused and says which.
    let said = refused(app.connect_sandbox(now, "SANDBOX").await);
    assert!(
        said.contains("@sandbox") && said.contains("another name"),
        "{said}"
    );

    // Renamed: the new name shows everywhere the account is listed.
    let renamed = app
        .rename_account(now, Actor::User, &second.id, "  Bakery test  ")
        .await
        .expect("rename");
    assert_eq!(renamed.name, "Bakery test");
    assert_eq!(renamed.handle, "@sandbox_2", "the platform's handle stays");
    let listed = app.store().list_accounts().await.expect("list");
    assert!(listed
        .iter()
        .any(|a| a.id == second.id && a.name == "Bakery test"));
    // Another's name is refused; the account keeps its own.
    refused(
        app.rename_account(now, Actor::User, &second.id, "sandbox")
            .await,
    );
    for bad in ["\u{7}", &"x".repeat(61)] {
        assert!(matches!(
            app.rename_account(now, Actor::User, &second.id, bad).await,
            Err(reachloop::Error::Validation(_))
        ));
    }
    // Empty: the platform's display name again.
    let back = app
        .rename_account(now, Actor::User, &second.id, "")
        .await
        .expect("unname");
    assert_eq!(back.name, "Sandbox 2");
    assert!(app
        .rename_account(now, Actor::User, "no-such-account", "X")
        .await
        .is_err());

    // The CLI renames the same way.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
        .env("REACHLOOP_DATA_DIR", dir.path())
        .args(["accounts", "rename", &first.id, "Shop front", "--json"])
        .output()
        .expect("cli");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(a["name"], "Shop front");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reachloop-cli"))
        .env("REACHLOOP_DATA_DIR", dir.path())
        .args(["accounts", "rename", &second.id, "shop FRONT"])
        .output()
        .expect("cli");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already called"));
}

#[tokio::test]
async fn activity_names_the_campaign_the_post_the_variant_and_the_account() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let now = Utc::now();
    let account = app.connect_sandbox(now, "Bakery").await.expect("sandbox");
    let (campaign, variants) = crate::active_campaign(
        &app,
        now,
        "Winter loaves",
        reachloop_ipc::Platform::Sandbox,
        &["Rye and spelt, warm from the oven at seven every morning this week"],
    )
    .await;
    app.create_schedule(
        now,
        Actor::User,
        &NewSchedule {
            campaign_id: campaign.clone(),
            platform: "sandbox".into(),
            account_id: account.id.clone(),
            run_at: Some((now + chrono::Duration::days(2)).to_rfc3339()),
            time_zone: "UTC".into(),
            ..NewSchedule::default()
        },
        "UTC",
    )
    .await
    .expect("schedule");
    let post = app.list_posts(Some("scheduled")).await.expect("posts")[0].clone();
    app.change_post(
        now,
        Actor::User,
        &PostChange {
            post_id: post.id.clone(),
            action: "variant".into(),
            variant_id: Some(variants[0].clone()),
            ..PostChange::default()
        },
    )
    .await
    .expect("pick");
    let log = app.recent_audit(20).await.expect("audit");
    let picked = log
        .iter()
        .find(|e| e.action == "post.overridden")
        .unwrap_or_else(|| panic!("no override entry: {log:?}"));
    let about = &picked.about;
    assert_eq!(about.campaign.as_deref(), Some("Winter loaves"));
    assert_eq!(about.post_id.as_deref(), Some(post.id.as_str()));
    assert_eq!(about.post_at.as_deref(), Some(post.scheduled_at.as_str()));
    assert_eq!(about.platform, Some(reachloop_ipc::Platform::Sandbox));
    assert_eq!(
        about.variant.as_deref(),
        Some("Rye and spelt, warm from the oven at…")
    );
    assert_eq!(about.account.as_deref(), Some("Bakery (@bakery)"));
    // The campaign's own entries name it too.
    assert!(log.iter().filter(|e| e.entity_type == "campaign").all(|e| e
        .about
        .campaign
        .as_deref()
        == Some("Winter loaves")));
}
