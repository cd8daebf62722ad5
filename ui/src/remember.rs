//! Where the window is, remembered so it comes back there: the page, and
//! on Campaigns the open campaign ("nav-campaigns/<id>"). A window rebuilt
//! from the tray gets it from the shell before its page loads (the closed
//! webview's storage is not reliably written by then); a restart reads the
//! webview's own storage.

use crate::services;
use crate::state::Page;

/// The key in the webview's storage.
const KEY: &str = "reachloop.page";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The view remembered: the shell's hand-over, else the stored one.
fn view() -> Option<String> {
    let handed = web_sys::window().and_then(|w| {
        js_sys::Reflect::get(&w, &wasm_bindgen::JsValue::from_str("__REACHLOOP_PAGE"))
            .ok()?
            .as_string()
    });
    handed.or_else(|| storage()?.get_item(KEY).ok().flatten())
}

/// The page to open on.
pub fn page() -> Option<Page> {
    let view = view()?;
    Page::from_id(view.split('/').next().unwrap_or_default())
}

/// The campaign that was open on the Campaigns page, if one was.
pub fn open_campaign() -> Option<String> {
    let view = view()?;
    let (page, id) = view.split_once('/')?;
    (page == Page::Campaigns.id() && !id.is_empty()).then(|| id.to_string())
}

/// Remembers `view` (a page's id, or `nav-campaigns/<id>`), here and in
/// the shell.
pub fn shown(view: String) {
    if let Some(s) = storage() {
        let _ = s.set_item(KEY, &view);
    }
    wasm_bindgen_futures::spawn_local(async move {
        let _ = services::page_shown(&view).await;
    });
}
