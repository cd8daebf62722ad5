//! The app as a whole: publishing status and pause, the activity log, the window's page, start at login.

use reachloop::store::Actor;
use reachloop_ipc::{AppStatus, AuditEntry, ErrorDto};
use tauri::{AppHandle, Runtime, State};

use super::to_dto;
use super::Shell;
use crate::tray;

#[tauri::command]
pub(crate) async fn app_status(shell: State<'_, Shell>) -> Result<AppStatus, ErrorDto> {
    shell.core()?.status().await.map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn set_publishing_paused<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    paused: bool,
) -> Result<AppStatus, ErrorDto> {
    shell
        .core()?
        .set_publishing_paused(chrono::Utc::now(), Actor::User, paused)
        .await
        .map_err(to_dto)?;
    tray::show_paused(&app, paused);
    shell.core()?.status().await.map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn recent_audit(
    shell: State<'_, Shell>,
    limit: u32,
    campaign_id: Option<String>,
    who: Option<String>,
) -> Result<Vec<AuditEntry>, ErrorDto> {
    shell
        .core()?
        .audit_entries(limit.min(1000), campaign_id.as_deref(), who.as_deref())
        .await
        .map_err(to_dto)
}

/// The UI calls this once its first screen is drawn.
#[tauri::command]
pub(crate) fn ui_ready(shell: State<'_, Shell>) {
    let elapsed_ms = shell.started.elapsed().as_millis();
    tracing::info!(elapsed_ms, "ui ready");
}

/// The UI says how long a view took to draw (`what`: "calendar"; `posts`
/// the view counts, `data_ms` from asking to the answer, `render_ms` from
/// the answer to the drawn page), for `cargo xtask bench calendar`.
#[tauri::command]
pub(crate) fn ui_timing(what: String, posts: u32, data_ms: f64, render_ms: f64) {
    if what == "calendar" && data_ms.is_finite() && render_ms.is_finite() {
        tracing::info!(posts, data_ms, render_ms, "calendar drawn");
    }
}

/// A page's id, with an open campaign's id or the Calendar's view after a
/// slash.
pub(crate) fn is_view_id(page: &str) -> bool {
    (1..=80).contains(&page.len())
        && page
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'/')
}

/// The UI says which page it shows (a navigation id such as `nav-calendar`,
/// or `nav-campaigns/<id>` with a campaign open).
#[tauri::command]
pub(crate) fn page_shown(shell: State<'_, Shell>, page: String) -> Result<(), ErrorDto> {
    if !is_view_id(&page) {
        return Err(ErrorDto {
            code: "invalid_page".into(),
            message: "That is not a page of Reachloop's window.".into(),
            fields: vec![],
        });
    }
    if let Ok(mut p) = shell.page.lock() {
        *p = Some(page);
    }
    Ok(())
}

pub(crate) fn autostart_error(e: impl std::fmt::Display) -> ErrorDto {
    ErrorDto {
        code: "autostart".into(),
        message: format!("Starting at login could not be changed: {e}."),
        fields: vec![],
    }
}

/// Whether Reachloop starts (into the tray) when the user logs in.
#[tauri::command]
pub(crate) async fn start_at_login<R: Runtime>(app: AppHandle<R>) -> Result<bool, ErrorDto> {
    use tauri_plugin_autostart::ManagerExt;
    app.autolaunch().is_enabled().map_err(autostart_error)
}

#[tauri::command]
pub(crate) async fn set_start_at_login<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    enabled: bool,
) -> Result<bool, ErrorDto> {
    use tauri_plugin_autostart::ManagerExt;
    let launcher = app.autolaunch();
    if enabled {
        launcher.enable().map_err(autostart_error)?;
    } else {
        launcher.disable().map_err(autostart_error)?;
    }
    if let Ok(core) = shell.core() {
        if let Err(e) = core
            .record_start_at_login(chrono::Utc::now(), Actor::User, enabled)
            .await
        {
            tracing::warn!("start at login was changed but not recorded: {e}");
        }
    }
    launcher.is_enabled().map_err(autostart_error)
}

#[tauri::command]
pub(crate) async fn publisher_status(
    shell: State<'_, Shell>,
) -> Result<reachloop_ipc::PublisherStatus, ErrorDto> {
    let who = shell
        .core()?
        .publisher(chrono::Utc::now())
        .await
        .map_err(to_dto)?;
    Ok(reachloop_ipc::PublisherStatus {
        this_app: who
            .as_ref()
            .is_some_and(|(holder, _)| holder == crate::PUBLISHER_ID.as_str()),
        kind: who.map(|(_, kind)| kind),
    })
}
