-- 审计日志 (audit log): one row per change, and per view or export of personal data, written
-- in the transaction of the change. Rows are chained: `hash` is SHA-256 over the row's
-- fields and the previous row's hash (`store::audit` has the exact encoding), so an edited
-- row no longer matches its hash and a deleted one breaks the chain. `before` and `after`
-- are JSON kept as TEXT, not JSONB, because JSONB reorders keys and the hash covers the text
-- byte for byte; they hold ids and masked values only, never an ID number, phone or bank
-- account.
--
-- The id is not an identity column: it is taken from `audit_head` under its row lock
-- (SELECT … FOR UPDATE) and is part of the hash, so ids are gapless and a missing id is a
-- deleted row (a sequence would leave gaps at every rollback).

CREATE TABLE audit_log (
    id         BIGINT      PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,         -- whole microseconds, as PostgreSQL keeps them
    actor      TEXT        NOT NULL,         -- 用户名, or the system job (命令行, 定时筛查)
    role       TEXT        NOT NULL,         -- 角色 ("系统" for jobs)
    region     BIGINT,                       -- the actor's division code; NULL: whole system
    action     TEXT        NOT NULL,         -- "case.act:入户核实", see docs/security.md
    entity     TEXT        NOT NULL,         -- "case", "lead", "feed_batch" …
    entity_id  TEXT,
    before     TEXT,                         -- JSON
    after      TEXT,                         -- JSON
    client     TEXT,                         -- client address, when there is one
    prev_hash  TEXT        NOT NULL,
    hash       TEXT        NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, id);

-- The end of the chain: every append locks and moves it in its own transaction, so two
-- concurrent appends cannot both continue from the same row (no fork), and deleting the
-- newest rows is caught (the head still names them).
CREATE TABLE audit_head (
    one        BIGINT PRIMARY KEY CHECK (one = 1),
    last_id    BIGINT NOT NULL,
    last_hash  TEXT   NOT NULL
);
INSERT INTO audit_head (one, last_id, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
