//! One campaign: its status moves, edit/duplicate/delete, generation with
//! progress and cancel, and the variants grid (`components::variant_card`).

use reachloop_ipc::{Campaign, CampaignStatus, ErrorDto, GenerationJob, Platform, Variant};
use yew::prelude::*;

use super::campaigns::CampaignEditor;
use crate::components::problem::{Problem, Unsaved};
use crate::components::schedule_form::Schedules;
use crate::components::variant_card::VariantCard;
use crate::services;

#[derive(Properties, PartialEq)]
pub struct DetailProps {
    pub id: String,
    /// `None`: back to the list; `Some(id)`: open that campaign (a duplicate).
    pub on_navigate: Callback<Option<String>>,
}

fn active(job: &GenerationJob) -> bool {
    matches!(job.status.as_str(), "queued" | "running")
}

#[function_component(CampaignDetail)]
pub fn campaign_detail(props: &DetailProps) -> Html {
    let campaign = use_state(|| None::<Result<Campaign, String>>);
    let variants = use_state(Vec::<Variant>::new);
    let jobs = use_state(Vec::<GenerationJob>::new);
    let error = use_state(|| None::<ErrorDto>);
    let editing = use_state(|| false);
    let confirm_delete = use_state(|| false);
    // What activating said: variants the publisher will not pick.
    let warnings = use_state(Vec::<String>::new);
    // New, unsaved hand-written variants: (local key, platform).
    let drafts = use_state(Vec::<(u32, Platform)>::new);
    let next_key = use_mut_ref(|| 0u32);
    let reload = use_state(|| 0u32);
    let id = props.id.clone();

    {
        let (campaign, variants, jobs, id) =
            (campaign.clone(), variants.clone(), jobs.clone(), id.clone());
        use_effect_with(*reload, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                campaign.set(Some(
                    services::get_campaign(&id).await.map_err(|e| e.message),
                ));
                if let Ok(list) = services::list_variants(&id).await {
                    variants.set(list);
                }
                if let Ok(list) = services::generation_jobs(&id).await {
                    jobs.set(list);
                }
            });
        });
    }

    // Follow generations: re-read jobs, and the variants when one ends.
    {
        let (jobs, variants, id) = (jobs.clone(), variants.clone(), id.clone());
        // What the jobs looked like at the last look: any change (a job
        // started, progressed or ended) re-reads the variants.
        let seen = use_mut_ref(String::new);
        // The core says when a job started, progressed or ended.
        let ticks = crate::events::use_event_ticks(&[reachloop_ipc::events::GENERATION_PROGRESS]);
        use_effect_with((id.clone(), ticks), move |_| {
            let (jobs, variants, id, seen) =
                (jobs.clone(), variants.clone(), id.clone(), seen.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let Ok(list) = services::generation_jobs(&id).await else {
                    return;
                };
                let now: String = list
                    .iter()
                    .map(|j| format!("{}:{}:{};", j.id, j.status, j.updated_at))
                    .collect();
                let changed = *seen.borrow() != now;
                *seen.borrow_mut() = now;
                if changed || list.iter().any(|j| j.status == "running") {
                    if let Ok(v) = services::list_variants(&id).await {
                        variants.set(v);
                    }
                }
                jobs.set(list);
            });
        });
    }

    let Some(loaded) = &*campaign else {
        return html! { <section class="page"><p class="muted">{ "Loading…" }</p></section> };
    };
    let c = match loaded {
        Ok(c) => c.clone(),
        Err(e) => {
            let back = props.on_navigate.clone();
            return html! {
                <section class="page">
                    <p class="error" role="alert">{ e }</p>
                    <button class="secondary" onclick={Callback::from(move |_| back.emit(None))}>{ "Back to campaigns" }</button>
                </section>
            };
        }
    };

    let reload_all = {
        let reload = reload.clone();
        Callback::from(move |_: ()| reload.set(*reload + 1))
    };
    let unsaved = use_context::<Unsaved>();
    let back = {
        let (nav, unsaved) = (props.on_navigate.clone(), unsaved.clone());
        Callback::from(move |_| {
            let nav = nav.clone();
            let go = Callback::from(move |_| nav.emit(None));
            match &unsaved {
                Some(u) => u.leave(go),
                None => go.emit(()),
            }
        })
    };
    let status_buttons = c.next_statuses.iter().map(|&to| {
        let onclick = {
            let (campaign, error, id, warnings) =
                (campaign.clone(), error.clone(), id.clone(), warnings.clone());
            Callback::from(move |_| {
                let (campaign, error, id, warnings) =
                    (campaign.clone(), error.clone(), id.clone(), warnings.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    match services::set_campaign_status(&id, to.as_str()).await {
                        Ok(c) => {
                            error.set(None);
                            let active = c.status == reachloop_ipc::CampaignStatus::Active;
                            campaign.set(Some(Ok(c)));
                            warnings.set(match active {
                                true => services::campaign_warnings(&id).await.unwrap_or_default(),
                                false => Vec::new(),
                            });
                        }
                        Err(e) => error.set(Some(e)),
                    }
                });
            })
        };
        html! {
            <button class="secondary" id={format!("status-{}", to.as_str())} {onclick}>{ status_action(c.status, to) }</button>
        }
    });
    let duplicate = {
        let (error, id, nav) = (error.clone(), id.clone(), props.on_navigate.clone());
        Callback::from(move |_| {
            let (error, id, nav) = (error.clone(), id.clone(), nav.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match services::duplicate_campaign(&id).await {
                    Ok(copy) => nav.emit(Some(copy.id)),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let delete = {
        let (error, id, nav, confirm) = (
            error.clone(),
            id.clone(),
            props.on_navigate.clone(),
            confirm_delete.clone(),
        );
        Callback::from(move |_| {
            if !*confirm {
                confirm.set(true);
                return;
            }
            let (error, id, nav) = (error.clone(), id.clone(), nav.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match services::delete_campaign(&id).await {
                    Ok(_) => nav.emit(None),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let keep = {
        let confirm = confirm_delete.clone();
        Callback::from(move |_| confirm.set(false))
    };
    let generate = {
        let (error, id, jobs) = (error.clone(), id.clone(), jobs.clone());
        Callback::from(move |_| {
            let (error, id, jobs) = (error.clone(), id.clone(), jobs.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match services::generate_variants(&id, None, None).await {
                    Ok(job) => {
                        error.set(None);
                        let mut list = (*jobs).clone();
                        list.insert(0, job);
                        jobs.set(list);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let running = jobs.iter().find(|j| active(j)).cloned();
    let cancel = running.as_ref().map(|job| {
        let job_id = job.id.clone();
        let reload = reload.clone();
        Callback::from(move |_| {
            let (job_id, reload) = (job_id.clone(), reload.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let _ = services::cancel_generation(&job_id).await;
                reload.set(*reload + 1);
            });
        })
    });
    let last = jobs.first().filter(|j| !active(j)).cloned();

    let on_saved = {
        let (campaign, editing) = (campaign.clone(), editing.clone());
        Callback::from(move |c: Campaign| {
            campaign.set(Some(Ok(c)));
            editing.set(false);
        })
    };
    let on_cancel_edit = {
        let editing = editing.clone();
        Callback::from(move |_| editing.set(false))
    };
    let start_edit = {
        let editing = editing.clone();
        Callback::from(move |_| editing.set(true))
    };

    let grids = c.platforms.iter().map(|&platform| {
        let mine: Vec<&Variant> = variants.iter().filter(|v| v.platform == platform).collect();
        let add = {
            let (drafts, next_key) = (drafts.clone(), next_key.clone());
            Callback::from(move |_| {
                let key = {
                    let mut k = next_key.borrow_mut();
                    *k += 1;
                    *k
                };
                let mut list = (*drafts).clone();
                list.push((key, platform));
                drafts.set(list);
            })
        };
        let new_cards = drafts.iter().filter(|(_, p)| *p == platform).map(|(key, _)| {
            let key = *key;
            let done = {
                let (drafts, reload) = (drafts.clone(), reload.clone());
                Callback::from(move |saved: bool| {
                    drafts.set(drafts.iter().copied().filter(|(k, _)| *k != key).collect());
                    if saved {
                        reload.set(*reload + 1);
                    }
                })
            };
            let local = format!("new-{key}");
            html! {
                <VariantCard key={local.clone()} local={local.clone()} campaign_id={c.id.clone()} {platform}
                    variant={None::<Variant>} on_changed={reload_all.clone()} on_new_done={Some(done)} busy={running.is_some()} />
            }
        });
        let saved_cards = mine.iter().map(|v| html! {
            <VariantCard key={v.id.clone()} local={v.id.clone()} campaign_id={c.id.clone()} {platform}
                variant={Some((*v).clone())} on_changed={reload_all.clone()} on_new_done={None::<Callback<bool>>} busy={running.is_some()} />
        });
        html! {
            <section class="variant-column" id={format!("variants-{}", platform.as_str())} aria-label={format!("{} variants", platform.label())}>
                <h3>{ platform.label() }<span class="muted">{ format!(" · {}", mine.len()) }</span></h3>
                // Only keyed cards in this list: Yew matches them by key, so a
                // card keeps its unsaved text whatever is added, saved or
                // generated around it (mixed with unkeyed siblings, cards
                // were matched by position and lost their text).
                <div class="variant-cards">
                    { for saved_cards }
                    { for new_cards }
                </div>
                <button class="link add-variant" id={format!("add-variant-{}", platform.as_str())} onclick={add}>{ "Write one by hand" }</button>
            </section>
        }
    });

    html! {
        <section class="page" id="page-campaign">
            <p><button class="link" id="campaign-back" onclick={back}>{ "← All campaigns" }</button></p>
            <header class="campaign-header">
                <h1 id="campaign-title">{ &c.name }</h1>
                <span class={classes!("badge", c.status.as_str())} id="campaign-status">{ c.status.as_str() }</span>
            </header>
            <p class="muted">
                { format!("{} · {} · {} per platform", c.goal.label(),
                    c.platforms.iter().map(|p| p.label()).collect::<Vec<_>>().join(" · "), crate::state::count(u64::from(c.variants_per_platform), "variant")) }
                if !c.brand.banned_words.is_empty() {
                    { format!(" · banned: {}", c.brand.banned_words.join(", ")) }
                }
            </p>
            if !warnings.is_empty() {
                <div class="slot-taken" id="campaign-warnings" role="alert">
                    <p>{ "Active. These variants break the rules, so the publisher will not pick them by itself:" }</p>
                    <ul>{ for warnings.iter().map(|w| html! { <li>{ w }</li> }) }</ul>
                </div>
            }
            <div class="actions">
                { for status_buttons }
                <button class="secondary" id="campaign-edit" onclick={start_edit}>{ "Edit" }</button>
                <button class="secondary" id="campaign-duplicate" onclick={duplicate}>{ "Duplicate" }</button>
                <button class="secondary danger" id="campaign-delete" onclick={delete}>
                    { if *confirm_delete { "Really delete? Click again" } else { "Delete" } }
                </button>
                if *confirm_delete {
                    <button class="link" onclick={keep}>{ "Keep it" }</button>
                }
            </div>
            if let Some(e) = &*error { <Problem error={e.clone()} id="campaign-error" /> }
            if *editing {
                <CampaignEditor campaign={Some(c.clone())} on_saved={on_saved} on_cancel={Some(on_cancel_edit)} />
            }
            <div class="card generation">
                <button class="primary" id="generate" onclick={generate} disabled={running.is_some()}>
                    { "Generate variants" }
                </button>
                if let Some(job) = &running {
                    <span class="notice" id="generation-status" role="status">
                        <span class="spinner" aria-hidden="true"></span>
                        { job.message.clone().unwrap_or_else(|| "Queued…".into()) }
                        if job.status == "queued" && job.attempts > 0 {
                            { " It runs by itself when the AI endpoint answers." }
                        }
                    </span>
                    if let Some(cancel) = cancel {
                        <button class="link" id="generation-cancel" onclick={cancel}>{ "Cancel" }</button>
                    }
                } else if let Some(job) = &last {
                    <span class={classes!("muted", (job.status == "failed").then_some("error"))} id="generation-result" role="status">
                        { job.message.clone().unwrap_or_default() }
                    </span>
                }
            </div>
            <div class="variant-grid">{ for grids }</div>
            <Schedules campaign_id={c.id.clone()} platforms={c.platforms.clone()}
                revision={format!("{}-{}-{}", *reload, c.status.as_str(), c.updated_at)} on_changed={reload_all.clone()} />
        </section>
    }
}

fn status_action(from: CampaignStatus, to: CampaignStatus) -> &'static str {
    use CampaignStatus::*;
    match (from, to) {
        (Paused, Active) => "Resume",
        (_, Active) => "Activate",
        (_, Paused) => "Pause",
        (_, Completed) => "Complete",
        (_, Archived) => "Archive",
        (Archived, Draft) => "Restore as draft",
        (_, Draft) => "Back to draft",
    }
}
