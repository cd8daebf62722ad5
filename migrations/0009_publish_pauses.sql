-- Rate limits and circuit breakers: an account or a whole platform that
-- must not be called until `until` (what a 429's reset header, a quota
-- error or repeated failures said). Kept across restarts.
CREATE TABLE publish_pauses (
    scope       TEXT PRIMARY KEY,   -- 'account:<id>' or 'platform:<id>'
    until       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    failures    INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    updated_at  TEXT NOT NULL
);
