//! Living in the tray: start at login; closing the window and opening it
//! again.

use super::*;

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

/// A process on this machine: (pid, parent pid, name as the kernel keeps
/// it, at most 15 characters).
fn processes() -> Vec<(u32, u32, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        // "pid (name) state ppid ...": the name may hold spaces and parens.
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let mut rest = stat[close + 1..].split_whitespace();
        let state = rest.next().unwrap_or("?");
        let ppid = rest.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        if state != "Z" {
            out.push((pid, ppid, stat[open + 1..close].to_string()));
        }
    }
    out
}

/// The live processes under `root` (children, their children...).
fn descendants(root: u32) -> Vec<(u32, String)> {
    let all = processes();
    let mut found: Vec<(u32, String)> = Vec::new();
    let mut parents = vec![root];
    while let Some(parent) = parents.pop() {
        for (pid, ppid, name) in &all {
            if *ppid == parent && !found.iter().any(|(p, _)| p == pid) {
                found.push((*pid, name.clone()));
                parents.push(*pid);
            }
        }
    }
    found
}

/// The app's pid, under tauri-driver and WebKitWebDriver.
fn app_pid(driver: &Driver) -> u32 {
    descendants(driver.child.id())
        .into_iter()
        .find(|(_, name)| name == "reachloop")
        .map(|(pid, _)| pid)
        .expect("the app runs under tauri-driver")
}

/// The WebKit processes the app started (web content, network).
fn webkit_processes(app: u32) -> Vec<String> {
    descendants(app)
        .into_iter()
        .map(|(_, name)| name)
        .filter(|name| name.starts_with("WebKit"))
        .collect()
}

fn alive(pid: u32) -> bool {
    processes().iter().any(|(p, _, _)| *p == pid)
}

/// Asks the app's window to close as a window manager does when the user
/// clicks its close button: a `WM_DELETE_WINDOW` message to each shown
/// top-level window of process `pid` that takes it. How many were asked.
fn ask_windows_to_close(pid: u32) -> usize {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{
        AtomEnum, ClientMessageEvent, ConnectionExt as _, EventMask, MapState,
    };
    let (conn, screen) = x11rb::connect(None).expect("connect to the X display (Xvfb)");
    let root = conn.setup().roots[screen].root;
    let atom = |name: &str| {
        conn.intern_atom(false, name.as_bytes())
            .expect("intern an atom")
            .reply()
            .expect("an atom")
            .atom
    };
    let (protocols, delete, net_wm_pid) = (
        atom("WM_PROTOCOLS"),
        atom("WM_DELETE_WINDOW"),
        atom("_NET_WM_PID"),
    );
    let cardinals = |window, property, kind: AtomEnum| -> Vec<u32> {
        conn.get_property(false, window, property, kind, 0, 64)
            .ok()
            .and_then(|c| c.reply().ok())
            .and_then(|r| r.value32().map(|v| v.collect()))
            .unwrap_or_default()
    };
    let tree = conn
        .query_tree(root)
        .expect("query the windows")
        .reply()
        .expect("the windows");
    let mut asked = 0;
    for window in tree.children {
        let shown = conn
            .get_window_attributes(window)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|a| a.map_state == MapState::VIEWABLE);
        if !shown
            || cardinals(window, net_wm_pid, AtomEnum::CARDINAL) != [pid]
            || !cardinals(window, protocols, AtomEnum::ATOM).contains(&delete)
        {
            continue;
        }
        let event = ClientMessageEvent::new(32, window, protocols, [delete, 0, 0, 0, 0]);
        conn.send_event(false, window, EventMask::NO_EVENT, event)
            .expect("send the close request");
        asked += 1;
    }
    conn.flush().expect("flush");
    asked
}

/// Closing the window keeps Reachloop in the tray: the app keeps running
/// and publishing (a post due after the close goes out), the window's
/// WebKit web process ends, and Open (here a second launch, which the
/// running app takes as Open, as the tray's item does) builds the window
/// again on the page it showed, the campaign it had open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_window_keeps_publishing_in_the_tray_and_open_brings_the_page_back() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let d = data.path();
    let (campaign, account) = a_sandbox_campaign(d, "From the tray");
    let env = [
        ("REACHLOOP_PUBLISH_INTERVAL_SECS", "2".to_string()),
        ("REACHLOOP_SANDBOX_FAILURE_RATE", "0".to_string()),
        // The WebDriver session does not survive WebKit's network process
        // ending: it is kept while this journey reopens the window (the
        // next journey ends it).
        ("REACHLOOP_NETWORK_GRACE_SECS", "3600".to_string()),
    ];
    let driver = start_driver(d, &env);
    let shots = Artifacts::new();
    let client = launch(&driver).await;
    click(&client, "#nav-calendar").await;
    wait_for(&client, "#page-calendar #calendar-grid", "the Calendar").await;
    shots.shot(&client, "90-calendar-before-closing").await;
    // The window is left on the campaign, opened from Campaigns.
    click(&client, "#nav-campaigns").await;
    wait_for_listed(&client, "From the tray").await;
    click(&client, "#campaign-list .campaign-open").await;
    wait_for_text(&client, "#campaign-title", "From the tray").await;
    let app = app_pid(&driver);
    let before = eventually(WAIT, "the window runs a WebKit web process", async || {
        let running = webkit_processes(app);
        match running.iter().any(|p| p.starts_with("WebKitWebProces")) {
            true => Ok(running),
            false => Err(format!("{running:?}")),
        }
    })
    .await;

    // Close it, as the window manager's close button does.
    assert_eq!(
        ask_windows_to_close(app),
        1,
        "one window of the app's shows"
    );
    let after = eventually(WAIT, "the window's WebKit processes end", async || {
        assert!(alive(app), "the app quit when its window closed");
        let running = webkit_processes(app);
        match running.iter().any(|p| p.starts_with("WebKitWebProces")) {
            false => Ok(running),
            true => Err(format!("still running: {running:?}")),
        }
    })
    .await;
    eprintln!("WebKit processes with the window: {before:?}; in the tray: {after:?}");

    // In the tray it still publishes: a post due after the close goes out.
    schedule_once(
        d,
        &campaign,
        &account,
        chrono::Utc::now() + chrono::Duration::seconds(3),
    );
    let published = eventually(
        Duration::from_secs(90),
        "the post due after the close is published from the tray",
        async || {
            assert!(alive(app), "the app quit in the tray");
            let posts = cli(d, &["posts", "list", "--json"]);
            match posts.as_array().and_then(|p| p.first()) {
                Some(p) if p["status"] == "published" => Ok(p["id"].clone()),
                _ => Err(format!("{posts}")),
            }
        },
    )
    .await;
    assert!(
        !webkit_processes(app)
            .iter()
            .any(|p| p.starts_with("WebKitWebProces")),
        "publishing in the tray started no web process"
    );

    // Open: a second launch hands over to the running app, which builds
    // the window again (what the tray's Open does: show_main_window).
    let status = Command::new(env!("CARGO_BIN_EXE_reachloop"))
        .env("REACHLOOP_DATA_DIR", d)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("launch Reachloop again");
    assert!(status.success(), "the second launch hands over: {status}");
    // The rebuilt window's page is the WebDriver session's new window.
    let window = eventually(WAIT, "the window comes back", async || {
        let windows = client.windows().await.map_err(|e| e.to_string())?;
        windows
            .into_iter()
            .next()
            .ok_or_else(|| "no window".to_string())
    })
    .await;
    client
        .switch_to_window(window)
        .await
        .expect("switch to the new window");
    // The window is back where it was, without a click: on the campaign.
    wait_for_text(&client, "#page-campaign #campaign-title", "From the tray").await;
    wait_for(
        &client,
        "#nav-campaigns[aria-current='page']",
        "the navigation marks Campaigns",
    )
    .await;
    shots.shot(&client, "91-reopened-on-the-campaign").await;
    click(&client, "#nav-calendar").await;
    wait_for(
        &client,
        "#page-calendar #calendar-grid",
        "the Calendar in the rebuilt window",
    )
    .await;
    assert!(alive(app), "the same app shows it");
    wait_for(
        &client,
        &format!(
            "#calendar-grid .post.published[data-id='{}']",
            published.as_str().expect("an id")
        ),
        "the post published from the tray shows",
    )
    .await;
    wait_for_text(&client, "#publisher-status", "this app").await;
    shots.shot(&client, "92-published-from-the-tray").await;
    client.close().await.expect("quit the app");
}

/// In the tray, WebKit's network process (about 35 MB) ends too, once the
/// window has stayed closed for the grace period (none here); Open then
/// builds a window whose page loads and runs (the UI reports ready again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_tray_webkits_network_process_ends_and_open_still_works() {
    let data = tempfile::Builder::new()
        .prefix("reachloop-e2e-")
        .tempdir()
        .expect("temp dir");
    let d = data.path();
    let log = d.join("app.log");
    let driver = start_driver_logged(
        d,
        &[("REACHLOOP_NETWORK_GRACE_SECS", "0".to_string())],
        &log,
    );
    let client = launch(&driver).await;
    wait_for(&client, "#nav-campaigns", "the window").await;
    let app = app_pid(&driver);
    let before = eventually(WAIT, "the window runs WebKit's processes", async || {
        let running = webkit_processes(app);
        match running.iter().any(|p| p.starts_with("WebKitNetwork"))
            && running.iter().any(|p| p.starts_with("WebKitWebProces"))
        {
            true => Ok(running),
            false => Err(format!("{running:?}")),
        }
    })
    .await;
    assert_eq!(ask_windows_to_close(app), 1, "one window to close");
    eventually(WAIT, "every WebKit process ends in the tray", async || {
        assert!(alive(app), "the app quit when its window closed");
        let running = webkit_processes(app);
        match running.is_empty() {
            true => Ok(()),
            false => Err(format!(
                "still running: {running:?} (with the window: {before:?})"
            )),
        }
    })
    .await;
    let ready = |log: &std::path::Path| {
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .matches("ui ready")
            .count()
    };
    assert_eq!(ready(&log), 1);
    // Open (a second launch hands over): a new window, whose page loads
    // and runs, with new WebKit processes.
    let status = Command::new(env!("CARGO_BIN_EXE_reachloop"))
        .env("REACHLOOP_DATA_DIR", d)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("launch Reachloop again");
    assert!(status.success(), "the second launch hands over: {status}");
    eventually(WAIT, "the reopened window's page runs", async || {
        match (ready(&log), webkit_processes(app)) {
            (2, running) if running.iter().any(|p| p.starts_with("WebKitWebProces")) => Ok(()),
            (n, running) => Err(format!("ui ready {n} times; {running:?}")),
        }
    })
    .await;
    assert!(alive(app));
    drop(client);
}
