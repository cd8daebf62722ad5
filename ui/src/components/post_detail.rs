//! One post, opened from the calendar: its variant, account, times (local
//! and in its schedule's zone), its link once published, its error with
//! what to do, and, while it is upcoming, the overrides: pick the variant,
//! move it, skip it, publish it now. Each is audited by the core, and the
//! publisher leaves an overridden slot alone.

use reachloop_ipc::{Account, PostChange, ScheduledPost, Variant};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::services;

#[derive(Properties, PartialEq)]
pub struct PostDetailProps {
    pub post: ScheduledPost,
    pub account: Option<Account>,
    pub on_close: Callback<()>,
    /// The post changed (a move makes a new post: its id): reload.
    pub on_changed: Callback<ScheduledPost>,
}

/// `at` in the browser's zone, and in `zone`.
pub fn times(at: &str, zone: &str) -> (String, String) {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(at));
    if d.get_time().is_nan() {
        return (at.to_string(), String::new());
    }
    // The zone was checked against the IANA database when it was saved.
    (format_in(&d, None), format_in(&d, Some(zone)))
}

thread_local! {
    /// One formatter per zone (`""`: the browser's own): making one per
    /// call cost about a millisecond, and a Calendar week shows hundreds.
    static FORMATS: std::cell::RefCell<std::collections::HashMap<String, js_sys::Function>> =
        Default::default();
}

/// `d` as the browser's locale writes it, in `zone` with the zone's short
/// name, or in the browser's own zone.
fn format_in(d: &js_sys::Date, zone: Option<&str>) -> String {
    let key = zone.unwrap_or_default().to_string();
    let format = FORMATS.with(|f| {
        f.borrow_mut()
            .entry(key)
            .or_insert_with(|| {
                let options = js_sys::Object::new();
                for (k, v) in [
                    ("year", "numeric"),
                    ("month", "numeric"),
                    ("day", "numeric"),
                    ("hour", "numeric"),
                    ("minute", "2-digit"),
                    ("second", "2-digit"),
                ] {
                    let _ = js_sys::Reflect::set(&options, &k.into(), &v.into());
                }
                if let Some(zone) = zone {
                    let _ = js_sys::Reflect::set(&options, &"timeZone".into(), &zone.into());
                    let _ = js_sys::Reflect::set(&options, &"timeZoneName".into(), &"short".into());
                }
                js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &options).format()
            })
            .clone()
    });
    format
        .call1(&wasm_bindgen::JsValue::NULL, d)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// `at` as a wall time in `zone`, "2026-12-10 09:10": what the Move to
/// field starts with (the core reads it back in the post's zone).
pub fn wall_time_in(at: &str, zone: &str) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(at));
    if d.get_time().is_nan() {
        return String::new();
    }
    let options = js_sys::Object::new();
    let set = |k: &str, v: &str| {
        let _ = js_sys::Reflect::set(&options, &k.into(), &wasm_bindgen::JsValue::from_str(v));
    };
    set("timeZone", zone);
    for k in ["year", "month", "day", "hour", "minute"] {
        set(k, if k == "year" { "numeric" } else { "2-digit" });
    }
    set("hourCycle", "h23");
    // Sweden's format is ISO's: "2026-12-10 09:10".
    d.to_locale_string("sv-SE", &options)
        .as_string()
        .unwrap_or_default()
}

/// The one-click fix for a held post, where there is one here: activate
/// its campaign, or resume its schedule (the others are a variant to pick
/// below, or Accounts and the campaign's page).
fn fix_button(post: &ScheduledPost, on_changed: &Callback<ScheduledPost>) -> Html {
    let (label, id) = match post.fix.as_deref() {
        Some("activate_campaign") => ("Activate the campaign", "post-fix-activate"),
        Some("resume_schedule") if post.schedule_id.is_some() => {
            ("Resume the schedule", "post-fix-resume")
        }
        _ => return Html::default(),
    };
    let onclick = {
        let (post, on_changed) = (post.clone(), on_changed.clone());
        Callback::from(move |_| {
            let (post, on_changed) = (post.clone(), on_changed.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let done = match post.fix.as_deref() {
                    Some("activate_campaign") => {
                        services::set_campaign_status(&post.campaign_id, "active")
                            .await
                            .is_ok()
                    }
                    _ => match &post.schedule_id {
                        Some(s) => services::set_schedule_paused(s, false).await.is_ok(),
                        None => false,
                    },
                };
                if done {
                    on_changed.emit(post.clone());
                }
            });
        })
    };
    html! { <button type="button" class="primary" {id} {onclick}>{ label }</button> }
}

#[function_component(PostDetail)]
pub fn post_detail(p: &PostDetailProps) -> Html {
    let post = &p.post;
    let variants = use_state(Vec::<Variant>::new);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    // What the Move field holds: the post's own time until the user types.
    // Kept in state, not only in the field: the detail is drawn again as
    // the Calendar updates live, and a field whose `value` is the post's
    // time would be put back to it mid-typing.
    let move_to = use_state(|| wall_time_in(&post.scheduled_at, &post.time_zone));
    {
        let move_to = move_to.clone();
        let (at, zone) = (post.scheduled_at.clone(), post.time_zone.clone());
        use_effect_with((post.id.clone(), at.clone(), zone.clone()), move |_| {
            move_to.set(wall_time_in(&at, &zone));
        });
    }
    let pick = use_node_ref();
    {
        let variants = variants.clone();
        let (campaign, platform) = (post.campaign_id.clone(), post.platform);
        use_effect_with((campaign.clone(), platform), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(list) = services::list_variants(&campaign).await {
                    variants.set(
                        list.into_iter()
                            .filter(|v| v.platform == platform)
                            .collect(),
                    );
                }
            });
        });
    }
    let change = {
        let (error, busy, on_changed, id) = (
            error.clone(),
            busy.clone(),
            p.on_changed.clone(),
            post.id.clone(),
        );
        move |action: &'static str, variant_id: Option<String>, at: Option<String>| {
            let (error, busy, on_changed) = (error.clone(), busy.clone(), on_changed.clone());
            let change = PostChange {
                post_id: id.clone(),
                action: action.into(),
                variant_id,
                at,
            };
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                match services::override_post(&change).await {
                    Ok(post) => {
                        error.set(None);
                        on_changed.emit(post);
                    }
                    Err(e) => error.set(Some(e.message)),
                }
                busy.set(false);
            });
        }
    };
    let upcoming = post.status == "scheduled";
    let (local, zoned) = times(&post.scheduled_at, &post.time_zone);
    let variant = post
        .variant_id
        .as_ref()
        .and_then(|id| variants.iter().find(|v| &v.id == id));
    let on_pick = {
        let (change, pick) = (change.clone(), pick.clone());
        Callback::from(move |_| {
            if let Some(sel) = pick.cast::<HtmlSelectElement>() {
                change("variant", Some(sel.value()), None);
            }
        })
    };
    let on_move = {
        let (change, move_to, error) = (change.clone(), move_to.clone(), error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match move_to.trim() {
                "" => error.set(Some(
                    "Type the date and time to move the post to, e.g. 2026-12-10 09:10.".into(),
                )),
                // A wall time in the post's zone: the core reads it there.
                at => change("move", None, Some(at.to_string())),
            }
        })
    };
    let on_move_input = {
        let move_to = move_to.clone();
        Callback::from(move |e: InputEvent| {
            move_to.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_skip = {
        let change = change.clone();
        Callback::from(move |_| change("skip", None, None))
    };
    let on_now = {
        let change = change.clone();
        Callback::from(move |_| change("publish_now", None, None))
    };
    let on_close = {
        let on_close = p.on_close.clone();
        Callback::from(move |_| on_close.emit(()))
    };
    {
        // The keyboard follows the post: into the panel when one opens (a
        // post chosen far down a day would leave it out of reach).
        use_effect_with(post.id.clone(), |_| {
            crate::pages::campaigns::focus("post-detail-close");
        });
    }
    let on_key = {
        let on_close = p.on_close.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                on_close.emit(());
            }
        })
    };
    html! {
        <aside class={classes!("post-detail", "card", (post.status == "published").then_some("published"))} id="post-detail" data-id={post.id.clone()} aria-label="Post" onkeydown={on_key}>
            <header class="post-detail-head">
                <span class={classes!("badge", "post-status", if post.held.is_some() { "held".to_string() } else { post.status.clone() })} id="post-detail-status">
                    { if post.held.is_some() { "held".to_string() } else { post.status.replace('_', " ") } }
                </span>
                <span>{ post.platform.label() }</span>
                if post.overridden { <span class="badge" title="A person changed this post; automatic choice leaves it alone">{ "overridden" }</span> }
                <button type="button" class="link close" id="post-detail-close" aria-label="Close" onclick={on_close}>{ "✕" }</button>
            </header>
            <dl class="facts">
                <dt>{ "When" }</dt>
                <dd id="post-detail-when">{ &local }<span class="muted">{ format!(" · {zoned} ({})", post.time_zone) }</span></dd>
                <dt>{ "Account" }</dt>
                <dd>{ p.account.as_ref().map(|a| format!("{} ({})", a.name, a.handle)).unwrap_or_else(|| post.account_id.clone()) }</dd>
                <dt>{ "Variant" }</dt>
                <dd id="post-detail-variant">{
                    match (variant, &post.variant_id) {
                        (Some(v), _) => html! { <p class="variant-text">{ &v.body }</p> },
                        (None, Some(_)) => html! { <span class="muted">{ "A variant that was deleted since." }</span> },
                        (None, None) => html! { <span class="muted">{ "Chosen when it is published (the variants take turns)." }</span> },
                    }
                }</dd>
                if post.attempts > 0 {
                    <dt>{ "Attempts" }</dt><dd>{ post.attempts }</dd>
                }
                if let Some(url) = &post.remote_url {
                    <dt>{ "Link" }</dt>
                    <dd><a id="post-detail-link" href={url.clone()} target="_blank" rel="noopener noreferrer">{ url }</a></dd>
                }
            </dl>
            if let Some(m) = &post.metrics {
                <crate::components::metrics::PostFigures metrics={m.clone()}
                    fetched={m.captured_at.as_deref().map(|at| times(at, &post.time_zone).0)} />
            }
            if post.status == "published" {
                <crate::components::post_history::PostHistoryView post_id={post.id.clone()} />
            }
            if let Some(u) = &post.upload {
                <div class="upload" id="post-detail-upload">
                    <progress max={u.total.to_string()} value={u.sent.min(u.total).to_string()}></progress>
                    <p class="hint" role="status">{ crate::components::calendar::upload_line(u, post.platform.label()) }</p>
                </div>
            }
            if let Some(h) = &post.held {
                <p class="error" id="post-detail-held" role="status">{ h }</p>
                { fix_button(post, &p.on_changed) }
            }
            if let Some(e) = &post.last_error {
                <p class={if post.status == "failed" || post.status == "needs_verification" || post.status == "missed" { "error" } else { "hint" }} id="post-detail-error">{ e }</p>
            }
            { for post.warnings.iter().map(|w| html! { <p class="warning">{ format!("⚠ {w}") }</p> }) }
            if upcoming {
                <div class="post-actions">
                    <label for="post-variant">{ "Post this variant" }</label>
                    <div class="row">
                        <select id="post-variant" ref={pick}>
                            { for variants.iter().map(|v| html! {
                                <option value={v.id.clone()} selected={post.variant_id.as_deref() == Some(v.id.as_str())}>
                                    { v.body.chars().take(60).collect::<String>() }
                                </option>
                            }) }
                        </select>
                        <button type="button" class="secondary" id="post-pick-variant" disabled={*busy || variants.is_empty()} onclick={on_pick}>{ "Use it" }</button>
                    </div>
                    <form class="row" novalidate=true onsubmit={on_move}>
                        <label for="post-move-to">{ format!("Move to ({})", post.time_zone) }</label>
                        <input type="text" id="post-move-to" class="when"
                            value={(*move_to).clone()} oninput={on_move_input}
                            placeholder="2026-12-10 09:10" autocomplete="off" spellcheck="false" inputmode="numeric" />
                        <button type="submit" class="secondary" id="post-move" disabled={*busy}>{ "Move" }</button>
                    </form>
                    <div class="row">
                        <button type="button" class="secondary" id="post-publish-now" disabled={*busy} onclick={on_now}>{ "Publish now" }</button>
                        <button type="button" class="secondary danger" id="post-skip" disabled={*busy} onclick={on_skip}>{ "Skip" }</button>
                    </div>
                </div>
            }
            if let Some(e) = &*error {
                <p class="error" role="alert" id="post-detail-problem">{ e }</p>
            }
        </aside>
    }
}
