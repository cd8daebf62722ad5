//! Campaigns: the list, the builder form (new or edit), and the open
//! campaign with its variants (`campaign_detail.rs`).

use reachloop_ipc::{Campaign, Goal, LengthPreference, MediaPreference, Platform};
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::campaign_detail::CampaignDetail;
use crate::components::getting_started::GettingStarted;
use crate::services;
use crate::state::{CampaignForm, FormAction, KPI_METRICS};

#[function_component(CampaignsPage)]
pub fn campaigns_page() -> Html {
    let campaigns = use_state(|| None::<Result<Vec<Campaign>, String>>);
    let open = use_state(crate::remember::open_campaign);
    // The draft just created, said above the form with a way to open it.
    let created = use_state(|| None::<Campaign>);
    let reload = use_state(|| 0u32);
    use_effect_with((*open).clone(), |open| {
        crate::remember::shown(match open {
            Some(id) => format!("{}/{id}", crate::state::Page::Campaigns.id()),
            None => crate::state::Page::Campaigns.id().to_string(),
        });
    });

    {
        let campaigns = campaigns.clone();
        use_effect_with((*reload, open.is_none()), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                campaigns.set(Some(
                    services::list_campaigns().await.map_err(|e| e.message),
                ));
            });
        });
    }

    if let Some(id) = &*open {
        let back = {
            let open = open.clone();
            Callback::from(move |next: Option<String>| open.set(next))
        };
        return html! { <CampaignDetail key={id.clone()} id={id.clone()} on_navigate={back} /> };
    }

    let on_created = {
        let (reload, created) = (reload.clone(), created.clone());
        Callback::from(move |c: Campaign| {
            created.set(Some(c));
            reload.set(*reload + 1)
        })
    };
    let on_open = {
        let open = open.clone();
        Callback::from(move |id: String| open.set(Some(id)))
    };
    let first_time = matches!(&*campaigns, Some(Ok(list)) if list.is_empty());
    html! {
        <section class="page" id="page-campaigns">
            <h1>{ "Campaigns" }</h1>
            if first_time { <GettingStarted /> }
            if let Some(c) = &*created {
                <p class="notice" role="status" id="campaign-created">
                    { format!("Created the draft \u{201c}{}\u{201d}. ", c.name) }
                    <button type="button" class="link" id="campaign-created-open"
                        onclick={let (open, id) = (open.clone(), c.id.clone()); Callback::from(move |_| open.set(Some(id.clone())))}>
                        { "Open it to write variants and schedule posts" }
                    </button>
                </p>
            }
            <CampaignEditor campaign={None::<Campaign>} on_saved={on_created} />
            <h2>{ "All campaigns" }</h2>
            { campaign_list(&campaigns, &on_open) }
        </section>
    }
}

fn campaign_list(
    campaigns: &Option<Result<Vec<Campaign>, String>>,
    open: &Callback<String>,
) -> Html {
    match campaigns {
        None => html! { <p class="muted">{ "Loading…" }</p> },
        Some(Err(e)) => html! { <p class="error" role="alert">{ e }</p> },
        Some(Ok(list)) if list.is_empty() => {
            html! { <p class="empty" id="campaign-empty">{ "No campaigns yet. Create your first draft above." }</p> }
        }
        Some(Ok(list)) => html! {
            <ul class="list" id="campaign-list">
                { for list.iter().map(|c| {
                    let onclick = {
                        let open = open.clone();
                        let id = c.id.clone();
                        Callback::from(move |_| open.emit(id.clone()))
                    };
                    html! {
                        <li class="campaign-item" key={c.id.clone()} data-id={c.id.clone()}>
                            <button class="link campaign-open" {onclick} title="Open the campaign">
                                <span class="campaign-name">{ &c.name }</span>
                            </button>
                            <span class={classes!("badge", c.status.as_str())}>{ c.status.as_str() }</span>
                            <span class="muted">{ c.goal.label() }</span>
                            <span class="muted">
                                { c.platforms.iter().map(|p| p.label()).collect::<Vec<_>>().join(" · ") }
                            </span>
                        </li>
                    }
                }) }
            </ul>
        },
    }
}

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    /// `None`: a new draft; `Some`: edit this campaign.
    pub campaign: Option<Campaign>,
    pub on_saved: Callback<Campaign>,
    #[prop_or_default]
    pub on_cancel: Option<Callback<()>>,
}

/// The campaign builder form: name, prompt, platforms, goal and KPIs, brand
/// constraints, variants per platform. The core validates; its field errors
/// show beside their fields and focus moves to the first one.
#[function_component(CampaignEditor)]
pub fn campaign_editor(props: &EditorProps) -> Html {
    let initial = props.campaign.as_ref().map(CampaignForm::from_campaign);
    let form = use_reducer(move || initial.unwrap_or_default());
    // What the user typed counts before leaving the page, as the variant
    // cards' text does.
    {
        let pristine = props
            .campaign
            .as_ref()
            .map(CampaignForm::from_campaign)
            .unwrap_or_default();
        let holds = form.holds_input(&pristine);
        let key = format!(
            "campaign-{}",
            props.campaign.as_ref().map_or("new", |c| c.id.as_str())
        );
        let unsaved = use_context::<crate::components::problem::Unsaved>();
        use_effect_with(holds, move |holds| {
            if let Some(u) = &unsaved {
                u.set(&key, *holds);
            }
            move || {
                if let Some(u) = &unsaved {
                    u.set(&key, false);
                }
            }
        });
    }
    let editing = props.campaign.as_ref().map(|c| c.id.clone());
    // What the campaign looked like when opened: saving over a change made
    // elsewhere (the CLI, another window) is refused instead.
    let opened_at = props.campaign.as_ref().map(|c| c.updated_at.clone());

    // Focus goes to the first error when a submit fails, never while the
    // user is fixing errors (that moved typing into a checkbox).
    {
        let first = form.errors.first().map(|e| e.field.clone());
        use_effect_with(form.focus_request, move |_| {
            if let Some(field) = first {
                focus(&match field.as_str() {
                    "platforms" => format!("platform-{}", Platform::ALL[0].as_str()),
                    "kpis" => "campaign-add-kpi".to_string(),
                    other => format!("campaign-{other}"),
                });
            }
        });
    }

    let text_input = |make: fn(String) -> FormAction| {
        let form = form.dispatcher();
        Callback::from(move |e: InputEvent| {
            form.dispatch(make(e.target_unchecked_into::<HtmlInputElement>().value()))
        })
    };
    let area_input = |make: fn(String) -> FormAction| {
        let form = form.dispatcher();
        Callback::from(move |e: InputEvent| {
            form.dispatch(make(
                e.target_unchecked_into::<HtmlTextAreaElement>().value(),
            ))
        })
    };
    let select = |make: fn(String) -> Option<FormAction>| {
        let form = form.dispatcher();
        Callback::from(move |e: Event| {
            if let Some(action) = make(e.target_unchecked_into::<HtmlSelectElement>().value()) {
                form.dispatch(action);
            }
        })
    };
    let on_submit = {
        let form = form.clone();
        let on_saved = props.on_saved.clone();
        let editing = editing.clone();
        let opened_at = opened_at.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            let input = form.to_input();
            let dispatcher = form.dispatcher();
            dispatcher.dispatch(FormAction::Submit);
            let on_saved = on_saved.clone();
            let editing = editing.clone();
            let opened_at = opened_at.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let result = match &editing {
                    Some(id) => services::update_campaign(id, &input, opened_at.as_deref()).await,
                    None => services::create_campaign(&input).await,
                };
                match result {
                    Ok(c) => {
                        dispatcher.dispatch(FormAction::Saved);
                        on_saved.emit(c);
                    }
                    Err(err) => dispatcher.dispatch(FormAction::Failed(err)),
                }
            });
        })
    };

    // The Sandbox (the built-in simulated network) is a target like the others.
    let platform_boxes = Platform::ALL.iter().map(|&p| {
        let onchange = {
            let form = form.dispatcher();
            Callback::from(move |_: Event| form.dispatch(FormAction::TogglePlatform(p)))
        };
        let id = format!("platform-{}", p.as_str());
        html! {
            <label class="check" for={id.clone()}>
                <input type="checkbox" id={id} name="platforms" value={p.as_str()}
                    checked={form.platforms.contains(&p)} {onchange} />
                { format!(" {}", p.label()) }
            </label>
        }
    });

    let field_error = |field: &str| match form.error(field) {
        Some(message) => html! {
            <p class="field-error" id={format!("campaign-{field}-error")} role="alert">{ message }</p>
        },
        None => html! {},
    };
    let invalid = |field: &str| {
        if form.error(field).is_some() {
            "true"
        } else {
            "false"
        }
    };

    let kpi_rows = form.kpis.iter().enumerate().map(|(i, (metric, target))| {
        let on_metric = {
            let form = form.dispatcher();
            Callback::from(move |e: Event| {
                form.dispatch(FormAction::SetKpiMetric(i, e.target_unchecked_into::<HtmlSelectElement>().value()))
            })
        };
        let on_target = {
            let form = form.dispatcher();
            Callback::from(move |e: InputEvent| {
                form.dispatch(FormAction::SetKpiTarget(i, e.target_unchecked_into::<HtmlInputElement>().value()))
            })
        };
        let remove = {
            let form = form.dispatcher();
            Callback::from(move |_| form.dispatch(FormAction::RemoveKpi(i)))
        };
        html! {
            <div class="kpi-row">
                <select aria-label="KPI metric" onchange={on_metric}>
                    { for KPI_METRICS.iter().map(|m| html! { <option value={*m} selected={metric == m}>{ m.replace('_', " ") }</option> }) }
                </select>
                <input type="text" inputmode="decimal" aria-label="KPI target" placeholder="target" value={target.clone()} oninput={on_target} />
                <button type="button" class="link" onclick={remove} aria-label="Remove this KPI">{ "Remove" }</button>
            </div>
        }
    });
    let add_kpi = {
        let form = form.dispatcher();
        Callback::from(move |_| form.dispatch(FormAction::AddKpi))
    };
    let cancel = props
        .on_cancel
        .clone()
        .map(|c| Callback::from(move |_| c.emit(())));

    html! {
        <form class="card" id="campaign-form" onsubmit={on_submit} novalidate=true>
            <h2>{ if editing.is_some() { "Edit campaign" } else { "New draft campaign" } }</h2>
            <div class="field">
                <label for="campaign-name">{ "Name" }</label>
                <input id="campaign-name" type="text" autocomplete="off" value={form.name.clone()}
                    oninput={text_input(FormAction::SetName)} aria-invalid={invalid("name")} aria-describedby="campaign-name-error" />
                { field_error("name") }
            </div>
            <div class="field">
                <label for="campaign-prompt">{ "Prompt" }</label>
                <textarea id="campaign-prompt" rows="3" value={form.prompt.clone()} oninput={area_input(FormAction::SetPrompt)}
                    placeholder="What should the posts say? Audience, offer, tone…"
                    aria-invalid={invalid("prompt")} />
                { field_error("prompt") }
            </div>
            <fieldset class="field" aria-invalid={invalid("platforms")}>
                <legend>{ "Platforms" }</legend>
                <div class="checks">{ for platform_boxes }</div>
                { field_error("platforms") }
            </fieldset>
            <div class="field-row">
                <div class="field">
                    <label for="campaign-goal">{ "Goal" }</label>
                    <select id="campaign-goal" onchange={select(|v| Goal::parse(&v).map(FormAction::SetGoal))} aria-invalid={invalid("goal")}>
                        { for Goal::ALL.iter().map(|g| html! {
                            <option value={g.as_str()} selected={form.goal == *g}>{ g.label() }</option>
                        }) }
                    </select>
                    { field_error("goal") }
                </div>
                <div class="field">
                    <label for="campaign-variants_per_platform">{ "Variants per platform" }</label>
                    <select id="campaign-variants_per_platform" aria-invalid={invalid("variants_per_platform")}
                        onchange={select(|v| v.parse().ok().map(FormAction::SetVariants))}>
                        { for (1u8..=5).map(|n| html! { <option value={n.to_string()} selected={form.variants == n}>{ n }</option> }) }
                    </select>
                    { field_error("variants_per_platform") }
                </div>
            </div>
            <fieldset class="field">
                <legend>{ "KPIs (optional)" }</legend>
                { for kpi_rows }
                <button type="button" class="link" id="campaign-add-kpi" onclick={add_kpi}>{ "Add a KPI" }</button>
                { field_error("kpis") }
            </fieldset>
            <fieldset class="field">
                <legend>{ "Brand constraints" }</legend>
                <div class="field">
                    <label for="campaign-tone">{ "Tone" }</label>
                    <input id="campaign-tone" type="text" value={form.tone.clone()} placeholder="warm, playful, no jargon"
                        oninput={text_input(FormAction::SetTone)} aria-invalid={invalid("tone")} />
                    { field_error("tone") }
                </div>
                <div class="field">
                    <label for="campaign-banned_words">{ "Banned words (one per line or comma-separated)" }</label>
                    <textarea id="campaign-banned_words" rows="2" value={form.banned.clone()}
                        oninput={area_input(FormAction::SetBanned)} aria-invalid={invalid("banned_words")} />
                    { field_error("banned_words") }
                </div>
                <div class="field-row">
                    <div class="field">
                        <label for="campaign-length">{ "Length" }</label>
                        <select id="campaign-length" onchange={select(|v| length_of(&v).map(FormAction::SetLength))}>
                            { for [LengthPreference::Any, LengthPreference::Short, LengthPreference::Medium, LengthPreference::Long].iter().map(|l| html! {
                                <option value={l.as_str()} selected={form.length == *l}>{ l.as_str() }</option>
                            }) }
                        </select>
                    </div>
                    <div class="field">
                        <label for="campaign-media">{ "Media" }</label>
                        <select id="campaign-media" onchange={select(|v| media_of(&v).map(FormAction::SetMedia))}>
                            { for [MediaPreference::Any, MediaPreference::Image, MediaPreference::Video, MediaPreference::TextOnly].iter().map(|m| html! {
                                <option value={m.as_str()} selected={form.media == *m}>{ m.as_str().replace('_', " ") }</option>
                            }) }
                        </select>
                    </div>
                </div>
            </fieldset>
            if let Some(failure) = &form.failure {
                <p class="error" id="campaign-form-error" role="alert">{ failure }</p>
            }
            <div class="actions">
                if editing.is_some() {
                    <button type="submit" id="campaign-save" class="primary" disabled={form.submitting}>
                        { if form.submitting { "Saving…" } else { "Save changes" } }
                    </button>
                } else {
                    <button type="submit" id="campaign-submit" class="primary" disabled={form.submitting}>
                        { if form.submitting { "Saving…" } else { "Create draft" } }
                    </button>
                }
                if let Some(cancel) = cancel {
                    <button type="button" class="secondary" onclick={cancel}>{ "Cancel" }</button>
                }
            </div>
        </form>
    }
}

fn length_of(v: &str) -> Option<LengthPreference> {
    [
        LengthPreference::Any,
        LengthPreference::Short,
        LengthPreference::Medium,
        LengthPreference::Long,
    ]
    .into_iter()
    .find(|l| l.as_str() == v)
}

fn media_of(v: &str) -> Option<MediaPreference> {
    [
        MediaPreference::Any,
        MediaPreference::Image,
        MediaPreference::Video,
        MediaPreference::TextOnly,
    ]
    .into_iter()
    .find(|m| m.as_str() == v)
}

/// Focuses the element `id`; false when it is not on the page (yet).
pub(crate) fn focus(id: &str) -> bool {
    use wasm_bindgen::JsCast;
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    match element {
        Some(element) => {
            // In view, not at the window's edge: a field near the bottom of
            // Settings was focused half hidden.
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Center);
            element.scroll_into_view_with_scroll_into_view_options(&options);
            element.focus().is_ok()
        }
        None => false,
    }
}

/// Focuses the element `id` once the page shows it: a page that draws
/// after its data arrives (Settings) may take a while on a busy machine.
/// Gives up after about three seconds.
pub(crate) fn focus_when_shown(id: &'static str) {
    fn attempt(id: &'static str, left: u32) {
        if focus(id) || left == 0 {
            return;
        }
        gloo_timers::callback::Timeout::new(50, move || attempt(id, left - 1)).forget();
    }
    attempt(id, 60);
}
