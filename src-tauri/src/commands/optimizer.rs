//! The Optimizer page: what the optimizer believes and did, its chart
//! exported, and the user's decision to retire the variants a winner beat.

use reachloop::store::Actor;
use reachloop_ipc::ErrorDto;
use tauri::{AppHandle, Runtime, State};

use super::analytics::save_chart;
use super::{parse_platform, to_dto, Shell};

/// The Optimizer page of one campaign.
#[tauri::command]
pub(crate) async fn optimizer_view(
    shell: State<'_, Shell>,
    campaign_id: String,
) -> Result<reachloop_ipc::OptimizerView, ErrorDto> {
    shell
        .core()?
        .optimizer_view(&campaign_id, chrono::Utc::now())
        .await
        .map_err(to_dto)
}

/// Retires the variants the declared winner on `platform` beat; the
/// retired variants' labels.
#[tauri::command]
pub(crate) async fn retire_losers(
    shell: State<'_, Shell>,
    campaign_id: String,
    platform: String,
) -> Result<Vec<String>, ErrorDto> {
    let platform = parse_platform(&platform)?;
    shell
        .core()?
        .retire_losers(chrono::Utc::now(), Actor::User, &campaign_id, platform)
        .await
        .map_err(to_dto)
}

/// Exports one platform's estimates chart as SVG or PNG (`format`).
#[tauri::command]
pub(crate) async fn export_optimizer_chart<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    campaign_id: String,
    platform: String,
    format: String,
) -> Result<Option<String>, ErrorDto> {
    let format = reachloop::app::analytics::ChartFormat::parse(&format).map_err(to_dto)?;
    let platform = parse_platform(&platform)?;
    let view = shell
        .core()?
        .optimizer_view(&campaign_id, chrono::Utc::now())
        .await
        .map_err(to_dto)?;
    let svg = view
        .platforms
        .into_iter()
        .find(|p| p.platform == platform)
        .map(|p| p.chart_svg)
        .ok_or_else(|| ErrorDto {
            code: reachloop_ipc::codes::NOT_FOUND.into(),
            message: "This campaign has no variants on that platform.".into(),
            fields: vec![],
        })?;
    save_chart(&app, format, "Reachloop optimizer", svg).await
}
