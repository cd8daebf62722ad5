-- Indexes for reads that happen often. The live-update watcher asks "what
-- changed?" every second: the newest
-- post change and the newest metrics, read from these indexes instead of
-- a scan.
CREATE INDEX posts_by_update ON posts (updated_at);
CREATE INDEX post_metrics_by_capture ON post_metrics (captured_at);

-- The dashboard reads published posts by time with their campaign,
-- platform, account and variant: all from this index, no table lookups.
DROP INDEX posts_published;
CREATE INDEX posts_published ON posts (published_at, provider_id, campaign_id, account_id, variant_id, id)
    WHERE status = 'published';
