//! Posts by day, past and upcoming, coloured by status, with who publishes
//! now. (Month and week views come next.)

use gloo_timers::callback::Interval;
use reachloop_ipc::{PublisherStatus, ScheduledPost};
use yew::prelude::*;

use crate::services;

/// How often the page re-reads posts (events replace this later).
const REFRESH_MS: u32 = 3_000;

fn local(at: &str) -> (String, String) {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(at));
    if d.get_time().is_nan() {
        return (at.to_string(), String::new());
    }
    let day = d
        .to_locale_date_string("default", &wasm_bindgen::JsValue::UNDEFINED)
        .as_string()
        .unwrap_or_default();
    let time = d
        .to_locale_time_string("default")
        .as_string()
        .unwrap_or_default();
    (day, time)
}

#[function_component(CalendarPage)]
pub fn calendar_page() -> Html {
    let posts = use_state(|| None::<Result<Vec<ScheduledPost>, String>>);
    let publisher = use_state(PublisherStatus::default);
    {
        let (posts, publisher) = (posts.clone(), publisher.clone());
        use_effect_with((), move |_| {
            let load = move || {
                let (posts, publisher) = (posts.clone(), publisher.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    posts.set(Some(
                        services::list_posts(None).await.map_err(|e| e.message),
                    ));
                    if let Ok(p) = services::publisher_status().await {
                        publisher.set(p);
                    }
                });
            };
            load();
            let interval = Interval::new(REFRESH_MS, load);
            move || drop(interval)
        });
    }
    let who = match (publisher.kind.as_deref(), publisher.this_app) {
        (Some(_), true) => "Publishing: this app.".to_string(),
        (Some(kind), false) => {
            format!("Publishing: the {kind} (reachloop-cli agent) on this data.")
        }
        (None, _) => "Nothing is publishing right now (paused, or starting).".to_string(),
    };
    let body = match &*posts {
        None => html! { <p class="muted">{ "Loading…" }</p> },
        Some(Err(e)) => html! { <p class="error" role="alert">{ e }</p> },
        Some(Ok(list)) if list.is_empty() => html! {
            <p class="empty" id="calendar-empty">{ "No posts yet. Open a campaign and add a schedule." }</p>
        },
        Some(Ok(list)) => {
            let mut days: Vec<(String, Vec<&ScheduledPost>)> = Vec::new();
            for p in list {
                let (day, _) = local(&p.scheduled_at);
                match days.last_mut() {
                    Some((d, v)) if *d == day => v.push(p),
                    _ => days.push((day, vec![p])),
                }
            }
            html! {
                <div id="calendar-days">
                    { for days.into_iter().take(60).map(|(day, posts)| html! {
                        <section class="day" key={day.clone()}>
                            <h3>{ &day }</h3>
                            <ul class="list">
                                { for posts.into_iter().map(|p| {
                                    let (_, time) = local(&p.scheduled_at);
                                    html! {
                                        <li class={classes!("post", p.status.clone())} key={p.id.clone()} data-id={p.id.clone()}
                                            title={format!("{} in {}", p.scheduled_at, p.time_zone)}>
                                            <span class="post-time">{ time }</span>
                                            <span>{ p.platform.label() }</span>
                                            <span class={classes!("badge", "post-status", p.status.clone())}>{ p.status.replace('_', " ") }</span>
                                            if let Some(url) = &p.remote_url { <span class="muted">{ url }</span> }
                                            if let Some(e) = &p.last_error { <span class="error">{ e }</span> }
                                            { for p.warnings.iter().map(|w| html! { <span class="warning post-warning" title={w.clone()}>{ format!("⚠ {w}") }</span> }) }
                                        </li>
                                    }
                                }) }
                            </ul>
                        </section>
                    }) }
                </div>
            }
        }
    };
    html! {
        <section class="page" id="page-calendar">
            <h1>{ "Calendar" }</h1>
            <p class="hint" id="publisher-status">{ who }</p>
            { body }
        </section>
    }
}
