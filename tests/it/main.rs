//! Integration tests of the core against real SQLite files, the real OS
//! keychain and the real CLI binary. One binary, so linking happens once.

mod analytics;
mod calendar;
mod campaigns;
mod cli;
mod fakes;
mod fault;
mod generate;
mod interleavings;
mod lease;
mod media;
mod meta;
mod metrics;
mod names;
mod oauth;
mod optimizer;
mod publishing;
mod relay;
mod schedules;
mod secrets;
mod store;
mod untrusted;
mod webhooks;
mod x;

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};

/// A fixed instant, so tests do not depend on the clock.
pub fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, h, m, 0)
        .single()
        .expect("valid instant")
}

/// A fresh data directory that disappears with the test.
pub fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("reachloop-it-")
        .tempdir()
        .expect("temp dir")
}

pub fn db_path(dir: &Path) -> std::path::PathBuf {
    dir.join(reachloop::paths::DATABASE_FILE)
}

/// A keychain entry of the test's own, removed afterwards.
/// A keychain entry of the test's own: the keychain and its service name
/// (for a `reachloop-cli` the test runs, as `REACHLOOP_KEYCHAIN_SERVICE`).
pub struct TestKeychain(pub reachloop::secrets::OsKeychain, pub String);

impl TestKeychain {
    pub fn new(name: &str) -> TestKeychain {
        let service = format!("dev.reachloop.test.{name}.{}", uuid::Uuid::new_v4());
        TestKeychain(reachloop::secrets::OsKeychain::new(&service), service)
    }
}

impl Drop for TestKeychain {
    fn drop(&mut self) {
        let _ = self.0.delete();
    }
}

/// A data directory with an app whose vault is unlocked in a keychain of
/// the test's own.
pub async fn unlocked_app(
    name: &str,
) -> (
    tempfile::TempDir,
    TestKeychain,
    reachloop::App,
    reachloop::secrets::Vault,
) {
    let dir = data_dir();
    let keys = TestKeychain::new(name);
    let app = reachloop::App::open(dir.path()).await.expect("open");
    let vault = app
        .unlock_vault(at(8, 0), &keys.0, &mut rand::rngs::OsRng)
        .await
        .unwrap_or_else(|e| {
            panic!("this test needs a Secret Service; run it through `cargo xtask test`: {e}")
        });
    (dir, keys, app, vault)
}

/// An HTTP client that, like the app's, never follows redirects.
pub fn no_redirect_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(2))
        .build()
        .expect("client")
}

/// Plays the browser: opens a consent page and returns where it redirects.
pub async fn follow_consent(browser: &reqwest::Client, begun: &reachloop::oauth::Begun) -> String {
    let response = browser
        .get(begun.authorize_url.clone())
        .send()
        .await
        .expect("consent page");
    assert!(
        response.status().is_redirection(),
        "consent answered {}",
        response.status()
    );
    response.headers()["location"]
        .to_str()
        .expect("location")
        .to_string()
}

/// A post the publisher has not finished with.
pub fn is_open(p: &reachloop_ipc::ScheduledPost) -> bool {
    matches!(
        p.status.as_str(),
        "scheduled" | "publishing" | "needs_verification"
    )
}

/// Waits up to `secs` until no post is open; returns those still open.
pub async fn wait_settled(app: &reachloop::App, secs: u64) -> Vec<reachloop_ipc::ScheduledPost> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let open: Vec<_> = app
            .list_posts(None)
            .await
            .expect("posts")
            .into_iter()
            .filter(is_open)
            .collect();
        if open.is_empty() || std::time::Instant::now() > deadline {
            return open;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

/// An active campaign on the Sandbox with one hand-written variant per
/// body: what the publishing tests publish. Returns its id.
pub async fn active_sandbox_campaign(
    app: &reachloop::App,
    now: DateTime<Utc>,
    name: &str,
    bodies: &[&str],
) -> String {
    active_campaign(app, now, name, reachloop_ipc::Platform::Sandbox, bodies)
        .await
        .0
}

/// An active campaign on `platform` with one hand-written variant per body:
/// its id and the variants' ids.
pub async fn active_campaign(
    app: &reachloop::App,
    now: DateTime<Utc>,
    name: &str,
    platform: reachloop_ipc::Platform,
    bodies: &[&str],
) -> (String, Vec<String>) {
    active_campaign_for(app, now, name, platform, "reach", bodies).await
}

/// [`active_campaign`] with a goal (reach, engagement or ctr).
pub async fn active_campaign_for(
    app: &reachloop::App,
    now: DateTime<Utc>,
    name: &str,
    platform: reachloop_ipc::Platform,
    goal: &str,
    bodies: &[&str],
) -> (String, Vec<String>) {
    use reachloop::store::Actor;
    use reachloop_ipc::{CampaignStatus, NewCampaign, VariantText};
    let c = app
        .create_campaign(
            now,
            uuid::Uuid::new_v4(),
            Actor::User,
            &NewCampaign {
                name: name.into(),
                platforms: vec![platform.as_str().into()],
                goal: goal.into(),
                ..Default::default()
            },
        )
        .await
        .expect("campaign");
    let mut variants = Vec::new();
    for body in bodies {
        variants.push(
            app.add_variant(
                now,
                &c.id,
                platform,
                &VariantText {
                    title: None,
                    body: (*body).into(),
                },
                Actor::User,
            )
            .await
            .expect("variant")
            .id,
        );
    }
    app.set_campaign_status(now, &c.id, Actor::User, CampaignStatus::Active)
        .await
        .expect("activate");
    (c.id, variants)
}
