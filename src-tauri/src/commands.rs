//! The commands the UI may call. Each is a few lines: take state, call one
//! core function, map the error into an [`ErrorDto`].

use std::time::Instant;

use reachloop::secrets::OsKeychain;
use reachloop::store::Actor;
use reachloop_ipc::{
    Account, AiSettings, AppStatus, AuditEntry, Campaign, CampaignStatus, ConnectOutcome, ErrorDto,
    GenerationJob, NewCampaign, PageSelection, Platform, PlatformApp, PostCheck, Variant,
    VariantText,
};
use tauri::{AppHandle, Runtime, State};

use crate::tray;

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
            page: Default::default(),
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
        list_campaigns,
        create_campaign,
        app_status,
        set_publishing_paused,
        recent_audit,
        ui_ready,
        page_shown,
        list_accounts,
        connect_account,
        connect_pages,
        cancel_connect,
        disconnect_account,
        list_platform_apps,
        save_platform_app,
        get_campaign,
        update_campaign,
        duplicate_campaign,
        set_campaign_status,
        delete_campaign,
        list_variants,
        add_variant,
        edit_variant,
        delete_variant,
        check_post,
        generate_variants,
        cancel_generation,
        generation_jobs,
        ai_settings,
        save_ai_settings,
        test_ai_connection,
        pick_media,
        attach_dropped_media,
        detach_media,
        media_preview,
        connect_sandbox,
        preview_schedule,
        create_schedule,
        list_schedules,
        set_schedule_paused,
        publisher_status,
        calendar_posts,
        override_post,
        start_at_login,
        set_start_at_login,
        sandbox_world,
        set_sandbox_seed,
        dashboard,
        dashboard_chart,
        export_campaign_csv,
        export_chart,
        post_history,
        export_post_chart
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

/// The UI says which page it shows (a navigation id such as `nav-calendar`).
#[tauri::command]
fn page_shown(shell: State<'_, Shell>, page: String) -> Result<(), ErrorDto> {
    let id_like =
        (1..=40).contains(&page.len()) && page.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
    if !id_like {
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

#[tauri::command]
async fn list_accounts(shell: State<'_, Shell>) -> Result<Vec<Account>, ErrorDto> {
    shell
        .core()?
        .list_accounts(chrono::Utc::now())
        .await
        .map_err(to_dto)
}

/// Opens the platform's consent page in the system browser and waits (up to
/// ten minutes) for the answer on the loopback redirect.
#[tauri::command]
async fn connect_account(
    shell: State<'_, Shell>,
    platform: String,
) -> Result<ConnectOutcome, ErrorDto> {
    let platform = parse_platform(&platform)?;
    let core = shell.core()?.clone();
    let keys = shell.keys.clone();
    let task = tokio::spawn(async move {
        core.connect_account(platform, &keys, |url| {
            webbrowser::open(url.as_str()).map_err(|e| e.to_string())
        })
        .await
    });
    if let Some(previous) = shell
        .pending_connect
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .replace(task.abort_handle())
    {
        previous.abort();
    }
    match task.await {
        Ok(result) => result.map_err(to_dto),
        Err(e) if e.is_cancelled() => Err(ErrorDto {
            code: "cancelled".into(),
            message: "Connecting was cancelled.".into(),
            fields: vec![],
        }),
        Err(e) => Err(ErrorDto {
            code: reachloop_ipc::codes::INTERNAL.into(),
            message: e.to_string(),
            fields: vec![],
        }),
    }
}

/// Connects the Pages and Instagram accounts picked after a Facebook sign-in.
#[tauri::command]
async fn connect_pages(
    shell: State<'_, Shell>,
    selection: PageSelection,
) -> Result<Vec<Account>, ErrorDto> {
    let core = shell.core()?;
    core.connect_pages(&selection, &shell.keys, chrono::Utc::now())
        .await
        .map_err(to_dto)?;
    core.list_accounts(chrono::Utc::now()).await.map_err(to_dto)
}

/// Stops waiting for the browser.
#[tauri::command]
fn cancel_connect(shell: State<'_, Shell>) {
    if let Some(pending) = shell
        .pending_connect
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
    {
        pending.abort();
    }
}

#[tauri::command]
async fn disconnect_account(shell: State<'_, Shell>, id: String) -> Result<Vec<Account>, ErrorDto> {
    let core = shell.core()?;
    let revocation = core
        .disconnect_account(&id, &shell.keys)
        .await
        .map_err(to_dto)?;
    tracing::info!(account = %id, ?revocation, "account disconnected");
    core.list_accounts(chrono::Utc::now()).await.map_err(to_dto)
}

#[tauri::command]
async fn list_platform_apps(shell: State<'_, Shell>) -> Result<Vec<PlatformApp>, ErrorDto> {
    shell
        .core()?
        .platform_apps(&shell.keys)
        .await
        .map_err(to_dto)
}

/// Saves a platform app's client id, and its client secret into the OS
/// keychain when one is given. The secret is never sent back to the UI.
#[tauri::command]
async fn save_platform_app(
    shell: State<'_, Shell>,
    platform: String,
    client_id: String,
    client_secret: Option<String>,
    relay_url: Option<String>,
) -> Result<Vec<PlatformApp>, ErrorDto> {
    let platform = parse_platform(&platform)?;
    let core = shell.core()?;
    let secret = client_secret.map(zeroize::Zeroizing::new);
    core.save_platform_app(
        platform,
        &client_id,
        secret.as_deref().map(String::as_str),
        relay_url.as_deref(),
        &shell.keys,
        chrono::Utc::now(),
    )
    .await
    .map_err(to_dto)?;
    core.platform_apps(&shell.keys).await.map_err(to_dto)
}

fn parse_platform(platform: &str) -> Result<Platform, ErrorDto> {
    Platform::parse(platform).ok_or_else(|| ErrorDto {
        code: reachloop_ipc::codes::VALIDATION.into(),
        message: format!("unknown platform {platform:?}"),
        fields: vec![],
    })
}

#[tauri::command]
async fn get_campaign(shell: State<'_, Shell>, id: String) -> Result<Campaign, ErrorDto> {
    shell.core()?.campaign(&id).await.map_err(to_dto)
}

#[tauri::command]
async fn update_campaign(
    shell: State<'_, Shell>,
    id: String,
    input: NewCampaign,
    expected_updated_at: Option<String>,
) -> Result<Campaign, ErrorDto> {
    shell
        .core()?
        .update_campaign(
            chrono::Utc::now(),
            &id,
            Actor::User,
            &input,
            expected_updated_at.as_deref(),
        )
        .await
        .map_err(to_dto)
}

#[tauri::command]
async fn duplicate_campaign(shell: State<'_, Shell>, id: String) -> Result<Campaign, ErrorDto> {
    shell
        .core()?
        .duplicate_campaign(chrono::Utc::now(), &id, uuid::Uuid::new_v4(), Actor::User)
        .await
        .map_err(to_dto)
}

#[tauri::command]
async fn set_campaign_status(
    shell: State<'_, Shell>,
    id: String,
    status: String,
) -> Result<Campaign, ErrorDto> {
    let status = CampaignStatus::parse(&status).ok_or_else(|| ErrorDto {
        code: reachloop_ipc::codes::VALIDATION.into(),
        message: format!("unknown campaign status {status:?}"),
        fields: vec![],
    })?;
    shell
        .core()?
        .set_campaign_status(chrono::Utc::now(), &id, Actor::User, status)
        .await
        .map_err(to_dto)
}

#[tauri::command]
async fn delete_campaign(shell: State<'_, Shell>, id: String) -> Result<Vec<Campaign>, ErrorDto> {
    let core = shell.core()?;
    core.delete_campaign(chrono::Utc::now(), &id, Actor::User)
        .await
        .map_err(to_dto)?;
    core.list_campaigns().await.map_err(to_dto)
}

#[tauri::command]
async fn list_variants(
    shell: State<'_, Shell>,
    campaign_id: String,
) -> Result<Vec<Variant>, ErrorDto> {
    shell
        .core()?
        .list_variants(&campaign_id)
        .await
        .map_err(to_dto)
}

#[tauri::command]
async fn add_variant(
    shell: State<'_, Shell>,
    campaign_id: String,
    platform: String,
    text: VariantText,
) -> Result<Variant, ErrorDto> {
    let platform = parse_platform(&platform)?;
    shell
        .core()?
        .add_variant(
            chrono::Utc::now(),
            &campaign_id,
            platform,
            &text,
            Actor::User,
        )
        .await
        .map_err(to_dto)
}

#[tauri::command]
async fn edit_variant(
    shell: State<'_, Shell>,
    id: String,
    text: VariantText,
    expected_updated_at: Option<String>,
) -> Result<Variant, ErrorDto> {
    shell
        .core()?
        .edit_variant(
            chrono::Utc::now(),
            &id,
            &text,
            Actor::User,
            expected_updated_at.as_deref(),
        )
        .await
        .map_err(to_dto)
}

#[tauri::command]
async fn delete_variant(shell: State<'_, Shell>, id: String) -> Result<(), ErrorDto> {
    shell
        .core()?
        .delete_variant(chrono::Utc::now(), &id, Actor::User)
        .await
        .map_err(to_dto)
}

/// The live rule check the variant editor shows while typing.
#[tauri::command]
async fn check_post(
    shell: State<'_, Shell>,
    platform: String,
    text: VariantText,
    campaign_id: Option<String>,
    variant_id: Option<String>,
) -> Result<PostCheck, ErrorDto> {
    let platform = parse_platform(&platform)?;
    shell
        .core()?
        .check_post(
            platform,
            &text,
            campaign_id.as_deref(),
            variant_id.as_deref(),
        )
        .await
        .map_err(to_dto)
}

/// Queues a generation (all platforms, one platform, or one variant) and
/// starts it in the background; the UI follows it with `generation_jobs`.
#[tauri::command]
async fn generate_variants(
    shell: State<'_, Shell>,
    campaign_id: String,
    platform: Option<String>,
    variant_id: Option<String>,
) -> Result<GenerationJob, ErrorDto> {
    let platform = platform.as_deref().map(parse_platform).transpose()?;
    let core = shell.core()?.clone();
    let job = core
        .request_generation(
            chrono::Utc::now(),
            &campaign_id,
            platform,
            variant_id.as_deref(),
        )
        .await
        .map_err(to_dto)?;
    let keys = shell.keys.clone();
    let id = job.id.clone();
    let task = tokio::spawn(async move {
        if let Err(e) = core
            .run_generation_safely(&id, &keys, reachloop::app::default_policy())
            .await
        {
            tracing::warn!(job = %id, code = e.code(), "generation failed: {e}");
        }
    });
    shell
        .generations
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(job.id.clone(), task.abort_handle());
    Ok(job)
}

#[tauri::command]
async fn cancel_generation(shell: State<'_, Shell>, job_id: String) -> Result<(), ErrorDto> {
    if let Some(task) = shell
        .generations
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&job_id)
    {
        task.abort();
    }
    shell
        .core()?
        .cancel_generation(chrono::Utc::now(), &job_id)
        .await
        .map_err(to_dto)
}

#[tauri::command]
async fn generation_jobs(
    shell: State<'_, Shell>,
    campaign_id: String,
) -> Result<Vec<GenerationJob>, ErrorDto> {
    shell
        .core()?
        .generation_jobs(&campaign_id)
        .await
        .map_err(to_dto)
}

#[tauri::command]
async fn ai_settings(shell: State<'_, Shell>) -> Result<AiSettings, ErrorDto> {
    shell.core()?.ai_settings(&shell.keys).await.map_err(to_dto)
}

/// Saves Settings → AI; `api_key` goes to the OS keychain only ("" removes it).
#[tauri::command]
async fn save_ai_settings(
    shell: State<'_, Shell>,
    settings: AiSettings,
    api_key: Option<String>,
) -> Result<AiSettings, ErrorDto> {
    let api_key = api_key.map(zeroize::Zeroizing::new);
    shell
        .core()?
        .save_ai_settings(
            chrono::Utc::now(),
            &settings,
            api_key.as_deref().map(String::as_str),
            &shell.keys,
        )
        .await
        .map_err(to_dto)
}

#[tauri::command]
async fn test_ai_connection(
    shell: State<'_, Shell>,
    address: Option<String>,
    api_key: Option<String>,
) -> Result<Vec<String>, ErrorDto> {
    let api_key = api_key.map(zeroize::Zeroizing::new);
    shell
        .core()?
        .test_ai_address(
            &shell.keys,
            address.as_deref(),
            api_key.as_deref().map(String::as_str),
        )
        .await
        .map_err(to_dto)
}

fn media_error(message: String) -> ErrorDto {
    ErrorDto {
        code: "media".into(),
        message,
        fields: vec![],
    }
}

/// Opens the system file dialog and attaches the picked images or videos.
/// Answers the variant as it is afterwards (unchanged if the dialog was
/// closed). The first file that cannot be used stops with its reason.
#[tauri::command]
async fn pick_media<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    variant_id: String,
) -> Result<Variant, ErrorDto> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Attach images or videos")
        .add_filter(
            "Images and videos",
            &["jpg", "jpeg", "png", "gif", "webp", "mp4", "mov", "webm"],
        )
        .pick_files(move |picked| {
            let _ = tx.send(picked);
        });
    let picked = rx.await.unwrap_or_default().unwrap_or_default();
    let core = shell.core()?;
    for file in picked {
        let path = file
            .into_path()
            .map_err(|e| media_error(format!("the picked file has no local path: {e}")))?;
        core.attach_media(chrono::Utc::now(), &variant_id, &path, Actor::User)
            .await
            .map_err(to_dto)?;
    }
    core.store()
        .variant(&variant_id)
        .await
        .map_err(|e| to_dto(e.into()))?
        .ok_or_else(|| to_dto(reachloop::store::StoreError::NotFound.into()))
}

/// A file dropped on a variant: the raw bytes as the request body, the
/// variant and the (percent-encoded) file name in headers.
#[tauri::command]
async fn attach_dropped_media(
    shell: State<'_, Shell>,
    request: tauri::ipc::Request<'_>,
) -> Result<Variant, ErrorDto> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned()
            })
    };
    let variant_id = header("x-variant-id")
        .ok_or_else(|| media_error("the dropped file came without its variant".into()))?;
    let name = header("x-file-name").unwrap_or_else(|| "dropped file".into());
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(media_error(format!("{name} arrived without its bytes")));
    };
    shell
        .core()?
        .attach_media_bytes(
            chrono::Utc::now(),
            &variant_id,
            &name,
            bytes.clone(),
            Actor::User,
        )
        .await
        .map_err(to_dto)
}

#[tauri::command]
async fn detach_media(
    shell: State<'_, Shell>,
    variant_id: String,
    sha256: String,
) -> Result<Variant, ErrorDto> {
    shell
        .core()?
        .detach_media(chrono::Utc::now(), &variant_id, &sha256, Actor::User)
        .await
        .map_err(to_dto)
}

/// A thumbnail for an attached image (`None` for video).
#[tauri::command]
async fn media_preview(
    shell: State<'_, Shell>,
    sha256: String,
    mime: String,
) -> Result<Option<String>, ErrorDto> {
    shell.core()?.media_preview(&sha256, &mime).map_err(to_dto)
}

#[tauri::command]
async fn connect_sandbox(
    shell: State<'_, Shell>,
    name: String,
) -> Result<reachloop_ipc::Account, ErrorDto> {
    shell
        .core()?
        .connect_sandbox(chrono::Utc::now(), &name)
        .await
        .map_err(to_dto)
}

#[tauri::command]
async fn preview_schedule(
    cron: String,
    time_zone: String,
) -> Result<reachloop_ipc::SchedulePreview, ErrorDto> {
    let zone = if time_zone.trim().is_empty() {
        reachloop::time::local_zone_name()
    } else {
        time_zone
    };
    reachloop::schedule::preview_for_ui(&cron, &zone, chrono::Utc::now(), 5).map_err(|e| ErrorDto {
        code: reachloop_ipc::codes::VALIDATION.into(),
        message: reachloop::error::sentence(&e.to_string()),
        fields: vec![],
    })
}

#[tauri::command]
async fn create_schedule(
    shell: State<'_, Shell>,
    input: reachloop_ipc::NewSchedule,
) -> Result<reachloop_ipc::Schedule, ErrorDto> {
    shell
        .core()?
        .create_schedule(
            chrono::Utc::now(),
            Actor::User,
            &input,
            &reachloop::time::local_zone_name(),
        )
        .await
        .map_err(to_dto)
}

#[tauri::command]
async fn list_schedules(
    shell: State<'_, Shell>,
    campaign_id: Option<String>,
) -> Result<Vec<reachloop_ipc::Schedule>, ErrorDto> {
    shell
        .core()?
        .list_schedules(campaign_id.as_deref())
        .await
        .map_err(to_dto)
}

#[tauri::command]
async fn set_schedule_paused(
    shell: State<'_, Shell>,
    id: String,
    paused: bool,
) -> Result<reachloop_ipc::Schedule, ErrorDto> {
    shell
        .core()?
        .set_schedule_paused(chrono::Utc::now(), Actor::User, &id, paused)
        .await
        .map_err(to_dto)
}

fn autostart_error(e: impl std::fmt::Display) -> ErrorDto {
    ErrorDto {
        code: "autostart".into(),
        message: format!("Starting at login could not be changed: {e}."),
        fields: vec![],
    }
}

/// Whether Reachloop starts (into the tray) when the user logs in.
#[tauri::command]
async fn start_at_login<R: Runtime>(app: AppHandle<R>) -> Result<bool, ErrorDto> {
    use tauri_plugin_autostart::ManagerExt;
    app.autolaunch().is_enabled().map_err(autostart_error)
}

#[tauri::command]
async fn set_start_at_login<R: Runtime>(
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

/// The Analytics page's figures for `filter`, days in this computer's zone.
#[tauri::command]
async fn dashboard(
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
async fn dashboard_chart(
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

/// Asks where to save (the system dialog, opened from Rust) and saves
/// `bytes` there whole; `None` when the dialog was closed.
async fn save_as<R: Runtime>(
    app: &AppHandle<R>,
    title: &str,
    file_name: &str,
    (filter_name, extension): (&str, &str),
    bytes: Vec<u8>,
) -> Result<Option<String>, ErrorDto> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title(title)
        .set_file_name(file_name)
        .add_filter(filter_name, &[extension])
        .save_file(move |picked| {
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
    Ok(Some(path.display().to_string()))
}

/// Export CSV: the campaign's report, saved where the user picks.
#[tauri::command]
async fn export_campaign_csv<R: Runtime>(
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
async fn export_chart<R: Runtime>(
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
async fn save_chart<R: Runtime>(
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
async fn post_history(
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
async fn export_post_chart<R: Runtime>(
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
fn sanitize_file_name(name: &str) -> String {
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

/// The Sandbox network's seed (Settings).
#[tauri::command]
async fn sandbox_world(shell: State<'_, Shell>) -> Result<reachloop_ipc::SandboxWorld, ErrorDto> {
    shell
        .core()?
        .sandbox_world(chrono::Utc::now())
        .await
        .map_err(to_dto)
}

/// Gives the Sandbox a new world from the seed as typed.
#[tauri::command]
async fn set_sandbox_seed(
    shell: State<'_, Shell>,
    seed: String,
) -> Result<reachloop_ipc::SandboxWorld, ErrorDto> {
    shell
        .core()?
        .set_sandbox_seed(chrono::Utc::now(), Actor::User, &seed)
        .await
        .map_err(to_dto)
}

#[tauri::command]
async fn calendar_posts(
    shell: State<'_, Shell>,
    from: String,
    to: String,
) -> Result<Vec<reachloop_ipc::ScheduledPost>, ErrorDto> {
    shell
        .core()?
        .calendar_between(&from, &to)
        .await
        .map_err(to_dto)
}

#[tauri::command]
async fn override_post(
    shell: State<'_, Shell>,
    change: reachloop_ipc::PostChange,
) -> Result<reachloop_ipc::ScheduledPost, ErrorDto> {
    shell
        .core()?
        .change_post(chrono::Utc::now(), Actor::User, &change)
        .await
        .map_err(to_dto)
}

#[tauri::command]
async fn publisher_status(
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
