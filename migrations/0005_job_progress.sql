-- Which platforms a generation job has already written variants for
-- (comma-separated, each followed by a comma), updated in the same
-- transaction as those variants: a job rerun after a crash skips them
-- instead of writing them twice.
ALTER TABLE generation_jobs ADD COLUMN done_platforms TEXT NOT NULL DEFAULT '';
