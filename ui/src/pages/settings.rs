//! App settings: publishing pause, version and where the data lives.

use reachloop_ipc::AppStatus;
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
                <dl class="facts">
                    <dt>{ "Version" }</dt><dd>{ &s.version }</dd>
                    <dt>{ "Data folder" }</dt><dd class="mono">{ &s.data_dir }</dd>
                </dl>
            }
        </section>
    }
}
