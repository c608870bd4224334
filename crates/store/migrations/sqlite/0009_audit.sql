-- 审计日志 (audit log): one row per change, and per view or export of personal data, written
-- in the transaction of the change. Rows are chained: `hash` is SHA-256 over the row's
-- fields and the previous row's hash (`store::audit` has the exact encoding), so an edited
-- row no longer matches its hash and a deleted one breaks the chain. `before` and `after`
-- are JSON text kept byte for byte as hashed; they hold ids and masked values only, never
-- an ID number, phone or bank account.
--
-- The id is not an autoincrement: it is taken from `audit_head` under its lock and is part
-- of the hash, so ids are gapless and a missing id is a deleted row (a sequence would leave
-- gaps at every rollback).

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT    NOT NULL,             -- UTC, whole microseconds
    actor      TEXT    NOT NULL,             -- 用户名, or the system job (命令行, 定时筛查)
    role       TEXT    NOT NULL,             -- 角色 ("系统" for jobs)
    region     INTEGER,                      -- the actor's division code; NULL: whole system
    action     TEXT    NOT NULL,             -- "case.act:入户核实", see docs/security.md
    entity     TEXT    NOT NULL,             -- "case", "lead", "feed_batch" …
    entity_id  TEXT,
    before     TEXT,                         -- JSON
    after      TEXT,                         -- JSON
    client     TEXT,                         -- client address, when there is one
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, id);

-- The end of the chain: every append reads and moves it in its own transaction, so two
-- appends cannot both continue from the same row, and deleting the newest rows is caught
-- (the head still names them).
CREATE TABLE audit_head (
    one        INTEGER PRIMARY KEY CHECK (one = 1),
    last_id    INTEGER NOT NULL,
    last_hash  TEXT    NOT NULL
);
INSERT INTO audit_head (one, last_id, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
