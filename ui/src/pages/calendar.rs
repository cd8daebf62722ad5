//! The Calendar: a month or a week of days in the user's zone, each with
//! its first posts coloured by status and a count of the rest that opens
//! the day (every post of it, a page at a time), who publishes now, and
//! the post detail with its overrides. It reads only what it shows: each
//! day's counts and first posts, or one page of one day.

use std::cell::RefCell;
use std::rc::Rc;

use chrono::NaiveDate;
use gloo_timers::callback::Interval;
use reachloop_ipc::{
    Account, CalendarDayPage, CalendarDayQuery, CalendarQuery, CalendarRange, PublisherStatus,
    ScheduledPost,
};
use yew::prelude::*;

use crate::components::calendar::{
    title, visible_days, CalendarAction, CalendarGrid, CalendarState, Chip, DayCell, DayList, View,
    DAY_PAGE,
};
use crate::components::post_detail::{times, PostDetail};
use crate::local_time::{now_ms, today, zone};
use crate::services;

/// How often the page asks who publishes (posts come with the core's
/// live-update events, never on a timer).
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

/// The grid's days from the core's answer; the selected post is added to
/// its day when that day's first posts do not include it (a moved post
/// shows where it went).
fn cells(range: &CalendarRange) -> Vec<DayCell> {
    let mut cells: Vec<DayCell> = range
        .days
        .iter()
        .filter(|d| d.total > 0)
        .filter_map(|d| {
            Some(DayCell {
                day: NaiveDate::parse_from_str(&d.day, "%Y-%m-%d").ok()?,
                total: d.total,
                held: d.held,
                failed: d.failed,
                chips: d.posts.iter().filter_map(chip).collect(),
            })
        })
        .collect();
    if let Some(c) = range.selected.as_ref().and_then(chip) {
        if let Some(cell) = cells.iter_mut().find(|cell| cell.day == c.day) {
            if !cell.chips.iter().any(|x| x.id == c.id) {
                let at = cell.chips.partition_point(|x| x.time <= c.time);
                cell.chips.insert(at, c);
            }
        }
    }
    cells
}

/// What the page holds: the days of the month or week, or a page of one
/// day (with that day's counts and the selected post).
#[derive(Debug, Clone, PartialEq)]
struct Loaded {
    range: CalendarRange,
    page: Option<CalendarDayPage>,
}

#[function_component(CalendarPage)]
pub fn calendar_page() -> Html {
    let state = use_reducer(|| {
        let view = crate::remember::calendar_view()
            .and_then(|v| View::from_id(&v))
            .unwrap_or(View::Week);
        let mut s = CalendarState::in_view(today(), view);
        // A post opened from elsewhere (the Activity page): on its day.
        if let Some((id, at)) = crate::remember::take_open_post() {
            if let Some((day, _)) = local_day(&at) {
                s.anchor = day;
            }
            s.selected = Some(id);
        }
        s
    });
    use_effect_with(state.view, |view| {
        crate::remember::shown(format!(
            "{}/{}",
            crate::state::Page::Calendar.id(),
            view.id()
        ));
    });
    let loaded = use_state_eq(|| None::<Result<Loaded, String>>);
    let accounts = use_state_eq(Vec::<Account>::new);
    let publisher = use_state_eq(|| None::<PublisherStatus>);
    let reload = use_state(|| 0u32);
    // When the last answer arrived and how long it took, until it is drawn.
    let arrived: Rc<RefCell<Option<(f64, f64, u32)>>> = use_mut_ref(|| None);
    // Which read was asked last: paging fast asks several at once, and an
    // earlier answer coming after a later one is dropped.
    let asked: Rc<RefCell<u64>> = use_mut_ref(|| 0);
    let zone = use_memo((), |_| zone());
    let days = visible_days(state.view, state.anchor);
    let (from, to) = match (days.first(), days.last()) {
        (Some(f), Some(l)) => (f.to_string(), l.to_string()),
        _ => (String::new(), String::new()),
    };
    // Who publishes: at once, then now and then.
    {
        let publisher = publisher.clone();
        use_effect_with((), move |_| {
            let ask = move || {
                let publisher = publisher.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(p) = services::publisher_status().await {
                        publisher.set(Some(p));
                    }
                });
            };
            ask();
            let interval = Interval::new(REFRESH_MS, ask);
            move || drop(interval)
        });
    }
    // The posts on screen: when the view moves, a post changes, or an
    // event says posts changed.
    {
        let (loaded, accounts, arrived, zone, asked) = (
            loaded.clone(),
            accounts.clone(),
            arrived.clone(),
            (*zone).clone(),
            asked.clone(),
        );
        let ticks = crate::events::use_event_ticks(LIVE);
        let key = (
            from.clone(),
            to.clone(),
            state.view,
            state.offset,
            state.selected.clone(),
            *reload,
            ticks,
        );
        use_effect_with(key, move |(from, to, view, offset, selected, _, _)| {
            let query = CalendarQuery {
                from: from.clone(),
                to: to.clone(),
                zone: zone.clone(),
                per_day: view.per_day(),
                selected: selected.clone(),
            };
            let day = (*view == View::Day).then(|| CalendarDayQuery {
                day: from.clone(),
                zone,
                offset: *offset,
                limit: DAY_PAGE,
            });
            let ask = {
                let mut last = asked.borrow_mut();
                *last += 1;
                *last
            };
            wasm_bindgen_futures::spawn_local(async move {
                let started = now_ms();
                let range = services::calendar_days(&query).await;
                let page = match &day {
                    Some(q) => Some(services::calendar_day(q).await),
                    None => None,
                };
                if *asked.borrow() != ask {
                    return;
                }
                let answer = match (range, page.transpose()) {
                    (Ok(range), Ok(page)) => Ok(Loaded { range, page }),
                    (Err(e), _) | (_, Err(e)) => Err(e.message),
                };
                if let Ok(l) = &answer {
                    let posts = l.range.days.iter().map(|d| d.total).sum();
                    *arrived.borrow_mut() = Some((now_ms(), now_ms() - started, posts));
                }
                loaded.set(Some(answer));
                if let Ok(a) = services::list_accounts().await {
                    accounts.set(a);
                }
            });
        });
    }
    // Once an answer is drawn: how long that took, for the bench.
    {
        let arrived = arrived.clone();
        use_effect(move || {
            if let Some((at, data_ms, posts)) = arrived.borrow_mut().take() {
                let render_ms = now_ms() - at;
                wasm_bindgen_futures::spawn_local(async move {
                    services::ui_timing("calendar", posts, data_ms, render_ms).await;
                });
            }
        });
    }
    let who = match publisher.as_ref().map(|p| (p.kind.as_deref(), p.this_app)) {
        None => "Checking who publishes…".to_string(),
        Some((Some(_), true)) => "Publishing: this app.".to_string(),
        Some((Some(kind), false)) => {
            format!("Publishing: the {kind} (reachloop-cli agent) on this data.")
        }
        Some((None, _)) => "Nothing is publishing right now (paused, or starting).".to_string(),
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
    let on_open_day = {
        let state = state.clone();
        Callback::from(move |day| state.dispatch(CalendarAction::OpenDay(day)))
    };
    let on_next_page = {
        let state = state.clone();
        Callback::from(move |total| state.dispatch(CalendarAction::NextPage(total)))
    };
    let on_previous_page = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(CalendarAction::PreviousPage))
    };
    let on_back = {
        let state = state.clone();
        Callback::from(move |v| state.dispatch(CalendarAction::SetView(v)))
    };
    let on_close = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(CalendarAction::Close))
    };
    // A changed post is followed: a moved one to the day it went to.
    let on_changed = {
        let (reload, state) = (reload.clone(), state.clone());
        Callback::from(move |post: ScheduledPost| {
            match local_day(&post.scheduled_at) {
                Some((day, _)) => state.dispatch(CalendarAction::Follow { id: post.id, day }),
                None => state.dispatch(CalendarAction::Select(post.id)),
            }
            reload.set(*reload + 1)
        })
    };
    let (range, page) = match &*loaded {
        Some(Ok(l)) => (Some(&l.range), l.page.as_ref()),
        _ => (None, None),
    };
    let grid_cells = use_memo(range.cloned(), |r| {
        r.as_ref().map(cells).unwrap_or_default()
    });
    let page_chips = use_memo(page.cloned(), |p| {
        p.as_ref()
            .map(|p| p.posts.iter().filter_map(chip).collect::<Vec<_>>())
            .unwrap_or_default()
    });
    // The open post: from the page, the days, or fetched for itself.
    let selected = state.selected.as_ref().and_then(|id| {
        page.into_iter()
            .flat_map(|p| p.posts.iter())
            .chain(
                range
                    .into_iter()
                    .flat_map(|r| r.days.iter().flat_map(|d| d.posts.iter())),
            )
            .chain(range.and_then(|r| r.selected.as_ref()))
            .find(|p| &p.id == id)
            .cloned()
    });
    let total: u32 = range
        .map(|r| r.days.iter().map(|d| d.total).sum())
        .unwrap_or(0);
    let pressed = |v: View| if state.view == v { "true" } else { "false" };
    html! {
        <section class="page" id="page-calendar">
            <h1>{ "Calendar" }</h1>
            <p class="hint" id="publisher-status">{ who }</p>
            <div class="calendar-bar" role="toolbar" aria-label="Calendar">
                <button type="button" class="secondary" id="calendar-prev" aria-label="Previous" onclick={act(|| CalendarAction::Previous)}>{ "‹" }</button>
                <button type="button" class="secondary" id="calendar-today" onclick={on_today}>{ "Today" }</button>
                <button type="button" class="secondary" id="calendar-next" aria-label="Next" onclick={act(|| CalendarAction::Next)}>{ "›" }</button>
                <h2 id="calendar-title">{ title(state.view, state.anchor) }</h2>
                <span class="spacer"></span>
                <button type="button" class="secondary" id="calendar-day-view" aria-pressed={pressed(View::Day)} onclick={act(|| CalendarAction::SetView(View::Day))}>{ "Day" }</button>
                <button type="button" class="secondary" id="calendar-week" aria-pressed={pressed(View::Week)} onclick={act(|| CalendarAction::SetView(View::Week))}>{ "Week" }</button>
                <button type="button" class="secondary" id="calendar-month" aria-pressed={pressed(View::Month)} onclick={act(|| CalendarAction::SetView(View::Month))}>{ "Month" }</button>
            </div>
            {
                match &*loaded {
                    None => html! { <p class="muted" id="calendar-loading" role="status">{ "Loading the posts…" }</p> },
                    Some(Err(e)) => html! { <p class="error" role="alert">{ e }</p> },
                    Some(Ok(_)) if total == 0 && state.view != View::Day => html! {
                        <p class="empty" id="calendar-empty">{ "No posts in these days. Open a campaign and add a schedule." }</p>
                    },
                    _ => html! {},
                }
            }
            <div class="calendar-layout">
                if state.view == View::Day {
                    <DayList day={state.anchor} offset={page.map(|p| p.offset).unwrap_or(0)} total={page.map(|p| p.total).unwrap_or(0)}
                        chips={page_chips} selected={state.selected.clone()} on_select={on_select}
                        on_previous_page={on_previous_page} on_next_page={on_next_page}
                        back_to={state.from} on_back={on_back} />
                } else {
                    <CalendarGrid view={state.view} anchor={state.anchor} today={today()} cells={grid_cells}
                        selected={state.selected.clone()} on_select={on_select} on_open_day={on_open_day} />
                }
                if let Some(post) = selected {
                    <PostDetail account={accounts.iter().find(|a| a.id == post.account_id).cloned()}
                        post={post} on_close={on_close} on_changed={on_changed} />
                }
            </div>
        </section>
    }
}
