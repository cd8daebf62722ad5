//! Campaigns: the list, and the form that creates a draft.

use reachloop_ipc::{Campaign, Goal, Platform};
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::services;
use crate::state::{CampaignForm, FormAction};

#[function_component(CampaignsPage)]
pub fn campaigns_page() -> Html {
    let form = use_reducer(CampaignForm::default);
    let campaigns = use_state(|| None::<Result<Vec<Campaign>, String>>);

    // (Re)load the list on mount and after every save.
    {
        let campaigns = campaigns.clone();
        use_effect_with(form.saved, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                campaigns.set(Some(
                    services::list_campaigns().await.map_err(|e| e.message),
                ));
            });
        });
    }

    // Keyboard users land on the first field that needs attention.
    {
        let first = form.errors.first().map(|e| e.field.clone());
        use_effect_with(first, |first| {
            if let Some(field) = first {
                focus(&if field == "platforms" {
                    format!("platform-{}", Platform::ALL[0].as_str())
                } else {
                    format!("campaign-{field}")
                });
            }
        });
    }

    let on_name = {
        let form = form.dispatcher();
        Callback::from(move |e: InputEvent| {
            form.dispatch(FormAction::SetName(
                e.target_unchecked_into::<HtmlInputElement>().value(),
            ))
        })
    };
    let on_prompt = {
        let form = form.dispatcher();
        Callback::from(move |e: InputEvent| {
            form.dispatch(FormAction::SetPrompt(
                e.target_unchecked_into::<HtmlTextAreaElement>().value(),
            ))
        })
    };
    let on_goal = {
        let form = form.dispatcher();
        Callback::from(move |e: Event| {
            if let Some(goal) = Goal::parse(&e.target_unchecked_into::<HtmlSelectElement>().value())
            {
                form.dispatch(FormAction::SetGoal(goal));
            }
        })
    };
    let on_submit = {
        let form = form.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            let input = form.to_input();
            let dispatcher = form.dispatcher();
            dispatcher.dispatch(FormAction::Submit);
            wasm_bindgen_futures::spawn_local(async move {
                match services::create_campaign(&input).await {
                    Ok(_) => dispatcher.dispatch(FormAction::Saved),
                    Err(err) => dispatcher.dispatch(FormAction::Failed(err)),
                }
            });
        })
    };

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

    html! {
        <section class="page" id="page-campaigns">
            <h1>{ "Campaigns" }</h1>
            <form class="card" id="campaign-form" onsubmit={on_submit} novalidate=true>
                <h2>{ "New draft campaign" }</h2>
                <div class="field">
                    <label for="campaign-name">{ "Name" }</label>
                    <input id="campaign-name" type="text" autocomplete="off" value={form.name.clone()}
                        oninput={on_name} aria-invalid={invalid("name")} aria-describedby="campaign-name-error" />
                    { field_error("name") }
                </div>
                <div class="field">
                    <label for="campaign-prompt">{ "Prompt" }</label>
                    <textarea id="campaign-prompt" rows="3" value={form.prompt.clone()} oninput={on_prompt}
                        placeholder="What should the posts say? Audience, offer, tone…"
                        aria-invalid={invalid("prompt")} />
                    { field_error("prompt") }
                </div>
                <fieldset class="field" aria-invalid={invalid("platforms")}>
                    <legend>{ "Platforms" }</legend>
                    <div class="checks">{ for platform_boxes }</div>
                    { field_error("platforms") }
                </fieldset>
                <div class="field">
                    <label for="campaign-goal">{ "Goal" }</label>
                    <select id="campaign-goal" onchange={on_goal} aria-invalid={invalid("goal")}>
                        { for Goal::ALL.iter().map(|g| html! {
                            <option value={g.as_str()} selected={form.goal == *g}>{ g.label() }</option>
                        }) }
                    </select>
                    { field_error("goal") }
                </div>
                if let Some(failure) = &form.failure {
                    <p class="error" id="campaign-form-error" role="alert">{ failure }</p>
                }
                <button type="submit" id="campaign-submit" class="primary" disabled={form.submitting}>
                    { if form.submitting { "Saving…" } else { "Create draft" } }
                </button>
            </form>
            <h2>{ "All campaigns" }</h2>
            { campaign_list(&campaigns) }
        </section>
    }
}

fn campaign_list(campaigns: &Option<Result<Vec<Campaign>, String>>) -> Html {
    match campaigns {
        None => html! { <p class="muted">{ "Loading…" }</p> },
        Some(Err(e)) => html! { <p class="error" role="alert">{ e }</p> },
        Some(Ok(list)) if list.is_empty() => {
            html! { <p class="empty" id="campaign-empty">{ "No campaigns yet. Create your first draft above." }</p> }
        }
        Some(Ok(list)) => html! {
            <ul class="list" id="campaign-list">
                { for list.iter().map(|c| html! {
                    <li class="campaign-item" key={c.id.clone()} data-id={c.id.clone()}>
                        <span class="campaign-name">{ &c.name }</span>
                        <span class={classes!("badge", c.status.as_str())}>{ c.status.as_str() }</span>
                        <span class="muted">{ c.goal.label() }</span>
                        <span class="muted">
                            { c.platforms.iter().map(|p| p.label()).collect::<Vec<_>>().join(" · ") }
                        </span>
                    </li>
                }) }
            </ul>
        },
    }
}

fn focus(id: &str) {
    use wasm_bindgen::JsCast;
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(element) = element {
        let _ = element.focus();
    }
}
