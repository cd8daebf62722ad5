//! Accounts as the user names them: the Sandbox's (connected by name, no
//! sign-in) and a name of the user's own for any account, never one that
//! another account of the same platform already has.

use chrono::{DateTime, Utc};
use reachloop_ipc::{Account, AccountStatus, Platform};

use super::publishing::problem;
use super::App;
use crate::store::{Actor, ConnectedAccount};
use crate::Error;

/// The longest name an account may be given.
const MOST_CHARS: usize = 60;

/// `raw` as a name: one visible line of at most 60 characters.
fn checked_name(raw: &str, what: &str) -> Result<String, Error> {
    let name = crate::text::clean_name(raw).map_err(|_| {
        problem(
            "name",
            "invalid",
            format!("Give {what} a visible one-line name."),
        )
    })?;
    if name.chars().count() > MOST_CHARS {
        return Err(problem(
            "name",
            "too_long",
            format!("A name has at most {MOST_CHARS} characters."),
        ));
    }
    Ok(name)
}

/// The account of `accounts` on `platform` (other than `except`, and
/// still connected or waiting for sign-in) already called `name` or
/// `@handle`, ignoring case.
fn namesake<'a>(
    accounts: &'a [Account],
    platform: Platform,
    name: &str,
    except: Option<&str>,
) -> Option<&'a Account> {
    let name = name.to_lowercase();
    let handle = format!("@{}", name.replace(char::is_whitespace, "_"));
    accounts.iter().find(|a| {
        a.platform == platform
            && Some(a.id.as_str()) != except
            && a.status != AccountStatus::Disconnected
            && (a.name.to_lowercase() == name || a.handle.to_lowercase() == handle)
    })
}

fn taken(a: &Account, name: &str) -> Error {
    problem(
        "name",
        "taken",
        format!(
            "Your {} account {} is already called \"{}\"; give this one another name so the two can be told apart.",
            a.platform.label(),
            a.handle,
            if a.name.to_lowercase() == name.to_lowercase() {
                crate::text::echo(&a.name, 60)
            } else {
                crate::text::echo(name, 60)
            }
        ),
    )
}

impl App {
    /// Connects a Sandbox account: Reachloop's simulated network, with no
    /// internet and no sign-in. Without a name, the first free one of
    /// "Sandbox", "Sandbox 2"...; a name another Sandbox account has is
    /// refused.
    pub async fn connect_sandbox(&self, now: DateTime<Utc>, name: &str) -> Result<Account, Error> {
        let name = match name.trim() {
            "" => self.free_sandbox_name().await?,
            given => checked_name(given, "the Sandbox account")?,
        };
        let accounts = self.store().list_accounts().await?;
        if let Some(a) = namesake(&accounts, Platform::Sandbox, &name, None) {
            return Err(taken(a, &name));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let handle = format!("@{}", name.to_lowercase().replace(char::is_whitespace, "_"));
        Ok(self
            .store()
            .save_connected_account(
                now,
                &ConnectedAccount {
                    id: &id,
                    platform: Platform::Sandbox,
                    external_id: &id,
                    handle: &handle,
                    display_name: &name,
                    scopes: "",
                    // The Sandbox needs no token.
                    access_token_enc: &[],
                    refresh_token_enc: None,
                    token_expires_at: None,
                    refresh_expires_at: None,
                    next_refresh_at: None,
                    auth_flavor: None,
                    grant: None,
                },
            )
            .await?)
    }

    /// A name for the Sandbox account not yet taken: "Sandbox", then
    /// "Sandbox 2", "Sandbox 3"...
    pub async fn free_sandbox_name(&self) -> Result<String, Error> {
        let accounts = self.store().list_accounts().await?;
        Ok((1..)
            .map(|n| match n {
                1 => "Sandbox".to_string(),
                n => format!("Sandbox {n}"),
            })
            .find(|n| namesake(&accounts, Platform::Sandbox, n, None).is_none())
            .unwrap_or_else(|| "Sandbox".into()))
    }

    /// Gives account `id` the user's own `name` (empty: the platform's
    /// display name again). Refused when another account of its platform
    /// has that name.
    pub async fn rename_account(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        id: &str,
        name: &str,
    ) -> Result<Account, Error> {
        let accounts = self.store().list_accounts().await?;
        let account = accounts
            .iter()
            .find(|a| a.id == id)
            .ok_or(crate::store::StoreError::NotFound)?;
        if name.trim().is_empty() {
            return Ok(self.store().rename_account(now, actor, id, None).await?);
        }
        let name = checked_name(name, "the account")?;
        if let Some(a) = namesake(&accounts, account.platform, &name, Some(id)) {
            return Err(taken(a, &name));
        }
        Ok(self
            .store()
            .rename_account(now, actor, id, Some(&name))
            .await?)
    }
}
