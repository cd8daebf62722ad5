//! The Optimizer page: pick a campaign, see per platform what the optimizer
//! believes of each variant and why it chose what it chose
//! ([`OptimizerPanel`]), live as posts go out and figures come in.

use reachloop_ipc::{Campaign, OptimizerView};
use yew::prelude::*;

use crate::components::optimizer_panel::OptimizerPanel;
use crate::services;
use crate::state::Page;

/// What makes the page read again.
const LIVE: &[&str] = &[
    reachloop_ipc::events::POSTS_CHANGED,
    reachloop_ipc::events::METRICS_UPDATED,
    reachloop_ipc::events::ACTIVITY_CHANGED,
];

#[function_component(OptimizerPage)]
pub fn optimizer_page() -> Html {
    let campaigns = use_state(|| None::<Vec<Campaign>>);
    let chosen = use_state(crate::remember::optimizer_campaign);
    let view = use_state_eq(|| None::<Result<OptimizerView, String>>);
    let ticks = crate::events::use_event_ticks(LIVE);
    {
        let (campaigns, chosen) = (campaigns.clone(), chosen.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let list = services::list_campaigns().await.unwrap_or_default();
                // The remembered campaign, else the first active one, else the first.
                if chosen
                    .as_ref()
                    .is_none_or(|c| !list.iter().any(|x| &x.id == c))
                {
                    let first = list
                        .iter()
                        .find(|c| c.status == reachloop_ipc::CampaignStatus::Active)
                        .or(list.first())
                        .map(|c| c.id.clone());
                    chosen.set(first);
                }
                campaigns.set(Some(list));
            });
        });
    }
    {
        let view = view.clone();
        use_effect_with(((*chosen).clone(), ticks), move |(chosen, _)| {
            if let Some(id) = chosen.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    view.set(Some(
                        services::optimizer_view(&id).await.map_err(|e| e.message),
                    ));
                });
            }
        });
    }
    let on_campaign = {
        let chosen = chosen.clone();
        Callback::from(move |e: Event| {
            let id = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            crate::remember::shown(format!("{}/{}", Page::Optimizer.id(), id));
            chosen.set(Some(id));
        })
    };
    let body = match (&*campaigns, &*view) {
        (None, _) => html! { <p class="muted">{ "Loading…" }</p> },
        (Some(list), _) if list.is_empty() => html! {
            <p class="empty" id="optimizer-empty">{ "No campaign yet: create one, give it variants and a schedule that lets the optimizer choose." }</p>
        },
        (_, None) => html! { <p class="muted">{ "Loading…" }</p> },
        (_, Some(Err(e))) => html! { <p class="error" role="alert">{ e }</p> },
        (_, Some(Ok(v))) if v.platforms.is_empty() => html! {
            <p class="empty" id="optimizer-empty">{ "This campaign has no variants yet: write or generate some on its page." }</p>
        },
        (_, Some(Ok(v))) => html! {
            <>
                <p class="hint">{ format!("Goal: {}. A post counts by its figures a day after publishing; until then it is “not mature yet”.", goal_words(&v.goal)) }</p>
                { for v.platforms.iter().map(|p| html! {
                    <OptimizerPanel campaign_id={v.campaign_id.clone()} goal={v.goal.clone()} platform={p.clone()} />
                }) }
            </>
        },
    };
    html! {
        <section class="page" id="page-optimizer">
            <h1>{ "Optimizer" }</h1>
            if let Some(list) = campaigns.as_ref().filter(|l| !l.is_empty()) {
                <label class="inline">{ "Campaign " }
                    <select id="optimizer-campaign" onchange={on_campaign}>
                        { for list.iter().map(|c| html! {
                            <option value={c.id.clone()} selected={chosen.as_deref() == Some(c.id.as_str())}>{ &c.name }</option>
                        }) }
                    </select>
                </label>
            }
            { body }
        </section>
    }
}

fn goal_words(goal: &str) -> &'static str {
    match goal {
        "reach" => "reach (impressions or views per post)",
        "ctr" => "click-through (clicks per impression)",
        _ => "engagement ((likes + comments + shares) per impression)",
    }
}
