-- 账号 (accounts), 会话 (browser sessions) and 接口令牌 (bearer tokens of department
-- systems). Passwords are argon2id hashes (PHC strings); a session cookie and a token are
-- random secrets of which only the SHA-256 is stored, so a copy of the database opens no
-- session.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    username        TEXT    NOT NULL UNIQUE,
    display_name    TEXT    NOT NULL,
    role            INTEGER NOT NULL,          -- domain::access::Role code
    region_code     INTEGER NOT NULL REFERENCES regions (code),
    department      INTEGER,                   -- domain::feed::Feed code, liaisons only
    password_hash   TEXT    NOT NULL,
    disabled        INTEGER NOT NULL,
    failed_logins   INTEGER NOT NULL,
    locked_until    TEXT,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);

CREATE TABLE sessions (
    id_hash         TEXT    PRIMARY KEY,       -- SHA-256 (hex) of the cookie value
    user_id         INTEGER NOT NULL REFERENCES users (id),
    csrf            TEXT    NOT NULL,          -- echoed in X-CSRF-Token on every change
    created_at      TEXT    NOT NULL,
    expires_at      TEXT    NOT NULL,
    client          TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    token_hash      TEXT    NOT NULL UNIQUE,   -- SHA-256 (hex) of the token
    user_id         INTEGER NOT NULL REFERENCES users (id),
    created_at      TEXT    NOT NULL,
    revoked_at      TEXT
);
