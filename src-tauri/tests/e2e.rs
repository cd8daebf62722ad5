//! End-to-end: the real app window, driven through tauri-driver and
//! WebKitWebDriver. Run through `cargo xtask test`, which provides Xvfb, a
//! private D-Bus session and an unlocked gnome-keyring.
//!
//! Journeys: submit an empty name and see the error beside the field; create
//! a campaign through the form and see it listed; restart the app and see it
//! again; launch a second instance and see it hand over; read the audit log.
//! Connect X through the loopback listener and disconnect it. Connect
//! Facebook Pages through the relay page and a `reachloop://` deep link,
//! picking Pages and a linked Instagram account. A new user's first hour:
//! fixing a name after a failed submit keeps focus in the name; Generate
//! without an AI endpoint points to Settings → AI and leaves no job; a second
//! hand-written variant (or saving another) keeps the first one's text.
//! Screenshots of each step go to `$REACHLOOP_E2E_ARTIFACTS` (`target/e2e/`).

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    /// Stops tauri-driver, WebKitWebDriver and the app together (they share
    /// a process group), also when a test panics: a leftover app would take
    /// the next test's launch over (single instance) and hang it.
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn start_driver(data_dir: &std::path::Path, env: &[(&str, String)]) -> Driver {
    start_driver_with(data_dir, env, Stdio::inherit())
}

/// The same, with the app's (and the drivers') log output in `log`.
fn start_driver_logged(
    data_dir: &std::path::Path,
    env: &[(&str, String)],
    log: &std::path::Path,
) -> Driver {
    let file = std::fs::File::create(log).expect("log file");
    start_driver_with(data_dir, env, Stdio::from(file))
}

fn start_driver_with(data_dir: &std::path::Path, env: &[(&str, String)], stderr: Stdio) -> Driver {
    let port = free_port();
    let native_port = free_port();
    let child = Command::new("tauri-driver")
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .env("REACHLOOP_DATA_DIR", data_dir)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env(
            "REACHLOOP_KEYCHAIN_SERVICE",
            format!("dev.reachloop.e2e.{}", std::process::id()),
        )
        .stdout(Stdio::null())
        .stderr(stderr)
        .process_group(0)
        .spawn()
        .expect("start tauri-driver (install it with `cargo xtask test`)");
    let driver = Driver { child, port };
    let deadline = Instant::now() + WAIT;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "tauri-driver did not listen on {addr}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    driver
}

async fn launch(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "tauri:options".into(),
        json!({ "application": env!("CARGO_BIN_EXE_reachloop") }),
    );
    caps.insert("browserName".into(), json!("wry"));
    // tauri-driver may drop the first session request while WebKitWebDriver
    // is still starting on a busy machine: a few tries.
    let mut tries = 0;
    let client = loop {
        tries += 1;
        match ClientBuilder::native()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
        {
            Ok(c) => break c,
            Err(e) if tries < 4 => {
                eprintln!("the WebDriver session did not start ({e}); trying again");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(e) => panic!("start a WebDriver session with the app: {e}"),
        }
    };
    wait_for(&client, "#page-campaigns", "the Campaigns page shows").await;
    client
}

struct Artifacts(PathBuf);

impl Artifacts {
    fn new() -> Artifacts {
        let dir = std::env::var_os("REACHLOOP_E2E_ARTIFACTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/e2e"));
        std::fs::create_dir_all(&dir).expect("create artifacts dir");
        Artifacts(dir)
    }

    async fn shot(&self, client: &Client, name: &str) {
        // Let WebKit paint the last change before capturing it.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "screenshot is a PNG");
        std::fs::write(self.0.join(format!("{name}.png")), png).expect("save screenshot");
    }
}

/// The element matching `css` once it appears (within `WAIT`); `what` says
/// what was expected when it does not.
/// Writes a Sandbox variant in the open campaign and waits until `saved`
/// variants are saved.
async fn add_sandbox_variant(client: &Client, text: &str, saved: usize) {
    click(client, "#add-variant-sandbox").await;
    find(
        client,
        "#variants-sandbox .variant-card:not([data-id]) textarea",
    )
    .await
    .send_keys(text)
    .await
    .expect("type");
    click(
        client,
        "#variants-sandbox .variant-card:not([data-id]) .save-variant",
    )
    .await;
    let deadline = Instant::now() + WAIT;
    while client
        .find_all(Locator::Css("#variants-sandbox .variant-card[data-id]"))
        .await
        .map(|v| v.len())
        .unwrap_or(0)
        < saved
    {
        assert!(Instant::now() < deadline, "variant {saved} is not saved");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the element at `css` shows `text`.
async fn wait_for_text(client: &Client, css: &str, text: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(e) = client.find(Locator::Css(css)).await {
            if e.text().await.unwrap_or_default().contains(text) {
                return;
            }
        }
        assert!(Instant::now() < deadline, "{css} never showed {text:?}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn wait_for(client: &Client, css: &str, what: &str) -> Element {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{what} ({css}): {e}"))
}

/// The element matching `css`, which must exist.
async fn find(client: &Client, css: &str) -> Element {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} not found: {e}"))
}

async fn click(client: &Client, css: &str) {
    find(client, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
}

async fn listed_names(client: &Client) -> Vec<String> {
    let mut names = Vec::new();
    for el in client
        .find_all(Locator::Css("#campaign-list .campaign-name"))
        .await
        .expect("find")
    {
        names.push(el.text().await.expect("text"));
    }
    names
}

async fn wait_for_listed(client: &Client, name: &str) -> Vec<String> {
    let deadline = Instant::now() + WAIT;
    loop {
        let names = listed_names(client).await;
        if names.iter().any(|n| n == name) || Instant::now() > deadline {
            return names;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_a_campaign_restart_and_find_it_again() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let driver = start_driver(data.path(), &[]);
    let shots = Artifacts::new();

    // First launch: an empty app.
    let client = launch(&driver).await;
    wait_for(&client, "#campaign-empty", "empty state on first run").await;
    shots.shot(&client, "01-first-launch").await;

    // An empty name is refused beside the field, and nothing is created.
    click(&client, "#platform-x").await;
    click(&client, "#campaign-submit").await;
    let error = wait_for(
        &client,
        "#campaign-name-error",
        "an error appears beside the name field",
    )
    .await;
    assert_eq!(
        error.text().await.expect("text"),
        "Give the campaign a name."
    );
    let name_field = client
        .find(Locator::Css("#campaign-name"))
        .await
        .expect("name field");
    assert_eq!(
        name_field
            .attr("aria-invalid")
            .await
            .expect("attr")
            .as_deref(),
        Some("true")
    );
    let focused = client.active_element().await.expect("focused element");
    assert_eq!(
        focused.attr("id").await.expect("id").as_deref(),
        Some("campaign-name"),
        "focus moves to the field that needs attention"
    );
    assert!(
        client.find(Locator::Css("#campaign-empty")).await.is_ok(),
        "nothing was created"
    );
    shots.shot(&client, "02-empty-name-error").await;

    // Fill the form and create the campaign.
    name_field
        .send_keys("Spring launch")
        .await
        .expect("type name");
    assert!(
        client
            .find(Locator::Css("#campaign-name-error"))
            .await
            .is_err(),
        "the error clears once the name is edited"
    );
    find(&client, "#campaign-prompt")
        .await
        .send_keys("Announce the spring collection to new followers")
        .await
        .expect("type");
    click(&client, "#platform-instagram").await;
    client
        .find(Locator::Css("#campaign-goal"))
        .await
        .expect("goal")
        .select_by_value("engagement")
        .await
        .expect("pick goal");
    click(&client, "#campaign-submit").await;
    let names = wait_for_listed(&client, "Spring launch").await;
    assert_eq!(names, ["Spring launch"], "the new campaign is listed");
    let item = client
        .find(Locator::Css("#campaign-list .campaign-item"))
        .await
        .expect("item")
        .text()
        .await
        .expect("text");
    assert!(
        item.contains("draft") && item.contains("Engagement") && item.contains("X · Instagram"),
        "{item}"
    );
    shots.shot(&client, "03-campaign-created").await;
    client.close().await.expect("quit the app");

    // Restart: the campaign is still there, read back from SQLite.
    let client = launch(&driver).await;
    let names = wait_for_listed(&client, "Spring launch").await;
    shots.shot(&client, "04-after-restart").await;
    assert_eq!(names, ["Spring launch"], "the campaign survives a restart");

    // A second launch hands over to the running app and exits at once.
    let mut second = Command::new(env!("CARGO_BIN_EXE_reachloop"))
        .env("REACHLOOP_DATA_DIR", data.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("launch a second instance");
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = second.try_wait().expect("poll second instance") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            panic!("a second instance kept running instead of handing over to the first");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        status.success(),
        "the second instance exits cleanly: {status}"
    );
    assert_eq!(
        listed_names(&client).await,
        ["Spring launch"],
        "the first instance is still serving"
    );

    // The Activity page shows the audit entry for it.
    click(&client, "#nav-activity").await;
    let table = wait_for(&client, "#audit-list", "audit list").await;
    let text = table.text().await.expect("text");
    assert!(
        text.contains("Campaign created") && text.contains("name: Spring launch"),
        "in words, not raw JSON: {text}"
    );
    assert!(!text.contains("{\""), "no raw JSON: {text}");
    shots.shot(&client, "05-activity").await;

    // Settings follows a pause made elsewhere (the tray calls the same
    // core operation; here the command is invoked behind the page's back).
    click(&client, "#nav-settings").await;
    let paused = wait_for(&client, "#publishing-paused", "settings").await;
    assert!(!paused.is_selected().await.expect("state"));
    client
        .execute(
            "return window.__TAURI__.core.invoke('set_publishing_paused', { paused: true }).then(() => true);",
            vec![],
        )
        .await
        .expect("pause behind the page's back");
    let deadline = Instant::now() + WAIT;
    while !find(&client, "#publishing-paused")
        .await
        .is_selected()
        .await
        .expect("state")
    {
        assert!(
            Instant::now() < deadline,
            "Settings did not follow the pause"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    shots.shot(&client, "06-settings-follows-pause").await;
    client.close().await.expect("quit the app");
}

/// Connect a (fake) X account through the real window: the test plays the
/// browser by following the authorize URL, which lands on the app's loopback
/// listener; then the account is listed with its status, and disconnected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_and_disconnect_an_x_account() {
    let fake = reachloop_fakes::oauth::FakeOAuth::x().await;
    let x_port = free_port();
    fake.register_redirect(&format!("http://127.0.0.1:{x_port}/oauth/x/callback"));
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    // The "browser": follow the consent page's redirect to the loopback listener.
    let browser = data.path().join("browser.sh");
    std::fs::write(
        &browser,
        "#!/bin/sh\ncurl -s -o /dev/null -L --max-redirs 3 \"$1\" &\n",
    )
    .expect("browser script");
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let env = [
        ("REACHLOOP_X_AUTH_BASE", fake.base.clone()),
        ("REACHLOOP_X_TOKEN_BASE", fake.base.clone()),
        ("REACHLOOP_X_API_BASE", fake.base.clone()),
        ("OAUTH_X_CLIENT_ID", fake.dialect.client_id.to_string()),
        // X matches callback URLs exactly: register the one the app uses.
        ("REACHLOOP_X_REDIRECT_PORT", x_port.to_string()),
        ("BROWSER", format!("{} %s", browser.display())),
    ];
    // The app's own log output, to look for secrets in.
    let log = data.path().join("app.log");
    let driver = start_driver_logged(data.path(), &env, &log);
    let shots = Artifacts::new();
    let client = launch(&driver).await;

    click(&client, "#nav-accounts").await;
    wait_for(&client, "#accounts-empty", "no accounts yet").await;
    shots.shot(&client, "10-accounts-empty").await;

    click(&client, "#connect-x").await;
    let row = wait_for(
        &client,
        "#account-list .account-item",
        "the connected account is listed",
    )
    .await;
    let text = row.text().await.expect("text");
    assert!(
        text.contains("@XDevelopers") && text.contains("connected"),
        "{text}"
    );
    assert!(text.contains("renews automatically"), "{text}");
    assert_eq!(fake.with(|b| b.token_requests), 1);
    shots.shot(&client, "11-account-connected").await;

    click(&client, "#account-list .disconnect").await;
    let deadline = Instant::now() + WAIT;
    loop {
        let status = find(&client, "#account-list .account-status")
            .await
            .text()
            .await
            .expect("status");
        if status == "disconnected" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the account did not show as disconnected: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        fake.with(|b| b.revoked.len()),
        1,
        "the grant was revoked at X"
    );
    assert!(find(&client, "#account-list .reconnect")
        .await
        .is_displayed()
        .await
        .expect("displayed"));
    shots.shot(&client, "12-account-disconnected").await;
    client.close().await.expect("quit the app");

    // Nothing secret went by in the shell's log: tokens, the code, the
    // state, the PKCE verifier.
    let logged = std::fs::read_to_string(&log).expect("the app's log");
    assert!(logged.contains("opening data directory"), "{logged}");
    let secrets = fake.with(|b| {
        let mut v = b.issued_tokens.clone();
        v.extend(b.seen_codes.clone());
        v.extend(b.seen_states.clone());
        v.extend(b.seen_verifiers.clone());
        v
    });
    assert!(secrets.len() >= 5, "{secrets:?}");
    for secret in secrets {
        assert!(!logged.contains(&secret), "in the app's log: {secret}");
    }
}

/// Connect Facebook Pages through the https relay and a `reachloop://` deep
/// link, then pick Pages: the "browser" follows the consent redirect to the
/// relay address, runs the real relay script (`relay/relay.js`) to get the
/// deep link, and opens it with `gio open`, which starts a second Reachloop
/// that hands the link to the running one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_facebook_pages_through_the_relay_and_a_deep_link() {
    let fake = reachloop_fakes::meta::FakeMeta::facebook().await;
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let relay_js = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../relay/relay.js");
    let browser = data.path().join("browser.sh");
    let log = data.path().join("browser.log");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\n(\n\
             relay=$(curl -s -o /dev/null -w '%{{redirect_url}}' \"$1\")\n\
             deep=$(node -e 'const u = new URL(process.argv[2]); \
             process.stdout.write(String(require(process.argv[1]).target(u.pathname, u.search)))' \
             '{relay}' \"$relay\")\n\
             echo \"relay page: ${{relay%%\\?*}}\" >> '{log}'\n\
             gio open \"$deep\" >> '{log}' 2>&1\n\
             ) &\n",
            relay = relay_js.display(),
            log = log.display(),
        ),
    )
    .expect("browser script");
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    // The desktop registration of reachloop:// goes to this test's own dirs.
    let share = data.path().join("share");
    let config = data.path().join("config");
    std::fs::create_dir_all(share.join("applications")).expect("share dir");
    std::fs::create_dir_all(&config).expect("config dir");
    let env = [
        ("REACHLOOP_FACEBOOK_AUTH_BASE", fake.base.clone()),
        ("REACHLOOP_FACEBOOK_TOKEN_BASE", fake.base.clone()),
        ("REACHLOOP_FACEBOOK_API_BASE", fake.base.clone()),
        ("OAUTH_FACEBOOK_CLIENT_ID", fake.client_id().to_string()),
        (
            "OAUTH_FACEBOOK_CLIENT_SECRET",
            fake.client_secret().to_string(),
        ),
        (
            "REACHLOOP_FACEBOOK_RELAY_URL",
            "https://relay.invalid/reachloop".to_string(),
        ),
        ("BROWSER", format!("{} %s", browser.display())),
        ("XDG_DATA_HOME", share.display().to_string()),
        ("XDG_CONFIG_HOME", config.display().to_string()),
    ];
    let driver = start_driver(data.path(), &env);
    let shots = Artifacts::new();
    let client = launch(&driver).await;

    click(&client, "#nav-accounts").await;
    wait_for(&client, "#accounts-empty", "no accounts yet").await;
    click(&client, "#connect-facebook").await;
    let picker = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#page-picker"))
        .await
        .unwrap_or_else(|e| {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("the Page picker did not appear ({e}); browser log:\n{log}")
        });
    let browser_log = std::fs::read_to_string(&log).expect("browser log");
    assert!(
        browser_log
            .contains("relay page: https://relay.invalid/reachloop/oauth/facebook/callback/"),
        "the consent page sent the browser to the relay: {browser_log}"
    );
    let text = picker.text().await.expect("text");
    assert!(
        text.contains("Dana Baker")
            && text.contains("Bakery Bros")
            && text.contains("@bakerybros")
            && text.contains("you cannot create posts on this Page"),
        "{text}"
    );
    shots.shot(&client, "20-facebook-pick-pages").await;

    // Pages the user may publish to start ticked: keep Bakery Bros, drop
    // Bike Club, add the Instagram account linked to Bakery Bros.
    click(&client, "#pick-page-102").await;
    click(&client, "#pick-ig-17841400000000001").await;
    click(&client, "#pick-connect").await;
    let deadline = Instant::now() + WAIT;
    let rows = loop {
        let mut rows = Vec::new();
        for el in client
            .find_all(Locator::Css("#account-list .account-item"))
            .await
            .expect("rows")
        {
            rows.push(el.text().await.expect("text"));
        }
        if rows.len() == 2 || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows.iter()
            .any(|r| r.contains("Facebook Pages") && r.contains("Bakery Bros")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("Instagram") && r.contains("@bakerybros")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .all(|r| r.contains("connected") && r.contains("does not expire")),
        "{rows:?}"
    );
    assert!(
        client.find(Locator::Css("#page-picker")).await.is_err(),
        "the picker closes"
    );
    assert_eq!(
        fake.with(|b| b.token_requests),
        2,
        "code and long-lived exchanges"
    );
    shots.shot(&client, "21-facebook-pages-connected").await;
    client.close().await.expect("quit the app");
}

/// The variants of the open campaign: (platform column, text) per card.
async fn variant_texts(client: &Client) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for column in client
        .find_all(Locator::Css(".variant-column"))
        .await
        .expect("columns")
    {
        let platform = column.attr("id").await.expect("id").unwrap_or_default();
        for area in column
            .find_all(Locator::Css(".variant-card[data-id] textarea"))
            .await
            .expect("cards")
        {
            let text = area.prop("value").await.expect("value").unwrap_or_default();
            out.push((platform.clone(), text));
        }
    }
    out
}

/// Create a campaign in the real window, generate variants against the fake
/// AI server, edit one until it breaks X's length rule and the banned list,
/// see the live check say so, save it, and find it saved after reopening.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_variants_edit_one_until_it_breaks_a_rule_and_save_it() {
    let fake = reachloop_fakes::ai::FakeAi::start().await;
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let env = [
        ("AI_BASE_URL", fake.base.clone()),
        ("AI_MODEL", "fake-model".to_string()),
    ];
    let driver = start_driver(data.path(), &env);
    let shots = Artifacts::new();
    let client = launch(&driver).await;

    find(&client, "#campaign-name")
        .await
        .send_keys("Sourdough week")
        .await
        .expect("type name");
    click(&client, "#platform-x").await;
    click(&client, "#platform-youtube").await;
    find(&client, "#campaign-banned_words")
        .await
        .send_keys("cheap")
        .await
        .expect("type banned");
    click(&client, "#campaign-submit").await;
    wait_for_listed(&client, "Sourdough week").await;
    click(&client, "#campaign-list .campaign-open").await;
    wait_for(&client, "#page-campaign #generate", "the campaign opens").await;
    shots.shot(&client, "30-campaign-open").await;

    click(&client, "#generate").await;
    let deadline = Instant::now() + WAIT;
    let texts = loop {
        let texts = variant_texts(&client).await;
        if texts.len() >= 4 || Instant::now() > deadline {
            break texts;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(texts.len(), 4, "two variants per platform: {texts:?}");
    assert_eq!(
        texts.iter().filter(|(p, _)| p == "variants-x").count(),
        2,
        "{texts:?}"
    );
    assert!(texts.iter().all(|(_, t)| !t.is_empty()));
    let asked = fake.requests();
    assert_eq!(asked.len(), 2, "one request per platform");
    assert_eq!(asked[0]["response_format"]["type"], "json_schema");
    let result = find(&client, "#generation-result")
        .await
        .text()
        .await
        .expect("text");
    assert!(result.contains("4 variant(s) written"), "{result}");
    shots.shot(&client, "31-variants-generated").await;

    // Break the rules: over 280 weighted characters, with a banned word.
    let area = find(&client, "#variants-x .variant-card[data-id] textarea").await;
    area.clear().await.expect("clear");
    let broken = format!("So cheap! {}", "a".repeat(280));
    area.send_keys(&broken).await.expect("type");
    let card = find(&client, "#variants-x .variant-card[data-id]").await;
    let deadline = Instant::now() + WAIT;
    loop {
        let text = card.text().await.expect("card text");
        if text.contains("X allows 280") && text.contains("on the brand's banned list") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the live check did not flag it: {text}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let counter = card
        .find(Locator::Css(".counter.over"))
        .await
        .expect("the counter shows over the limit")
        .text()
        .await
        .expect("text");
    assert!(counter.starts_with("290 / 280"), "{counter}");
    let mark = card
        .find(Locator::Css("mark.banned"))
        .await
        .expect("the banned word is marked")
        .text()
        .await
        .expect("text");
    assert_eq!(mark, "cheap");
    shots.shot(&client, "32-variant-breaks-rules").await;

    card.find(Locator::Css(".save-variant"))
        .await
        .expect("save button")
        .click()
        .await
        .expect("save");
    // Saved: reopen the campaign and find the text as typed.
    tokio::time::sleep(Duration::from_millis(500)).await;
    click(&client, "#campaign-back").await;
    wait_for_listed(&client, "Sourdough week").await;
    click(&client, "#campaign-list .campaign-open").await;
    let deadline = Instant::now() + WAIT;
    loop {
        let texts = variant_texts(&client).await;
        if texts.iter().any(|(p, t)| p == "variants-x" && *t == broken) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the edit was not saved: {texts:?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    shots.shot(&client, "33-variant-saved").await;

    // YouTube needs a video: the check says so until one is attached.
    let yt = find(&client, "#variants-youtube .variant-card[data-id]").await;
    let deadline = Instant::now() + WAIT;
    loop {
        let text = yt.text().await.expect("card text");
        if text.contains("YouTube posts need a video") {
            break;
        }
        assert!(Instant::now() < deadline, "no media check: {text}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    // Drop an image on the second X variant (the webview gets the bytes,
    // as from a file manager): its thumbnail appears, read from the bytes.
    const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
    let dropped = client
        .execute(
            "const [b64, name] = arguments;
             const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
             const dt = new DataTransfer();
             dt.items.add(new File([bytes], name));
             const cards = document.querySelectorAll('#variants-x .variant-card[data-id]');
             const target = cards[cards.length - 1];
             target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
             return target.getAttribute('data-id');",
            vec![json!(PNG_1X1), json!("pixel.png")],
        )
        .await
        .expect("drop a file");
    let target = dropped.as_str().expect("the card's id").to_string();
    let css = format!(".variant-card[data-id='{target}'] .attachment img.thumb");
    let thumb = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&css))
        .await
        .expect("a thumbnail appears");
    let src = thumb.attr("src").await.expect("src").unwrap_or_default();
    assert!(src.starts_with("data:image/png;base64,"), "{src}");
    let caption = find(
        &client,
        &format!(".variant-card[data-id='{target}'] .attachment figcaption"),
    )
    .await
    .text()
    .await
    .expect("caption");
    assert!(
        caption.contains("pixel.png") && caption.contains("image/png") && caption.contains("1x1"),
        "{caption}"
    );
    shots.shot(&client, "34-media-dropped").await;
    client.close().await.expect("quit the app");
}

/// The value of the `n`th (0-based) unsaved X card's text box.
async fn unsaved_x_text(client: &Client, n: usize) -> String {
    let areas = client
        .find_all(Locator::Css(
            "#variants-x .variant-card:not([data-id]) textarea",
        ))
        .await
        .expect("find");
    match areas.get(n) {
        Some(a) => a.prop("value").await.expect("value").unwrap_or_default(),
        None => panic!("no unsaved card {n} (found {})", areas.len()),
    }
}

async fn active_id(client: &Client) -> String {
    client
        .active_element()
        .await
        .expect("active element")
        .attr("id")
        .await
        .expect("id")
        .unwrap_or_default()
}

/// What a new user hit in their first hour: typing a name after a failed
/// submit sent the keys to a checkbox; Generate with no AI left a silent
/// waiting job; a second hand-written card blanked the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_users_typing_is_kept_and_no_ai_points_to_settings() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let driver = start_driver(data.path(), &[]);
    let shots = Artifacts::new();
    let client = launch(&driver).await;

    // The first screen says what to do first (once the campaign list,
    // empty, has loaded).
    let welcome = wait_for(&client, "#getting-started", "the getting-started card")
        .await
        .text()
        .await
        .expect("text");
    assert!(welcome.contains("Create a draft campaign"), "{welcome}");
    find(&client, "#getting-started #start-ai").await;
    find(&client, "#getting-started #start-accounts").await;

    // Submit the empty form, then fix the name: focus stays in the name.
    click(&client, "#campaign-submit").await;
    wait_for(&client, "#campaign-name-error", "the name error shows").await;
    find(&client, "#campaign-name")
        .await
        .send_keys("Spring sale")
        .await
        .expect("type name");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(active_id(&client).await, "campaign-name");
    let name = find(&client, "#campaign-name")
        .await
        .prop("value")
        .await
        .expect("value");
    assert_eq!(name.as_deref(), Some("Spring sale"));
    let x_checked = find(&client, "#platform-x")
        .await
        .prop("checked")
        .await
        .expect("checked");
    assert_ne!(x_checked.as_deref(), Some("true"), "spaces toggled X");
    shots.shot(&client, "40-name-kept-after-error").await;
    click(&client, "#platform-x").await;
    click(&client, "#campaign-submit").await;
    wait_for_listed(&client, "Spring sale").await;
    assert!(
        client.find(Locator::Css("#getting-started")).await.is_err(),
        "the welcome steps go once there is a campaign"
    );
    click(&client, "#campaign-list .campaign-open").await;
    wait_for(&client, "#page-campaign #generate", "the campaign opens").await;

    // Generate without an AI endpoint: where to set one up, no silent job.
    click(&client, "#generate").await;
    let error = wait_for(&client, "#campaign-error", "an error shows")
        .await
        .text()
        .await
        .expect("text");
    assert!(error.contains("Settings → AI"), "{error}");
    find(&client, "#campaign-error .ai-setup-link").await;
    assert!(
        client
            .find(Locator::Css("#generation-status"))
            .await
            .is_err(),
        "no job is left waiting"
    );
    shots.shot(&client, "41-generate-without-ai").await;

    // Two hand-written cards: each keeps its own text.
    click(&client, "#add-variant-x").await;
    let first = find(&client, "#variants-x .variant-card:not([data-id]) textarea").await;
    first
        .send_keys("First idea, not saved")
        .await
        .expect("type");
    click(&client, "#add-variant-x").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(unsaved_x_text(&client, 0).await, "First idea, not saved");
    let ids: Vec<String> = {
        let mut ids = Vec::new();
        for a in client
            .find_all(Locator::Css("#variants-x textarea"))
            .await
            .expect("find")
        {
            ids.push(a.attr("id").await.expect("id").unwrap_or_default());
        }
        ids
    };
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1], "each card's box has its own id: {ids:?}");
    let cards = client
        .find_all(Locator::Css("#variants-x .variant-card:not([data-id])"))
        .await
        .expect("cards");
    let second = cards[1].find(Locator::Css("textarea")).await.expect("area");
    second.send_keys("Second idea, saved").await.expect("type");
    cards[1]
        .find(Locator::Css(".save-variant"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click save");
    let deadline = Instant::now() + WAIT;
    loop {
        let texts = variant_texts(&client).await;
        if texts.iter().any(|(_, t)| t == "Second idea, saved")
            && client
                .find(Locator::Css("#variants-x .variant-card[data-id]"))
                .await
                .is_ok()
        {
            break;
        }
        assert!(Instant::now() < deadline, "not saved: {texts:?}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert_eq!(
        unsaved_x_text(&client, 0).await,
        "First idea, not saved",
        "saving another card kept this one's text"
    );
    shots.shot(&client, "42-unsaved-text-kept").await;

    // The way to the fix: Settings. The unsaved first card makes the app
    // ask first: staying keeps it, leaving is the user's choice.
    click(&client, "#campaign-error .ai-setup-link").await;
    let asked = wait_for(&client, "#leave-question", "the app asks before leaving")
        .await
        .text()
        .await
        .expect("text");
    assert!(asked.contains("unsaved changes"), "{asked}");
    shots.shot(&client, "43-leave-question").await;
    click(&client, "#leave-stay").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(unsaved_x_text(&client, 0).await, "First idea, not saved");
    click(&client, "#campaign-error .ai-setup-link").await;
    click(&client, "#leave-anyway").await;
    wait_for(&client, "#page-settings #ai-base-url", "Settings opens").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(active_id(&client).await, "ai-base-url");
    shots.shot(&client, "44-settings-ai").await;
}

/// The whole loop with the Sandbox, without touching the window once it is
/// set up: connect a Sandbox account, create a campaign, write a variant,
/// activate it, schedule every minute (the cadence in words and its next
/// runs show while typing), and watch a post go out in the Calendar.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_loop_schedules_and_publishes_by_itself() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let env = [
        ("REACHLOOP_PUBLISH_INTERVAL_SECS", "2".to_string()),
        // The world's seed is random: no injected failure to wait out.
        ("REACHLOOP_SANDBOX_FAILURE_RATE", "0".to_string()),
    ];
    let driver = start_driver(data.path(), &env);
    let shots = Artifacts::new();
    let client = launch(&driver).await;

    click(&client, "#nav-accounts").await;
    click(&client, "#connect-sandbox").await;
    let row = wait_for(
        &client,
        "#account-list .account-item",
        "the Sandbox account is listed",
    )
    .await;
    assert!(row.text().await.expect("text").contains("@sandbox"));
    shots.shot(&client, "50-sandbox-connected").await;

    click(&client, "#nav-campaigns").await;
    find(&client, "#campaign-name")
        .await
        .send_keys("Sandbox loop")
        .await
        .expect("name");
    click(&client, "#platform-sandbox").await;
    click(&client, "#campaign-submit").await;
    wait_for_listed(&client, "Sandbox loop").await;
    click(&client, "#campaign-list .campaign-open").await;
    wait_for(&client, "#add-variant-sandbox", "the campaign opens").await;
    add_sandbox_variant(&client, "Fresh from the Sandbox oven", 1).await;
    // A second variant, to pick by hand in the calendar.
    add_sandbox_variant(&client, "The hand-picked one", 2).await;
    click(&client, "#status-active").await;

    // Every minute, in UTC: the words and the next runs show while typing.
    let cron = find(&client, "#schedule-cron").await;
    cron.clear().await.expect("clear");
    cron.send_keys("* * * * *").await.expect("type");
    find(&client, "#schedule-zone")
        .await
        .send_keys("UTC")
        .await
        .expect("zone");
    let preview = wait_for(&client, "#schedule-preview", "preview").await;
    let deadline = Instant::now() + WAIT;
    loop {
        let text = preview.text().await.unwrap_or_default();
        if text.to_lowercase().contains("every minute") && text.contains("UTC") {
            break;
        }
        assert!(Instant::now() < deadline, "no preview in words: {text}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    shots.shot(&client, "51-schedule-preview").await;
    click(&client, "#schedule-submit").await;
    wait_for(
        &client,
        "#schedule-list .schedule-item",
        "the schedule is listed",
    )
    .await;

    // Hands off: the Calendar shows a post go out within about a minute.
    click(&client, "#nav-calendar").await;
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        if client
            .find(Locator::Css("#calendar-grid .post.published"))
            .await
            .is_ok()
        {
            break;
        }
        assert!(Instant::now() < deadline, "no post was published");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let status = find(&client, "#publisher-status")
        .await
        .text()
        .await
        .expect("text");
    assert!(status.contains("this app"), "{status}");
    shots.shot(&client, "52-calendar-published").await;

    // Open an upcoming post: pick its variant, then move it 30 minutes on.
    // A few minutes ahead, so the publisher does not claim it meanwhile.
    client
        .execute(
            "document.querySelectorAll('#calendar-grid .post.scheduled')[4].click();",
            vec![],
        )
        .await
        .expect("open a post");
    wait_for(&client, "#post-detail #post-variant", "the post opens").await;
    let post_id = find(&client, "#post-detail")
        .await
        .attr("data-id")
        .await
        .expect("attr")
        .expect("an id");
    client
        .execute(
            "const s = document.querySelector('#post-variant');
             const o = [...s.options].find(o => o.text.startsWith('The hand-picked'));
             s.value = o.value; s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .expect("pick");
    assert!(!post_id.is_empty());
    click(&client, "#post-pick-variant").await;
    wait_for_text(&client, "#post-detail-variant", "The hand-picked one").await;
    wait_for(&client, "#post-detail .badge[title]", "marked overridden").await;
    shots.shot(&client, "53-variant-picked").await;
    // Move it half an hour on (at :30 seconds: every minute is a slot).
    client
        .execute(
            "const i = document.querySelector('#post-move-to');
             const t = new Date(Date.now() + 30 * 60000);
             const p = n => String(n).padStart(2, '0');
             i.value = `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())}T${p(t.getHours())}:${p(t.getMinutes())}:30`;",
            vec![],
        )
        .await
        .expect("set the time");
    let was = find(&client, "#post-detail-when")
        .await
        .text()
        .await
        .unwrap_or_default();
    click(&client, "#post-move").await;
    // A move leaves the old slot cancelled and makes the post anew; the
    // detail follows the new one.
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(problem) = client.find(Locator::Css("#post-detail-problem")).await {
            panic!(
                "the move was refused: {}",
                problem.text().await.unwrap_or_default()
            );
        }
        let when = match client
            .find(Locator::Css(&format!(
                "#post-detail:not([data-id='{post_id}']) #post-detail-when"
            )))
            .await
        {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if when != was && when.contains(":30") {
            break;
        }
        if Instant::now() > deadline {
            shots.shot(&client, "54-move-failed").await;
            panic!("the move did not show: was {was:?}, now {when:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_for_text(&client, "#post-detail-variant", "The hand-picked one").await;
    shots.shot(&client, "54-post-moved").await;
    click(&client, "#post-detail-close").await;

    // Pause publishing: more than a minute goes by and nothing publishes.
    click(&client, "#nav-settings").await;
    wait_for(&client, "#publishing-paused", "Settings shows").await;
    click(&client, "#publishing-paused").await;
    let deadline = Instant::now() + WAIT;
    while !find(&client, "#publishing-paused")
        .await
        .is_selected()
        .await
        .unwrap_or(false)
    {
        assert!(Instant::now() < deadline, "the pause did not switch");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // The Sandbox's world shows its seed; a new one is taken, a wrong one
    // is explained.
    let seed = wait_for(&client, "#sandbox-seed", "the Sandbox seed").await;
    // The field shows before the seed is read into it.
    let deadline = Instant::now() + WAIT;
    let shown = loop {
        let v = seed.prop("value").await.expect("value").unwrap_or_default();
        if !v.is_empty() || Instant::now() > deadline {
            break v;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    assert!(
        shown.len() == 6 && shown.chars().all(|c| c.is_ascii_digit()),
        "{shown:?}"
    );
    seed.clear().await.expect("clear");
    seed.send_keys("12ab").await.expect("type");
    click(&client, "#sandbox-seed-save").await;
    wait_for_text(&client, "#sandbox-seed-form .error", "is not a seed").await;
    seed.clear().await.expect("clear");
    seed.send_keys("777").await.expect("type");
    click(&client, "#sandbox-seed-save").await;
    wait_for_text(&client, "#sandbox-seed-form .ok", "Saved").await;
    shots.shot(&client, "55a-sandbox-seed").await;
    click(&client, "#nav-calendar").await;
    let published = || async {
        client
            .find_all(Locator::Css("#calendar-grid .post.published"))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    };
    // A round that started before the pause may still finish.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let before = published().await;
    tokio::time::sleep(Duration::from_secs(70)).await;
    assert_eq!(published().await, before, "nothing publishes while paused");
    shots.shot(&client, "55-paused").await;

    // Resume: the slots that came due while paused go out.
    click(&client, "#nav-settings").await;
    wait_for(&client, "#publishing-paused", "Settings shows").await;
    click(&client, "#publishing-paused").await;
    let deadline = Instant::now() + WAIT;
    while find(&client, "#publishing-paused")
        .await
        .is_selected()
        .await
        .unwrap_or(true)
    {
        assert!(Instant::now() < deadline, "the pause did not switch");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    click(&client, "#nav-calendar").await;
    let deadline = Instant::now() + Duration::from_secs(90);
    while published().await <= before {
        assert!(
            Instant::now() < deadline,
            "nothing published after resuming"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    shots.shot(&client, "56-resumed").await;
    client.close().await.expect("quit the app");
}

/// Start at login from Settings: the OS's autostart entry appears, runs the
/// app with `--tray`, and goes away when the box is unticked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_at_login_writes_the_autostart_entry_into_the_tray() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let home = tempfile::Builder::new()
        .prefix("reachloop-home-")
        .tempdir()
        .expect("home");
    let env = [("HOME", home.path().display().to_string())];
    let driver = start_driver(data.path(), &env);
    let shots = Artifacts::new();
    let client = launch(&driver).await;
    click(&client, "#nav-settings").await;
    let box_ = wait_for(
        &client,
        "#start-at-login:not([disabled])",
        "the setting shows",
    )
    .await;
    assert!(!box_.is_selected().await.expect("state"), "off by default");
    box_.click().await.expect("tick");
    let dir = home.path().join(".config").join("autostart");
    let deadline = Instant::now() + WAIT;
    let entry = loop {
        let found = std::fs::read_dir(&dir)
            .ok()
            .and_then(|mut d| d.find_map(|e| e.ok()))
            .map(|e| e.path());
        // Written by the plugin while we look: wait until it is whole.
        if let Some(text) = found.and_then(|p| std::fs::read_to_string(p).ok()) {
            if text.lines().any(|l| l.starts_with("Exec=")) {
                break text;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no autostart entry in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let exec = entry
        .lines()
        .find(|l| l.starts_with("Exec="))
        .expect("an Exec line");
    assert!(exec.ends_with(" --tray"), "{exec}");
    assert!(exec.contains("reachloop"), "{exec}");
    shots.shot(&client, "60-start-at-login").await;
    // Untick: the entry is gone.
    find(&client, "#start-at-login")
        .await
        .click()
        .await
        .expect("untick");
    let deadline = Instant::now() + WAIT;
    while std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0) > 0 {
        assert!(Instant::now() < deadline, "the entry stayed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    client.close().await.expect("quit the app");
}

/// `reachloop-cli` on the journey's data directory (built beside the app
/// by the workspace's tests, which `cargo xtask test` runs first).
fn cli(data_dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_reachloop")).with_file_name("reachloop-cli");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build --bin reachloop-cli` (cargo xtask test does)",
        bin.display()
    );
    let out = Command::new(&bin)
        .env("REACHLOOP_DATA_DIR", data_dir)
        .args(args)
        .output()
        .expect("run reachloop-cli");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

async fn text_of(client: &Client, css: &str) -> String {
    match client.find(Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// From the shell, on `d`: an active campaign `name` with one Sandbox
/// variant, a Sandbox account and a post due in 8 s. Its id.
fn a_sandbox_post_due_soon(d: &std::path::Path, name: &str) -> String {
    let campaign = cli(
        d,
        &[
            "campaigns",
            "create",
            "--name",
            name,
            "--platform",
            "sandbox",
            "--goal",
            "reach",
            "--json",
        ],
    )["id"]
        .as_str()
        .expect("campaign id")
        .to_string();
    cli(
        d,
        &[
            "variants",
            "add",
            "--campaign",
            &campaign,
            "--platform",
            "sandbox",
            "--body",
            "Warm bread, \"fresh\", at 7",
        ],
    );
    cli(d, &["campaigns", "status", &campaign, "active"]);
    let account = cli(
        d,
        &[
            "accounts", "connect", "sandbox", "--name", "Bakery", "--json",
        ],
    )[0]["id"]
        .as_str()
        .expect("account id")
        .to_string();
    let at = (chrono::Utc::now() + chrono::Duration::seconds(8)).to_rfc3339();
    cli(
        d,
        &[
            "schedule",
            "add",
            "--campaign",
            &campaign,
            "--platform",
            "sandbox",
            "--account",
            &account,
            "--at",
            &at,
            "--tz",
            "UTC",
        ],
    );

    campaign
}

/// With a Sandbox campaign publishing (its audience 900 times faster), the
/// Analytics page's figures change on screen without a click; filtering by
/// platform narrows them; the CSV behind Export has the post's row.
#[tokio::test]
async fn analytics_update_by_themselves_filter_and_export() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let d = data.path();
    let campaign = a_sandbox_post_due_soon(d, "Live figures");
    let env = [
        ("REACHLOOP_PUBLISH_INTERVAL_SECS", "2".to_string()),
        ("REACHLOOP_SANDBOX_FAILURE_RATE", "0".to_string()),
        ("REACHLOOP_SANDBOX_SPEEDUP", "900".to_string()),
    ];
    let driver = start_driver(d, &env);
    let shots = Artifacts::new();
    let client = launch(&driver).await;
    click(&client, "#nav-analytics").await;
    wait_for(&client, "#page-analytics #kpi-posts", "the Analytics page").await;
    shots.shot(&client, "70-analytics-before").await;

    // The post goes out and its figures arrive and grow, with no click.
    let reach = || async {
        text_of(&client, "#kpi-reach .kpi-value")
            .await
            .replace(',', "")
            .parse::<u64>()
            .ok()
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    let first = loop {
        if let Some(r) = reach().await.filter(|r| *r > 0) {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "no figures arrived: {:?}",
            text_of(&client, "#page-analytics").await
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    shots.shot(&client, "71-analytics-first-figures").await;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if reach().await.is_some_and(|r| r > first) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the figures never grew past {first}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(text_of(&client, "#fetched-at").await.contains("fetched"));
    assert!(text_of(&client, "#by-variant").await.contains("Warm bread"));
    shots.shot(&client, "72-analytics-grown").await;
    // The best-time heat map: every hour of the week, the post in its hour.
    let cells = client
        .find_all(Locator::Css("#heatmap td.heat"))
        .await
        .expect("heat map cells");
    assert_eq!(cells.len(), 168);
    let with_posts = client
        .find_all(Locator::Css("#heatmap td[data-posts='1']"))
        .await
        .expect("cells");
    assert_eq!(with_posts.len(), 1);
    client
        .execute(
            "document.getElementById('heatmap').scrollIntoView()",
            vec![],
        )
        .await
        .expect("scroll");
    shots.shot(&client, "73-analytics-heatmap").await;

    // Only X: nothing published there.
    click(&client, "#filter-x").await;
    wait_for_text(&client, "#kpi-posts .kpi-value", "0").await;
    assert_eq!(text_of(&client, "#kpi-reach .kpi-value").await, "—");
    shots.shot(&client, "74-analytics-only-x").await;
    click(&client, "#filter-x").await;
    click(&client, "#filter-sandbox").await;
    wait_for_text(&client, "#kpi-posts .kpi-value", "1").await;
    assert!(text_of(&client, "#by-platform").await.contains("Sandbox"));

    // Export needs a campaign; the report behind it has the post's rows.
    click(&client, "#filter-campaign").await;
    client
        .find(Locator::Css(&format!(
            "#filter-campaign option[value='{campaign}']"
        )))
        .await
        .expect("the campaign is listed")
        .click()
        .await
        .expect("pick it");
    let deadline = Instant::now() + WAIT;
    while !find(&client, "#export-csv")
        .await
        .is_enabled()
        .await
        .unwrap_or(false)
    {
        assert!(Instant::now() < deadline, "Export CSV stayed disabled");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    shots.shot(&client, "75-analytics-campaign").await;
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_reachloop")).with_file_name("reachloop-cli");
    let report = Command::new(bin)
        .env("REACHLOOP_DATA_DIR", d)
        .args(["report", "csv", "--campaign", &campaign])
        .output()
        .expect("report");
    let text = String::from_utf8_lossy(&report.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("row,platform,variant_id,variant,posts,reach"),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("variant,sandbox,")
            && l.contains("\"Warm bread, \"\"fresh\"\", at 7\",1,")),
        "{text}"
    );
    assert!(
        lines.last().is_some_and(|l| l.starts_with("total,,,,1,")),
        "{text}"
    );

    // The post's figures by age in its detail (the Sandbox lives 900×
    // faster: an hour is 4 s), next to its campaign's others (none yet).
    click(&client, "#nav-calendar").await;
    wait_for(
        &client,
        "#calendar-grid .post.published",
        "the published post",
    )
    .await;
    client
        .execute(
            "document.querySelector('#calendar-grid .post.published').click();",
            vec![],
        )
        .await
        .expect("open the post");
    wait_for(&client, "#post-ages", "the post by age").await;
    let one_hour = "#post-ages tr[data-age='60'] td.reach";
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let cell = text_of(&client, one_hour).await.replace(',', "");
        if cell.parse::<u64>().is_ok_and(|r| r > 0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no reading at 1 h: {:?}",
            text_of(&client, "#post-history").await
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(
        text_of(&client, "#post-ages tr[data-age='43200'] td.reach").await,
        "not yet"
    );
    assert!(text_of(&client, "#post-history-compared")
        .await
        .contains("No other Sandbox post"));
    wait_for(&client, "#post-history-chart", "its chart").await;
    client
        .execute(
            "document.getElementById('post-history').scrollIntoView()",
            vec![],
        )
        .await
        .expect("scroll");
    shots.shot(&client, "76-post-by-age").await;
    // Its chart as PNG, as Export (PNG) draws it, kept with the screens.
    let post = find(&client, "#post-detail")
        .await
        .attr("data-id")
        .await
        .expect("attr")
        .expect("an id");
    let png = shots.0.join("77-post-by-age-chart.png");
    let saved = Command::new(
        std::path::Path::new(env!("CARGO_BIN_EXE_reachloop")).with_file_name("reachloop-cli"),
    )
    .env("REACHLOOP_DATA_DIR", d)
    .env("REACHLOOP_SANDBOX_SPEEDUP", "900")
    .args(["report", "post", &post, "--chart"])
    .arg(&png)
    .output()
    .expect("report post");
    assert!(
        saved.status.success(),
        "{}",
        String::from_utf8_lossy(&saved.stderr)
    );
    let bytes = std::fs::read(&png).expect("the PNG");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let table = String::from_utf8_lossy(&saved.stdout);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("1 h") && !l.contains("not yet")),
        "{table}"
    );
    client.close().await.expect("quit the app");
}

/// What the desktop's notification service was asked to show.
type Shown = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A stand-in for the desktop's notification service
/// (`org.freedesktop.Notifications`) on the test's private session bus:
/// it keeps each notification's title and text.
struct Notifications(Shown);

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: &str,
        _replaces_id: u32,
        _app_icon: &str,
        summary: &str,
        body: &str,
        _actions: Vec<String>,
        _hints: std::collections::HashMap<String, zbus::OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.0.lock().expect("notifications");
        shown.push((summary.to_string(), body.to_string()));
        shown.len() as u32
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "reachloop-e2e".into(),
            "reachloop".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

/// A post whose platform never confirms it (the Sandbox loses every
/// answer) is announced on the desktop once, not every round, while the
/// app checks it.
#[tokio::test]
async fn a_post_that_needs_checking_is_announced_on_the_desktop_once() {
    let shown = Shown::default();
    let _service = zbus::connection::Builder::session()
        .name("org.freedesktop.Notifications")
        .serve_at(
            "/org/freedesktop/Notifications",
            Notifications(shown.clone()),
        )
        .build()
        .await
        .expect("own org.freedesktop.Notifications on the test's session bus (dbus-run-session)");
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let d = data.path();
    a_sandbox_post_due_soon(d, "Unconfirmed");
    let env = [
        ("REACHLOOP_PUBLISH_INTERVAL_SECS", "2".to_string()),
        ("REACHLOOP_SANDBOX_FAILURE_RATE", "0".to_string()),
        ("REACHLOOP_SANDBOX_LOST_ANSWER_RATE", "1".to_string()),
    ];
    let driver = start_driver(d, &env);
    let shots = Artifacts::new();
    let client = launch(&driver).await;
    click(&client, "#nav-calendar").await;
    let checking = |shown: &Shown| {
        shown
            .lock()
            .expect("notifications")
            .iter()
            .filter(|(title, _)| title == "A post needs checking")
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while checking(&shown) == 0 {
        assert!(
            Instant::now() < deadline,
            "no notification came: {:?}",
            shown.lock().expect("notifications")
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let body = shown.lock().expect("notifications")[0].1.clone();
    assert!(body.contains("did not confirm"), "{body}");
    shots.shot(&client, "80-needs-checking-announced").await;
    // Several more rounds (every 2 s) pass: still announced once.
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(
        checking(&shown),
        1,
        "{:?}",
        shown.lock().expect("notifications")
    );
    client.close().await.expect("quit the app");
}
