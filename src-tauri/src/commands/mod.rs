//! The commands the UI may call. Each is a few lines: take state, call one
//! core function, map the error into an [`ErrorDto`].

mod accounts;
mod analytics;
mod app;
mod campaigns;
mod media;
mod optimizer;
mod schedules;

use std::time::Instant;

use reachloop::secrets::OsKeychain;
use reachloop::store::Actor;
use reachloop_ipc::{ErrorDto, Platform};
use tauri::Runtime;

/// What the shell keeps between commands.
pub struct Shell {
    core: Result<reachloop::App, ErrorDto>,
    started: Instant,
    keys: OsKeychain,
    /// The connection waiting for the user in the browser, if any.
    pending_connect: std::sync::Mutex<Option<tokio::task::AbortHandle>>,
    /// Running generation jobs, by job id, so Cancel can stop them.
    generations: std::sync::Mutex<std::collections::HashMap<String, tokio::task::AbortHandle>>,
    /// The page the window shows (its navigation id), so a window rebuilt
    /// after closing to the tray opens where the user left it.
    page: std::sync::Mutex<Option<String>>,
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
        Shell {
            core,
            started,
            keys: OsKeychain::from_env(),
            pending_connect: Default::default(),
            generations: Default::default(),
            // Where the first window opens, for scripts and benches
            // (`nav-calendar/month`); else where the user left it.
            page: std::sync::Mutex::new(std::env::var("REACHLOOP_OPEN_VIEW").ok().filter(|v| {
                let ok = app::is_view_id(v);
                if !ok {
                    tracing::warn!(
                        "REACHLOOP_OPEN_VIEW is not a page of the window (such as nav-calendar/month); the window opens where it was left"
                    );
                }
                ok
            })),
        }
    }

    /// The page the window last showed, if it said.
    pub(crate) fn page(&self) -> Option<String> {
        self.page.lock().map(|p| p.clone()).unwrap_or(None)
    }

    pub(crate) fn keys(&self) -> &OsKeychain {
        &self.keys
    }

    pub(crate) fn core(&self) -> Result<&reachloop::App, ErrorDto> {
        self.core.as_ref().map_err(Clone::clone)
    }
}

pub(crate) fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static
{
    tauri::generate_handler![
        campaigns::list_campaigns,
        campaigns::create_campaign,
        app::app_status,
        app::set_publishing_paused,
        app::recent_audit,
        app::ui_ready,
        app::page_shown,
        app::ui_timing,
        accounts::list_accounts,
        accounts::connect_account,
        accounts::connect_pages,
        accounts::cancel_connect,
        accounts::disconnect_account,
        accounts::list_platform_apps,
        accounts::save_platform_app,
        campaigns::get_campaign,
        campaigns::update_campaign,
        campaigns::duplicate_campaign,
        campaigns::set_campaign_status,
        campaigns::campaign_warnings,
        campaigns::delete_campaign,
        campaigns::list_variants,
        campaigns::add_variant,
        campaigns::edit_variant,
        campaigns::delete_variant,
        campaigns::check_post,
        campaigns::generate_variants,
        campaigns::cancel_generation,
        campaigns::generation_jobs,
        campaigns::ai_settings,
        campaigns::save_ai_settings,
        campaigns::test_ai_connection,
        media::pick_media,
        media::attach_dropped_media,
        media::detach_media,
        media::media_preview,
        accounts::connect_sandbox,
        accounts::rename_account,
        schedules::preview_schedule,
        schedules::create_schedule,
        schedules::list_schedules,
        schedules::set_schedule_paused,
        schedules::skipped_on_resume,
        app::publisher_status,
        schedules::calendar_days,
        schedules::calendar_day,
        schedules::override_post,
        app::start_at_login,
        app::set_start_at_login,
        accounts::sandbox_world,
        accounts::set_sandbox_seed,
        analytics::dashboard,
        analytics::dashboard_chart,
        analytics::export_campaign_csv,
        analytics::export_chart,
        analytics::post_history,
        analytics::export_post_chart,
        optimizer::optimizer_view,
        optimizer::retire_losers,
        optimizer::export_optimizer_chart,
    ]
}

pub(crate) fn to_dto(e: reachloop::Error) -> ErrorDto {
    if !matches!(e, reachloop::Error::Validation(_)) {
        tracing::warn!(code = e.code(), "command failed: {e}");
    }
    ErrorDto {
        code: e.code().to_string(),
        message: reachloop::error::sentence(&e.to_string()),
        fields: e.fields().to_vec(),
    }
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

fn parse_platform(platform: &str) -> Result<Platform, ErrorDto> {
    Platform::parse(platform).ok_or_else(|| ErrorDto {
        code: reachloop_ipc::codes::VALIDATION.into(),
        message: format!("unknown platform {platform:?}"),
        fields: vec![],
    })
}
