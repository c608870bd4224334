-- Sign-in hardening. `must_change_password`: an account whose password someone else set
-- (created by an administrator or on the command line, or reset) must choose its own at its
-- first sign-in. `last_seen_at`: when a session was last used, so that an idle session ends
-- (`idle_minutes`) long before its absolute lifetime.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMPTZ;
UPDATE sessions SET last_seen_at = created_at;
