//! Reachloop's desktop shell: the window, the tray and thin commands.
//!
//! Everything that decides anything lives in the `reachloop` core. This crate
//! only wires the core to Tauri: it opens the data directory, turns core
//! results into IPC types, and owns the tray and window lifecycle.

mod commands;
mod deep_links;
mod tray;

use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Instant;

use tauri::{Manager, Runtime, WindowEvent};

pub use commands::Shell;

/// When the process started, for the start-up figure `ui_ready` reports.
static STARTED: OnceLock<Instant> = OnceLock::new();

/// This app's name as a publisher (the lease holder), unique per process.
pub(crate) static PUBLISHER_ID: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("app-{}", uuid::Uuid::new_v4()));

/// Starts the desktop app and blocks until it quits.
pub fn run() -> ExitCode {
    STARTED.get_or_init(Instant::now);
    init_logging();
    // A data directory that cannot be opened still gets a window, which
    // explains the problem instead of the app silently not starting.
    let core = open_core();
    if let Err(e) = &core {
        tracing::error!("cannot open Reachloop's data: {e}");
    }
    let builder = tauri::Builder::default()
        // Must come first: a second launch hands over to the running app,
        // including a `reachloop://` link it was started with.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            show_main_window(app)
        }))
        .plugin(tauri_plugin_deep_link::init())
        // File dialogs, opened from Rust only (the window has no dialog permission).
        .plugin(tauri_plugin_dialog::init());
    let options = ShellOptions {
        tray: true,
        deep_links: true,
        main_window: !start_in_tray(),
    };
    let app = match builder_with(builder, core, options).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("Reachloop stopped: {e}");
            eprintln!("Reachloop stopped: {e}");
            return ExitCode::FAILURE;
        }
    };
    app.run(|handle, event| {
        // The last window closing does not end Reachloop (it lives on in
        // the tray); Quit does.
        if let tauri::RunEvent::ExitRequested {
            code: None, api, ..
        } = &event
        {
            api.prevent_exit();
            return;
        }
        // A clean exit leaves the database file complete on its own (the
        // WAL checkpointed into it), so copying it is a backup.
        if let tauri::RunEvent::Exit = event {
            if let Ok(core) = handle.state::<Shell>().core() {
                tauri::async_runtime::block_on(async {
                    // Hand publishing over to an agent at once.
                    let _ = core.stop_publishing(PUBLISHER_ID.as_str()).await;
                    core.store().clone().close().await;
                });
            }
        }
    });
    ExitCode::SUCCESS
}

fn open_core() -> Result<reachloop::App, reachloop::Error> {
    let data_dir = reachloop::paths::data_dir()?;
    tracing::info!(data_dir = %data_dir.display(), "opening data directory");
    tauri::async_runtime::block_on(reachloop::App::open(&data_dir))
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("REACHLOOP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// What differs between the real app and a test of it.
#[derive(Debug, Clone, Copy)]
pub struct ShellOptions {
    /// Show the tray icon (needs a desktop session; off on the mock runtime).
    pub tray: bool,
    /// Take `reachloop://` links (needs the deep-link plugin; off on the mock runtime).
    pub deep_links: bool,
    /// Open the main window at start (not when starting into the tray, and
    /// not on the mock runtime, whose tests make their own windows).
    pub main_window: bool,
}

/// Starting straight into the tray: `--tray` (what start-at-login uses) or
/// `REACHLOOP_START_IN_TRAY=1`.
pub fn start_in_tray() -> bool {
    std::env::args().any(|a| a == "--tray")
        || std::env::var("REACHLOOP_START_IN_TRAY").is_ok_and(|v| v == "1")
}

/// The app's commands, state, tray and window behaviour, on any runtime, so
/// tests can pass `tauri::test::mock_builder()`. When `core` could not be
/// opened, every command answers with that error.
pub fn builder_with<R: Runtime>(
    builder: tauri::Builder<R>,
    core: Result<reachloop::App, reachloop::Error>,
    options: ShellOptions,
) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_notification::init())
        // Start at login runs `reachloop --tray`: the publisher without a window.
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--tray"]),
        ))
        .manage(Shell::new(core, *STARTED.get_or_init(Instant::now)))
        .invoke_handler(commands::handler())
        .setup(move |app| {
            if options.tray {
                tray::install(app.handle())?;
            }
            if options.deep_links {
                deep_links::install(app.handle());
            }
            if options.main_window {
                open_main_window(app.handle())?;
            }
            if let Ok(core) = app.state::<Shell>().core() {
                tauri::async_runtime::spawn(refresh_tokens_forever(
                    app.handle().clone(),
                    core.clone(),
                ));
                tauri::async_runtime::spawn(run_queued_generations_forever(core.clone()));
                tauri::async_runtime::spawn(publish_forever(app.handle().clone(), core.clone()));
                tauri::async_runtime::spawn(emit_changes_forever(
                    app.handle().clone(),
                    core.clone(),
                ));
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window keeps Reachloop running in the tray, but
            // lets the window go: its WebKit processes end and only the core
            // keeps running (Open builds it again, on the page it showed).
            if let WindowEvent::Destroyed = event {
                if window.label() == "main" {
                    tracing::info!("window closed; Reachloop keeps running in the tray");
                    #[cfg(target_os = "linux")]
                    end_network_process_when_idle(window.app_handle().clone());
                }
            }
        })
}
/// WebKit keeps its network process (about 35 MB) after the window's web
/// process ends: once that has ended and the window stayed closed for a
/// grace period (`REACHLOOP_NETWORK_GRACE_SECS`, default 10 s, so closing
/// and opening again at once does not thrash), end it too. A window opened
/// later starts a new one. (A WebDriver session does not survive it: the
/// end-to-end journeys that reopen the window set a long grace.)
#[cfg(target_os = "linux")]
fn end_network_process_when_idle<R: Runtime>(app: tauri::AppHandle<R>) {
    std::thread::spawn(move || {
        let children = |prefix: &str| -> Vec<i32> {
            let me = std::process::id().to_string();
            let Ok(entries) = std::fs::read_dir("/proc") else {
                return Vec::new();
            };
            entries
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
                .filter(|pid| {
                    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                        return false;
                    };
                    let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
                        return false;
                    };
                    stat[open + 1..close].starts_with(prefix)
                        && stat[close + 1..].split_whitespace().nth(1) == Some(me.as_str())
                })
                .collect()
        };
        // The web process ends within moments of the window.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !children("WebKitWebProces").is_empty() {
            if std::time::Instant::now() > deadline {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let grace = std::env::var("REACHLOOP_NETWORK_GRACE_SECS")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(10)
            .min(86_400);
        let until = std::time::Instant::now() + std::time::Duration::from_secs(grace);
        while std::time::Instant::now() < until {
            if app.get_webview_window("main").is_some() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        if app.get_webview_window("main").is_some() {
            return;
        }
        for pid in children("WebKitNetworkPr") {
            // Held by a pidfd from here on: the signal goes to this process
            // even if it ended meanwhile and its pid was taken again; and it
            // is still our network process once the pidfd is held.
            let Some(fd) = rustix::process::Pid::from_raw(pid).and_then(|p| {
                rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty()).ok()
            }) else {
                continue;
            };
            if !children("WebKitNetworkPr").contains(&pid)
                || app.get_webview_window("main").is_some()
            {
                return;
            }
            let ended =
                rustix::process::pidfd_send_signal(&fd, rustix::process::Signal::TERM).is_ok();
            tracing::info!(pid, ended, "ended WebKit's network process with the window");
        }
    });
}

/// Renews tokens before they expire, once a minute, for as long as the app
/// runs (window open or in the tray). An account whose grant was revoked is
/// announced once with a desktop notification.
async fn refresh_tokens_forever<R: Runtime>(app: tauri::AppHandle<R>, core: reachloop::App) {
    let keys = reachloop::secrets::OsKeychain::from_env();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        match core.refresh_due_accounts(&keys, chrono::Utc::now()).await {
            Ok(outcomes) => {
                for (account, outcome) in outcomes {
                    tracing::info!(%account, ?outcome, "token refresh");
                    if let reachloop::oauth::RefreshOutcome::NeedsAction {
                        reason,
                        newly: true,
                    } = &outcome
                    {
                        notify(&app, "Reconnect an account", reason);
                    }
                }
            }
            Err(e) => tracing::warn!("token refresh round failed: {e}"),
        }
    }
}

/// Plans and publishes due posts every 20 s while the app runs (window open
/// or in the tray), unless `reachloop-cli agent` holds the publisher lease.
/// Failures and posts that need the user are announced on the desktop.
async fn publish_forever<R: Runtime>(app: tauri::AppHandle<R>, core: reachloop::App) {
    let adapters = core.adapters(&reachloop::secrets::OsKeychain::from_env());
    let sources = core.metrics_sources(&reachloop::secrets::OsKeychain::from_env());
    let clock = chrono::Utc::now;
    // REACHLOOP_PUBLISH_INTERVAL_SECS shortens the wait (tests, demos).
    let every = std::env::var("REACHLOOP_PUBLISH_INTERVAL_SECS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|s| (1..=3600).contains(s))
        .unwrap_or(20);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(every));
    loop {
        tick.tick().await;
        match core
            .publishing_tick(PUBLISHER_ID.as_str(), "app", &adapters, &clock)
            .await
        {
            Ok(Some(round)) => {
                if round.failed > 0 {
                    notify(
                        &app,
                        "A post could not be published",
                        "Open the Calendar in Reachloop to see why and what to do.",
                    );
                }
                // Once per post: a post still waiting to be checked is not
                // announced again every round.
                if round.unclear > 0 {
                    notify(
                        &app,
                        "A post needs checking",
                        "The platform did not confirm a post; Reachloop checks before trying again.",
                    );
                }
                if round.missed > 0 {
                    notify(
                        &app,
                        "Posts were missed",
                        "Reachloop was not running when they were due; see the Calendar.",
                    );
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!("publishing round failed: {e}"),
        }
        match core
            .collecting_tick(PUBLISHER_ID.as_str(), &sources, &clock)
            .await
        {
            Ok(Some(c)) if c.snapshots + c.gone > 0 => {
                tracing::info!(kept = c.snapshots, gone = c.gone, "metrics collected")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("collecting metrics failed: {e}"),
        }
    }
}

/// Live updates: the core looks for changes every second (its own, the
/// agent's, the CLI's) and sends them through a channel; each becomes an
/// event to the main window, which re-reads what it shows. With the window
/// closed (in the tray) there is nobody to tell, and the event goes nowhere.
async fn emit_changes_forever<R: Runtime>(app: tauri::AppHandle<R>, core: reachloop::App) {
    use tauri::Emitter;
    let (tx, mut rx) = tokio::sync::mpsc::channel(32);
    tauri::async_runtime::spawn(core.watch_changes(std::time::Duration::from_secs(1), tx));
    while let Some(change) = rx.recv().await {
        if app.get_webview_window("main").is_some() {
            if let Err(e) = app.emit_to("main", change.event(), ()) {
                tracing::debug!("cannot tell the window of {change:?}: {e}");
            }
        }
    }
}

/// Generations asked for while the AI endpoint was unreachable run when it
/// answers again: checked every 30 s while the app runs. Jobs a crash left
/// running are queued again first.
async fn run_queued_generations_forever(core: reachloop::App) {
    let keys = reachloop::secrets::OsKeychain::from_env();
    match core.store().requeue_running_jobs(chrono::Utc::now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(jobs = n, "requeued generations interrupted by a restart"),
        Err(e) => tracing::warn!("cannot requeue interrupted generations: {e}"),
    }
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
    loop {
        tick.tick().await;
        match core
            .run_queued_generations(&keys, reachloop::app::default_policy())
            .await
        {
            Ok(done) if !done.is_empty() => {
                tracing::info!(jobs = done.len(), "queued generations ran")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("queued generations: {e}"),
        }
    }
}

/// A desktop notification; a desktop without a notification service only
/// gets the log line.
pub(crate) fn notify<R: Runtime>(app: &tauri::AppHandle<R>, title: &str, body: &str) {
    use tauri_plugin_notification::NotificationExt;
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::warn!("cannot show a notification ({e}): {title}: {body}");
    }
}

pub(crate) fn show_main_window<R: Runtime>(app: &tauri::AppHandle<R>) {
    match app.get_webview_window("main") {
        Some(window) => {
            let _ = window.unminimize();
            let _ = window.show();
            let _ = window.set_focus();
        }
        // Closed to the tray: build it again.
        None => {
            if let Err(e) = open_main_window(app) {
                tracing::error!("cannot open the window: {e}");
            }
        }
    }
}

/// Builds the main window from `tauri.conf.json`.
fn open_main_window<R: Runtime>(app: &tauri::AppHandle<R>) -> tauri::Result<()> {
    if app.get_webview_window("main").is_some() {
        return Ok(());
    }
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == "main")
        .cloned()
        .ok_or_else(|| tauri::Error::WindowNotFound)?;
    let mut builder = tauri::WebviewWindowBuilder::from_config(app, &config)?;
    // The webview's own storage (the page the window showed, the UI's
    // local storage) lives in Reachloop's data directory with the rest.
    let shell = app.state::<Shell>();
    if let Ok(core) = shell.core() {
        builder = builder.data_directory(core.data_dir().join("webview"));
    }
    // A window rebuilt after closing to the tray opens on the page it
    // showed. The shell hands it over itself: the closed webview's local
    // storage is not reliably written by the time the new one reads it.
    if let Some(page) = shell.page() {
        let page = serde_json::to_string(&page).unwrap_or_default();
        builder = builder.initialization_script(format!("window.__REACHLOOP_PAGE = {page};"));
    }
    builder.build()?;
    Ok(())
}
