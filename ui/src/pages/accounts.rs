//! Accounts: connect, reconnect and disconnect social accounts, and see how
//! each one's sign-in stands.

use reachloop_ipc::{Account, AccountStatus, Platform};
use yew::prelude::*;

use crate::services;
use crate::state::expires_in_label;

/// How often the list re-reads while the page is open.
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
    let reload = use_state(|| 0u32);

    {
        let accounts = accounts.clone();
        use_effect_with(*reload, move |_| {
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
        let (connecting, error, reload) = (connecting.clone(), error.clone(), reload.clone());
        Callback::from(move |platform: Platform| {
            let (connecting, error, reload) = (connecting.clone(), error.clone(), reload.clone());
            connecting.set(Some(platform));
            error.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                let result = services::connect_account(platform.as_str()).await;
                connecting.set(None);
                match result {
                    Ok(_) => reload.set(*reload + 1),
                    Err(e) if e.code == "cancelled" => {}
                    Err(e) => error.set(Some(e.message)),
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

    html! {
        <section class="page" id="page-accounts">
            <h1>{ "Accounts" }</h1>
            <div class="actions">{ for buttons }</div>
            if let Some(p) = *connecting {
                <div class="notice" id="connect-waiting" role="status">
                    { format!("Waiting for you to approve Reachloop on {} in your browser…", p.label()) }
                    <button id="connect-cancel" class="link" onclick={cancel}>{ "Cancel" }</button>
                </div>
            }
            if let Some(e) = &*error { <p class="error" id="accounts-error" role="alert">{ e }</p> }
            { account_table(&accounts, &connect, &disconnect, connecting.is_some()) }
        </section>
    }
}

fn account_table(
    accounts: &Option<Result<Vec<Account>, String>>,
    connect: &Callback<Platform>,
    disconnect: &Callback<String>,
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
                        (Some(at), _) if a.has_refresh_token => {
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
                            <td><span class="account-handle">{ &a.handle }</span><br/><span class="muted">{ &a.display_name }</span></td>
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

fn status_label(s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Connected => "connected",
        AccountStatus::Expiring => "expiring soon",
        AccountStatus::NeedsAction => "needs action",
        AccountStatus::Disconnected => "disconnected",
    }
}
