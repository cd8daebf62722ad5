-- OAuth: pending authorizations and token bookkeeping on accounts.

-- One row per authorization the user started. `state` is random and
-- single-use; the PKCE verifier is sealed with the data key (owner: the state).
CREATE TABLE oauth_sessions (
    state         TEXT PRIMARY KEY,
    provider_id   TEXT NOT NULL REFERENCES providers (id) ON DELETE RESTRICT,
    redirect_uri  TEXT NOT NULL,
    verifier_enc  BLOB NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    consumed_at   TEXT
);

CREATE INDEX oauth_sessions_by_expiry ON oauth_sessions (expires_at);

ALTER TABLE social_accounts ADD COLUMN refresh_expires_at TEXT;
ALTER TABLE social_accounts ADD COLUMN last_refreshed_at TEXT;
-- Why the account needs action (e.g. the grant was revoked), for the UI.
ALTER TABLE social_accounts ADD COLUMN status_reason TEXT;
-- When the background refresher should next renew the access token, and how
-- many refreshes in a row failed for transient reasons (for backoff).
ALTER TABLE social_accounts ADD COLUMN next_refresh_at TEXT;
ALTER TABLE social_accounts ADD COLUMN refresh_failures INTEGER NOT NULL DEFAULT 0 CHECK (refresh_failures >= 0);

CREATE INDEX social_accounts_refresh_due ON social_accounts (status, next_refresh_at);
