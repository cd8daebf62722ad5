-- Scheduling and publishing (issue 9).
--
-- A schedule belongs to a campaign, a platform and one account, and may
-- leave the variant choice to the optimizer (round-robin until it exists).
ALTER TABLE schedules ADD COLUMN provider_id TEXT REFERENCES providers (id) ON DELETE RESTRICT;
ALTER TABLE schedules ADD COLUMN account_id TEXT REFERENCES social_accounts (id) ON DELETE RESTRICT;
ALTER TABLE schedules ADD COLUMN use_optimizer INTEGER NOT NULL DEFAULT 0 CHECK (use_optimizer IN (0, 1));

-- Posts get the publisher's states and its claim. SQLite cannot change a
-- CHECK in place, so the table is rebuilt (migrations run in a transaction,
-- where foreign keys cannot be switched off: the metric snapshots that
-- reference posts are kept aside and put back, so dropping the old table
-- cascades nothing away).
--
-- States: scheduled → publishing (claimed, with a lease) → published; or
-- failed (permanent, with guidance), needs_verification (a crash or timeout
-- between the attempt and its answer: the platform is asked before any
-- retry), missed (too late for the grace window), cancelled (skipped).
CREATE TABLE metrics_keep AS SELECT * FROM metrics;
DROP TABLE metrics;

CREATE TABLE posts_new (
    id                 TEXT PRIMARY KEY,
    campaign_id        TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    provider_id        TEXT NOT NULL REFERENCES providers (id) ON DELETE RESTRICT,
    account_id         TEXT NOT NULL REFERENCES social_accounts (id) ON DELETE RESTRICT,
    variant_id         TEXT REFERENCES variants (id) ON DELETE SET NULL,
    schedule_id        TEXT REFERENCES schedules (id) ON DELETE SET NULL,
    scheduled_at       TEXT NOT NULL,
    -- The zone the slot was computed in, for showing it as scheduled.
    time_zone          TEXT NOT NULL DEFAULT 'UTC',
    status             TEXT NOT NULL DEFAULT 'scheduled'
                       CHECK (status IN ('scheduled', 'publishing', 'published', 'failed',
                                         'needs_verification', 'missed', 'cancelled')),
    -- A person chose this post's variant or time: automatic choice leaves it alone.
    overridden         INTEGER NOT NULL DEFAULT 0 CHECK (overridden IN (0, 1)),
    -- Who holds the claim (app or agent) and until when.
    claimed_by         TEXT,
    lease_until        TEXT,
    -- Written, and committed, before the platform is called.
    attempt_started_at TEXT,
    attempts           INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    remote_id          TEXT,
    remote_url         TEXT,
    error_code         TEXT,
    last_error         TEXT,
    published_at       TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (campaign_id, provider_id, account_id, scheduled_at)
);

INSERT INTO posts_new (id, campaign_id, provider_id, account_id, variant_id, schedule_id,
                       scheduled_at, status, attempts, remote_id, remote_url, last_error,
                       published_at, created_at, updated_at)
SELECT id, campaign_id, provider_id, account_id, variant_id, schedule_id, scheduled_at,
       CASE status WHEN 'pending' THEN 'scheduled'
                   WHEN 'unconfirmed' THEN 'needs_verification'
                   ELSE status END,
       attempts, remote_id, remote_url, last_error, published_at, created_at, updated_at
FROM posts;

DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;

CREATE INDEX posts_by_status ON posts (status, scheduled_at);
CREATE INDEX posts_by_schedule ON posts (schedule_id, scheduled_at);
CREATE INDEX posts_by_account ON posts (account_id, scheduled_at);

CREATE TABLE metrics (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id      TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    captured_at  TEXT NOT NULL,
    impressions  INTEGER NOT NULL DEFAULT 0 CHECK (impressions >= 0),
    likes        INTEGER NOT NULL DEFAULT 0 CHECK (likes >= 0),
    comments     INTEGER NOT NULL DEFAULT 0 CHECK (comments >= 0),
    shares       INTEGER NOT NULL DEFAULT 0 CHECK (shares >= 0),
    clicks       INTEGER NOT NULL DEFAULT 0 CHECK (clicks >= 0),
    UNIQUE (post_id, captured_at)
);
INSERT INTO metrics SELECT * FROM metrics_keep;
DROP TABLE metrics_keep;
