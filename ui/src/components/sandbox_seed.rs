//! The Sandbox network's seed: everything the Sandbox does follows from
//! it, so a demo can be replayed, or a new world drawn.

use reachloop_ipc::SandboxWorld;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::services;

#[function_component(SandboxSeed)]
pub fn sandbox_seed() -> Html {
    let world = use_state(|| None::<SandboxWorld>);
    let typed = use_state(String::new);
    let error = use_state(|| None::<String>);
    let saved = use_state(|| false);
    {
        let (world, typed, error) = (world.clone(), typed.clone(), error.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match services::sandbox_world().await {
                    Ok(w) => {
                        typed.set(w.seed.to_string());
                        world.set(Some(w));
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        });
    }
    let oninput = {
        let (typed, saved) = (typed.clone(), saved.clone());
        Callback::from(move |e: InputEvent| {
            typed.set(e.target_unchecked_into::<HtmlInputElement>().value());
            saved.set(false);
        })
    };
    let onsubmit = {
        let (world, typed, error, saved) =
            (world.clone(), typed.clone(), error.clone(), saved.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let seed = (*typed).clone();
            let (world, typed, error, saved) =
                (world.clone(), typed.clone(), error.clone(), saved.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match services::set_sandbox_seed(&seed).await {
                    Ok(w) => {
                        error.set(None);
                        typed.set(w.seed.to_string());
                        world.set(Some(w));
                        saved.set(true);
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let fixed = world.as_ref().is_none_or(|w| w.from_environment);
    let unchanged = world
        .as_ref()
        .is_some_and(|w| w.seed.to_string() == typed.trim());
    html! {
        <form class="field" id="sandbox-seed-form" novalidate=true onsubmit={onsubmit}>
            <label for="sandbox-seed">{ "Sandbox world seed" }</label>
            <div class="row">
                <input id="sandbox-seed" type="text" inputmode="numeric" value={(*typed).clone()}
                    disabled={fixed} oninput={oninput}
                    aria-invalid={error.is_some().to_string()} />
                <button type="submit" id="sandbox-seed-save" disabled={fixed || unchanged}>{ "Use this seed" }</button>
            </div>
            <p class="hint">
                { "The Sandbox network's failures and audience follow from this number: the same seed replays the same world. " }
                { "A new one changes what happens from now on; numbers already collected stay." }
            </p>
            if world.as_ref().is_some_and(|w| w.from_environment) {
                <p class="hint">{ "Set by REACHLOOP_SANDBOX_SEED for this run." }</p>
            }
            if *saved { <p class="ok" role="status">{ "Saved: the Sandbox uses this seed from now on." }</p> }
            if let Some(e) = &*error { <p class="error" role="alert">{ e }</p> }
        </form>
    }
}
