-- The name the user gives an account (two Sandbox accounts, two Pages of
-- the same name); NULL shows the platform's display name.
ALTER TABLE social_accounts ADD COLUMN label TEXT;
