-- Analytics: every poll of a published post's metrics is a snapshot, kept
-- forever, counts cumulative as the platform reported them (a count that
-- went down stays as reported). NULL means the platform does not give that
-- metric for this post: shown as "—", never stored or summed as zero. The
-- old `metrics` table (zero defaults) goes; what it held moves over below.

CREATE TABLE metric_snapshots (
    post_id      TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    captured_at  TEXT NOT NULL,
    -- Impressions (X) ...
    impressions  INTEGER CHECK (impressions >= 0),
    -- ... and views (video on X; Instagram, Facebook, YouTube, TikTok).
    views        INTEGER CHECK (views >= 0),
    likes        INTEGER CHECK (likes >= 0),
    comments     INTEGER CHECK (comments >= 0),
    shares       INTEGER CHECK (shares >= 0),
    clicks       INTEGER CHECK (clicks >= 0),
    -- What only some platforms give, by name: saves, bookmarks, quotes,
    -- profile_clicks, watch_minutes... (a JSON object of counts).
    extras       TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (post_id, captured_at)
) WITHOUT ROWID;

-- Each published post's newest snapshot, written in the same transaction
-- as the snapshot, so a dashboard reads one row per post and never scans
-- history; and when the collector polls it next.
CREATE TABLE post_metrics (
    post_id       TEXT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    captured_at   TEXT,
    impressions   INTEGER,
    views         INTEGER,
    likes         INTEGER,
    comments      INTEGER,
    shares        INTEGER,
    clicks        INTEGER,
    extras        TEXT NOT NULL DEFAULT '{}',
    polls         INTEGER NOT NULL DEFAULT 0,
    -- NULL once polling ended (the post is old enough, or gone).
    next_poll_at  TEXT,
    -- collecting, done (old enough) or gone (deleted on the platform).
    state         TEXT NOT NULL DEFAULT 'collecting'
                  CHECK (state IN ('collecting', 'done', 'gone')),
    poll_error    TEXT
);

-- Snapshots an older Reachloop kept, as they were, and each post's newest,
-- due for a poll at once.
INSERT INTO metric_snapshots (post_id, captured_at, impressions, likes, comments, shares, clicks)
SELECT post_id, captured_at, impressions, likes, comments, shares, clicks FROM metrics;
INSERT INTO post_metrics (post_id, captured_at, impressions, likes, comments, shares, clicks,
                          polls, next_poll_at)
SELECT m.post_id, m.captured_at, m.impressions, m.likes, m.comments, m.shares, m.clicks,
       (SELECT count(*) FROM metrics n WHERE n.post_id = m.post_id), m.captured_at
FROM metrics m
WHERE m.captured_at = (SELECT max(captured_at) FROM metrics n WHERE n.post_id = m.post_id);
DROP TABLE metrics;

CREATE INDEX post_metrics_due ON post_metrics (next_poll_at) WHERE next_poll_at IS NOT NULL;
CREATE INDEX posts_published ON posts (published_at) WHERE status = 'published';
