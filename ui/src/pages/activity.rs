//! The audit log: every user action and automated decision, newest first.

use reachloop_ipc::AuditEntry;
use yew::prelude::*;

use crate::services;
use crate::state::{action_label, describe_details};

/// An ISO-8601 instant in the user's own time zone and locale.
fn local_time(at: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(at));
    if date.get_time().is_nan() {
        return at.to_string();
    }
    date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)
        .as_string()
        .unwrap_or_else(|| at.to_string())
}

#[function_component(ActivityPage)]
pub fn activity_page() -> Html {
    let entries = use_state(|| None::<Result<Vec<AuditEntry>, String>>);
    {
        let entries = entries.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                entries.set(Some(
                    services::recent_audit(200).await.map_err(|e| e.message),
                ));
            });
        });
    }
    let body = match &*entries {
        None => html! { <p class="muted">{ "Loading…" }</p> },
        Some(Err(e)) => html! { <p class="error" role="alert">{ e }</p> },
        Some(Ok(list)) if list.is_empty() => {
            html! { <p class="empty">{ "Nothing has happened yet." }</p> }
        }
        Some(Ok(list)) => html! {
            <table class="table" id="audit-list">
                <thead><tr><th>{ "When" }</th><th>{ "Who" }</th><th>{ "What" }</th><th>{ "Details" }</th></tr></thead>
                <tbody>
                    { for list.iter().map(|e| html! {
                        <tr key={e.id}>
                            <td title={e.at.clone()}>{ local_time(&e.at) }</td>
                            <td>{ &e.actor }</td>
                            <td data-action={e.action.clone()}>{ action_label(&e.action) }</td>
                            <td class="audit-details">{ describe_details(&e.details) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        },
    };
    html! {
        <section class="page" id="page-activity">
            <h1>{ "Activity" }</h1>
            { body }
        </section>
    }
}
