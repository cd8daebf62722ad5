//! The root component: navigation and the current page.

use yew::prelude::*;

use crate::components::problem::{Navigate, Unsaved};
use crate::pages;
use crate::services;
use crate::state::Page;

#[function_component(App)]
pub fn app() -> Html {
    // The page the window showed before it was closed to the tray.
    let page = use_state(|| crate::remember::page().unwrap_or(Page::Campaigns));
    use_effect_with(*page, |p| {
        // The Campaigns page says which campaign is open itself, and the
        // Calendar which view it shows.
        if *p != Page::Campaigns && *p != Page::Calendar {
            crate::remember::shown(p.id().to_string());
        }
    });
    // What leaving would drop: asked about in the app's own dialog (the
    // webview's window.confirm is not a synchronous question under Tauri).
    let pending_leave = use_state(|| None::<Callback<()>>);
    let unsaved = {
        let set = use_mut_ref(std::collections::BTreeSet::<String>::new);
        let pending = pending_leave.clone();
        Unsaved {
            set,
            ask: Callback::from(move |action: Callback<()>| pending.set(Some(action))),
        }
    };

    // Tell the shell the first screen is up, once.
    use_effect_with((), |_| {
        wasm_bindgen_futures::spawn_local(async {
            let _ = services::ui_ready().await;
        });
    });

    let nav = Page::ALL
        .iter()
        .map(|&p| {
            let onclick = {
                let (page, unsaved) = (page.clone(), unsaved.clone());
                Callback::from(move |_| {
                    if *page != p {
                        let page = page.clone();
                        unsaved.leave(Callback::from(move |_| page.set(p)));
                    }
                })
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
        })
        .collect::<Vec<Html>>();

    let navigate = {
        let (page, unsaved) = (page.clone(), unsaved.clone());
        Navigate(Callback::from(
            move |(p, focus): (Page, Option<&'static str>)| {
                let page = page.clone();
                unsaved.leave(Callback::from(move |_| {
                    page.set(p);
                    if let Some(id) = focus {
                        // The page draws first (after its data comes);
                        // then the field takes focus.
                        gloo_timers::callback::Timeout::new(50, move || {
                            crate::pages::campaigns::focus_when_shown(id)
                        })
                        .forget();
                    }
                }));
            },
        ))
    };

    html! {
        <ContextProvider<Navigate> context={navigate}>
        <ContextProvider<Unsaved> context={unsaved.clone()}>
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
                        Page::Calendar => html! { <pages::calendar::CalendarPage /> },
                        Page::Analytics => html! { <pages::analytics::AnalyticsPage /> },
                        Page::Optimizer => html! { <pages::optimizer::OptimizerPage /> },
                        Page::Settings => html! { <pages::settings::SettingsPage /> },
                    }
                }
            </main>
        </div>
        if let Some(action) = (*pending_leave).clone() {
            { leave_dialog(&unsaved, &pending_leave, action) }
        }
        </ContextProvider<Unsaved>>
        </ContextProvider<Navigate>>
    }
}

/// "Leave and lose them?": Stay keeps everything; Leave anyway runs the
/// action the user asked for.
fn leave_dialog(
    unsaved: &Unsaved,
    pending: &UseStateHandle<Option<Callback<()>>>,
    action: Callback<()>,
) -> Html {
    let n = unsaved.set.borrow().len();
    let stay = {
        let pending = pending.clone();
        Callback::from(move |_| pending.set(None))
    };
    let leave = {
        let (pending, set) = (pending.clone(), unsaved.set.clone());
        Callback::from(move |_| {
            set.borrow_mut().clear();
            pending.set(None);
            action.emit(());
        })
    };
    let onkeydown = {
        let pending = pending.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                pending.set(None);
            }
        })
    };
    html! {
        <div class="modal-backdrop">
            <div class="modal card" role="alertdialog" aria-modal="true" aria-labelledby="leave-question" {onkeydown}>
                <p id="leave-question">{ crate::state::leave_question(n) }</p>
                <div class="actions">
                    <button class="primary" id="leave-stay" onclick={stay} autofocus=true>{ "Stay" }</button>
                    <button class="secondary danger" id="leave-anyway" onclick={leave}>{ "Leave anyway" }</button>
                </div>
            </div>
        </div>
    }
}
