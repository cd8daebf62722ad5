//! Accounts: OAuth connections, platform apps, the Sandbox network.

use reachloop::store::Actor;
use reachloop_ipc::{Account, ConnectOutcome, ErrorDto, PageSelection, PlatformApp};
use tauri::State;

use super::parse_platform;
use super::to_dto;
use super::Shell;

#[tauri::command]
pub(crate) async fn list_accounts(shell: State<'_, Shell>) -> Result<Vec<Account>, ErrorDto> {
    shell
        .core()?
        .list_accounts(chrono::Utc::now())
        .await
        .map_err(to_dto)
}

/// Opens the platform's consent page in the system browser and waits (up to
/// ten minutes) for the answer on the loopback redirect.
#[tauri::command]
pub(crate) async fn connect_account(
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
pub(crate) async fn connect_pages(
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
pub(crate) fn cancel_connect(shell: State<'_, Shell>) {
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
pub(crate) async fn disconnect_account(
    shell: State<'_, Shell>,
    id: String,
) -> Result<Vec<Account>, ErrorDto> {
    let core = shell.core()?;
    let revocation = core
        .disconnect_account(&id, &shell.keys)
        .await
        .map_err(to_dto)?;
    tracing::info!(account = %id, ?revocation, "account disconnected");
    core.list_accounts(chrono::Utc::now()).await.map_err(to_dto)
}

#[tauri::command]
pub(crate) async fn list_platform_apps(
    shell: State<'_, Shell>,
) -> Result<Vec<PlatformApp>, ErrorDto> {
    shell
        .core()?
        .platform_apps(&shell.keys)
        .await
        .map_err(to_dto)
}

/// Saves a platform app's client id, and its client secret into the OS
/// keychain when one is given. The secret is never sent back to the UI.
#[tauri::command]
pub(crate) async fn save_platform_app(
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

#[tauri::command]
pub(crate) async fn connect_sandbox(
    shell: State<'_, Shell>,
    name: String,
) -> Result<reachloop_ipc::Account, ErrorDto> {
    shell
        .core()?
        .connect_sandbox(chrono::Utc::now(), &name)
        .await
        .map_err(to_dto)
}

/// Gives an account the user's own name.
#[tauri::command]
pub(crate) async fn rename_account(
    shell: State<'_, Shell>,
    id: String,
    name: String,
) -> Result<reachloop_ipc::Account, ErrorDto> {
    shell
        .core()?
        .rename_account(
            chrono::Utc::now(),
            reachloop::store::Actor::User,
            &id,
            &name,
        )
        .await
        .map_err(to_dto)
}

/// The Sandbox network's seed (Settings).
#[tauri::command]
pub(crate) async fn sandbox_world(
    shell: State<'_, Shell>,
) -> Result<reachloop_ipc::SandboxWorld, ErrorDto> {
    shell
        .core()?
        .sandbox_world(chrono::Utc::now())
        .await
        .map_err(to_dto)
}

/// Gives the Sandbox a new world from the seed as typed.
#[tauri::command]
pub(crate) async fn set_sandbox_seed(
    shell: State<'_, Shell>,
    seed: String,
) -> Result<reachloop_ipc::SandboxWorld, ErrorDto> {
    shell
        .core()?
        .set_sandbox_seed(chrono::Utc::now(), Actor::User, &seed)
        .await
        .map_err(to_dto)
}
