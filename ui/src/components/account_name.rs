//! An account's name in the Accounts table, renamed in place: Rename opens
//! a field with the name (Enter saves, Escape gives up); a refused name
//! stays as typed with the reason under it.

use reachloop_ipc::Account;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::services;

#[derive(Properties, PartialEq)]
pub struct AccountNameProps {
    pub account: Account,
    /// The account as renamed.
    pub on_renamed: Callback<Account>,
}

#[function_component(AccountName)]
pub fn account_name(p: &AccountNameProps) -> Html {
    let a = &p.account;
    let editing = use_state(|| None::<String>);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let field = use_node_ref();
    {
        // The field takes the keyboard when it opens.
        let field = field.clone();
        use_effect_with(editing.is_some(), move |open| {
            if *open {
                if let Some(input) = field.cast::<HtmlInputElement>() {
                    let _ = input.focus();
                    input.select();
                }
            }
        });
    }
    let open = {
        let (editing, error, name) = (editing.clone(), error.clone(), a.name.clone());
        Callback::from(move |_: MouseEvent| {
            error.set(None);
            editing.set(Some(name.clone()));
        })
    };
    let cancel = {
        let (editing, error) = (editing.clone(), error.clone());
        Callback::from(move |_: ()| {
            error.set(None);
            editing.set(None);
        })
    };
    let save = {
        let (editing, error, busy, on_renamed, id) = (
            editing.clone(),
            error.clone(),
            busy.clone(),
            p.on_renamed.clone(),
            a.id.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(name) = (*editing).clone() else {
                return;
            };
            let (editing, error, busy, on_renamed, id) = (
                editing.clone(),
                error.clone(),
                busy.clone(),
                on_renamed.clone(),
                id.clone(),
            );
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                match services::rename_account(&id, &name).await {
                    Ok(account) => {
                        error.set(None);
                        editing.set(None);
                        on_renamed.emit(account);
                    }
                    Err(e) => error.set(Some(
                        e.fields
                            .first()
                            .map(|f| f.message.clone())
                            .unwrap_or(e.message),
                    )),
                }
                busy.set(false);
            });
        })
    };
    let Some(typed) = (*editing).clone() else {
        return html! {
            <>
                <span class="account-name">{ &a.name }</span>
                <button type="button" class="link account-rename" aria-label={format!("Rename {}", a.name)} onclick={open}>{ "Rename" }</button>
                <br/><span class="muted account-handle">{ &a.handle }</span>
            </>
        };
    };
    let oninput = {
        let editing = editing.clone();
        Callback::from(move |e: InputEvent| {
            editing.set(Some(e.target_unchecked_into::<HtmlInputElement>().value()))
        })
    };
    let onkeydown = {
        let cancel = cancel.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.prevent_default();
                cancel.emit(());
            }
        })
    };
    let error_id = format!("account-name-error-{}", a.id);
    html! {
        <form class="account-rename-form row" onsubmit={save} novalidate=true>
            <label class="visually-hidden" for={format!("account-name-{}", a.id)}>{ "Name" }</label>
            <input type="text" id={format!("account-name-{}", a.id)} class="account-name-field" ref={field}
                value={typed} {oninput} {onkeydown} maxlength="80" autocomplete="off"
                aria-invalid={error.is_some().to_string()} aria-describedby={error_id.clone()} />
            <button type="submit" class="secondary account-name-save" disabled={*busy}>{ "Save" }</button>
            <button type="button" class="link" onclick={move |_| cancel.emit(())}>{ "Cancel" }</button>
            if let Some(e) = &*error { <p class="field-error" id={error_id} role="alert">{ e }</p> }
            <span class="muted account-handle">{ &a.handle }</span>
        </form>
    }
}
