-- 后台任务 (jobs): an import, a feed or a screening started through the service runs in the
-- background; its request is answered 202 with the job's id, and the job is read at
-- /api/v1/jobs/{id}. A job waiting its turn lives in the service's memory with its upload;
-- the row is written when it starts and completed when it ends. A row left 'running' by a
-- crash is marked 'failed' when the service starts again.
CREATE TABLE jobs (
    id          TEXT    PRIMARY KEY,       -- random, 32 hex digits: not guessable
    kind        TEXT    NOT NULL,          -- import:members, feed:medical, screening …
    state       TEXT    NOT NULL,          -- running, done, failed
    stage       TEXT    NOT NULL,          -- what it did last (Chinese)
    done        BIGINT  NOT NULL,          -- progress: rows (or households) done …
    total       BIGINT  NOT NULL,          -- … of this many (0: not known yet)
    status      BIGINT,                    -- HTTP status of its answer, once finished
    result      TEXT,                      -- its answer (JSON: the result or the problem)
    created_by  TEXT    NOT NULL,          -- user name
    region      BIGINT  NOT NULL,          -- the creator's region: who may read the job
    created_at  TIMESTAMPTZ NOT NULL,
    started_at  TIMESTAMPTZ,
    finished_at TIMESTAMPTZ
);
CREATE INDEX jobs_running ON jobs (state) WHERE state = 'running';
