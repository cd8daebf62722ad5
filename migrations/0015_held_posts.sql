-- A post the publisher will not send on its own, with why: every variant it
-- could choose breaks the brand's or the platform's rules (issue 17). It
-- stays scheduled; only a person's choice of variant (or fixed variants)
-- lets it go. Not a status: that would rebuild the table and its metrics.
ALTER TABLE posts ADD COLUMN held_reason TEXT;
