//! A campaign's schedules: the list with pause and resume, and the form to
//! add one, with the cadence explained in words and its next runs shown in
//! local time and UTC while it is typed.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use reachloop_ipc::{
    Account, AccountStatus, FieldError, NewSchedule, Platform, Schedule, SchedulePreview, SlotTaken,
};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::services;

/// The fields the preview checks: its findings replace theirs.
const PREVIEWED: [&str; 3] = ["cron", "run_at", "time_zone"];

/// The one-off field's first value: tomorrow at 09:00, this computer's
/// calendar day (the user changes it; the zone field says where it is read).
fn tomorrow_morning() -> String {
    let d = js_sys::Date::new_0();
    d.set_date(d.get_date() + 1);
    format!(
        "{:04}-{:02}-{:02} 09:00",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date()
    )
}

/// A one-off's minute is taken: what is there, and what the user can do
/// (the next free minute, or let the one-off replace that post).
fn slot_taken_box(
    t: &SlotTaken,
    replace: &UseStateHandle<bool>,
    run_at: &UseStateHandle<String>,
) -> Html {
    let use_free = t.free_minute.clone().map(|free| {
        let run_at = run_at.clone();
        let label = format!("Use {} instead", free.get(11..).unwrap_or(&free));
        let onclick = Callback::from(move |_| run_at.set(free.clone()));
        html! { <button type="button" id="schedule-use-free-minute" {onclick}>{ label }</button> }
    });
    let toggle = {
        let replace = replace.clone();
        Callback::from(move |_| replace.set(!*replace))
    };
    html! {
        <div class="slot-taken warning" id="schedule-slot-taken" role="alert">
            <p>{ &t.message }</p>
            if **replace {
                <p id="schedule-will-replace">{ "Saving lets this one-off replace that post." }</p>
            }
            <div class="row">
                { for use_free }
                if t.can_replace {
                    <button type="button" id="schedule-replace-slot" aria-pressed={replace.to_string()} onclick={toggle}>
                        { if **replace { "Keep that post" } else { "Replace that post" } }
                    </button>
                }
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub campaign_id: String,
    pub platforms: Vec<Platform>,
    /// Changes when the campaign changed (its status, its variants): the
    /// list is read again, with what holds its schedules back.
    #[prop_or_default]
    pub revision: String,
    /// A fix offered here (Activate) changed the campaign.
    #[prop_or_default]
    pub on_changed: Callback<()>,
}

#[function_component(Schedules)]
pub fn schedules(props: &Props) -> Html {
    let list = use_state(Vec::<Schedule>::new);
    let accounts = use_state(Vec::<Account>::new);
    let account = use_state(String::new);
    let once = use_state(|| false);
    let cron = use_state(|| "0 14 * * 1,3,5".to_string());
    let run_at = use_state(tomorrow_morning);
    let zone = use_state(String::new);
    // The optimizer picks each post's variant (from how earlier ones did).
    let optimize = use_state(|| false);
    let preview = use_state(|| None::<SchedulePreview>);
    let errors = use_state(Vec::<FieldError>::new);
    // The user chose to let the one-off take over the post at its minute.
    let replace = use_state(|| false);
    // A resume that would skip posts, waiting for the user's yes.
    let confirm_resume = use_state(|| None::<(String, Vec<String>)>);
    let note = use_state(|| None::<String>);
    let reload = use_state(|| 0u32);
    // How many saves were answered (for the window's tests to wait on).
    let answers = use_state(|| 0u32);
    let pending: Rc<RefCell<Option<Timeout>>> = use_mut_ref(|| None);
    // Which preview was asked last: an answer to an earlier one (typing
    // "U", "UT", "UTC" on a slow machine) can come after it and is dropped.
    let asked: Rc<RefCell<u64>> = use_mut_ref(|| 0);

    {
        let (list, accounts, account, id, platforms) = (
            list.clone(),
            accounts.clone(),
            account.clone(),
            props.campaign_id.clone(),
            props.platforms.clone(),
        );
        use_effect_with((*reload, props.revision.clone()), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(l) = services::list_schedules(Some(&id)).await {
                    list.set(l);
                }
                if let Ok(all) = services::list_accounts().await {
                    let usable: Vec<Account> = all
                        .into_iter()
                        .filter(|a| platforms.contains(&a.platform))
                        .filter(|a| a.status != AccountStatus::Disconnected)
                        .collect();
                    if account.is_empty() {
                        if let Some(first) = usable.first() {
                            account.set(first.id.clone());
                        }
                    }
                    accounts.set(usable);
                }
            });
        });
    }
    // The preview, after typing pauses: a cadence's runs or a one-off's
    // time in the zone, and the problems of those fields, in the words
    // saving would use (they replace what an earlier preview or save said
    // about the same fields).
    {
        let (preview, errors, pending, replace, asked) = (
            preview.clone(),
            errors.clone(),
            pending.clone(),
            replace.clone(),
            asked.clone(),
        );
        let platform_of = accounts
            .iter()
            .find(|a| a.id == *account)
            .map(|a| a.platform.as_str().to_string())
            .unwrap_or_default();
        let input = NewSchedule {
            campaign_id: props.campaign_id.clone(),
            platform: platform_of,
            account_id: (*account).clone(),
            run_at: once.then(|| (*run_at).clone()),
            cron: (!*once).then(|| (*cron).clone()),
            time_zone: (*zone).clone(),
            ..NewSchedule::default()
        };
        use_effect_with(input, move |input| {
            // Another minute or account: the choice to replace is asked anew.
            replace.set(false);
            let input = input.clone();
            let ask = {
                let mut last = asked.borrow_mut();
                *last += 1;
                *last
            };
            let t = Timeout::new(250, move || {
                wasm_bindgen_futures::spawn_local(async move {
                    let answer = services::preview_schedule(&input).await;
                    if *asked.borrow() != ask {
                        return;
                    }
                    let mut kept: Vec<FieldError> = (*errors)
                        .iter()
                        .filter(|e| !PREVIEWED.contains(&e.field.as_str()))
                        .cloned()
                        .collect();
                    match answer {
                        Ok(p) => preview.set(Some(p)),
                        Err(e) => {
                            preview.set(None);
                            kept.extend(e.fields);
                        }
                    }
                    errors.set(kept);
                });
            });
            *pending.borrow_mut() = Some(t);
        });
    }

    let text = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            state.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let pick_account = {
        let account = account.clone();
        Callback::from(move |e: Event| {
            account.set(e.target_unchecked_into::<HtmlSelectElement>().value())
        })
    };
    let set_once = |v: bool| {
        let once = once.clone();
        Callback::from(move |_| once.set(v))
    };
    let onsubmit = {
        let (accounts, account, once, cron, run_at, zone, errors, note, reload) = (
            accounts.clone(),
            account.clone(),
            once.clone(),
            cron.clone(),
            run_at.clone(),
            zone.clone(),
            errors.clone(),
            note.clone(),
            reload.clone(),
        );
        let (answers, replace, optimize) = (answers.clone(), replace.clone(), optimize.clone());
        let campaign_id = props.campaign_id.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let platform = accounts
                .iter()
                .find(|a| a.id == *account)
                .map(|a| a.platform.as_str().to_string())
                .unwrap_or_default();
            let input = NewSchedule {
                campaign_id: campaign_id.clone(),
                platform,
                account_id: (*account).clone(),
                // A wall time in the form's zone: the core reads it there.
                run_at: if *once { Some((*run_at).clone()) } else { None },
                cron: if *once { None } else { Some((*cron).clone()) },
                time_zone: (*zone).clone(),
                replace_slot: *once && *replace,
                use_optimizer: *optimize,
                ..NewSchedule::default()
            };
            let (errors, note, reload, answers) = (
                errors.clone(),
                note.clone(),
                reload.clone(),
                answers.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                let answer = services::create_schedule(&input).await;
                answers.set(*answers + 1);
                match answer {
                    Ok(s) => {
                        errors.set(Vec::new());
                        note.set(Some(format!(
                            "Scheduled: {} ({}).",
                            s.description, s.time_zone
                        )));
                        reload.set(*reload + 1);
                    }
                    Err(e) if !e.fields.is_empty() => errors.set(e.fields),
                    Err(e) => note.set(Some(e.message)),
                }
            });
        })
    };
    let error_for = |field: &str| {
        // One message per field, whoever found it (the preview or saving).
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| html! { <p class="field-error" role="alert">{ &e.message }</p> })
            .unwrap_or_default()
    };
    let on_changed = props.on_changed.clone();
    let rows = list.iter().map(|s| {
        let toggle = {
            let (id, paused, reload, confirm) =
                (s.id.clone(), s.paused, reload.clone(), confirm_resume.clone());
            Callback::from(move |_| {
                let (id, reload, confirm) = (id.clone(), reload.clone(), confirm.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    // Resuming skips what passed during the pause: said first.
                    if paused {
                        let skipped = services::skipped_on_resume(Some(&id)).await.unwrap_or_default();
                        if !skipped.is_empty() {
                            confirm.set(Some((id, skipped)));
                            return;
                        }
                    }
                    if services::set_schedule_paused(&id, !paused).await.is_ok() {
                        reload.set(*reload + 1);
                    }
                });
            })
        };
        let asking = confirm_resume
            .as_ref()
            .filter(|(id, _)| *id == s.id)
            .map(|(id, times)| {
                let resume = {
                    let (id, reload, confirm) = (id.clone(), reload.clone(), confirm_resume.clone());
                    Callback::from(move |_| {
                        let (id, reload, confirm) = (id.clone(), reload.clone(), confirm.clone());
                        wasm_bindgen_futures::spawn_local(async move {
                            if services::set_schedule_paused(&id, false).await.is_ok() {
                                confirm.set(None);
                                reload.set(*reload + 1);
                            }
                        });
                    })
                };
                let keep = {
                    let confirm = confirm_resume.clone();
                    Callback::from(move |_| confirm.set(None))
                };
                let shown: Vec<String> = times.iter().take(5).map(|t| crate::local_time::short(t)).collect();
                let more = times.len().saturating_sub(5);
                html! {
                    <div class="slot-taken" id="schedule-resume-confirm" role="alert">
                        <p>{ format!(
                            "Resuming skips {} whose time passed while it was paused: {}{}. A pause means not posting then; the next posts go out as planned.",
                            if times.len() == 1 { "1 post".to_string() } else { format!("{} posts", times.len()) },
                            shown.join(", "),
                            if more > 0 { format!(" and {more} more") } else { String::new() }
                        ) }</p>
                        <div class="row">
                            <button type="button" class="primary" id="schedule-resume-skip" onclick={resume}>{ "Resume, skipping them" }</button>
                            <button type="button" id="schedule-resume-keep" onclick={keep}>{ "Keep it paused" }</button>
                        </div>
                    </div>
                }
            });
        let activate = (s.fix.as_deref() == Some("activate_campaign")).then(|| {
            let (id, on_changed) = (s.campaign_id.clone(), on_changed.clone());
            Callback::from(move |_| {
                let (id, on_changed) = (id.clone(), on_changed.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    if services::set_campaign_status(&id, "active").await.is_ok() {
                        on_changed.emit(());
                    }
                });
            })
        });
        html! {
            <li class="schedule-item" key={s.id.clone()} data-id={s.id.clone()}>
                <span>{ format!("{} · {} · {}", s.platform.label(), s.description, s.time_zone) }</span>
                <span class={classes!("badge", if s.paused { "paused" } else { "active" })}>{ if s.paused { "paused" } else { "active" } }</span>
                if s.use_optimizer { <span class="badge optimized" title="The optimizer chooses each post's variant">{ "optimizer" }</span> }
                <button type="button" class="link schedule-toggle" onclick={toggle}>{ if s.paused { "Resume" } else { "Pause" } }</button>
                if let Some(why) = &s.blocked {
                    <span class="schedule-blocked warning" role="status">{ why }</span>
                }
                if let Some(onclick) = activate {
                    <button type="button" class="schedule-activate" {onclick}>{ "Activate" }</button>
                }
                { for asking }
            </li>
        }
    });

    html! {
        <section class="card schedules" id="schedules" aria-label="Schedules">
            <h2>{ "Schedules" }</h2>
            if list.is_empty() {
                <p class="muted">{ "Nothing scheduled yet." }</p>
            } else {
                <ul class="list" id="schedule-list">{ for rows }</ul>
            }
            if accounts.is_empty() {
                <p class="hint" id="schedule-needs-account">{ "Connect an account for one of this campaign's platforms first (Accounts; the Sandbox needs no sign-in)." }</p>
            } else {
                <form id="schedule-form" {onsubmit} novalidate=true data-answers={answers.to_string()}>
                    <div class="field">
                        <label for="schedule-account">{ "Account" }</label>
                        <select id="schedule-account" onchange={pick_account}>
                            { for accounts.iter().map(|a| html! {
                                <option value={a.id.clone()} selected={*account == a.id}>{ format!("{} · {} ({})", a.platform.label(), a.name, a.handle) }</option>
                            }) }
                        </select>
                        { error_for("account_id") }{ error_for("platform") }
                    </div>
                    <div class="checks" role="radiogroup" aria-label="When">
                        <label class="check"><input type="radio" name="schedule-kind" id="schedule-kind-cron" checked={!*once} onclick={set_once(false)} />{ " On a cadence" }</label>
                        <label class="check"><input type="radio" name="schedule-kind" id="schedule-kind-once" checked={*once} onclick={set_once(true)} />{ " Once" }</label>
                    </div>
                    if *once {
                        <div class="field">
                            <label for="schedule-run-at">{ "Date and time (in the time zone below)" }</label>
                            <input type="text" id="schedule-run-at" class="when" value={(*run_at).clone()} oninput={text(&run_at)}
                                placeholder="2026-12-10 09:10" autocomplete="off" spellcheck="false" inputmode="numeric"
                                aria-describedby="schedule-preview-slot" />
                        </div>
                    } else {
                        <div class="field">
                            <label for="schedule-cron">{ "Cadence (crontab: minute hour day month weekday)" }</label>
                            <input type="text" id="schedule-cron" value={(*cron).clone()} oninput={text(&cron)} autocomplete="off" spellcheck="false"
                                aria-describedby="schedule-preview-slot" />
                        </div>
                    }
                    // Always there and as tall as a full preview, so the
                    // fields below stay still as it comes and goes.
                    <div id="schedule-preview-slot" class={classes!("preview-slot", (*once).then_some("once"))} aria-live="polite">
                        { error_for(if *once { "run_at" } else { "cron" }) }
                        if let Some(p) = &*preview {
                            <div class="preview" id="schedule-preview" role="status">
                                <p>{ &p.description }</p>
                                <ul class="runs">
                                    { for p.runs_local.iter().zip(&p.runs_utc).map(|(l, u)| html! {
                                        <li>{ l }<span class="muted">{ format!(" · {u}") }</span></li>
                                    }) }
                                </ul>
                                if let Some(n) = &p.note { <p class="hint" id="schedule-preview-note">{ n }</p> }
                            </div>
                            if let Some(t) = &p.slot_taken {
                                { slot_taken_box(t, &replace, &run_at) }
                            }
                        }
                    </div>
                    <div class="field" id="schedule-zone-field">
                        <label for="schedule-zone">{ "Time zone" }</label>
                        <input type="text" id="schedule-zone" value={(*zone).clone()} oninput={text(&zone)} placeholder="this computer's (e.g. Europe/Berlin)" autocomplete="off" />
                        { error_for("time_zone") }
                    </div>
                    <label class="check" id="schedule-optimize-field">
                        <input type="checkbox" id="schedule-optimize" checked={*optimize} onchange={{
                            let optimize = optimize.clone();
                            Callback::from(move |e: Event| optimize.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().checked()))
                        }} />
                        { " Let the optimizer choose each post's variant (from how the earlier posts did; the Optimizer page says why)" }
                    </label>
                    if let Some(n) = &*note { <p class="hint" id="schedule-note" role="status">{ n }</p> }
                    <div class="actions">
                        <button type="submit" class="primary" id="schedule-submit">{ "Schedule" }</button>
                    </div>
                </form>
            }
        </section>
    }
}
