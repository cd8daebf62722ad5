//! The tray icon: Open, Pause publishing, Quit.

use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

use crate::Shell;

const OPEN: &str = "open";
const PAUSE: &str = "pause";
const QUIT: &str = "quit";

/// The tray's "Pause publishing" item, kept so the Settings page can update it.
struct PauseItem<R: Runtime>(CheckMenuItem<R>);

pub(crate) fn install<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let shell = app.state::<Shell>();
    let paused = tauri::async_runtime::block_on(shell.core_status_paused());
    let open = MenuItem::with_id(app, OPEN, "Open Reachloop", true, None::<&str>)?;
    let pause = CheckMenuItem::with_id(app, PAUSE, "Pause publishing", true, paused, None::<&str>)?;
    let quit = MenuItem::with_id(app, QUIT, "Quit Reachloop", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[&open, &pause, &PredefinedMenuItem::separator(app)?, &quit],
    )?;
    app.manage(PauseItem(pause));

    let mut tray = TrayIconBuilder::with_id("main")
        .tooltip("Reachloop")
        .menu(&menu)
        .on_menu_event(on_menu);
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, event: tauri::menu::MenuEvent) {
    match event.id().as_ref() {
        OPEN => crate::show_main_window(app),
        PAUSE => {
            let item = app.state::<PauseItem<R>>();
            // The menu has already flipped the check mark; persist what it shows.
            let paused = item.0.is_checked().unwrap_or(false);
            let shell = app.state::<Shell>();
            let result = tauri::async_runtime::block_on(shell.set_paused_from_tray(paused));
            if let Err(e) = result {
                tracing::error!("cannot change publishing pause: {}", e.message);
                let _ = item.0.set_checked(!paused);
            }
        }
        QUIT => app.exit(0),
        _ => {}
    }
}

/// Brings the tray's check mark in line with the stored flag.
pub(crate) fn show_paused<R: Runtime>(app: &AppHandle<R>, paused: bool) {
    if let Some(item) = app.try_state::<PauseItem<R>>() {
        let _ = item.0.set_checked(paused);
    }
}
