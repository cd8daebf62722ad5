-- The optimizer (issue 18). The tables sketched in 0001 were never written
-- to: they are replaced by what the model needs.
--
-- Its state is the campaign's mature posts, one row each (the post's
-- figures at the age it counts), derived from metric_snapshots and so
-- rebuildable from them at any time; the policy fits from these rows.
DROP TABLE optimizer_arms;
DROP TABLE optimizer_decisions;

CREATE TABLE optimizer_observations (
    post_id      TEXT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    campaign_id  TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    provider_id  TEXT NOT NULL REFERENCES providers (id) ON DELETE RESTRICT,
    -- No reference: a deleted variant's posts still tell the spread.
    variant_id   TEXT NOT NULL,
    published_at TEXT NOT NULL,
    -- The snapshot that stands for the post's mature age.
    captured_at  TEXT NOT NULL,
    impressions  INTEGER NOT NULL CHECK (impressions >= 0),
    likes        INTEGER NOT NULL CHECK (likes >= 0),
    comments     INTEGER NOT NULL CHECK (comments >= 0),
    shares       INTEGER NOT NULL CHECK (shares >= 0),
    clicks       INTEGER NOT NULL CHECK (clicks >= 0)
);

CREATE INDEX optimizer_observations_by_key
    ON optimizer_observations (campaign_id, provider_id, published_at, post_id);

-- Every choice of a post's variant by the optimizer, written in the same
-- transaction as the attempt it belongs to; and every time a person chose
-- instead (`actor` user or cli: `user_variant_id` is theirs, and
-- `chosen_variant_id` what the optimizer would have chosen then).
CREATE TABLE optimizer_decisions (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id            TEXT REFERENCES posts (id) ON DELETE SET NULL,
    campaign_id        TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    provider_id        TEXT NOT NULL REFERENCES providers (id) ON DELETE RESTRICT,
    actor              TEXT NOT NULL CHECK (actor IN ('optimizer', 'user', 'cli')),
    policy             TEXT NOT NULL,
    chosen_variant_id  TEXT,
    user_variant_id    TEXT,
    explored           INTEGER NOT NULL CHECK (explored IN (0, 1)),
    reason             TEXT NOT NULL,
    rationale          TEXT NOT NULL,
    -- Each variant's figures at the decision (optimizer::Score by variant id).
    scores             TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(scores)),
    decided_at         TEXT NOT NULL
);

CREATE INDEX optimizer_decisions_by_key ON optimizer_decisions (campaign_id, provider_id, id);
CREATE INDEX optimizer_decisions_by_post ON optimizer_decisions (post_id);
