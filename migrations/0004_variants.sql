-- Variants: why a generated variant still needs the user, and generation
-- requests waiting for (or worked on by) the AI endpoint.

-- Set when a generated variant still broke a rule after the repair requests.
ALTER TABLE variants ADD COLUMN flag_reason TEXT;

-- One row per generation the user asked for. A request made while the
-- endpoint is unreachable stays 'queued' and runs when it answers again;
-- 'running' rows left by a crash are queued again at start-up.
CREATE TABLE generation_jobs (
    id           TEXT PRIMARY KEY,
    campaign_id  TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    -- NULL: every platform of the campaign.
    provider_id  TEXT REFERENCES providers (id) ON DELETE RESTRICT,
    -- Set when one variant is regenerated in place.
    variant_id   TEXT REFERENCES variants (id) ON DELETE CASCADE,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    -- What the last attempt said (offline, refused, …), for the UI.
    message      TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE INDEX generation_jobs_by_status ON generation_jobs (status, created_at);
