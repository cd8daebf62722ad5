-- Meta (Facebook Pages, Instagram): how an account was signed in, and the
-- Facebook user grant a Page token came from.

-- NULL for platforms with one way in; for Instagram 'facebook_login' (an
-- Instagram professional account reached through its linked Facebook Page,
-- Graph API at graph.facebook.com) or 'instagram_login' (Business Login for
-- Instagram, graph.instagram.com, a 60-day token renewed with ig_refresh_token);
-- for Facebook Pages 'facebook_login'.
ALTER TABLE social_accounts ADD COLUMN auth_flavor TEXT
    CHECK (auth_flavor IS NULL OR auth_flavor IN ('facebook_login', 'instagram_login'));
-- The Facebook user whose sign-in issued this account's Page token, and that
-- user's long-lived token (60 days), sealed with the data key (owner
-- `account:<id>:grant`). Several Pages share one grant; revoking it
-- disconnects them all, so it is revoked only with the last of them.
ALTER TABLE social_accounts ADD COLUMN grant_subject TEXT;
ALTER TABLE social_accounts ADD COLUMN grant_token_enc BLOB;
ALTER TABLE social_accounts ADD COLUMN grant_expires_at TEXT;

CREATE INDEX social_accounts_by_grant ON social_accounts (grant_subject);
