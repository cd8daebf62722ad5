-- How far a publishing post's media upload got (bytes of all its
-- attachments), for the calendar. Only meaningful while the post is
-- publishing; each attempt starts it afresh.
ALTER TABLE posts ADD COLUMN upload_sent INTEGER;
ALTER TABLE posts ADD COLUMN upload_total INTEGER;
ALTER TABLE posts ADD COLUMN upload_processing INTEGER NOT NULL DEFAULT 0;
