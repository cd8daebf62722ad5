//! One typed wrapper per shell command. The only module that calls `invoke`.

use reachloop_ipc::{
    codes, Account, AiSettings, AppStatus, AuditEntry, Campaign, ConnectOutcome, ErrorDto,
    GenerationJob, NewCampaign, PageSelection, PlatformApp, PostCheck, Variant, VariantText,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

    /// `invoke` with a binary body and request headers.
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn invoke_with(cmd: &str, body: JsValue, options: JsValue) -> Result<JsValue, JsValue>;
}

/// Sends `body` as the raw request body, with `headers`.
async fn call_raw<R: DeserializeOwned>(
    cmd: &str,
    body: js_sys::Uint8Array,
    headers: &[(&str, String)],
) -> Result<R, ErrorDto> {
    let header_map = js_sys::Object::new();
    for (k, v) in headers {
        js_sys::Reflect::set(&header_map, &JsValue::from_str(k), &JsValue::from_str(v))
            .map_err(|_| internal("cannot set a request header".into()))?;
    }
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &JsValue::from_str("headers"), &header_map)
        .map_err(|_| internal("cannot set the request headers".into()))?;
    match invoke_with(cmd, body.into(), options.into()).await {
        Ok(value) => serde_wasm_bindgen::from_value(value)
            .map_err(|e| internal(format!("unexpected answer from {cmd}: {e}"))),
        Err(err) => Err(
            serde_wasm_bindgen::from_value::<ErrorDto>(err.clone()).unwrap_or_else(|_| {
                internal(err.as_string().unwrap_or_else(|| format!("{cmd} failed")))
            }),
        ),
    }
}

async fn call<A: Serialize, R: DeserializeOwned>(cmd: &str, args: &A) -> Result<R, ErrorDto> {
    let args = args
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| internal(format!("cannot encode the request: {e}")))?;
    match invoke(cmd, args).await {
        Ok(value) => serde_wasm_bindgen::from_value(value)
            .map_err(|e| internal(format!("unexpected answer from {cmd}: {e}"))),
        Err(err) => Err(
            serde_wasm_bindgen::from_value::<ErrorDto>(err.clone()).unwrap_or_else(|_| {
                internal(err.as_string().unwrap_or_else(|| format!("{cmd} failed")))
            }),
        ),
    }
}

fn internal(message: String) -> ErrorDto {
    ErrorDto {
        code: codes::INTERNAL.into(),
        message,
        fields: vec![],
    }
}

#[derive(Serialize)]
struct NoArgs {}

#[derive(Serialize)]
struct CreateArgs<'a> {
    input: &'a NewCampaign,
}

#[derive(Serialize)]
struct PauseArgs {
    paused: bool,
}

pub async fn list_campaigns() -> Result<Vec<Campaign>, ErrorDto> {
    call("list_campaigns", &NoArgs {}).await
}

pub async fn create_campaign(input: &NewCampaign) -> Result<Campaign, ErrorDto> {
    call("create_campaign", &CreateArgs { input }).await
}

pub async fn app_status() -> Result<AppStatus, ErrorDto> {
    call("app_status", &NoArgs {}).await
}

pub async fn set_publishing_paused(paused: bool) -> Result<AppStatus, ErrorDto> {
    call("set_publishing_paused", &PauseArgs { paused }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuditArgs<'a> {
    limit: u32,
    campaign_id: Option<&'a str>,
    who: Option<&'a str>,
}

/// The newest `limit` audit entries, about `campaign_id` and by `who`
/// (`automated`, `optimizer` or `people`) when given.
pub async fn recent_audit(
    limit: u32,
    campaign_id: Option<&str>,
    who: Option<&str>,
) -> Result<Vec<AuditEntry>, ErrorDto> {
    call(
        "recent_audit",
        &AuditArgs {
            limit,
            campaign_id,
            who,
        },
    )
    .await
}

/// Tells the shell the first screen is on display (used by the start-up benchmark).
pub async fn ui_ready() -> Result<(), ErrorDto> {
    call("ui_ready", &NoArgs {}).await
}

#[derive(Serialize)]
struct PageArgs<'a> {
    page: &'a str,
}

/// Tells the shell which page the window shows (`nav-campaigns/<id>` with a
/// campaign open), so a window rebuilt from the tray opens on it.
pub async fn page_shown(page: &str) -> Result<(), ErrorDto> {
    call("page_shown", &PageArgs { page }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Timing<'a> {
    what: &'a str,
    posts: u32,
    data_ms: f64,
    render_ms: f64,
}

/// Tells the shell how long a view took to draw (logged, for the bench).
pub async fn ui_timing(what: &str, posts: u32, data_ms: f64, render_ms: f64) {
    let _: Result<(), ErrorDto> = call(
        "ui_timing",
        &Timing {
            what,
            posts,
            data_ms,
            render_ms,
        },
    )
    .await;
}

#[derive(Serialize)]
struct PlatformArgs<'a> {
    platform: &'a str,
}

#[derive(Serialize)]
struct IdArgs<'a> {
    id: &'a str,
}

pub async fn list_accounts() -> Result<Vec<Account>, ErrorDto> {
    call("list_accounts", &NoArgs {}).await
}

/// Resolves when the user approved in the browser (or it failed). Facebook
/// answers with the Pages to pick from.
pub async fn connect_account(platform: &str) -> Result<ConnectOutcome, ErrorDto> {
    call("connect_account", &PlatformArgs { platform }).await
}

#[derive(Serialize)]
struct SelectionArgs<'a> {
    selection: &'a PageSelection,
}

/// Connects the Pages (and linked Instagram accounts) picked after a Facebook sign-in.
pub async fn connect_pages(selection: &PageSelection) -> Result<Vec<Account>, ErrorDto> {
    call("connect_pages", &SelectionArgs { selection }).await
}

pub async fn cancel_connect() -> Result<(), ErrorDto> {
    call("cancel_connect", &NoArgs {}).await
}

pub async fn disconnect_account(id: &str) -> Result<Vec<Account>, ErrorDto> {
    call("disconnect_account", &IdArgs { id }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SaveAppArgs<'a> {
    platform: &'a str,
    client_id: &'a str,
    client_secret: Option<&'a str>,
    relay_url: Option<&'a str>,
}

pub async fn list_platform_apps() -> Result<Vec<PlatformApp>, ErrorDto> {
    call("list_platform_apps", &NoArgs {}).await
}

/// Saves the app's client id, and the secret (kept in the OS keychain) when given.
pub async fn save_platform_app(
    platform: &str,
    client_id: &str,
    client_secret: Option<&str>,
    relay_url: Option<&str>,
) -> Result<Vec<PlatformApp>, ErrorDto> {
    call(
        "save_platform_app",
        &SaveAppArgs {
            platform,
            client_id,
            client_secret,
            relay_url,
        },
    )
    .await
}

pub async fn get_campaign(id: &str) -> Result<Campaign, ErrorDto> {
    call("get_campaign", &IdArgs { id }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UpdateArgs<'a> {
    id: &'a str,
    input: &'a NewCampaign,
    expected_updated_at: Option<&'a str>,
}

/// Saves a campaign, unless it changed elsewhere since `expected_updated_at`.
pub async fn update_campaign(
    id: &str,
    input: &NewCampaign,
    expected_updated_at: Option<&str>,
) -> Result<Campaign, ErrorDto> {
    call(
        "update_campaign",
        &UpdateArgs {
            id,
            input,
            expected_updated_at,
        },
    )
    .await
}

pub async fn duplicate_campaign(id: &str) -> Result<Campaign, ErrorDto> {
    call("duplicate_campaign", &IdArgs { id }).await
}

#[derive(Serialize)]
struct StatusArgs<'a> {
    id: &'a str,
    status: &'a str,
}

/// The variants the publisher will not pick because they break the rules,
/// in words (said when a campaign is activated).
pub async fn campaign_warnings(id: &str) -> Result<Vec<String>, ErrorDto> {
    call("campaign_warnings", &IdArgs { id }).await
}

pub async fn set_campaign_status(id: &str, status: &str) -> Result<Campaign, ErrorDto> {
    call("set_campaign_status", &StatusArgs { id, status }).await
}

/// Deletes a campaign; answers with the remaining list.
pub async fn delete_campaign(id: &str) -> Result<Vec<Campaign>, ErrorDto> {
    call("delete_campaign", &IdArgs { id }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CampaignArgs<'a> {
    campaign_id: &'a str,
}

pub async fn list_variants(campaign_id: &str) -> Result<Vec<Variant>, ErrorDto> {
    call("list_variants", &CampaignArgs { campaign_id }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AddVariantArgs<'a> {
    campaign_id: &'a str,
    platform: &'a str,
    text: &'a VariantText,
}

pub async fn add_variant(
    campaign_id: &str,
    platform: &str,
    text: &VariantText,
) -> Result<Variant, ErrorDto> {
    call(
        "add_variant",
        &AddVariantArgs {
            campaign_id,
            platform,
            text,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EditVariantArgs<'a> {
    id: &'a str,
    text: &'a VariantText,
    expected_updated_at: Option<&'a str>,
}

/// Saves a variant's text, unless it changed elsewhere since `expected_updated_at`.
pub async fn edit_variant(
    id: &str,
    text: &VariantText,
    expected_updated_at: Option<&str>,
) -> Result<Variant, ErrorDto> {
    call(
        "edit_variant",
        &EditVariantArgs {
            id,
            text,
            expected_updated_at,
        },
    )
    .await
}

pub async fn delete_variant(id: &str) -> Result<(), ErrorDto> {
    call("delete_variant", &IdArgs { id }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckArgs<'a> {
    platform: &'a str,
    text: &'a VariantText,
    campaign_id: Option<&'a str>,
    variant_id: Option<&'a str>,
}

/// The platform's rules (and the campaign's banned words, and the variant's
/// media) applied to `text`.
pub async fn check_post(
    platform: &str,
    text: &VariantText,
    campaign_id: Option<&str>,
    variant_id: Option<&str>,
) -> Result<PostCheck, ErrorDto> {
    call(
        "check_post",
        &CheckArgs {
            platform,
            text,
            campaign_id,
            variant_id,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerateArgs<'a> {
    campaign_id: &'a str,
    platform: Option<&'a str>,
    variant_id: Option<&'a str>,
}

/// Starts generating (every platform, one platform, or one variant again).
pub async fn generate_variants(
    campaign_id: &str,
    platform: Option<&str>,
    variant_id: Option<&str>,
) -> Result<GenerationJob, ErrorDto> {
    call(
        "generate_variants",
        &GenerateArgs {
            campaign_id,
            platform,
            variant_id,
        },
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobArgs<'a> {
    job_id: &'a str,
}

pub async fn cancel_generation(job_id: &str) -> Result<(), ErrorDto> {
    call("cancel_generation", &JobArgs { job_id }).await
}

pub async fn generation_jobs(campaign_id: &str) -> Result<Vec<GenerationJob>, ErrorDto> {
    call("generation_jobs", &CampaignArgs { campaign_id }).await
}

pub async fn ai_settings() -> Result<AiSettings, ErrorDto> {
    call("ai_settings", &NoArgs {}).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SaveAiArgs<'a> {
    settings: &'a AiSettings,
    api_key: Option<&'a str>,
}

/// Saves Settings → AI; the key (when given) goes to the OS keychain.
pub async fn save_ai_settings(
    settings: &AiSettings,
    api_key: Option<&str>,
) -> Result<AiSettings, ErrorDto> {
    call("save_ai_settings", &SaveAiArgs { settings, api_key }).await
}

/// The models the endpoint offers, or its exact error.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TestAiArgs<'a> {
    address: &'a str,
    api_key: Option<&'a str>,
}

/// Lists the models at the address as typed (with the key as typed, if any).
pub async fn test_ai_connection(
    address: &str,
    api_key: Option<&str>,
) -> Result<Vec<String>, ErrorDto> {
    call("test_ai_connection", &TestAiArgs { address, api_key }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VariantArgs<'a> {
    variant_id: &'a str,
}

/// Opens the system file dialog for the variant's media.
pub async fn pick_media(variant_id: &str) -> Result<Variant, ErrorDto> {
    call("pick_media", &VariantArgs { variant_id }).await
}

/// Attaches a file dropped on the variant: its bytes go as the body.
pub async fn attach_dropped_media(
    variant_id: &str,
    file_name: &str,
    bytes: js_sys::Uint8Array,
) -> Result<Variant, ErrorDto> {
    let encode = |s: &str| String::from(js_sys::encode_uri_component(s));
    call_raw(
        "attach_dropped_media",
        bytes,
        &[
            ("x-variant-id", encode(variant_id)),
            ("x-file-name", encode(file_name)),
        ],
    )
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DetachArgs<'a> {
    variant_id: &'a str,
    sha256: &'a str,
}

pub async fn detach_media(variant_id: &str, sha256: &str) -> Result<Variant, ErrorDto> {
    call("detach_media", &DetachArgs { variant_id, sha256 }).await
}

#[derive(Serialize)]
struct PreviewArgs<'a> {
    sha256: &'a str,
    mime: &'a str,
}

/// A `data:` URL thumbnail of an attached image; `None` for video.
pub async fn media_preview(sha256: &str, mime: &str) -> Result<Option<String>, ErrorDto> {
    call("media_preview", &PreviewArgs { sha256, mime }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NameArgs<'a> {
    name: &'a str,
}

/// Connects a Sandbox account (Reachloop's simulated network; no sign-in).
pub async fn connect_sandbox(name: &str) -> Result<Account, ErrorDto> {
    call("connect_sandbox", &NameArgs { name }).await
}

#[derive(Serialize)]
struct RenameArgs<'a> {
    id: &'a str,
    name: &'a str,
}

/// Gives an account the user's own name (empty: the platform's again).
pub async fn rename_account(id: &str, name: &str) -> Result<Account, ErrorDto> {
    call("rename_account", &RenameArgs { id, name }).await
}

/// A cadence in words and its next runs, or a one-off's time and whether
/// its minute is taken, while it is typed; problems tied to fields.
pub async fn preview_schedule(
    input: &reachloop_ipc::NewSchedule,
) -> Result<reachloop_ipc::SchedulePreview, ErrorDto> {
    call("preview_schedule", &ScheduleInput { input }).await
}

#[derive(Serialize)]
struct ScheduleInput<'a> {
    input: &'a reachloop_ipc::NewSchedule,
}

pub async fn create_schedule(
    input: &reachloop_ipc::NewSchedule,
) -> Result<reachloop_ipc::Schedule, ErrorDto> {
    call("create_schedule", &ScheduleInput { input }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CampaignFilter<'a> {
    campaign_id: Option<&'a str>,
}

pub async fn list_schedules(
    campaign_id: Option<&str>,
) -> Result<Vec<reachloop_ipc::Schedule>, ErrorDto> {
    call("list_schedules", &CampaignFilter { campaign_id }).await
}

#[derive(Serialize)]
struct SchedulePauseArgs<'a> {
    id: &'a str,
    paused: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResumeArgs<'a> {
    schedule_id: Option<&'a str>,
}

/// The posts resuming would skip (RFC 3339): of one schedule, or with
/// `None` of all while publishing was paused.
pub async fn skipped_on_resume(schedule_id: Option<&str>) -> Result<Vec<String>, ErrorDto> {
    call("skipped_on_resume", &ResumeArgs { schedule_id }).await
}

pub async fn set_schedule_paused(
    id: &str,
    paused: bool,
) -> Result<reachloop_ipc::Schedule, ErrorDto> {
    call("set_schedule_paused", &SchedulePauseArgs { id, paused }).await
}

#[derive(Serialize)]
struct Query<'a, T> {
    query: &'a T,
}

/// The days of a month or week: counts and each day's first posts.
pub async fn calendar_days(
    query: &reachloop_ipc::CalendarQuery,
) -> Result<reachloop_ipc::CalendarRange, ErrorDto> {
    call("calendar_days", &Query { query }).await
}

/// A page of one day's posts.
pub async fn calendar_day(
    query: &reachloop_ipc::CalendarDayQuery,
) -> Result<reachloop_ipc::CalendarDayPage, ErrorDto> {
    call("calendar_day", &Query { query }).await
}

#[derive(Serialize)]
struct Change<'a> {
    change: &'a reachloop_ipc::PostChange,
}

pub async fn override_post(
    change: &reachloop_ipc::PostChange,
) -> Result<reachloop_ipc::ScheduledPost, ErrorDto> {
    call("override_post", &Change { change }).await
}

pub async fn start_at_login() -> Result<bool, ErrorDto> {
    call("start_at_login", &NoArgs {}).await
}

#[derive(Serialize)]
struct Enabled {
    enabled: bool,
}

pub async fn set_start_at_login(enabled: bool) -> Result<bool, ErrorDto> {
    call("set_start_at_login", &Enabled { enabled }).await
}

#[derive(Serialize)]
struct Filter<'a> {
    filter: &'a reachloop_ipc::AnalyticsFilter,
}

pub async fn dashboard(
    filter: &reachloop_ipc::AnalyticsFilter,
) -> Result<reachloop_ipc::Dashboard, ErrorDto> {
    call("dashboard", &Filter { filter }).await
}

pub async fn dashboard_chart(filter: &reachloop_ipc::AnalyticsFilter) -> Result<String, ErrorDto> {
    call("dashboard_chart", &Filter { filter }).await
}

/// Opens the save dialog; the path saved to, or `None` when closed.
pub async fn export_campaign_csv(
    filter: &reachloop_ipc::AnalyticsFilter,
) -> Result<Option<String>, ErrorDto> {
    call("export_campaign_csv", &Filter { filter }).await
}

#[derive(Serialize)]
struct ChartExport<'a> {
    filter: &'a reachloop_ipc::AnalyticsFilter,
    format: &'a str,
}

/// Saves the Analytics chart as `format` (`svg` or `png`) through the save
/// dialog.
pub async fn export_chart(
    filter: &reachloop_ipc::AnalyticsFilter,
    format: &str,
) -> Result<Option<String>, ErrorDto> {
    call("export_chart", &ChartExport { filter, format }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PostId<'a> {
    post_id: &'a str,
}

pub async fn post_history(post_id: &str) -> Result<reachloop_ipc::PostHistory, ErrorDto> {
    call("post_history", &PostId { post_id }).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PostChartExport<'a> {
    post_id: &'a str,
    format: &'a str,
}

/// Saves a post's chart by age as `format` through the save dialog.
pub async fn export_post_chart(post_id: &str, format: &str) -> Result<Option<String>, ErrorDto> {
    call("export_post_chart", &PostChartExport { post_id, format }).await
}

pub async fn sandbox_world() -> Result<reachloop_ipc::SandboxWorld, ErrorDto> {
    call("sandbox_world", &NoArgs {}).await
}

#[derive(Serialize)]
struct Seed<'a> {
    seed: &'a str,
}

pub async fn set_sandbox_seed(seed: &str) -> Result<reachloop_ipc::SandboxWorld, ErrorDto> {
    call("set_sandbox_seed", &Seed { seed }).await
}

pub async fn publisher_status() -> Result<reachloop_ipc::PublisherStatus, ErrorDto> {
    call("publisher_status", &NoArgs {}).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CampaignKey<'a> {
    campaign_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CampaignPlatform<'a> {
    campaign_id: &'a str,
    platform: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OptimizerChart<'a> {
    campaign_id: &'a str,
    platform: &'a str,
    format: &'a str,
}

/// The Optimizer page of a campaign.
pub async fn optimizer_view(campaign_id: &str) -> Result<reachloop_ipc::OptimizerView, ErrorDto> {
    call("optimizer_view", &CampaignKey { campaign_id }).await
}

/// Retires the variants the winner on `platform` beat: their labels.
pub async fn retire_losers(campaign_id: &str, platform: &str) -> Result<Vec<String>, ErrorDto> {
    call(
        "retire_losers",
        &CampaignPlatform {
            campaign_id,
            platform,
        },
    )
    .await
}

/// Saves a platform's estimates chart as `format` through the save dialog.
pub async fn export_optimizer_chart(
    campaign_id: &str,
    platform: &str,
    format: &str,
) -> Result<Option<String>, ErrorDto> {
    call(
        "export_optimizer_chart",
        &OptimizerChart {
            campaign_id,
            platform,
            format,
        },
    )
    .await
}
