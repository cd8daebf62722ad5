//! `reachloop://` links: sign-in answers that come back through the https
//! relay page (`reachloop://oauth/<platform>/callback?…`). The OS starts a
//! second Reachloop with the link; single-instance hands it to this one.
//! Links are never logged: they carry an authorization code.

use reachloop::app::Delivered;
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
    let shell = app.state::<Shell>();
    let Ok(core) = shell.core().cloned() else {
        return;
    };
    let keys = shell.keys().clone();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let delivered = core.deliver_callback(&url, &keys).await;
        if !matches!(delivered, Ok(Delivered::Ignored)) {
            crate::show_main_window(&app);
        }
        match delivered {
            // A connect was waiting for this link and finishes in the window.
            Ok(Delivered::ToWaiter) => tracing::info!("sign-in answer handed to the waiting connect"),
            // Not a sign-in answer, or answers no sign-in in progress: dropped quietly.
            Ok(Delivered::Ignored) => tracing::info!("ignored a reachloop:// link that answers no sign-in in progress"),
            Ok(Delivered::Finished(ConnectOutcome::Connected { account })) => crate::notify(
                &app,
                "Account connected",
                &format!("{} {} is connected.", account.platform, account.handle),
            ),
            Ok(Delivered::Finished(ConnectOutcome::ChoosePages { .. })) => crate::notify(
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
