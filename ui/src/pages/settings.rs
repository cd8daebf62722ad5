//! App settings: publishing pause, version and where the data lives.

use reachloop_ipc::{AppStatus, PlatformApp};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::services;

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
    let toggle = {
        let (status, error) = (status.clone(), error.clone());
        Callback::from(move |_| {
            let Some(current) = (*status).clone() else {
                return;
            };
            let (status, error) = (status.clone(), error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match services::set_publishing_paused(!current.publishing_paused).await {
                    Ok(s) => {
                        error.set(None);
                        status.set(Some(s));
                    }
                    Err(e) => error.set(Some(e.message)),
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
                    <p class="hint">{ "While paused, nothing is posted; scheduled posts wait until you resume." }</p>
                </div>
                <PlatformApps />
                <dl class="facts">
                    <dt>{ "Version" }</dt><dd>{ &s.version }</dd>
                    <dt>{ "Data folder" }</dt><dd class="mono">{ &s.data_dir }</dd>
                </dl>
            }
        </section>
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
    let id_ref = use_node_ref();
    let secret_ref = use_node_ref();
    let relay_ref = use_node_ref();
    let error = use_state(|| None::<String>);
    let saved = use_state(|| false);
    let platform = app.platform;
    let onsubmit = {
        let (id_ref, secret_ref, relay_ref, error, saved, apps) = (
            id_ref.clone(),
            secret_ref.clone(),
            relay_ref.clone(),
            error.clone(),
            saved.clone(),
            props.apps.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let client_id = id_ref
                .cast::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default();
            let secret_input = secret_ref.cast::<HtmlInputElement>();
            let secret = secret_input
                .as_ref()
                .map(|i| i.value())
                .filter(|s| !s.is_empty());
            // Absent for platforms without a relay field; empty removes it.
            let relay = relay_ref.cast::<HtmlInputElement>().map(|i| i.value());
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
    let p = platform.as_str();
    let secret_hint = match (app.needs_secret, app.has_secret) {
        (_, true) => "saved in the keychain; type to replace",
        (true, false) => "required",
        (false, false) => "optional (confidential clients)",
    };
    html! {
        <form class="app-form" id={format!("app-{p}")} {onsubmit}>
            <h3>{ platform.label() }</h3>
            <p class="hint">{ "Redirect URI: " }<code class="mono">{ &app.redirect_uri }</code></p>
            <div class="field">
                <label for={format!("app-{p}-client-id")}>{ "Client id" }</label>
                <input type="text" id={format!("app-{p}-client-id")} ref={id_ref} value={app.client_id.clone()}
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
                    <input type="url" id={format!("app-{p}-relay")} ref={relay_ref} value={app.relay_url.clone().unwrap_or_default()}
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
