-- Dashboard sessions (issue #6). The cookie carries a random token; only its SHA-256 is kept, so
-- a copy of this table logs no one in. A session ends after 7 days unused or 30 days in all (the
-- hub checks both), and with its user.
CREATE TABLE sessions (
  -- Hex SHA-256 of the cookie's token.
  token_hash text PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Sent back by the dashboard in X-CSRF-Token on every change.
  csrf text NOT NULL,
  created_at timestamptz NOT NULL,
  -- Written at most once a minute.
  last_seen timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen);
