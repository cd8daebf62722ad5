//! Analytics: KPI cards against the period before, the chart (drawn by
//! the core), per-platform and per-variant tables, combined filters, and
//! exports. Figures refresh by themselves: the core says when posts or
//! metrics changed (live-update events), and the page reads them again.

use chrono::NaiveDate;
use reachloop_ipc::{Account, Campaign, Dashboard, Platform};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::analytics_filter::{FilterAction, FilterState, Period};
use crate::components::figures_table::FiguresTable;
use crate::components::kpi::{change, percent, Kpi};
use crate::components::metrics::count;
use crate::components::post_detail::times;
use crate::local_time::{days_ago, midnight, today};
use crate::services;

/// What makes the figures read again.
const LIVE: &[&str] = &[
    reachloop_ipc::events::POSTS_CHANGED,
    reachloop_ipc::events::METRICS_UPDATED,
];

#[function_component(AnalyticsPage)]
pub fn analytics_page() -> Html {
    let filter = use_reducer(FilterState::default);
    let data = use_state(|| None::<Result<Dashboard, String>>);
    let chart = use_state(|| None::<String>);
    let campaigns = use_state(Vec::<Campaign>::new);
    let accounts = use_state(Vec::<Account>::new);
    let saved = use_state(|| None::<String>);
    let wanted = filter.to_filter(midnight, days_ago);
    let ticks = crate::events::use_event_ticks(LIVE);
    {
        let (campaigns, accounts) = (campaigns.clone(), accounts.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(c) = services::list_campaigns().await {
                    campaigns.set(c);
                }
                if let Ok(a) = services::list_accounts().await {
                    accounts.set(a);
                }
            });
        });
    }
    {
        let (data, chart) = (data.clone(), chart.clone());
        let state = (*filter).clone();
        use_effect_with((state, ticks), move |(state, _)| {
            // "The last N days" moves with the clock.
            let f = state.to_filter(midnight, days_ago);
            wasm_bindgen_futures::spawn_local(async move {
                let fresh = services::dashboard(&f).await.map_err(|e| e.message);
                if data.as_ref() != Some(&fresh) {
                    data.set(Some(fresh));
                }
                if let Ok(svg) = services::dashboard_chart(&f).await {
                    if chart.as_deref() != Some(svg.as_str()) {
                        chart.set(Some(svg));
                    }
                }
            });
        });
    }
    let last = |days: i64| {
        let filter = filter.clone();
        Callback::from(move |_| filter.dispatch(FilterAction::Last(days)))
    };
    let on_day = |to: bool| {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlInputElement>().value();
            if let Ok(d) = NaiveDate::parse_from_str(&v, "%Y-%m-%d") {
                filter.dispatch(if to {
                    FilterAction::To(d)
                } else {
                    FilterAction::From(d)
                });
            }
        })
    };
    let on_campaign = {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            filter.dispatch(FilterAction::Campaign(Some(v)));
        })
    };
    let on_account = {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            filter.dispatch(FilterAction::Account(Some(v)));
        })
    };
    let export_csv = {
        let (saved, wanted) = (saved.clone(), wanted.clone());
        Callback::from(move |_| {
            let (saved, wanted) = (saved.clone(), wanted.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match services::export_campaign_csv(&wanted).await {
                    Ok(Some(path)) => saved.set(Some(format!("Saved the report to {path}"))),
                    Ok(None) => {}
                    Err(e) => saved.set(Some(e.message)),
                }
            });
        })
    };
    let export_chart = |format: &'static str| {
        let (saved, wanted) = (saved.clone(), wanted.clone());
        Callback::from(move |_| {
            let (saved, wanted) = (saved.clone(), wanted.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match services::export_chart(&wanted, format).await {
                    Ok(Some(path)) => saved.set(Some(format!("Saved the chart to {path}"))),
                    Ok(None) => {}
                    Err(e) => saved.set(Some(e.message)),
                }
            });
        })
    };
    let (from_day, to_day) = match filter.period {
        Period::Days(f, t) => (f.to_string(), t.to_string()),
        Period::Last(_) => (String::new(), today().to_string()),
    };
    let pressed = |days: i64| (filter.period == Period::Last(days)).to_string();
    html! {
        <section class="page" id="page-analytics">
            <h1>{ "Analytics" }</h1>
            <div class="filters" role="group" aria-label="Filters">
                <div class="row">
                    <button type="button" id="period-7" aria-pressed={pressed(7)} onclick={last(7)}>{ "7 days" }</button>
                    <button type="button" id="period-30" aria-pressed={pressed(30)} onclick={last(30)}>{ "30 days" }</button>
                    <button type="button" id="period-90" aria-pressed={pressed(90)} onclick={last(90)}>{ "90 days" }</button>
                    <label>{ "From " }<input type="date" id="period-from" value={from_day} onchange={on_day(false)} /></label>
                    <label>{ "to " }<input type="date" id="period-to" value={to_day} onchange={on_day(true)} /></label>
                </div>
                <div class="row">
                    { for Platform::ALL.iter().map(|p| {
                        let name = p.as_str().to_string();
                        let on = filter.platforms.contains(&name);
                        let toggle = {
                            let (filter, name) = (filter.clone(), name.clone());
                            Callback::from(move |_| filter.dispatch(FilterAction::TogglePlatform(name.clone())))
                        };
                        html! {
                            <label class="check"><input type="checkbox" id={format!("filter-{name}")} checked={on} onchange={toggle} />{ format!(" {}", p.label()) }</label>
                        }
                    }) }
                    <select id="filter-campaign" aria-label="Campaign" onchange={on_campaign}>
                        <option value="" selected={filter.campaign_id.is_none()}>{ "All campaigns" }</option>
                        { for campaigns.iter().map(|c| html! {
                            <option value={c.id.clone()} selected={filter.campaign_id.as_deref() == Some(c.id.as_str())}>{ &c.name }</option>
                        }) }
                    </select>
                    <select id="filter-account" aria-label="Account" onchange={on_account}>
                        <option value="" selected={filter.account_id.is_none()}>{ "All accounts" }</option>
                        { for accounts.iter().map(|a| html! {
                            <option value={a.id.clone()} selected={filter.account_id.as_deref() == Some(a.id.as_str())}>{ format!("{} ({}, {})", a.name, a.handle, a.platform.label()) }</option>
                        }) }
                    </select>
                </div>
            </div>
            {
                match &*data {
                    None => html! { <p class="muted">{ "Loading…" }</p> },
                    Some(Err(e)) => html! { <p class="error" role="alert">{ e }</p> },
                    Some(Ok(d)) => dashboard_view(d, chart.as_deref(), &filter.platforms),
                }
            }
            <div class="row">
                <button type="button" id="export-csv" onclick={export_csv}
                    disabled={filter.campaign_id.is_none()}
                    title={if filter.campaign_id.is_none() { "Pick a campaign to export its report" } else { "" }}>{ "Export CSV…" }</button>
                <button type="button" id="export-svg" onclick={export_chart("svg")}>{ "Export chart (SVG)…" }</button>
                <button type="button" id="export-png" onclick={export_chart("png")}>{ "Export chart (PNG)…" }</button>
            </div>
            // In a corner of the window, wherever the page is scrolled.
            if let Some(s) = &*saved {
                <p class="toast" role="status" id="export-result">
                    { s }
                    <button type="button" class="link" aria-label="Dismiss" onclick={{
                        let saved = saved.clone();
                        Callback::from(move |_| saved.set(None))
                    }}>{ "×" }</button>
                </p>
            }
        </section>
    }
}

fn dashboard_view(d: &Dashboard, chart: Option<&str>, platforms: &[String]) -> Html {
    let (f, b) = (&d.figures, &d.previous);
    let n = |v: Option<u64>| v.map(|v| v as f64);
    let cards = [
        (
            "kpi-reach",
            "Impressions / views",
            count(f.reach),
            change(n(f.reach), n(b.reach)),
        ),
        (
            "kpi-likes",
            "Likes",
            count(f.likes),
            change(n(f.likes), n(b.likes)),
        ),
        (
            "kpi-comments",
            "Comments",
            count(f.comments),
            change(n(f.comments), n(b.comments)),
        ),
        (
            "kpi-shares",
            "Shares",
            count(f.shares),
            change(n(f.shares), n(b.shares)),
        ),
        (
            "kpi-clicks",
            "Clicks",
            count(f.clicks),
            change(n(f.clicks), n(b.clicks)),
        ),
        (
            "kpi-engagement",
            "Engagement rate",
            percent(f.engagement_rate),
            change(f.engagement_rate, b.engagement_rate),
        ),
        ("kpi-ctr", "CTR", percent(f.ctr), change(f.ctr, b.ctr)),
        (
            "kpi-posts",
            "Posts published",
            f.posts.to_string(),
            change(Some(f64::from(f.posts)), Some(f64::from(b.posts))),
        ),
    ];
    let fetched = d
        .fetched_at
        .as_deref()
        .map(|at| times(at, "UTC").0)
        .map(|at| format!("Newest figures fetched {at}; they refresh by themselves."))
        .unwrap_or_else(|| {
            "No figures fetched yet: the first come 15 minutes after a post is published.".into()
        });
    let src = chart.map(|svg| {
        format!(
            "data:image/svg+xml;charset=utf-8,{}",
            String::from(js_sys::encode_uri_component(svg))
        )
    });
    html! {
        <>
            <div class="kpis">
                { for cards.into_iter().map(|(id, label, value, ch)| html! {
                    <Kpi id={id} label={label} value={value} change={ch} />
                }) }
            </div>
            <p class="hint" id="fetched-at">{ fetched }</p>
            if let Some(src) = src {
                <img class="chart" id="dashboard-chart" src={src} alt="Reach (bars) and engagements (line) by day of publishing" />
            }
            <FiguresTable id="by-platform" caption="By platform" what="Platform" rows={d.by_platform.clone()} />
            <FiguresTable id="by-variant" caption="By variant" what="Variant" rows={d.by_variant.clone()} />
            <crate::components::heatmap::Heatmap cells={d.heatmap.clone()} />
            <p class="hint">{ "A post counts in the period it was published in, with everything it has gathered since. “—”: the platform does not give that figure." }</p>
            <ul class="hint platform-notes" id="platform-notes">
                { for crate::components::platform_notes::notes_for(platforms).into_iter().map(|n| html! { <li>{ n }</li> }) }
            </ul>
        </>
    }
}
