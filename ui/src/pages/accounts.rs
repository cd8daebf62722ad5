//! Accounts: connect, reconnect and disconnect social accounts, and see how
//! each one's sign-in stands.

use std::collections::BTreeSet;

use reachloop_ipc::{Account, AccountStatus, ConnectOutcome, PageChoice, PageSelection, Platform};
use yew::prelude::*;

use crate::components::account_name::AccountName;
use crate::services;
use crate::state::expires_in_label;

/// How often the list re-reads while the page is open, so "expires in"
/// stays current (changes come at once, with the core's events).
const REFRESH_MS: u32 = 30_000;

/// Platforms offered for connecting, in order.
const CONNECTABLE: [Platform; 5] = [
    Platform::X,
    Platform::Youtube,
    Platform::Facebook,
    Platform::Instagram,
    Platform::Tiktok,
];

#[function_component(AccountsPage)]
pub fn accounts_page() -> Html {
    let accounts = use_state(|| None::<Result<Vec<Account>, String>>);
    // The platform being connected while the user is in the browser.
    let connecting = use_state(|| None::<Platform>);
    let error = use_state(|| None::<String>);
    // The platform whose developer app is not set up yet: the error links
    // to its form in Settings.
    let needs_app = use_state(|| None::<Platform>);
    let nav = use_context::<crate::components::problem::Navigate>();
    let reload = use_state(|| 0u32);
    // A Facebook sign-in waiting for the user to pick Pages.
    let choosing = use_state(|| None::<PendingChoice>);

    {
        let accounts = accounts.clone();
        let ticks = crate::events::use_event_ticks(&[reachloop_ipc::events::ACCOUNTS_CHANGED]);
        use_effect_with((*reload, ticks), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                accounts.set(Some(services::list_accounts().await.map_err(|e| e.message)));
            });
        });
    }

    // Keep statuses and "expires in" current while the page is open: the
    // background refresher and the clock change them.
    {
        let accounts = accounts.clone();
        use_effect_with((), move |_| {
            let interval = gloo_timers::callback::Interval::new(REFRESH_MS, move || {
                let accounts = accounts.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(list) = services::list_accounts().await {
                        accounts.set(Some(Ok(list)));
                    }
                });
            });
            move || drop(interval)
        });
    }

    let connect = {
        let (connecting, error, reload, choosing, needs_app) = (
            connecting.clone(),
            error.clone(),
            reload.clone(),
            choosing.clone(),
            needs_app.clone(),
        );
        Callback::from(move |platform: Platform| {
            let (connecting, error, reload, choosing, needs_app) = (
                connecting.clone(),
                error.clone(),
                reload.clone(),
                choosing.clone(),
                needs_app.clone(),
            );
            connecting.set(Some(platform));
            error.set(None);
            needs_app.set(None);
            choosing.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                let result = services::connect_account(platform.as_str()).await;
                connecting.set(None);
                match result {
                    Ok(ConnectOutcome::Connected { .. }) => reload.set(*reload + 1),
                    Ok(ConnectOutcome::ChoosePages {
                        grant,
                        user_name,
                        pages,
                    }) => choosing.set(Some(PendingChoice {
                        grant,
                        user_name,
                        pages,
                    })),
                    Err(e) if e.code == "cancelled" => {}
                    Err(e) => {
                        if e.code == "not_configured" {
                            needs_app.set(Some(platform));
                        }
                        error.set(Some(e.message))
                    }
                }
            });
        })
    };
    let cancel = Callback::from(|_| {
        wasm_bindgen_futures::spawn_local(async {
            let _ = services::cancel_connect().await;
        })
    });
    let disconnect = {
        let (accounts, error) = (accounts.clone(), error.clone());
        Callback::from(move |id: String| {
            let (accounts, error) = (accounts.clone(), error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match services::disconnect_account(&id).await {
                    Ok(list) => accounts.set(Some(Ok(list))),
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };

    let buttons = CONNECTABLE.iter().map(|&p| {
        let onclick = {
            let connect = connect.clone();
            Callback::from(move |_| connect.emit(p))
        };
        html! {
            <button id={format!("connect-{}", p.as_str())} class="secondary" disabled={connecting.is_some()} {onclick}>
                { format!("Connect {}", p.label()) }
            </button>
        }
    });

    let sandbox = {
        let (error, reload) = (error.clone(), reload.clone());
        Callback::from(move |_| {
            let (error, reload) = (error.clone(), reload.clone());
            wasm_bindgen_futures::spawn_local(async move {
                // The core names it: "Sandbox", then "Sandbox 2"...
                match services::connect_sandbox("").await {
                    Ok(_) => {
                        error.set(None);
                        reload.set(*reload + 1)
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };

    let renamed = {
        let reload = reload.clone();
        Callback::from(move |_: Account| reload.set(*reload + 1))
    };

    html! {
        <section class="page" id="page-accounts">
            <h1>{ "Accounts" }</h1>
            <div class="actions">
                { for buttons }
                <button id="connect-sandbox" class="secondary" onclick={sandbox}>{ "Connect Sandbox" }</button>
            </div>
            <p class="hint">{ "The Sandbox is Reachloop's built-in simulated network: no internet and no sign-in, for trying the whole loop in minutes." }</p>
            <p class="hint">{ "Instagram accounts linked to a Facebook Page can also be connected through Connect Facebook Pages." }</p>
            if let Some(p) = *connecting {
                <div class="notice" id="connect-waiting" role="status">
                    { format!("Waiting for you to approve Reachloop on {} in your browser…", p.label()) }
                    <button id="connect-cancel" class="link" onclick={cancel}>{ "Cancel" }</button>
                </div>
            }
            if let Some(e) = &*error {
                <p class="error" id="accounts-error" role="alert">
                    { e }
                    if let Some(p) = *needs_app {
                        { " " }
                        <button type="button" class="link" id="accounts-open-app-settings" onclick={{
                            let nav = nav.clone();
                            Callback::from(move |_| {
                                if let Some(crate::components::problem::Navigate(go)) = &nav {
                                    go.emit((crate::state::Page::Settings, Some(app_field(p))));
                                }
                            })
                        }}>{ format!("Open Settings → {} app", p.label()) }</button>
                    }
                </p>
            }
            if let Some(pending) = &*choosing {
                <PagePicker pending={pending.clone()} on_done={{
                    let (choosing, accounts) = (choosing.clone(), accounts.clone());
                    Callback::from(move |list: Option<Vec<Account>>| {
                        if let Some(list) = list {
                            accounts.set(Some(Ok(list)));
                        }
                        choosing.set(None);
                    })
                }} />
            }
            { account_table(&accounts, &connect, &disconnect, &renamed, connecting.is_some()) }
        </section>
    }
}

fn account_table(
    accounts: &Option<Result<Vec<Account>, String>>,
    connect: &Callback<Platform>,
    disconnect: &Callback<String>,
    renamed: &Callback<Account>,
    busy: bool,
) -> Html {
    let list = match accounts {
        None => return html! { <p class="muted">{ "Loading…" }</p> },
        Some(Err(e)) => return html! { <p class="error" role="alert">{ e }</p> },
        Some(Ok(list)) if list.is_empty() => {
            return html! { <p class="empty" id="accounts-empty">{ "No accounts yet. Connect one above." }</p> }
        }
        Some(Ok(list)) => list,
    };
    let now = js_sys::Date::now();
    html! {
        <table class="table" id="account-list">
            <thead><tr>
                <th>{ "Platform" }</th><th>{ "Account" }</th><th>{ "Status" }</th><th>{ "Token" }</th><th></th>
            </tr></thead>
            <tbody>
                { for list.iter().map(|a| {
                    let expiry = match (&a.token_expires_at, a.status) {
                        (_, AccountStatus::Disconnected) => "—".to_string(),
                        (Some(at), _) if a.renews_itself => {
                            format!("renews automatically (expires {})", expires_in_label(now, js_sys::Date::parse(at)))
                        }
                        (Some(at), _) => format!("expires {}", expires_in_label(now, js_sys::Date::parse(at))),
                        (None, _) => "does not expire".to_string(),
                    };
                    let action = match a.status {
                        AccountStatus::Connected | AccountStatus::Expiring => {
                            let id = a.id.clone();
                            let disconnect = disconnect.clone();
                            html! { <button class="link disconnect" onclick={Callback::from(move |_| disconnect.emit(id.clone()))}>{ "Disconnect" }</button> }
                        }
                        AccountStatus::NeedsAction | AccountStatus::Disconnected => {
                            let platform = a.platform;
                            let connect = connect.clone();
                            html! { <button class="link reconnect" disabled={busy} onclick={Callback::from(move |_| connect.emit(platform))}>{ "Reconnect" }</button> }
                        }
                    };
                    html! {
                        <tr key={a.id.clone()} class="account-item" data-id={a.id.clone()}>
                            <td>{ a.platform.label() }</td>
                            <td><AccountName account={a.clone()} on_renamed={renamed.clone()} /></td>
                            <td>
                                <span class={classes!("badge", "account-status", a.status.as_str())}>{ status_label(a.status) }</span>
                                if let Some(reason) = &a.status_reason { <br/><span class="muted">{ reason }</span> }
                            </td>
                            <td class="muted">{ expiry }</td>
                            <td>{ action }</td>
                        </tr>
                    }
                }) }
            </tbody>
        </table>
    }
}

/// The client id field of `p`'s developer app in Settings.
fn app_field(p: Platform) -> &'static str {
    match p {
        Platform::X => "app-x-client-id",
        Platform::Youtube => "app-youtube-client-id",
        Platform::Facebook => "app-facebook-client-id",
        Platform::Instagram => "app-instagram-client-id",
        Platform::Tiktok => "app-tiktok-client-id",
        Platform::Sandbox => "app-sandbox-client-id",
    }
}

fn status_label(s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Connected => "connected",
        AccountStatus::Expiring => "expiring soon",
        AccountStatus::NeedsAction => "needs action",
        AccountStatus::Disconnected => "disconnected",
    }
}

/// A Facebook sign-in's Pages, offered for picking.
#[derive(Clone, PartialEq)]
struct PendingChoice {
    grant: String,
    user_name: String,
    pages: Vec<PageChoice>,
}

#[derive(Properties, PartialEq)]
struct PickerProps {
    pending: PendingChoice,
    /// `Some(accounts)` once connected, `None` when the user gave up.
    on_done: Callback<Option<Vec<Account>>>,
}

/// Pick which Pages, and which Instagram accounts linked to them, to connect.
/// Pages the user may publish to start ticked.
#[function_component(PagePicker)]
fn page_picker(props: &PickerProps) -> Html {
    let pending = &props.pending;
    let pages = use_state(|| {
        pending
            .pages
            .iter()
            .filter(|p| p.can_publish)
            .map(|p| p.id.clone())
            .collect::<BTreeSet<String>>()
    });
    let instagram = use_state(BTreeSet::<String>::new);
    let error = use_state(|| None::<String>);
    let toggle = |set: &UseStateHandle<BTreeSet<String>>, id: String| {
        let set = set.clone();
        Callback::from(move |_| {
            let mut next = (*set).clone();
            if !next.remove(&id) {
                next.insert(id.clone());
            }
            set.set(next);
        })
    };
    let onsubmit = {
        let (pages, instagram, error, on_done) = (
            pages.clone(),
            instagram.clone(),
            error.clone(),
            props.on_done.clone(),
        );
        let grant = pending.grant.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let selection = PageSelection {
                grant: grant.clone(),
                pages: pages.iter().cloned().collect(),
                instagram: instagram.iter().cloned().collect(),
            };
            let (error, on_done) = (error.clone(), on_done.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match services::connect_pages(&selection).await {
                    Ok(list) => on_done.emit(Some(list)),
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let cancel = {
        let on_done = props.on_done.clone();
        Callback::from(move |_| on_done.emit(None))
    };
    html! {
        <form class="card page-picker" id="page-picker" {onsubmit}>
            <h2>{ format!("Pick what to connect for {}", pending.user_name) }</h2>
            if pending.pages.is_empty() {
                <p class="empty">{ "This Facebook account manages no Pages Reachloop was allowed to see. Reconnect and tick the Pages in Facebook's dialog." }</p>
            }
            <ul class="choices">
                { for pending.pages.iter().map(|p| {
                    let page_id = format!("pick-page-{}", p.id);
                    html! {
                        <li key={p.id.clone()}>
                            <label for={page_id.clone()}>
                                <input type="checkbox" id={page_id} checked={pages.contains(&p.id)}
                                    onchange={toggle(&pages, p.id.clone())} />
                                { format!(" {} (Facebook Page)", p.name) }
                            </label>
                            if !p.can_publish {
                                <span class="muted">{ " — you cannot create posts on this Page" }</span>
                            }
                            if let Some(ig) = &p.instagram {
                                <br/>
                                <label for={format!("pick-ig-{}", ig.id)} class="nested">
                                    <input type="checkbox" id={format!("pick-ig-{}", ig.id)} checked={instagram.contains(&ig.id)}
                                        onchange={toggle(&instagram, ig.id.clone())} />
                                    { format!(" @{} (Instagram, through this Page)", ig.username) }
                                </label>
                            }
                        </li>
                    }
                }) }
            </ul>
            if let Some(e) = &*error { <p class="error" role="alert">{ e }</p> }
            <div class="actions">
                <button type="submit" class="primary" id="pick-connect" disabled={pages.is_empty() && instagram.is_empty()}>{ "Connect selected" }</button>
                <button type="button" class="link" id="pick-cancel" onclick={cancel}>{ "Cancel" }</button>
            </div>
        </form>
    }
}
