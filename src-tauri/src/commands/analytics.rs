//! Analytics: the dashboard, charts, post history and exports through the save dialog.

use reachloop_ipc::ErrorDto;
use tauri::{AppHandle, Runtime, State};

use super::to_dto;
use super::Shell;

/// The Analytics page's figures for `filter`, days in this computer's zone.
#[tauri::command]
pub(crate) async fn dashboard(
    shell: State<'_, Shell>,
    filter: reachloop_ipc::AnalyticsFilter,
) -> Result<reachloop_ipc::Dashboard, ErrorDto> {
    let zone = reachloop::time::local_zone_name();
    shell
        .core()?
        .dashboard(&filter, &zone, chrono::Utc::now())
        .await
        .map_err(to_dto)
}

/// The Analytics page's chart as SVG (drawn by the core with plotters).
#[tauri::command]
pub(crate) async fn dashboard_chart(
    shell: State<'_, Shell>,
    filter: reachloop_ipc::AnalyticsFilter,
) -> Result<String, ErrorDto> {
    let zone = reachloop::time::local_zone_name();
    shell
        .core()?
        .dashboard_svg(&filter, &zone, chrono::Utc::now())
        .await
        .map_err(to_dto)
}

/// Where the last export was saved, for the next save dialog.
static LAST_FOLDER: std::sync::Mutex<Option<std::path::PathBuf>> = std::sync::Mutex::new(None);

/// Asks where to save (the system dialog, opened from Rust) and saves
/// `bytes` there whole; `None` when the dialog was closed.
///
/// The dialog opens in the folder last saved to (this run), else the
/// user's Downloads or Documents.
pub(crate) async fn save_as<R: Runtime>(
    app: &AppHandle<R>,
    title: &str,
    file_name: &str,
    (filter_name, extension): (&str, &str),
    bytes: Vec<u8>,
) -> Result<Option<String>, ErrorDto> {
    use tauri::Manager;
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    // The folder last saved to, else the user's Downloads or Documents
    // (never the app's working folder).
    let folder = LAST_FOLDER
        .lock()
        .ok()
        .and_then(|f| f.clone())
        .or_else(|| app.path().download_dir().ok())
        .or_else(|| app.path().document_dir().ok());
    let mut dialog = app
        .dialog()
        .file()
        .set_title(title)
        .set_file_name(file_name)
        .add_filter(filter_name, &[extension]);
    if let Some(folder) = folder.filter(|f| f.is_dir()) {
        dialog = dialog.set_directory(folder);
    }
    dialog.save_file(move |picked| {
        let _ = tx.send(picked);
    });
    let Some(picked) = rx.await.ok().flatten() else {
        return Ok(None);
    };
    let path = picked.into_path().map_err(|e| ErrorDto {
        code: "file".into(),
        message: format!("The chosen place has no local path: {e}"),
        fields: vec![],
    })?;
    reachloop::app::analytics::save_bytes(&path, &bytes).map_err(to_dto)?;
    if let (Ok(mut last), Some(parent)) = (LAST_FOLDER.lock(), path.parent()) {
        *last = Some(parent.to_path_buf());
    }
    Ok(Some(path.display().to_string()))
}

/// Export CSV: the campaign's report, saved where the user picks.
#[tauri::command]
pub(crate) async fn export_campaign_csv<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    filter: reachloop_ipc::AnalyticsFilter,
) -> Result<Option<String>, ErrorDto> {
    let core = shell.core()?;
    let zone = reachloop::time::local_zone_name();
    let text = core
        .campaign_csv(&filter, &zone, chrono::Utc::now())
        .await
        .map_err(to_dto)?;
    let name = match filter.campaign_id.as_deref() {
        Some(id) => core
            .campaign(id)
            .await
            .map(|c| c.name)
            .unwrap_or_else(|_| "campaign".into()),
        None => "campaign".into(),
    };
    let file = format!("{} report.csv", sanitize_file_name(&name));
    save_as(
        &app,
        "Save the report",
        &file,
        ("CSV", "csv"),
        text.into_bytes(),
    )
    .await
}

/// Export the Analytics chart as SVG or PNG (`format`), saved where the
/// user picks.
#[tauri::command]
pub(crate) async fn export_chart<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    filter: reachloop_ipc::AnalyticsFilter,
    format: String,
) -> Result<Option<String>, ErrorDto> {
    let format = reachloop::app::analytics::ChartFormat::parse(&format).map_err(to_dto)?;
    let zone = reachloop::time::local_zone_name();
    let svg = shell
        .core()?
        .dashboard_svg(&filter, &zone, chrono::Utc::now())
        .await
        .map_err(to_dto)?;
    save_chart(&app, format, "Reachloop chart", svg).await
}

/// Asks where to save a chart and saves it in `format`.
pub(crate) async fn save_chart<R: Runtime>(
    app: &AppHandle<R>,
    format: reachloop::app::analytics::ChartFormat,
    name: &str,
    svg: String,
) -> Result<Option<String>, ErrorDto> {
    let ext = format.extension();
    // Rasterising takes a moment (fonts are read): off the async threads.
    let bytes = tauri::async_runtime::spawn_blocking(move || format.encode(svg))
        .await
        .map_err(|e| ErrorDto {
            code: "internal".into(),
            message: format!("Drawing the chart stopped: {e}"),
            fields: vec![],
        })?
        .map_err(to_dto)?;
    let kind = if ext == "png" {
        "PNG image"
    } else {
        "SVG image"
    };
    save_as(
        app,
        "Save the chart",
        &format!("{name}.{ext}"),
        (kind, ext),
        bytes,
    )
    .await
}

/// A published post's figures by age beside its campaign's other posts.
#[tauri::command]
pub(crate) async fn post_history(
    shell: State<'_, Shell>,
    post_id: String,
) -> Result<reachloop_ipc::PostHistory, ErrorDto> {
    shell
        .core()?
        .post_history(&post_id, chrono::Utc::now())
        .await
        .map_err(to_dto)
}

/// Export a post's chart by age as SVG or PNG.
#[tauri::command]
pub(crate) async fn export_post_chart<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    post_id: String,
    format: String,
) -> Result<Option<String>, ErrorDto> {
    let format = reachloop::app::analytics::ChartFormat::parse(&format).map_err(to_dto)?;
    let history = shell
        .core()?
        .post_history(&post_id, chrono::Utc::now())
        .await
        .map_err(to_dto)?;
    let name = format!("Reachloop post {}", history.platform.label());
    save_chart(&app, format, &name, history.chart_svg).await
}

/// A campaign name as a file name: no path separators or control
/// characters, at most 60 characters.
pub(crate) fn sanitize_file_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .take(60)
        .collect();
    if clean.trim().is_empty() {
        "campaign".into()
    } else {
        clean.trim().to_string()
    }
}
