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

/// The campaign the Optimizer page showed, if it showed one.
pub fn optimizer_campaign() -> Option<String> {
    let view = view()?;
    let (page, id) = view.split_once('/')?;
    (page == Page::Optimizer.id() && !id.is_empty()).then(|| id.to_string())
}

/// The Calendar's view when it was left ("month", "week" or "day").
pub fn calendar_view() -> Option<String> {
    let view = view()?;
    let (page, rest) = view.split_once('/')?;
    (page == Page::Calendar.id()).then(|| rest.to_string())
}

/// The key of a post to open in the Calendar (from the Activity page).
const OPEN_POST: &str = "reachloop.open-post";

/// Asks the Calendar to open post `id` (at `at`, RFC 3339) when it shows.
pub fn open_post(id: &str, at: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(OPEN_POST, &format!("{id} {at}"));
    }
}

/// The post the Calendar was asked to open, once: (id, RFC 3339 time).
pub fn take_open_post() -> Option<(String, String)> {
    let s = storage()?;
    let v = s.get_item(OPEN_POST).ok().flatten()?;
    let _ = s.remove_item(OPEN_POST);
    let (id, at) = v.split_once(' ')?;
    Some((id.to_string(), at.to_string()))
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
