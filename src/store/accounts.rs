//! Social accounts and pending OAuth authorizations.

use chrono::{DateTime, Utc};
use reachloop_ipc::{Account, AccountStatus, Platform};
use serde_json::json;

use super::{audit, Actor, AuditRecord, Store, StoreError};
use crate::time;

/// An account's sealed (access, refresh) tokens.
pub type SealedTokens = (Option<Vec<u8>>, Option<Vec<u8>>);

/// A started authorization, as stored.
#[derive(Debug, Clone)]
pub struct OAuthSession {
    pub state: String,
    pub platform: Platform,
    pub redirect_uri: String,
    pub verifier_enc: Vec<u8>,
    pub expires_at: DateTime<Utc>,
}

/// What taking a `state` found. Taking always consumes: a state is single-use
/// whatever the outcome.
#[derive(Debug)]
pub enum TakenSession {
    Fresh(OAuthSession),
    Expired(OAuthSession),
    AlreadyUsed,
    Unknown,
}

/// An account with fresh tokens, sealed by the caller.
#[derive(Debug, Clone)]
pub struct ConnectedAccount<'a> {
    pub id: &'a str,
    pub platform: Platform,
    pub external_id: &'a str,
    pub handle: &'a str,
    pub display_name: &'a str,
    pub scopes: &'a str,
    pub access_token_enc: &'a [u8],
    /// `None` keeps a refresh token already stored: an empty refresh token in
    /// a response never overwrites a good one.
    pub refresh_token_enc: Option<&'a [u8]>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub refresh_expires_at: Option<DateTime<Utc>>,
    /// When the background refresher should renew the token.
    pub next_refresh_at: Option<DateTime<Utc>>,
    /// How a Meta account was signed in (`facebook_login`, `instagram_login`).
    pub auth_flavor: Option<&'a str>,
    /// The Facebook user grant a Page token came from.
    pub grant: Option<Grant<'a>>,
}

/// A Facebook user's sign-in that Page tokens were issued from.
#[derive(Debug, Clone)]
pub struct Grant<'a> {
    /// The Facebook user id.
    pub subject: &'a str,
    /// The long-lived user token, sealed (owner `account:<id>:grant`).
    pub token_enc: &'a [u8],
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    provider_id: String,
    redirect_uri: String,
    verifier_enc: Vec<u8>,
    expires_at: String,
    consumed_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: String,
    provider_id: String,
    external_id: String,
    handle: String,
    display_name: String,
    label: Option<String>,
    status: String,
    status_reason: Option<String>,
    token_expires_at: Option<String>,
    has_refresh: i64,
    created_at: String,
}

const ACCOUNT_SELECT: &str =
    "SELECT id, provider_id, external_id, handle, display_name, label, status, status_reason,
        token_expires_at,
        refresh_token_enc IS NOT NULL
            OR (auth_flavor = 'instagram_login' AND access_token_enc IS NOT NULL) AS has_refresh,
        created_at
    FROM social_accounts";

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;

    fn try_from(r: AccountRow) -> Result<Account, StoreError> {
        let corrupt =
            |what: &str, v: &str| StoreError::Corrupt(format!("account {}: {what} {v:?}", r.id));
        Ok(Account {
            platform: Platform::parse(&r.provider_id)
                .ok_or_else(|| corrupt("platform", &r.provider_id))?,
            status: AccountStatus::parse(&r.status).ok_or_else(|| corrupt("status", &r.status))?,
            id: r.id,
            external_id: r.external_id,
            name: r.label.filter(|l| !l.is_empty()).unwrap_or_else(|| {
                match r.display_name.is_empty() {
                    true => r.handle.clone(),
                    false => r.display_name.clone(),
                }
            }),
            handle: r.handle,
            display_name: r.display_name,
            status_reason: r.status_reason,
            token_expires_at: r.token_expires_at,
            renews_itself: r.has_refresh != 0,
            connected_at: r.created_at,
        })
    }
}

/// How a `state` is kept: its SHA-256, so the database never holds a value
/// that would let someone answer a sign-in in progress.
fn state_key(state: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(state.as_bytes()))
}

impl Store {
    /// Remembers a started authorization.
    pub async fn insert_oauth_session(
        &self,
        now: DateTime<Utc>,
        session: &OAuthSession,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO oauth_sessions (state, provider_id, redirect_uri, verifier_enc, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(state_key(&session.state))
        .bind(session.platform.as_str())
        .bind(&session.redirect_uri)
        .bind(&session.verifier_enc)
        .bind(time::to_db(now))
        .bind(time::to_db(session.expires_at))
        .execute(&mut *tx)
        .await?;
        let details =
            json!({ "platform": session.platform.as_str(), "redirect_uri": session.redirect_uri });
        let record = AuditRecord {
            actor: Actor::User,
            action: "oauth.started",
            entity_type: "account",
            entity_id: None,
            details,
        };
        audit::record(&mut tx, now, &record).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether `state` names a started sign-in that is neither used nor
    /// expired. Reads nothing secret, so a stray link needs no keychain.
    pub async fn oauth_session_pending(
        &self,
        now: DateTime<Utc>,
        state: &str,
    ) -> Result<bool, StoreError> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT expires_at FROM oauth_sessions WHERE state = ? AND consumed_at IS NULL",
        )
        .bind(state_key(state))
        .fetch_optional(&self.pool)
        .await?;
        Ok(found
            .and_then(|e| time::from_db(&e).ok())
            .is_some_and(|expires| expires > now))
    }

    /// Looks up and consumes `state` in one transaction.
    pub async fn take_oauth_session(
        &self,
        now: DateTime<Utc>,
        state: &str,
    ) -> Result<TakenSession, StoreError> {
        let mut tx = self.write_tx().await?;
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT provider_id, redirect_uri, verifier_enc, expires_at, consumed_at
             FROM oauth_sessions WHERE state = ?",
        )
        .bind(state_key(state))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(TakenSession::Unknown);
        };
        if row.consumed_at.is_some() {
            return Ok(TakenSession::AlreadyUsed);
        }
        let consumed = sqlx::query(
            "UPDATE oauth_sessions SET consumed_at = ? WHERE state = ? AND consumed_at IS NULL",
        )
        .bind(time::to_db(now))
        .bind(state_key(state))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if consumed != 1 {
            // Another answer with the same state consumed it first.
            return Ok(TakenSession::AlreadyUsed);
        }
        tx.commit().await?;
        let session = OAuthSession {
            platform: Platform::parse(&row.provider_id).ok_or_else(|| {
                StoreError::Corrupt(format!("oauth session platform {:?}", row.provider_id))
            })?,
            expires_at: time::from_db(&row.expires_at)
                .map_err(|e| StoreError::Corrupt(format!("oauth session expiry: {e}")))?,
            state: state.to_string(),
            redirect_uri: row.redirect_uri,
            verifier_enc: row.verifier_enc,
        };
        Ok(if session.expires_at <= now {
            TakenSession::Expired(session)
        } else {
            TakenSession::Fresh(session)
        })
    }

    /// The id of the account `external_id` on `platform`, if it was ever connected.
    pub async fn account_id_for(
        &self,
        platform: Platform,
        external_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM social_accounts WHERE provider_id = ? AND external_id = ?",
        )
        .bind(platform.as_str())
        .bind(external_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Stores a newly connected or reconnected account with its sealed tokens.
    pub async fn save_connected_account(
        &self,
        now: DateTime<Utc>,
        account: &ConnectedAccount<'_>,
    ) -> Result<Account, StoreError> {
        let mut tx = self.write_tx().await?;
        let existed: bool =
            sqlx::query_scalar("SELECT count(*) > 0 FROM social_accounts WHERE id = ?")
                .bind(account.id)
                .fetch_one(&mut *tx)
                .await?;
        let at = time::to_db(now);
        sqlx::query(
            "INSERT INTO social_accounts (id, provider_id, external_id, handle, display_name, status, scopes,
                 access_token_enc, refresh_token_enc, token_expires_at, refresh_expires_at, next_refresh_at,
                 auth_flavor, grant_subject, grant_token_enc, grant_expires_at, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, 'connected', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET
                 handle = excluded.handle,
                 display_name = excluded.display_name,
                 status = 'connected',
                 status_reason = NULL,
                 scopes = excluded.scopes,
                 access_token_enc = excluded.access_token_enc,
                 refresh_token_enc = COALESCE(excluded.refresh_token_enc, social_accounts.refresh_token_enc),
                 token_expires_at = excluded.token_expires_at,
                 refresh_expires_at = COALESCE(excluded.refresh_expires_at, social_accounts.refresh_expires_at),
                 next_refresh_at = excluded.next_refresh_at,
                 refresh_failures = 0,
                 auth_flavor = excluded.auth_flavor,
                 grant_subject = excluded.grant_subject,
                 grant_token_enc = excluded.grant_token_enc,
                 grant_expires_at = excluded.grant_expires_at,
                 updated_at = excluded.updated_at",
        )
        .bind(account.id)
        .bind(account.platform.as_str())
        .bind(account.external_id)
        .bind(account.handle)
        .bind(account.display_name)
        .bind(account.scopes)
        .bind(account.access_token_enc)
        .bind(account.refresh_token_enc)
        .bind(account.token_expires_at.map(time::to_db))
        .bind(account.refresh_expires_at.map(time::to_db))
        .bind(account.next_refresh_at.map(time::to_db))
        .bind(account.auth_flavor)
        .bind(account.grant.as_ref().map(|g| g.subject))
        .bind(account.grant.as_ref().map(|g| g.token_enc))
        .bind(account.grant.as_ref().and_then(|g| g.expires_at).map(time::to_db))
        .bind(&at)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        let action = if existed {
            "account.reconnected"
        } else {
            "account.connected"
        };
        let details = json!({ "platform": account.platform.as_str(), "handle": account.handle });
        let record = AuditRecord {
            actor: Actor::User,
            action,
            entity_type: "account",
            entity_id: Some(account.id),
            details,
        };
        audit::record(&mut tx, now, &record).await?;
        let saved = account_by_id(&mut tx, account.id).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Gives account `id` the user's `name` (`None`: the platform's
    /// display name again); the account as it is now.
    pub async fn rename_account(
        &self,
        now: DateTime<Utc>,
        actor: Actor,
        id: &str,
        name: Option<&str>,
    ) -> Result<Account, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE social_accounts SET label = ?, updated_at = ? WHERE id = ?")
            .bind(name)
            .bind(time::to_db(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let record = AuditRecord {
            actor,
            action: "account.renamed",
            entity_type: "account",
            entity_id: Some(id),
            details: json!({ "name": name }),
        };
        audit::record(&mut tx, now, &record).await?;
        let saved = account_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Every account ever connected, by platform then handle.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        let rows: Vec<AccountRow> = sqlx::query_as(&format!(
            "{ACCOUNT_SELECT} ORDER BY provider_id, handle, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Account::try_from).collect()
    }

    /// The sealed tokens of an account: (access, refresh).
    pub async fn sealed_tokens(&self, account_id: &str) -> Result<SealedTokens, StoreError> {
        let row: Option<SealedTokens> = sqlx::query_as(
            "SELECT access_token_enc, refresh_token_enc FROM social_accounts WHERE id = ?",
        )
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.unwrap_or((None, None)))
    }
}

async fn account_by_id(tx: &mut sqlx::SqliteConnection, id: &str) -> Result<Account, StoreError> {
    let row: AccountRow = sqlx::query_as(&format!("{ACCOUNT_SELECT} WHERE id = ?"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    row.try_into()
}

/// What the refresher needs of an account.
#[derive(Debug, Clone)]
pub struct RefreshTarget {
    pub id: String,
    pub platform: Platform,
    pub status: AccountStatus,
    pub refresh_token_enc: Option<Vec<u8>>,
    pub access_token_enc: Option<Vec<u8>>,
    pub refresh_failures: u32,
    pub auth_flavor: Option<String>,
    pub grant_subject: Option<String>,
    pub grant_token_enc: Option<Vec<u8>>,
}

#[derive(sqlx::FromRow)]
struct RefreshRow {
    id: String,
    provider_id: String,
    status: String,
    refresh_token_enc: Option<Vec<u8>>,
    access_token_enc: Option<Vec<u8>>,
    refresh_failures: i64,
    auth_flavor: Option<String>,
    grant_subject: Option<String>,
    grant_token_enc: Option<Vec<u8>>,
}

impl Store {
    pub async fn refresh_target(
        &self,
        account_id: &str,
    ) -> Result<Option<RefreshTarget>, StoreError> {
        let row: Option<RefreshRow> = sqlx::query_as(
            "SELECT id, provider_id, status, refresh_token_enc, access_token_enc, refresh_failures,
                 auth_flavor, grant_subject, grant_token_enc
             FROM social_accounts WHERE id = ?",
        )
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let corrupt =
            |what: &str, v: &str| StoreError::Corrupt(format!("account {}: {what} {v:?}", r.id));
        Ok(Some(RefreshTarget {
            platform: Platform::parse(&r.provider_id)
                .ok_or_else(|| corrupt("platform", &r.provider_id))?,
            status: AccountStatus::parse(&r.status).ok_or_else(|| corrupt("status", &r.status))?,
            refresh_failures: u32::try_from(r.refresh_failures).unwrap_or(u32::MAX),
            id: r.id,
            refresh_token_enc: r.refresh_token_enc,
            access_token_enc: r.access_token_enc,
            auth_flavor: r.auth_flavor,
            grant_subject: r.grant_subject,
            grant_token_enc: r.grant_token_enc,
        }))
    }

    /// Accounts whose token is due for renewal at `now`, soonest first.
    pub async fn accounts_due_for_refresh(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM social_accounts
             WHERE status IN ('connected', 'expiring')
               AND (refresh_token_enc IS NOT NULL OR auth_flavor = 'instagram_login')
               AND next_refresh_at IS NOT NULL AND next_refresh_at <= ?
             ORDER BY next_refresh_at",
        )
        .bind(time::to_db(now))
        .fetch_all(&self.pool)
        .await?)
    }

    /// When the next renewal is due, if one is scheduled.
    pub async fn next_refresh_at(&self, account_id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT next_refresh_at FROM social_accounts WHERE id = ?")
                .bind(account_id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    pub async fn set_next_refresh_at(
        &self,
        account_id: &str,
        at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE social_accounts SET next_refresh_at = ? WHERE id = ?")
            .bind(at.map(time::to_db))
            .bind(account_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores renewed tokens in one statement: a rotated refresh token is
    /// persisted together with the access token it came with, and `None`
    /// keeps the stored refresh token.
    pub async fn save_refreshed_tokens(
        &self,
        now: DateTime<Utc>,
        account_id: &str,
        access_token_enc: &[u8],
        refresh_token_enc: Option<&[u8]>,
        token_expires_at: Option<DateTime<Utc>>,
        next_refresh_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE social_accounts SET
                 access_token_enc = ?,
                 refresh_token_enc = COALESCE(?, refresh_token_enc),
                 token_expires_at = ?,
                 next_refresh_at = ?,
                 last_refreshed_at = ?,
                 refresh_failures = 0,
                 status = 'connected',
                 status_reason = NULL,
                 updated_at = ?
             WHERE id = ?",
        )
        .bind(access_token_enc)
        .bind(refresh_token_enc)
        .bind(token_expires_at.map(time::to_db))
        .bind(next_refresh_at.map(time::to_db))
        .bind(time::to_db(now))
        .bind(time::to_db(now))
        .bind(account_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Marks the account as needing the user (revoked grant). Returns whether
    /// this changed anything, so the user is told once, not at every attempt.
    pub async fn mark_needs_action(
        &self,
        now: DateTime<Utc>,
        account_id: &str,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE social_accounts SET status = 'needs_action', status_reason = ?, next_refresh_at = NULL, updated_at = ?
             WHERE id = ? AND status != 'needs_action' AND status != 'disconnected'",
        )
        .bind(reason)
        .bind(time::to_db(now))
        .bind(account_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if changed {
            let record = AuditRecord {
                actor: Actor::System,
                action: "account.needs_action",
                entity_type: "account",
                entity_id: Some(account_id),
                details: json!({ "reason": reason }),
            };
            audit::record(&mut tx, now, &record).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Records a transient refresh failure and when to try again. The account
    /// stays connected.
    pub async fn record_refresh_failure(
        &self,
        now: DateTime<Utc>,
        account_id: &str,
        reason: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE social_accounts SET refresh_failures = refresh_failures + 1, next_refresh_at = ?, updated_at = ?
             WHERE id = ?",
        )
        .bind(time::to_db(retry_at))
        .bind(time::to_db(now))
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
        let record = AuditRecord {
            actor: Actor::System,
            action: "account.refresh_failed",
            entity_type: "account",
            entity_id: Some(account_id),
            details: json!({ "reason": reason, "retry_at": time::to_db(retry_at) }),
        };
        audit::record(&mut tx, now, &record).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// Forgets an account's tokens and marks it disconnected; its row, posts
    /// and metrics stay.
    pub async fn mark_disconnected(
        &self,
        now: DateTime<Utc>,
        account_id: &str,
        revoked_at_platform: bool,
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE social_accounts SET status = 'disconnected', status_reason = ?, access_token_enc = NULL,
                 refresh_token_enc = NULL, token_expires_at = NULL, refresh_expires_at = NULL,
                 next_refresh_at = NULL, refresh_failures = 0, grant_token_enc = NULL,
                 grant_expires_at = NULL, updated_at = ?
             WHERE id = ?",
        )
        .bind(note)
        .bind(time::to_db(now))
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
        let record = AuditRecord {
            actor: Actor::User,
            action: "account.disconnected",
            entity_type: "account",
            entity_id: Some(account_id),
            details: json!({ "revoked_at_platform": revoked_at_platform, "note": note }),
        };
        audit::record(&mut tx, now, &record).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether an account other than `except_id` still holds a token from
    /// the Facebook user grant `subject`.
    pub async fn grant_in_use(&self, subject: &str, except_id: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT count(*) > 0 FROM social_accounts
             WHERE grant_subject = ? AND id <> ? AND grant_token_enc IS NOT NULL",
        )
        .bind(subject)
        .bind(except_id)
        .fetch_one(&self.pool)
        .await?)
    }
}

impl Store {
    /// An account's id on its platform, its status and sealed access token,
    /// as publishing needs them.
    pub async fn publishing_identity(
        &self,
        account_id: &str,
    ) -> Result<Option<(String, String, Option<Vec<u8>>)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT external_id, status, access_token_enc FROM social_accounts WHERE id = ?",
        )
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}
