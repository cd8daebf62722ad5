//! `reachloop://` links: sign-in answers that come back through the https
//! relay page (`reachloop://oauth/<platform>/callback?…`). The OS starts a
//! second Reachloop with the link; single-instance hands it to this one.
//! Links are never logged: they carry an authorization code.

use reachloop_ipc::ConnectOutcome;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_deep_link::DeepLinkExt;

use crate::Shell;

/// Registers the scheme with the desktop (Linux, Windows) and starts taking links.
pub(crate) fn install<R: Runtime>(app: &AppHandle<R>) {
    #[cfg(any(target_os = "linux", windows))]
    if let Err(e) = app.deep_link().register_all() {
        tracing::warn!("cannot register reachloop:// links with the desktop: {e}");
    }
    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            take(&handle, url.to_string());
        }
    });
    // Started by a link while Reachloop was not running.
    match app.deep_link().get_current() {
        Ok(Some(urls)) => {
            for url in urls {
                take(app, url.to_string());
            }
        }
        Ok(None) => {}
        Err(e) => tracing::warn!("cannot read the link Reachloop was started with: {e}"),
    }
}

fn take<R: Runtime>(app: &AppHandle<R>, url: String) {
    crate::show_main_window(app);
    let shell = app.state::<Shell>();
    let Ok(core) = shell.core().cloned() else {
        return;
    };
    let keys = shell.keys().clone();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        match core.deliver_callback(&url, &keys).await {
            // A connect was waiting for this link and finishes in the window.
            Ok(None) => tracing::info!("sign-in answer handed to the waiting connect"),
            Ok(Some(ConnectOutcome::Connected { account })) => crate::notify(
                &app,
                "Account connected",
                &format!("{} {} is connected.", account.platform, account.handle),
            ),
            Ok(Some(ConnectOutcome::ChoosePages { .. })) => crate::notify(
                &app,
                "Pick your Facebook Pages",
                "The sign-in finished after Reachloop restarted. Click Connect Facebook Pages again to pick Pages.",
            ),
            Err(e) => {
                tracing::warn!(code = e.code(), "sign-in link refused: {e}");
                crate::notify(&app, "Sign-in not completed", &e.to_string());
            }
        }
    });
}
