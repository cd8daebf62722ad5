//! The Calendar: a month or a week of past and upcoming posts in the
//! user's zone, coloured by status (the schedule's zone on hover), who
//! publishes now, and the post detail with its overrides.

use chrono::NaiveDate;
use gloo_timers::callback::Interval;
use reachloop_ipc::{Account, PublisherStatus, ScheduledPost};
use yew::prelude::*;

use crate::components::calendar::{
    title, visible_days, CalendarAction, CalendarGrid, CalendarState, Chip, View,
};
use crate::components::post_detail::{times, PostDetail};
use crate::local_time::{midnight, today};
use crate::services;

/// How often the page re-reads who publishes (posts come at once, with
/// the core's live-update events).
const REFRESH_MS: u32 = 15_000;

/// What makes the calendar read its posts again at once.
const LIVE: &[&str] = &[
    reachloop_ipc::events::POSTS_CHANGED,
    reachloop_ipc::events::METRICS_UPDATED,
];

fn js_date(at: &str) -> Option<js_sys::Date> {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(at));
    (!d.get_time().is_nan()).then_some(d)
}

/// The day and time of `at` in the browser's zone.
fn local_day(at: &str) -> Option<(NaiveDate, String)> {
    let d = js_date(at)?;
    let day = NaiveDate::from_ymd_opt(d.get_full_year() as i32, d.get_month() + 1, d.get_date())?;
    Some((day, format!("{:02}:{:02}", d.get_hours(), d.get_minutes())))
}

fn chip(p: &ScheduledPost) -> Option<Chip> {
    let (day, time) = local_day(&p.scheduled_at)?;
    let (_, zoned) = times(&p.scheduled_at, &p.time_zone);
    let mut hover = format!("{} · {zoned} ({})", p.status.replace('_', " "), p.time_zone);
    if let Some(e) = &p.last_error {
        hover.push_str(&format!("\n{e}"));
    }
    if let Some(h) = &p.held {
        hover.push_str(&format!("\n{h}"));
    }
    for w in &p.warnings {
        hover.push_str(&format!("\n⚠ {w}"));
    }
    Some(Chip {
        id: p.id.clone(),
        day,
        time,
        label: p.platform.label().to_string(),
        // A held post shows as held: it will not go out on its own.
        status: match &p.held {
            Some(_) => "held".to_string(),
            None => p.status.clone(),
        },
        hover,
        warned: !p.warnings.is_empty(),
    })
}

#[function_component(CalendarPage)]
pub fn calendar_page() -> Html {
    let state = use_reducer(|| CalendarState::new(today()));
    let posts = use_state(|| None::<Result<Vec<ScheduledPost>, String>>);
    let accounts = use_state(Vec::<Account>::new);
    let publisher = use_state(PublisherStatus::default);
    let reload = use_state(|| 0u32);
    let days = visible_days(state.view, state.anchor);
    let (from, to) = match (days.first(), days.last()) {
        (Some(f), Some(l)) => (midnight(*f), midnight(*l + chrono::Days::new(1))),
        _ => (String::new(), String::new()),
    };
    {
        let (posts, publisher, accounts) = (posts.clone(), publisher.clone(), accounts.clone());
        let ticks = crate::events::use_event_ticks(LIVE);
        use_effect_with(
            (from.clone(), to.clone(), *reload, ticks),
            move |(from, to, _, _)| {
                let (from, to) = (from.clone(), to.clone());
                let load = move || {
                    let (posts, publisher, accounts) =
                        (posts.clone(), publisher.clone(), accounts.clone());
                    let (from, to) = (from.clone(), to.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        posts.set(Some(
                            services::calendar_posts(&from, &to)
                                .await
                                .map_err(|e| e.message),
                        ));
                        if let Ok(p) = services::publisher_status().await {
                            publisher.set(p);
                        }
                        if let Ok(a) = services::list_accounts().await {
                            accounts.set(a);
                        }
                    });
                };
                load();
                let interval = Interval::new(REFRESH_MS, load);
                move || drop(interval)
            },
        );
    }
    let who = match (publisher.kind.as_deref(), publisher.this_app) {
        (Some(_), true) => "Publishing: this app.".to_string(),
        (Some(kind), false) => {
            format!("Publishing: the {kind} (reachloop-cli agent) on this data.")
        }
        (None, _) => "Nothing is publishing right now (paused, or starting).".to_string(),
    };
    let act = |a: fn() -> CalendarAction| {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(a()))
    };
    let on_today = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(CalendarAction::Today(today())))
    };
    let on_select = {
        let state = state.clone();
        Callback::from(move |id| state.dispatch(CalendarAction::Select(id)))
    };
    let on_close = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(CalendarAction::Close))
    };
    let on_changed = {
        let (reload, state) = (reload.clone(), state.clone());
        Callback::from(move |id: String| {
            state.dispatch(CalendarAction::Select(id));
            reload.set(*reload + 1)
        })
    };
    let list: &[ScheduledPost] = match &*posts {
        Some(Ok(l)) => l,
        _ => &[],
    };
    let chips: Vec<Chip> = list.iter().filter_map(chip).collect();
    let selected = state
        .selected
        .as_ref()
        .and_then(|id| list.iter().find(|p| &p.id == id))
        .cloned();
    let pressed = |v: View| if state.view == v { "true" } else { "false" };
    html! {
        <section class="page" id="page-calendar">
            <h1>{ "Calendar" }</h1>
            <p class="hint" id="publisher-status">{ who }</p>
            <div class="calendar-bar" role="toolbar" aria-label="Calendar">
                <button type="button" id="calendar-prev" aria-label="Previous" onclick={act(|| CalendarAction::Previous)}>{ "‹" }</button>
                <button type="button" id="calendar-today" onclick={on_today}>{ "Today" }</button>
                <button type="button" id="calendar-next" aria-label="Next" onclick={act(|| CalendarAction::Next)}>{ "›" }</button>
                <h2 id="calendar-title">{ title(state.view, state.anchor) }</h2>
                <span class="spacer"></span>
                <button type="button" id="calendar-week" aria-pressed={pressed(View::Week)} onclick={act(|| CalendarAction::SetView(View::Week))}>{ "Week" }</button>
                <button type="button" id="calendar-month" aria-pressed={pressed(View::Month)} onclick={act(|| CalendarAction::SetView(View::Month))}>{ "Month" }</button>
            </div>
            {
                match &*posts {
                    Some(Err(e)) => html! { <p class="error" role="alert">{ e }</p> },
                    Some(Ok(l)) if l.is_empty() => html! {
                        <p class="empty" id="calendar-empty">{ "No posts in these days. Open a campaign and add a schedule." }</p>
                    },
                    _ => html! {},
                }
            }
            <div class="calendar-layout">
                <CalendarGrid view={state.view} anchor={state.anchor} today={today()} chips={chips}
                    selected={state.selected.clone()} on_select={on_select} />
                if let Some(post) = selected {
                    <PostDetail account={accounts.iter().find(|a| a.id == post.account_id).cloned()}
                        post={post} on_close={on_close} on_changed={on_changed} />
                }
            </div>
        </section>
    }
}
