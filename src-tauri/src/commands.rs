//! The commands the UI may call. Each is a few lines: take state, call one
//! core function, map the error into an [`ErrorDto`].

use std::time::Instant;

use reachloop::store::Actor;
use reachloop_ipc::{AppStatus, AuditEntry, Campaign, ErrorDto, NewCampaign};
use tauri::{AppHandle, Runtime, State};

use crate::tray;

/// What the shell keeps between commands.
pub struct Shell {
    core: Result<reachloop::App, ErrorDto>,
    started: Instant,
}

impl Shell {
    pub fn new(core: Result<reachloop::App, reachloop::Error>, started: Instant) -> Shell {
        let core = core.map_err(|e| ErrorDto {
            code: e.code().to_string(),
            message: format!(
                "Reachloop could not open its data: {e}. Fix this and restart Reachloop."
            ),
            fields: vec![],
        });
        Shell { core, started }
    }

    fn core(&self) -> Result<&reachloop::App, ErrorDto> {
        self.core.as_ref().map_err(Clone::clone)
    }
}

pub(crate) fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static
{
    tauri::generate_handler![
        list_campaigns,
        create_campaign,
        app_status,
        set_publishing_paused,
        recent_audit,
        ui_ready
    ]
}

fn to_dto(e: reachloop::Error) -> ErrorDto {
    if !matches!(e, reachloop::Error::Validation(_)) {
        tracing::warn!(code = e.code(), "command failed: {e}");
    }
    ErrorDto {
        code: e.code().to_string(),
        message: e.to_string(),
        fields: e.fields().to_vec(),
    }
}

#[tauri::command]
async fn list_campaigns(shell: State<'_, Shell>) -> Result<Vec<Campaign>, ErrorDto> {
    shell.core()?.list_campaigns().await.map_err(to_dto)
}

#[tauri::command]
async fn create_campaign(
    shell: State<'_, Shell>,
    input: NewCampaign,
) -> Result<Campaign, ErrorDto> {
    let now = chrono::Utc::now();
    shell
        .core()?
        .create_campaign(now, uuid::Uuid::new_v4(), Actor::User, &input)
        .await
        .map_err(to_dto)
}

#[tauri::command]
async fn app_status(shell: State<'_, Shell>) -> Result<AppStatus, ErrorDto> {
    shell.core()?.status().await.map_err(to_dto)
}

#[tauri::command]
async fn set_publishing_paused<R: Runtime>(
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
async fn recent_audit(shell: State<'_, Shell>, limit: u32) -> Result<Vec<AuditEntry>, ErrorDto> {
    shell
        .core()?
        .recent_audit(limit.min(1000))
        .await
        .map_err(to_dto)
}

/// The UI calls this once its first screen is drawn.
#[tauri::command]
fn ui_ready(shell: State<'_, Shell>) {
    let elapsed_ms = shell.started.elapsed().as_millis();
    tracing::info!(elapsed_ms, "ui ready");
}

impl Shell {
    /// Whether publishing is paused; false (and a warning) if it cannot be read.
    pub(crate) async fn core_status_paused(&self) -> bool {
        let Ok(core) = &self.core else { return false };
        match core.status().await {
            Ok(s) => s.publishing_paused,
            Err(e) => {
                tracing::warn!("cannot read the publishing pause: {e}");
                false
            }
        }
    }

    pub(crate) async fn set_paused_from_tray(&self, paused: bool) -> Result<(), ErrorDto> {
        self.core()?
            .set_publishing_paused(chrono::Utc::now(), Actor::User, paused)
            .await
            .map_err(to_dto)
    }
}
