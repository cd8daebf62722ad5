//! App settings: publishing pause, version and where the data lives.

use reachloop_ipc::{AiSettings, AppStatus, PlatformApp};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::sandbox_seed::SandboxSeed;
use crate::services;

/// How often the page re-reads the app status (the tray changes it too).
const STATUS_POLL_MS: u32 = 2_000;

#[function_component(SettingsPage)]
pub fn settings_page() -> Html {
    let status = use_state(|| None::<AppStatus>);
    let error = use_state(|| None::<String>);
    {
        let (status, error) = (status.clone(), error.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match services::app_status().await {
                    Ok(s) => status.set(Some(s)),
                    Err(e) => error.set(Some(e.message)),
                }
            });
        });
    }
    // The tray can pause or resume publishing while this page is open:
    // re-read the status every few seconds so the checkbox follows it.
    {
        let status = status.clone();
        use_effect_with((), move |_| {
            let interval = gloo_timers::callback::Interval::new(STATUS_POLL_MS, move || {
                let status = status.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(s) = services::app_status().await {
                        if status.as_ref() != Some(&s) {
                            status.set(Some(s));
                        }
                    }
                });
            });
            move || drop(interval)
        });
    }
    // A resume that would skip posts, waiting for the user's yes.
    let confirm = use_state(|| None::<Vec<String>>);
    let set_paused = {
        let (status, error, confirm) = (status.clone(), error.clone(), confirm.clone());
        Callback::from(move |paused: bool| {
            let (status, error, confirm) = (status.clone(), error.clone(), confirm.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match services::set_publishing_paused(paused).await {
                    Ok(s) => {
                        error.set(None);
                        confirm.set(None);
                        status.set(Some(s));
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let toggle = {
        let (status, confirm, set_paused) = (status.clone(), confirm.clone(), set_paused.clone());
        Callback::from(move |e: Event| {
            let Some(current) = (*status).clone() else {
                return;
            };
            if !current.publishing_paused {
                set_paused.emit(true);
                return;
            }
            // Resuming skips what passed during the pause: said first.
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                input.set_checked(true);
            }
            let (confirm, set_paused) = (confirm.clone(), set_paused.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let skipped = services::skipped_on_resume(None).await.unwrap_or_default();
                match skipped.is_empty() {
                    true => set_paused.emit(false),
                    false => confirm.set(Some(skipped)),
                }
            });
        })
    };
    html! {
        <section class="page" id="page-settings">
            <h1>{ "Settings" }</h1>
            if let Some(e) = &*error { <p class="error" role="alert">{ e }</p> }
            if let Some(s) = &*status {
                <div class="field">
                    <label class="check">
                        <input type="checkbox" id="publishing-paused" checked={s.publishing_paused} onchange={toggle} />
                        { " Pause publishing" }
                    </label>
                    <p class="hint">{ "While paused, nothing is posted. Posts whose time passes meanwhile are skipped when you resume (you are told which first); the later ones go out as planned." }</p>
                    if let Some(times) = &*confirm {
                        <div class="slot-taken" id="publishing-resume-confirm" role="alert">
                            <p>{ format!(
                                "Resuming skips {} whose time passed while publishing was paused: {}{}.",
                                if times.len() == 1 { "1 post".to_string() } else { format!("{} posts", times.len()) },
                                times.iter().take(5).map(|t| crate::local_time::short(t)).collect::<Vec<_>>().join(", "),
                                if times.len() > 5 { format!(" and {} more", times.len() - 5) } else { String::new() }
                            ) }</p>
                            <div class="row">
                                <button type="button" class="primary" id="publishing-resume-skip"
                                    onclick={let f = set_paused.clone(); Callback::from(move |_| f.emit(false))}>{ "Resume, skipping them" }</button>
                                <button type="button" id="publishing-resume-keep"
                                    onclick={let c = confirm.clone(); Callback::from(move |_| c.set(None))}>{ "Keep it paused" }</button>
                            </div>
                        </div>
                    }
                </div>
                <StartAtLogin />
                <SandboxSeed />
                <AiForm />
                <PlatformApps />
                <dl class="facts">
                    <dt>{ "Version" }</dt><dd>{ &s.version }</dd>
                    <dt>{ "Data folder" }</dt><dd class="mono">{ &s.data_dir }</dd>
                </dl>
            }
        </section>
    }
}

/// Start Reachloop at login, straight into the tray, so posts go out while
/// the window is closed.
#[function_component(StartAtLogin)]
fn start_at_login() -> Html {
    let on = use_state(|| None::<bool>);
    let error = use_state(|| None::<String>);
    {
        let (on, error) = (on.clone(), error.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match services::start_at_login().await {
                    Ok(v) => on.set(Some(v)),
                    Err(e) => error.set(Some(e.message)),
                }
            });
        });
    }
    let toggle = {
        let (on, error) = (on.clone(), error.clone());
        Callback::from(move |e: Event| {
            let wanted = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .checked();
            let (on, error) = (on.clone(), error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match services::set_start_at_login(wanted).await {
                    Ok(v) => {
                        error.set(None);
                        on.set(Some(v));
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    html! {
        <div class="field">
            <label class="check">
                <input type="checkbox" id="start-at-login" checked={on.unwrap_or(false)}
                    disabled={on.is_none()} onchange={toggle} />
                { " Start Reachloop when I log in (in the tray, without a window)" }
            </label>
            <p class="hint">{ "Scheduled posts only go out while Reachloop runs: in the tray, or as reachloop-cli agent." }</p>
            if let Some(e) = &*error { <p class="error" role="alert">{ e }</p> }
        </div>
    }
}

/// Each platform's app credentials: the client id (stored in Settings) and
/// the client secret (stored only in the OS keychain, never shown again).
#[function_component(PlatformApps)]
fn platform_apps() -> Html {
    let apps = use_state(|| None::<Result<Vec<PlatformApp>, String>>);
    {
        let apps = apps.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                apps.set(Some(
                    services::list_platform_apps().await.map_err(|e| e.message),
                ));
            });
        });
    }
    let body = match &*apps {
        None => html! { <p class="muted">{ "Loading…" }</p> },
        Some(Err(e)) => html! { <p class="error" role="alert">{ e }</p> },
        Some(Ok(list)) => list
            .iter()
            .map(|app| html! { <AppForm key={app.platform.as_str()} app={app.clone()} apps={apps.clone()} /> })
            .collect::<Html>(),
    };
    html! {
        <section class="card" id="platform-apps">
            <h2>{ "Platform apps" }</h2>
            <p class="hint">{ "Reachloop signs in through your own developer app on each platform. Register the redirect URI shown, then paste the app's client id (and secret, where the platform has one). Secrets go to the OS keychain." }</p>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct AppFormProps {
    app: PlatformApp,
    apps: UseStateHandle<Option<Result<Vec<PlatformApp>, String>>>,
}

#[function_component(AppForm)]
fn app_form(props: &AppFormProps) -> Html {
    let app = &props.app;
    // What the user typed, kept in state: the form is drawn again when a
    // save is refused, and a field whose `value` is the saved setting
    // would be put back to it, losing the typing.
    let client_id = use_state(|| app.client_id.clone());
    let relay_url = use_state(|| app.relay_url.clone().unwrap_or_default());
    {
        let (client_id, relay_url) = (client_id.clone(), relay_url.clone());
        let (id, relay) = (app.client_id.clone(), app.relay_url.clone());
        use_effect_with((id, relay), move |(id, relay)| {
            client_id.set(id.clone());
            relay_url.set(relay.clone().unwrap_or_default());
        });
    }
    let secret_ref = use_node_ref();
    let error = use_state(|| None::<String>);
    let saved = use_state(|| false);
    let platform = app.platform;
    let onsubmit = {
        let (client_id, relay_url, secret_ref, error, saved, apps) = (
            client_id.clone(),
            relay_url.clone(),
            secret_ref.clone(),
            error.clone(),
            saved.clone(),
            props.apps.clone(),
        );
        let supports_relay = app.supports_relay;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let client_id = (*client_id).clone();
            let secret_input = secret_ref.cast::<HtmlInputElement>();
            let secret = secret_input
                .as_ref()
                .map(|i| i.value())
                .filter(|s| !s.is_empty());
            // Absent for platforms without a relay field; empty removes it.
            let relay = supports_relay.then(|| (*relay_url).clone());
            let (error, saved, apps) = (error.clone(), saved.clone(), apps.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match services::save_platform_app(
                    platform.as_str(),
                    &client_id,
                    secret.as_deref(),
                    relay.as_deref(),
                )
                .await
                {
                    Ok(list) => {
                        if let Some(input) = secret_input {
                            input.set_value("");
                        }
                        error.set(None);
                        saved.set(true);
                        apps.set(Some(Ok(list)));
                    }
                    Err(e) => {
                        saved.set(false);
                        error.set(Some(
                            e.fields
                                .first()
                                .map(|f| f.message.clone())
                                .unwrap_or(e.message),
                        ));
                    }
                }
            });
        })
    };
    let typed = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            state.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let p = platform.as_str();
    let secret_hint = match (app.needs_secret, app.has_secret) {
        (_, true) => "saved in the keychain; type to replace",
        (true, false) => "required",
        (false, false) => "optional (confidential clients)",
    };
    html! {
        <form class="app-form" id={format!("app-{p}")} {onsubmit} novalidate=true>
            <h3>{ platform.label() }</h3>
            <p class="hint">{ "Redirect URI: " }<code class="mono">{ &app.redirect_uri }</code></p>
            <div class="field">
                <label for={format!("app-{p}-client-id")}>{ "Client id" }</label>
                <input type="text" id={format!("app-{p}-client-id")} value={(*client_id).clone()} oninput={typed(&client_id)}
                    disabled={app.from_env} autocomplete="off" aria-invalid={if error.is_some() { "true" } else { "false" }} />
                if app.from_env { <p class="hint">{ format!("Set by OAUTH_{}_CLIENT_ID.", p.to_uppercase()) }</p> }
            </div>
            <div class="field">
                <label for={format!("app-{p}-client-secret")}>{ "Client secret" }</label>
                <input type="password" id={format!("app-{p}-client-secret")} ref={secret_ref} placeholder={secret_hint}
                    disabled={app.from_env} autocomplete="off" />
            </div>
            if app.supports_relay {
                <div class="field">
                    <label for={format!("app-{p}-relay")}>{ "Relay page (https, optional)" }</label>
                    <input type="text" inputmode="url" id={format!("app-{p}-relay")} value={(*relay_url).clone()} oninput={typed(&relay_url)}
                        placeholder="https://you.github.io/reachloop-relay" autocomplete="off" />
                    <p class="hint">{ "Meta accepts only https redirect URIs outside development mode. Host the relay page from Reachloop's relay/ folder and paste its address; sign-ins then come back through the reachloop:// link." }</p>
                </div>
            }
            if let Some(e) = &*error { <p class="field-error" role="alert">{ e }</p> }
            if *saved { <p class="hint" role="status">{ "Saved." }</p> }
            <button type="submit" class="secondary" disabled={app.from_env}>{ "Save" }</button>
        </form>
    }
}

/// Settings → AI: the OpenAI-compatible endpoint, the model, the
/// temperature and the API key (kept in the OS keychain), with Test
/// connection showing the models offered or the exact error.
#[function_component(AiForm)]
fn ai_form() -> Html {
    let settings = use_state(|| None::<AiSettings>);
    let base = use_state(String::new);
    let model = use_state(String::new);
    let temperature = use_state(|| "0.8".to_string());
    let key_ref = use_node_ref();
    let errors = use_state(Vec::<reachloop_ipc::FieldError>::new);
    let note = use_state(|| None::<Result<String, String>>);
    let models = use_state(Vec::<String>::new);
    {
        let (settings, base, model, temperature) = (
            settings.clone(),
            base.clone(),
            model.clone(),
            temperature.clone(),
        );
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(s) = services::ai_settings().await {
                    base.set(s.base_url.clone());
                    model.set(s.model.clone());
                    temperature.set(s.temperature.to_string());
                    settings.set(Some(s));
                }
            });
        });
    }
    let input = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            state.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let onsubmit = {
        let (settings, base, model, temperature, key_ref, errors, note) = (
            settings.clone(),
            base.clone(),
            model.clone(),
            temperature.clone(),
            key_ref.clone(),
            errors.clone(),
            note.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let input = AiSettings {
                base_url: (*base).clone(),
                model: (*model).clone(),
                // Not a number: the core explains the range.
                temperature: temperature.trim().parse().unwrap_or(-1.0),
                ..AiSettings::default()
            };
            let key_input = key_ref.cast::<HtmlInputElement>();
            let key = key_input
                .as_ref()
                .map(|i| i.value())
                .filter(|k| !k.is_empty());
            let (settings, errors, note) = (settings.clone(), errors.clone(), note.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match services::save_ai_settings(&input, key.as_deref()).await {
                    Ok(s) => {
                        if let Some(i) = key_input {
                            i.set_value("");
                        }
                        errors.set(Vec::new());
                        let saved = match &s.notice {
                            Some(n) => format!("Saved. {n}"),
                            None => "Saved.".to_string(),
                        };
                        note.set(Some(Ok(saved)));
                        settings.set(Some(s));
                    }
                    Err(e) if !e.fields.is_empty() => errors.set(e.fields),
                    Err(e) => note.set(Some(Err(e.message))),
                }
            });
        })
    };
    // Tests what is typed (address, and a key if one is typed), not what
    // was saved.
    let test = {
        let (note, models, base, key_ref) =
            (note.clone(), models.clone(), base.clone(), key_ref.clone());
        Callback::from(move |_| {
            let (note, models) = (note.clone(), models.clone());
            let address = (*base).clone();
            let key = key_ref
                .cast::<HtmlInputElement>()
                .map(|i| i.value())
                .filter(|k| !k.is_empty());
            note.set(Some(Ok("Testing…".into())));
            wasm_bindgen_futures::spawn_local(async move {
                match services::test_ai_connection(&address, key.as_deref()).await {
                    Ok(list) => {
                        note.set(Some(Ok(if list.is_empty() {
                            "Connected; the endpoint lists no models.".to_string()
                        } else {
                            format!("Connected. Models: {}", list.join(", "))
                        })));
                        models.set(list);
                    }
                    Err(e) => note.set(Some(Err(e.message))),
                }
            });
        })
    };
    let forget_key = {
        let (settings, note) = (settings.clone(), note.clone());
        Callback::from(move |_| {
            let Some(current) = (*settings).clone() else {
                return;
            };
            let (settings, note) = (settings.clone(), note.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match services::save_ai_settings(&current, Some("")).await {
                    Ok(s) => {
                        note.set(Some(Ok("API key removed from the keychain.".into())));
                        settings.set(Some(s));
                    }
                    Err(e) => note.set(Some(Err(e.message))),
                }
            });
        })
    };
    let error_for = |field: &str| {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| html! { <p class="field-error" role="alert">{ &e.message }</p> })
            .unwrap_or_default()
    };
    let from_env = settings
        .as_ref()
        .map(|s| s.from_env.clone())
        .unwrap_or_default();
    let has_key = settings.as_ref().is_some_and(|s| s.has_api_key);
    html! {
        <form class="card" id="ai-settings" {onsubmit} novalidate=true>
            <h2>{ "AI" }</h2>
            <p class="hint">{ "Any OpenAI-compatible endpoint: Ollama (http://127.0.0.1:11434), vLLM, llama.cpp server or a hosted service. Leave the address empty to write variants by hand; generations asked for while the endpoint is unreachable wait and run when it answers." }</p>
            if !from_env.is_empty() {
                <p class="hint">{ format!("Set by the environment (overrides these): {}", from_env.join(", ")) }</p>
            }
            <div class="field">
                <label for="ai-base-url">{ "Endpoint address" }</label>
                <input type="text" inputmode="url" id="ai-base-url" value={(*base).clone()} oninput={input(&base)} placeholder="http://127.0.0.1:11434" autocomplete="off" />
                { error_for("base_url") }
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="ai-model">{ "Model" }</label>
                    <input type="text" id="ai-model" list="ai-models" value={(*model).clone()} oninput={input(&model)} autocomplete="off" />
                    <datalist id="ai-models">{ for models.iter().map(|m| html! { <option value={m.clone()} /> }) }</datalist>
                    { error_for("model") }
                </div>
                <div class="field">
                    <label for="ai-temperature">{ "Temperature (0-2)" }</label>
                    <input type="text" inputmode="decimal" id="ai-temperature" value={(*temperature).clone()} oninput={input(&temperature)} />
                    { error_for("temperature") }
                </div>
            </div>
            <div class="field">
                <label for="ai-api-key">{ "API key" }</label>
                <input type="password" id="ai-api-key" ref={key_ref} autocomplete="off"
                    placeholder={if has_key { "saved in the keychain; type to replace" } else { "none (local servers need none)" }} />
                if has_key {
                    <button type="button" class="link" id="ai-forget-key" onclick={forget_key}>{ "Remove the saved key" }</button>
                }
            </div>
            { match &*note {
                Some(Ok(m)) => html! { <p class="hint" id="ai-note" role="status">{ m }</p> },
                Some(Err(m)) => html! { <p class="error" id="ai-note" role="alert">{ m }</p> },
                None => html! {},
            } }
            <div class="actions">
                <button type="submit" class="secondary" id="ai-save">{ "Save" }</button>
                <button type="button" class="secondary" id="ai-test" onclick={test}>{ "Test connection" }</button>
            </div>
        </form>
    }
}
