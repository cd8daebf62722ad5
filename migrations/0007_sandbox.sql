-- The Sandbox: Reachloop's built-in simulated network. What it "published"
-- lives here, so it can be asked afterwards (like a real platform's list of
-- recent posts) whether a post exists.
CREATE TABLE sandbox_posts (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES social_accounts (id) ON DELETE CASCADE,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE INDEX sandbox_posts_by_account ON sandbox_posts (account_id, created_at);
