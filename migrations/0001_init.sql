-- Reachloop's data model. All times are UTC, stored as RFC 3339 text
-- (`YYYY-MM-DDTHH:MM:SS.sssZ`), so they sort and compare as strings.
-- Enumerations are CHECK constraints; identifiers are UUID text.

-- The networks Reachloop knows. Seeded below; users do not add rows.
CREATE TABLE providers (
    id           TEXT PRIMARY KEY
                 CHECK (id IN ('x', 'youtube', 'facebook', 'instagram', 'tiktok', 'sandbox')),
    display_name TEXT NOT NULL,
    simulated    INTEGER NOT NULL DEFAULT 0 CHECK (simulated IN (0, 1))
);

INSERT INTO providers (id, display_name, simulated) VALUES
    ('x',         'X',              0),
    ('youtube',   'YouTube',        0),
    ('facebook',  'Facebook Pages', 0),
    ('instagram', 'Instagram',      0),
    ('tiktok',    'TikTok',         0),
    ('sandbox',   'Sandbox',        1);

-- A connected (or once connected) account on a provider. Tokens are only ever
-- stored as AES-256-GCM envelopes whose key lives in the OS keychain.
-- Disconnecting keeps the row (status 'disconnected', tokens NULL) so the
-- account's posts and metrics stay readable.
CREATE TABLE social_accounts (
    id                 TEXT PRIMARY KEY,
    provider_id        TEXT NOT NULL REFERENCES providers (id) ON DELETE RESTRICT,
    external_id        TEXT NOT NULL,
    handle             TEXT NOT NULL,
    display_name       TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL DEFAULT 'connected'
                       CHECK (status IN ('connected', 'expiring', 'needs_action', 'disconnected')),
    scopes             TEXT NOT NULL DEFAULT '',
    access_token_enc   BLOB,
    refresh_token_enc  BLOB,
    token_expires_at   TEXT,
    -- The account a Page or Instagram business account was reached through.
    parent_account_id  TEXT REFERENCES social_accounts (id) ON DELETE SET NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (provider_id, external_id)
);

CREATE TABLE campaigns (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL CHECK (length(trim(name)) > 0),
    prompt            TEXT NOT NULL DEFAULT '',
    goal              TEXT NOT NULL CHECK (goal IN ('reach', 'engagement', 'ctr')),
    status            TEXT NOT NULL DEFAULT 'draft'
                      CHECK (status IN ('draft', 'active', 'paused', 'completed', 'archived')),
    -- JSON object: tone, banned words, length and media preferences, KPIs.
    brand_constraints TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(brand_constraints)),
    variants_per_platform INTEGER NOT NULL DEFAULT 2
                      CHECK (variants_per_platform BETWEEN 1 AND 5),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE INDEX campaigns_by_created ON campaigns (created_at);

-- The platforms a campaign targets.
CREATE TABLE campaign_platforms (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES providers (id) ON DELETE RESTRICT,
    PRIMARY KEY (campaign_id, provider_id)
);

-- A platform-specific post variant of a campaign.
CREATE TABLE variants (
    id           TEXT PRIMARY KEY,
    campaign_id  TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    provider_id  TEXT NOT NULL REFERENCES providers (id) ON DELETE RESTRICT,
    title        TEXT,
    body         TEXT NOT NULL,
    -- JSON: media recommendation and attached media references.
    media        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(media)),
    source       TEXT NOT NULL CHECK (source IN ('ai', 'manual')),
    model        TEXT,
    temperature  REAL,
    prompt_hash  TEXT,
    archived     INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE INDEX variants_by_campaign ON variants (campaign_id, provider_id);

-- When a campaign posts: once at `run_at`, or on a cron cadence evaluated in
-- the named IANA time zone.
CREATE TABLE schedules (
    id           TEXT PRIMARY KEY,
    campaign_id  TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('once', 'cron')),
    run_at       TEXT,
    cron_expr    TEXT,
    time_zone    TEXT NOT NULL,
    starts_at    TEXT,
    ends_at      TEXT,
    next_run_at  TEXT,
    paused       INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    CHECK ((kind = 'once' AND run_at IS NOT NULL) OR (kind = 'cron' AND cron_expr IS NOT NULL))
);

CREATE INDEX schedules_due ON schedules (paused, next_run_at);

-- One intended or actual publication. The UNIQUE key makes publishing
-- idempotent: the same campaign cannot post twice to the same account on the
-- same platform for the same slot. Intent is recorded ('pending') before the
-- platform is called.
CREATE TABLE posts (
    id            TEXT PRIMARY KEY,
    campaign_id   TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    provider_id   TEXT NOT NULL REFERENCES providers (id) ON DELETE RESTRICT,
    account_id    TEXT NOT NULL REFERENCES social_accounts (id) ON DELETE RESTRICT,
    variant_id    TEXT REFERENCES variants (id) ON DELETE SET NULL,
    schedule_id   TEXT REFERENCES schedules (id) ON DELETE SET NULL,
    scheduled_at  TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'publishing', 'published', 'failed', 'unconfirmed', 'cancelled')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    remote_id     TEXT,
    remote_url    TEXT,
    last_error    TEXT,
    published_at  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (campaign_id, provider_id, account_id, scheduled_at)
);

CREATE INDEX posts_by_status ON posts (status, scheduled_at);

-- Metric snapshots over time, kept forever.
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

-- The bandit's belief about each variant of a campaign on a platform.
CREATE TABLE optimizer_arms (
    campaign_id  TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    provider_id  TEXT NOT NULL REFERENCES providers (id) ON DELETE RESTRICT,
    variant_id   TEXT NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    pulls        INTEGER NOT NULL DEFAULT 0 CHECK (pulls >= 0),
    reward_sum   REAL NOT NULL DEFAULT 0,
    alpha        REAL NOT NULL DEFAULT 1 CHECK (alpha > 0),
    beta         REAL NOT NULL DEFAULT 1 CHECK (beta > 0),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (campaign_id, provider_id, variant_id)
);

-- Every choice the optimizer made, and whether a person overrode it.
CREATE TABLE optimizer_decisions (
    id                   TEXT PRIMARY KEY,
    campaign_id          TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    provider_id          TEXT NOT NULL REFERENCES providers (id) ON DELETE RESTRICT,
    chosen_variant_id    TEXT REFERENCES variants (id) ON DELETE SET NULL,
    explored             INTEGER NOT NULL CHECK (explored IN (0, 1)),
    rationale            TEXT NOT NULL,
    overridden_variant_id TEXT REFERENCES variants (id) ON DELETE SET NULL,
    decided_at           TEXT NOT NULL
);

-- Append-only record of every user action and automated decision.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL CHECK (actor IN ('user', 'system', 'scheduler', 'optimizer', 'cli')),
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT,
    details      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);

CREATE INDEX audit_log_by_time ON audit_log (at);

CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_is_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Non-secret app settings as JSON values.
CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL CHECK (json_valid(value)),
    updated_at  TEXT NOT NULL
);
