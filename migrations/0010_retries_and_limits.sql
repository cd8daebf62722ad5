-- Retries wait: a post that failed in a way worth retrying is not claimed
-- again before `next_attempt_at` (exponential backoff with jitter, see
-- `publish::retry_delay`).
ALTER TABLE posts ADD COLUMN next_attempt_at TEXT;

-- The posting limits platforms reported with their last answers (X's
-- `x-rate-limit-*` and 24-hour headers): what the scheduler's warnings
-- compare a plan with.
CREATE TABLE platform_limits (
    scope        TEXT NOT NULL,      -- 'account:<id>' or 'platform:<id>'
    name         TEXT NOT NULL,
    window_secs  INTEGER NOT NULL CHECK (window_secs > 0),
    lim          INTEGER NOT NULL CHECK (lim >= 0),
    remaining    INTEGER NOT NULL CHECK (remaining >= 0),
    resets_at    TEXT NOT NULL,
    observed_at  TEXT NOT NULL,
    PRIMARY KEY (scope, name)
);
