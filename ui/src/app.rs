//! The root component: navigation and the current page.

use yew::prelude::*;

use crate::components::problem::Navigate;
use crate::pages;
use crate::services;
use crate::state::Page;

#[function_component(App)]
pub fn app() -> Html {
    let page = use_state(|| Page::Campaigns);

    // Tell the shell the first screen is up, once.
    use_effect_with((), |_| {
        wasm_bindgen_futures::spawn_local(async {
            let _ = services::ui_ready().await;
        });
    });

    let nav = Page::ALL.iter().map(|&p| {
        let onclick = {
            let page = page.clone();
            Callback::from(move |_| page.set(p))
        };
        let current = *page == p;
        html! {
            <li>
                <button id={p.id()} class={classes!("nav-item", current.then_some("current"))}
                    aria-current={current.then_some("page")} {onclick}>
                    { p.label() }
                </button>
            </li>
        }
    });

    let navigate = {
        let page = page.clone();
        Navigate(Callback::from(move |p: Page| page.set(p)))
    };

    html! {
        <ContextProvider<Navigate> context={navigate}>
        <div class="shell">
            <nav class="sidebar" aria-label="Main">
                <div class="brand">{ "Reachloop" }</div>
                <ul>{ for nav }</ul>
            </nav>
            <main class="content">
                {
                    match *page {
                        Page::Accounts => html! { <pages::accounts::AccountsPage /> },
                        Page::Campaigns => html! { <pages::campaigns::CampaignsPage /> },
                        Page::Activity => html! { <pages::activity::ActivityPage /> },
                        Page::Settings => html! { <pages::settings::SettingsPage /> },
                        other => html! { <pages::upcoming::Upcoming page={other} /> },
                    }
                }
            </main>
        </div>
        </ContextProvider<Navigate>>
    }
}
