//! One campaign: its status moves, edit/duplicate/delete, generation with
//! progress and cancel, and the variants grid with live rule checks.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use reachloop_ipc::{
    Campaign, CampaignStatus, ErrorDto, GenerationJob, MediaKind, Platform, PostCheck, Variant,
    VariantText,
};
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::campaigns::CampaignEditor;
use crate::components::problem::{Problem, Unsaved};
use crate::components::schedule_form::Schedules;
use crate::services;
use crate::state::highlight;

/// How long typing pauses before the live check runs.
const CHECK_DELAY_MS: u32 = 250;

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
            let (campaign, error, id) = (campaign.clone(), error.clone(), id.clone());
            Callback::from(move |_| {
                let (campaign, error, id) = (campaign.clone(), error.clone(), id.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    match services::set_campaign_status(&id, to.as_str()).await {
                        Ok(c) => {
                            error.set(None);
                            campaign.set(Some(Ok(c)));
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
                { format!("{} · {} · {} variant(s) per platform", c.goal.label(),
                    c.platforms.iter().map(|p| p.label()).collect::<Vec<_>>().join(" · "), c.variants_per_platform) }
                if !c.brand.banned_words.is_empty() {
                    { format!(" · banned: {}", c.brand.banned_words.join(", ")) }
                }
            </p>
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
            <Schedules campaign_id={c.id.clone()} platforms={c.platforms.clone()} />
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

#[derive(Properties, PartialEq)]
pub struct CardProps {
    /// Unique on the page: the variant's id, or `new-N` for an unsaved card
    /// (element ids and labels are made from it).
    pub local: String,
    pub campaign_id: String,
    pub platform: Platform,
    /// `None`: a new variant written by hand.
    pub variant: Option<Variant>,
    pub on_changed: Callback<()>,
    /// For a new card: called with whether it was saved.
    pub on_new_done: Option<Callback<bool>>,
    /// A generation is running (regenerate waits).
    pub busy: bool,
}

/// One variant: its text with a live rule check (length the platform's way,
/// hashtags and mentions, problems, banned words marked), Save, Regenerate
/// and Delete.
#[function_component(VariantCard)]
pub fn variant_card(props: &CardProps) -> Html {
    let platform = props.platform;
    let original = props.variant.clone();
    let body = use_state(|| {
        original
            .as_ref()
            .map(|v| v.body.clone())
            .unwrap_or_default()
    });
    let title = use_state(|| {
        original
            .as_ref()
            .and_then(|v| v.title.clone())
            .unwrap_or_default()
    });
    let check = use_state(|| None::<PostCheck>);
    let error = use_state(|| None::<String>);
    // A failed Regenerate, with its code (no AI set up: a way to Settings).
    let problem = use_state(|| None::<ErrorDto>);
    let saving = use_state(|| false);
    let pending: Rc<RefCell<Option<Timeout>>> = use_mut_ref(|| None);
    let key = props.local.clone();

    // Keep in step with the stored variant when it changes (regenerated).
    {
        let (body, title) = (body.clone(), title.clone());
        let stored = original
            .as_ref()
            .map(|v| (v.body.clone(), v.title.clone(), v.updated_at.clone()));
        use_effect_with(stored, move |stored| {
            if let Some((b, t, _)) = stored {
                body.set(b.clone());
                title.set(t.clone().unwrap_or_default());
            }
        });
    }
    // The live check, after typing pauses (and when the media change).
    {
        let (check, campaign_id, pending) =
            (check.clone(), props.campaign_id.clone(), pending.clone());
        let variant_id = original.as_ref().map(|v| v.id.clone());
        let media_key: Vec<String> = original
            .as_ref()
            .map(|v| v.attachments.iter().map(|a| a.sha256.clone()).collect())
            .unwrap_or_default();
        use_effect_with(
            ((*body).clone(), (*title).clone(), media_key),
            move |(b, t, _)| {
                let text = VariantText {
                    title: (platform == Platform::Youtube).then(|| t.clone()),
                    body: b.clone(),
                };
                let timeout = Timeout::new(CHECK_DELAY_MS, move || {
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Ok(c) = services::check_post(
                            platform.as_str(),
                            &text,
                            Some(&campaign_id),
                            variant_id.as_deref(),
                        )
                        .await
                        {
                            check.set(Some(c));
                        }
                    });
                });
                *pending.borrow_mut() = Some(timeout);
            },
        );
    }

    let dirty = match &original {
        Some(v) => {
            *body != v.body || (platform == Platform::Youtube && Some((*title).clone()) != v.title)
        }
        None => true,
    };
    // Unsaved text counts before leaving the page (a new, still empty card
    // does not).
    {
        let unsaved = use_context::<Unsaved>();
        let holds_edits =
            dirty && !(original.is_none() && body.trim().is_empty() && title.trim().is_empty());
        let key = key.clone();
        use_effect_with(holds_edits, move |holds| {
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
    let text = VariantText {
        title: (platform == Platform::Youtube).then(|| (*title).clone()),
        body: (*body).clone(),
    };
    let save = {
        let (error, saving, on_changed, on_new_done) = (
            error.clone(),
            saving.clone(),
            props.on_changed.clone(),
            props.on_new_done.clone(),
        );
        let opened_at = original.as_ref().map(|v| v.updated_at.clone());
        let (id, campaign_id, text) = (
            original.as_ref().map(|v| v.id.clone()),
            props.campaign_id.clone(),
            text.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (error, saving, on_changed, on_new_done) = (
                error.clone(),
                saving.clone(),
                on_changed.clone(),
                on_new_done.clone(),
            );
            let (id, campaign_id, text) = (id.clone(), campaign_id.clone(), text.clone());
            let opened_at = opened_at.clone();
            saving.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let result = match &id {
                    Some(id) => services::edit_variant(id, &text, opened_at.as_deref())
                        .await
                        .map(|_| ()),
                    None => services::add_variant(&campaign_id, platform.as_str(), &text)
                        .await
                        .map(|_| ()),
                };
                saving.set(false);
                match result {
                    Ok(()) => {
                        error.set(None);
                        match on_new_done {
                            Some(done) => done.emit(true),
                            None => on_changed.emit(()),
                        }
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let regenerate = original.as_ref().map(|v| {
        let (error, campaign_id, id, on_changed) = (
            problem.clone(),
            props.campaign_id.clone(),
            v.id.clone(),
            props.on_changed.clone(),
        );
        Callback::from(move |_| {
            let (error, campaign_id, id, on_changed) = (
                error.clone(),
                campaign_id.clone(),
                id.clone(),
                on_changed.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                match services::generate_variants(&campaign_id, None, Some(&id)).await {
                    Ok(_) => {
                        error.set(None);
                        on_changed.emit(())
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    });
    let delete = {
        let (error, on_changed, on_new_done, id) = (
            error.clone(),
            props.on_changed.clone(),
            props.on_new_done.clone(),
            original.as_ref().map(|v| v.id.clone()),
        );
        Callback::from(move |_| {
            if let Some(done) = &on_new_done {
                done.emit(false);
                return;
            }
            let (error, on_changed, id) = (error.clone(), on_changed.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(id) = id {
                    match services::delete_variant(&id).await {
                        Ok(()) => on_changed.emit(()),
                        Err(e) => error.set(Some(e.message)),
                    }
                }
            });
        })
    };
    let on_body = {
        let body = body.clone();
        Callback::from(move |e: InputEvent| {
            body.set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };
    let on_title = {
        let title = title.clone();
        Callback::from(move |e: InputEvent| {
            title.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };

    let meter = check.as_ref().map(|c| {
        let used = c.weighted_length.unwrap_or(c.length);
        let unit = match c.unit.as_str() {
            "weighted" => "weighted",
            "bytes" => "bytes",
            "utf16" => "UTF-16 units",
            _ => "characters",
        };
        let over = used > c.limit;
        html! {
            <p class="meter">
                <span class={classes!("counter", over.then_some("over"))}>{ format!("{used} / {} {unit}", c.limit) }</span>
                if let (Some(t), Some(l)) = (c.title_length, c.title_limit) {
                    <span class={classes!("counter", (t > l).then_some("over"))}>{ format!(" · title {t} / {l}") }</span>
                }
                <span class="muted">{ format!(" · {} hashtag(s) · {} mention(s)", c.hashtags, c.mentions) }</span>
                if c.valid { <span class="ok">{ " · fits the rules" }</span> }
            </p>
        }
    });
    let problems = check
        .as_ref()
        .map(|c| c.problems.clone())
        .unwrap_or_default();
    let banned_spans: Vec<(usize, usize)> = problems
        .iter()
        .filter(|p| p.code == "banned_word" && p.field == "body")
        .filter_map(|p| p.span)
        .collect();
    let body_id = format!("variant-body-{key}");
    let media = original.as_ref().map(media_line).unwrap_or_default();

    html! {
        <form class={classes!("card", "variant-card", (!problems.is_empty()).then_some("has-problems"))}
            data-id={original.as_ref().map(|v| v.id.clone())} onsubmit={save}
            ondragover={Callback::from(|e: DragEvent| e.prevent_default())}
            ondrop={on_drop(original.as_ref().map(|v| v.id.clone()), &error, &props.on_changed)}>
            if platform == Platform::Youtube {
                <label for={format!("variant-title-{key}")}>{ "Title" }</label>
                <input type="text" class="variant-title" id={format!("variant-title-{key}")} value={(*title).clone()} oninput={on_title} />
            }
            <label for={body_id.clone()} class="sr-only">{ "Post text" }</label>
            <textarea class="variant-body" id={body_id} rows="5" value={(*body).clone()} oninput={on_body}
                aria-invalid={if problems.is_empty() { "false" } else { "true" }} />
            { meter.unwrap_or_default() }
            if !problems.is_empty() {
                <ul class="problems">
                    { for problems.iter().map(|p| html! { <li class="problem" data-code={p.code.clone()}>{ &p.message }</li> }) }
                </ul>
            }
            if !banned_spans.is_empty() {
                <p class="highlighted" aria-label="Banned words marked">
                    { for highlight(&body, &banned_spans).into_iter().map(|(run, marked)| if marked {
                        html! { <mark class="banned">{ run }</mark> }
                    } else {
                        html! { { run } }
                    }) }
                </p>
            }
            if let Some(reason) = original.as_ref().and_then(|v| v.flag_reason.clone()) {
                <p class="warning flagged" role="note">{ reason }</p>
            }
            if !media.is_empty() { <p class="muted media">{ media }</p> }
            { media_section(original.as_ref(), &error, &props.on_changed) }
            if let Some(e) = &*error { <p class="error" role="alert">{ e }</p> }
            if let Some(e) = &*problem { <Problem error={e.clone()} /> }
            <div class="actions">
                <button type="submit" class="secondary save-variant" disabled={!dirty || *saving}>
                    { if *saving { "Saving…" } else { "Save" } }
                </button>
                if let Some(regenerate) = regenerate {
                    <button type="button" class="link regenerate-variant" onclick={regenerate} disabled={props.busy}>{ "Regenerate" }</button>
                }
                <button type="button" class="link delete-variant" onclick={delete}>
                    { if original.is_some() { "Delete" } else { "Discard" } }
                </button>
            </div>
        </form>
    }
}

fn media_line(v: &Variant) -> String {
    let m = &v.media;
    if m.kind == MediaKind::None {
        return "Media: none (text only)".into();
    }
    let mut parts = vec![format!("Media: {}", m.kind.as_str())];
    if let Some(r) = &m.aspect_ratio {
        parts.push(r.clone());
    }
    if let Some(d) = m.duration_seconds {
        parts.push(format!("{d} s"));
    }
    if let Some(n) = &m.notes {
        parts.push(n.clone());
    }
    parts.join(" · ")
}

/// Dropped files: their bytes go to the core, which reads what they are.
fn on_drop(
    variant_id: Option<String>,
    error: &UseStateHandle<Option<String>>,
    on_changed: &Callback<()>,
) -> Callback<DragEvent> {
    let (error, on_changed) = (error.clone(), on_changed.clone());
    Callback::from(move |e: DragEvent| {
        e.prevent_default();
        let Some(variant_id) = variant_id.clone() else {
            error.set(Some(
                "Save the variant first, then drop media on it.".into(),
            ));
            return;
        };
        let Some(files) = e.data_transfer().and_then(|d| d.files()) else {
            return;
        };
        let files: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
        let (error, on_changed) = (error.clone(), on_changed.clone());
        wasm_bindgen_futures::spawn_local(async move {
            for file in files {
                let name = file.name();
                let buffer = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                    Ok(b) => b,
                    Err(_) => {
                        error.set(Some(format!("Cannot read {name}.")));
                        return;
                    }
                };
                let bytes = js_sys::Uint8Array::new(&buffer);
                if let Err(e) = services::attach_dropped_media(&variant_id, &name, bytes).await {
                    error.set(Some(e.message));
                    on_changed.emit(());
                    return;
                }
            }
            error.set(None);
            on_changed.emit(());
        });
    })
}

/// The attached media with thumbnails, Attach and Remove.
fn media_section(
    variant: Option<&Variant>,
    error: &UseStateHandle<Option<String>>,
    on_changed: &Callback<()>,
) -> Html {
    let Some(variant) = variant else {
        return html! { <p class="hint">{ "Save this variant to attach media." }</p> };
    };
    let pick = {
        let (id, error, on_changed) = (variant.id.clone(), error.clone(), on_changed.clone());
        Callback::from(move |_| {
            let (id, error, on_changed) = (id.clone(), error.clone(), on_changed.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match services::pick_media(&id).await {
                    Ok(_) => error.set(None),
                    Err(e) => error.set(Some(e.message)),
                }
                on_changed.emit(());
            });
        })
    };
    html! {
        <div class="attachments">
            { for variant.attachments.iter().map(|a| {
                let remove = {
                    let (id, sha, error, on_changed) = (variant.id.clone(), a.sha256.clone(), error.clone(), on_changed.clone());
                    Callback::from(move |_| {
                        let (id, sha, error, on_changed) = (id.clone(), sha.clone(), error.clone(), on_changed.clone());
                        wasm_bindgen_futures::spawn_local(async move {
                            match services::detach_media(&id, &sha).await {
                                Ok(_) => on_changed.emit(()),
                                Err(e) => error.set(Some(e.message)),
                            }
                        });
                    })
                };
                html! {
                    <figure class="attachment" key={a.sha256.clone()} data-mime={a.mime.clone()}>
                        <Thumb sha256={a.sha256.clone()} mime={a.mime.clone()} label={attachment_label(a)} />
                        <figcaption>
                            { attachment_label(a) }
                            <button type="button" class="link remove-media" onclick={remove} aria-label={format!("Remove {}", a.file_name)}>{ "Remove" }</button>
                        </figcaption>
                    </figure>
                }
            }) }
            <button type="button" class="link attach-media" onclick={pick}>{ "Attach images or video…" }</button>
            <span class="hint">{ " or drop files here" }</span>
        </div>
    }
}

fn attachment_label(a: &reachloop_ipc::Attachment) -> String {
    let mut parts = vec![a.file_name.clone(), a.mime.clone()];
    if let (Some(w), Some(h)) = (a.width, a.height) {
        parts.push(format!("{w}x{h}"));
    }
    if let Some(ms) = a.duration_ms {
        parts.push(format!("{}:{:02}", ms / 60_000, (ms / 1000) % 60));
    }
    parts.push(if a.bytes >= 1024 * 1024 {
        format!("{:.1} MB", a.bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", a.bytes.div_ceil(1024))
    });
    parts.join(" · ")
}

#[derive(Properties, PartialEq)]
struct ThumbProps {
    sha256: String,
    mime: String,
    label: String,
}

/// An image's thumbnail, or a video tile.
#[function_component(Thumb)]
fn thumb(props: &ThumbProps) -> Html {
    let src = use_state(|| None::<String>);
    {
        let (src, sha, mime) = (src.clone(), props.sha256.clone(), props.mime.clone());
        use_effect_with(props.sha256.clone(), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(Some(url)) = services::media_preview(&sha, &mime).await {
                    src.set(Some(url));
                }
            });
        });
    }
    match &*src {
        Some(url) => html! { <img class="thumb" src={url.clone()} alt={props.label.clone()} /> },
        None => {
            html! { <div class="thumb video-tile" role="img" aria-label={props.label.clone()}>{ "▶" }</div> }
        }
    }
}
