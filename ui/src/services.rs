//! One typed wrapper per shell command. The only module that calls `invoke`.

use reachloop_ipc::{
    codes, Account, AppStatus, AuditEntry, Campaign, ConnectOutcome, ErrorDto, NewCampaign,
    PageSelection, PlatformApp,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
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

#[derive(Serialize)]
struct LimitArgs {
    limit: u32,
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

pub async fn recent_audit(limit: u32) -> Result<Vec<AuditEntry>, ErrorDto> {
    call("recent_audit", &LimitArgs { limit }).await
}

/// Tells the shell the first screen is on display (used by the start-up benchmark).
pub async fn ui_ready() -> Result<(), ErrorDto> {
    call("ui_ready", &NoArgs {}).await
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
