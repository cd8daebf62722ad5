//! End-to-end: the real app window, driven through tauri-driver and
//! WebKitWebDriver. Run through `cargo xtask test`, which provides Xvfb, a
//! private D-Bus session and an unlocked gnome-keyring.
//!
//! This file holds what the journeys share: the driver, waits, screenshots,
//! `reachloop-cli` on a journey's data directory. The journeys, by module:
//!
//! - `campaigns`: submit an empty name and see the error beside the field;
//!   create a campaign through the form and see it listed; restart the app
//!   and see it again; launch a second instance and see it hand over; read
//!   the audit log. Generate variants and edit one until it breaks a rule. A
//!   new user's first hour: fixing a name after a failed submit keeps focus
//!   in the name; Generate without an AI endpoint points to Settings → AI
//!   and leaves no job; a second hand-written variant (or saving another)
//!   keeps the first one's text.
//! - `accounts`: connect X through the loopback listener and disconnect it;
//!   connect Facebook Pages through the relay page and a `reachloop://` deep
//!   link, picking Pages and a linked Instagram account.
//! - `publishing`: the Sandbox loop from the window (schedule, publish,
//!   override, pause, resume); a post that needs checking is announced on
//!   the desktop once.
//! - `schedules`: a one-off typed in the form is read in the zone it
//!   shows; a cadence's or a zone's problem is said once, under its field,
//!   and the form stays still.
//! - `analytics`: figures that update by themselves, filters, exports.
//! - `tray`: start at login; closing the window keeps publishing in the tray
//!   and ends its web process, and Open brings the page back.
//!
//! Every wait is for a condition, with a deadline and a message saying what
//! did not happen (`eventually`). Screenshots of each step go to
//! `$REACHLOOP_E2E_ARTIFACTS` (`target/e2e/`).

mod accounts;
mod activity;
mod analytics;
mod calendar;
mod campaigns;
mod optimizer;
mod publishing;
mod schedules;
mod tray;

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
        // Let WebKit paint the last change before capturing it: two frames.
        if let Err(e) = client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            )
            .await
        {
            eprintln!("{name}: no frame was drawn before the screenshot ({e})");
        }
        let png = client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "screenshot is a PNG");
        std::fs::write(self.0.join(format!("{name}.png")), png).expect("save screenshot");
    }
}

/// Writes a Sandbox variant in the open campaign and waits until `saved`
/// variants are saved.
async fn add_sandbox_variant(client: &Client, text: &str, saved: usize) {
    click(client, "#add-variant-sandbox").await;
    wait_for(
        client,
        "#variants-sandbox .variant-card:not([data-id]) textarea",
        "a new variant card opens",
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

/// The element matching `css` once it appears (within `WAIT`); `what` says
/// what was expected when it does not.
async fn wait_for(client: &Client, css: &str, what: &str) -> Element {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{what} ({css}): {e}"))
}

/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(150);

/// Polls `probe` until it answers `Ok` (within `within`), and gives that;
/// else panics with `what` did not happen and the last thing `probe` saw.
async fn eventually<T>(
    within: Duration,
    what: &str,
    mut probe: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        match probe().await {
            Ok(v) => return v,
            Err(seen) if Instant::now() > deadline => {
                panic!("{what}: not within {within:?}; last seen: {seen}")
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// Waits until nothing matches `css`.
async fn wait_for_gone(client: &Client, css: &str, what: &str) {
    eventually(WAIT, what, async || {
        match client.find(Locator::Css(css)).await {
            Ok(_) => Err(format!("{css} still shows")),
            Err(_) => Ok(()),
        }
    })
    .await
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

/// Empties a field as a user does (select all, delete), so the page hears
/// it: WebDriver's own clear fires no input event, and a page drawn again
/// before the next keystroke would put the old text back.
async fn clear_field(field: &Element) {
    use fantoccini::key::Key;
    let keys: String = [
        Key::Control.into(),
        'a',
        Key::Null.into(),
        Key::Backspace.into(),
    ]
    .into_iter()
    .collect();
    field.send_keys(&keys).await.expect("select all and delete");
}

/// Waits until the element with id `id` has the keyboard.
async fn wait_focused(client: &Client, id: &str, what: &str) {
    eventually(WAIT, what, async || {
        let focused = client
            .execute(
                "return document.activeElement && document.activeElement.id;",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        match focused.as_str() {
            Some(f) if f == id => Ok(()),
            _ => Err(format!("{focused}")),
        }
    })
    .await;
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
    let (campaign, account) = a_sandbox_campaign(d, name);
    schedule_once(
        d,
        &campaign,
        &account,
        chrono::Utc::now() + chrono::Duration::seconds(8),
    );
    campaign
}

/// From the shell, on `d`: an active campaign `name` with one Sandbox
/// variant, and a Sandbox account. Their ids.
fn a_sandbox_campaign(d: &std::path::Path, name: &str) -> (String, String) {
    let (campaign, account) = a_draft_sandbox_campaign(d, name, &[], "Warm bread, \"fresh\", at 7");
    cli(d, &["campaigns", "status", &campaign, "active"]);
    (campaign, account)
}

/// From the shell, on `d`: a draft campaign `name` (created with `extra`
/// arguments, e.g. `--banned`) with one Sandbox variant `body`, and a
/// Sandbox account. Their ids.
fn a_draft_sandbox_campaign(
    d: &std::path::Path,
    name: &str,
    extra: &[&str],
    body: &str,
) -> (String, String) {
    let create = [
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
        ][..],
        extra,
    ]
    .concat();
    let campaign = cli(d, &create)["id"]
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
            body,
        ],
    );
    let account = cli(
        d,
        &[
            "accounts", "connect", "sandbox", "--name", "Bakery", "--json",
        ],
    )[0]["id"]
        .as_str()
        .expect("account id")
        .to_string();
    (campaign, account)
}

/// From the shell, on `d`: one post of `campaign` to `account` at `at`.
fn schedule_once(
    d: &std::path::Path,
    campaign: &str,
    account: &str,
    at: chrono::DateTime<chrono::Utc>,
) {
    cli(
        d,
        &[
            "schedule",
            "add",
            "--campaign",
            campaign,
            "--platform",
            "sandbox",
            "--account",
            account,
            "--at",
            &at.to_rfc3339(),
            "--tz",
            "UTC",
        ],
    );
}
