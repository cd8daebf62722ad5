-- The Calendar reads posts by time alone (a day, a week, a month): without
-- this, every read walked the whole table.
CREATE INDEX posts_by_time ON posts (scheduled_at, id);
