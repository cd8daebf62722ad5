//! The audit log: every user action and automated decision, newest first,
//! in the user's words (the campaign, the post's time in their zone, the
//! variant's first words), a post's entry opening it in the Calendar, and
//! new entries coming in as they are recorded.

use reachloop_ipc::{AuditEntry, AuditSubject};
use yew::prelude::*;

use crate::components::problem::Navigate;
use crate::local_time::short;
use crate::services;
use crate::state::{action_label, describe_details, Page};

/// What makes the page read the log again.
const LIVE: &[&str] = &[
    reachloop_ipc::events::ACTIVITY_CHANGED,
    reachloop_ipc::events::POSTS_CHANGED,
    reachloop_ipc::events::ACCOUNTS_CHANGED,
];

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

/// "“Spring sale” · X post of Thu 5 Dec, 09:30 · “Fresh bread at…” · Bakery (@bakery)".
fn subject(a: &AuditSubject) -> String {
    let mut parts = Vec::new();
    if let Some(c) = &a.campaign {
        parts.push(format!("“{c}”"));
    }
    match (&a.post_at, a.platform) {
        (Some(at), Some(p)) => parts.push(format!("{} post of {}", p.label(), short(at))),
        (Some(at), None) => parts.push(format!("post of {}", short(at))),
        (None, Some(p)) => parts.push(p.label().to_string()),
        (None, None) => {}
    }
    if let Some(v) = &a.variant {
        parts.push(format!("“{v}”"));
    }
    if let Some(acc) = &a.account {
        parts.push(acc.clone());
    }
    parts.join(" · ")
}

#[function_component(ActivityPage)]
pub fn activity_page() -> Html {
    let entries = use_state_eq(|| None::<Result<Vec<AuditEntry>, String>>);
    let nav = use_context::<Navigate>();
    // The filters: one campaign (or all), and who (everyone, the
    // optimizer, anything automated, or people).
    let campaign = use_state(String::new);
    let who = use_state(String::new);
    let campaigns = use_state(Vec::<reachloop_ipc::Campaign>::new);
    {
        let campaigns = campaigns.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(list) = services::list_campaigns().await {
                    campaigns.set(list);
                }
            });
        });
    }
    {
        let entries = entries.clone();
        let ticks = crate::events::use_event_ticks(LIVE);
        use_effect_with(
            (ticks, (*campaign).clone(), (*who).clone()),
            move |(_, campaign, who)| {
                let (campaign, who) = (campaign.clone(), who.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
                    let (c, w) = (some(&campaign), some(&who));
                    entries.set(Some(
                        services::recent_audit(200, c.as_deref(), w.as_deref())
                            .await
                            .map_err(|e| e.message),
                    ));
                });
            },
        );
    }
    let pick = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: Event| {
            state.set(
                e.target_unchecked_into::<web_sys::HtmlSelectElement>()
                    .value(),
            )
        })
    };
    let filters = html! {
        <div class="filters" id="activity-filters">
            <label>{ "Campaign " }
                <select id="activity-campaign" onchange={pick(&campaign)}>
                    <option value="" selected={campaign.is_empty()}>{ "All campaigns" }</option>
                    { for campaigns.iter().map(|c| html! {
                        <option value={c.id.clone()} selected={*campaign == c.id}>{ &c.name }</option>
                    }) }
                </select>
            </label>
            <label>{ " Who " }
                <select id="activity-who" onchange={pick(&who)}>
                    { for [("", "Everyone"), ("optimizer", "The optimizer's decisions"), ("automated", "Everything automated"), ("people", "People (you, the command line)")]
                        .into_iter().map(|(v, l)| html! { <option value={v} selected={*who == v}>{ l }</option> }) }
                </select>
            </label>
        </div>
    };
    let open_post = |id: &str, at: &str| {
        let (id, at, nav) = (id.to_string(), at.to_string(), nav.clone());
        Callback::from(move |_: MouseEvent| {
            crate::remember::open_post(&id, &at);
            if let Some(Navigate(go)) = &nav {
                go.emit((Page::Calendar, None));
            }
        })
    };
    let body = match &*entries {
        None => html! { <p class="muted">{ "Loading…" }</p> },
        Some(Err(e)) => html! { <p class="error" role="alert">{ e }</p> },
        Some(Ok(list)) if list.is_empty() && (campaign.is_empty() && who.is_empty()) => {
            html! { <p class="empty">{ "Nothing has happened yet." }</p> }
        }
        Some(Ok(list)) if list.is_empty() => {
            html! { <p class="empty" id="activity-none">{ "Nothing matches these filters." }</p> }
        }
        Some(Ok(list)) => html! {
            <table class="table" id="audit-list">
                <thead><tr><th>{ "When" }</th><th>{ "Who" }</th><th>{ "What" }</th><th>{ "Details" }</th></tr></thead>
                <tbody>
                    { for list.iter().map(|e| {
                        let about = subject(&e.about);
                        let link = match (&e.about.post_id, &e.about.post_at) {
                            (Some(id), Some(at)) => html! {
                                <button type="button" class="link audit-open-post" data-post={id.clone()}
                                    onclick={open_post(id, at)}>{ "Open in the Calendar" }</button>
                            },
                            _ => html! {},
                        };
                        html! {
                            <tr key={e.id} class="audit-entry">
                                <td title={e.at.clone()}>{ local_time(&e.at) }</td>
                                <td>{ &e.actor }</td>
                                <td data-action={e.action.clone()}>
                                    { action_label(&e.action) }
                                    if !about.is_empty() { <br/><span class="audit-about">{ about }</span> }
                                    if e.about.post_id.is_some() { <br/>{ link } }
                                </td>
                                <td class="audit-details">{ describe_details(&e.details, local_time) }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        },
    };
    html! {
        <section class="page" id="page-activity">
            <h1>{ "Activity" }</h1>
            { filters }
            { body }
        </section>
    }
}
