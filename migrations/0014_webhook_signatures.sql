-- Webhook signatures already accepted, so a replay is refused even after a
-- restart: keyed on the decoded signature (lower-case hex), whatever case
-- or encoding the header wrote it in. Each is kept until it could no
-- longer be replayed (TikTok's: until it is stale; X's and Meta's, which
-- carry no timestamp: 48 hours); expired rows are deleted as new ones come.
CREATE TABLE webhook_signatures (
    route       TEXT NOT NULL,      -- 'x', 'meta' or 'tiktok'
    signature   TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    PRIMARY KEY (route, signature)
) WITHOUT ROWID;
CREATE INDEX webhook_signatures_by_expiry ON webhook_signatures (expires_at);
