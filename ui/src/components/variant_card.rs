//! One variant's card: its text with a live rule check (length the
//! platform's way, hashtags and mentions, problems, banned words marked),
//! its media (drop, pick, thumbnails), Save, Regenerate and Delete.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use reachloop_ipc::{ErrorDto, MediaKind, Platform, PostCheck, Variant, VariantText};
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::components::problem::{Problem, Unsaved};
use crate::services;
use crate::state::highlight;

/// How long typing pauses before the live check runs.
const CHECK_DELAY_MS: u32 = 250;

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
                <span class="muted">{ format!(" · {} · {}", crate::state::count(c.hashtags as u64, "hashtag"), crate::state::count(c.mentions as u64, "mention")) }</span>
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
