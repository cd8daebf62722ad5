//! The first screen's "what to do first", shown until a campaign exists.

use yew::prelude::*;

use super::problem::Navigate;
use crate::state::Page;

#[function_component(GettingStarted)]
pub fn getting_started() -> Html {
    let nav = use_context::<Navigate>();
    let go = |page: Page| {
        let nav = nav.clone();
        Callback::from(move |_| {
            if let Some(Navigate(go)) = &nav {
                go.emit((
                    page,
                    if page == Page::Settings {
                        Some("ai-base-url")
                    } else {
                        None
                    },
                ));
            }
        })
    };
    html! {
        <section class="card getting-started" id="getting-started" aria-label="Getting started">
            <h2>{ "Welcome to Reachloop" }</h2>
            <p class="hint">{ "Three steps to your first posts:" }</p>
            <ol>
                <li>
                    { "Create a draft campaign below: what to say, where, and what counts as success." }
                </li>
                <li>
                    { "Get post variants: " }
                    <button type="button" class="link" id="start-ai" onclick={go(Page::Settings)}>{ "set up an AI endpoint" }</button>
                    { " (Ollama on this computer works), or write them by hand in the campaign." }
                </li>
                <li>
                    <button type="button" class="link" id="start-accounts" onclick={go(Page::Accounts)}>{ "Connect the accounts" }</button>
                    { " you will post to, or the built-in Sandbox (no sign-in) to try the whole loop first." }
                </li>
            </ol>
        </section>
    }
}
