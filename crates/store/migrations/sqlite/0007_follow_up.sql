-- 帮扶责任人 (the cadre responsible for a monitored household, domain.md §7.4) and 帮扶走访
-- (follow-up visits). A case has at most one current helper; a replaced one keeps its row
-- with the day it ended, so the history of who was responsible stays readable. The phone
-- is encrypted like the registry's.
--
-- A visit to a household with an open case is a follow-up visit of that case: it carries
-- the case, and may carry the per-capita income re-assessed at the visit (in fen), from
-- which the elimination check reads whether the income is stably above the line.

CREATE TABLE helpers (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    name         TEXT    NOT NULL,
    unit         TEXT    NOT NULL,
    phone_enc    BLOB    NOT NULL,
    since_on     TEXT    NOT NULL,
    ended_on     TEXT,                       -- NULL: the current helper
    created_at   TEXT    NOT NULL
);
CREATE UNIQUE INDEX helpers_current ON helpers (case_id) WHERE ended_on IS NULL;
CREATE INDEX helpers_by_name ON helpers (name) WHERE ended_on IS NULL;

ALTER TABLE visits ADD COLUMN case_id INTEGER REFERENCES cases (id);
ALTER TABLE visits ADD COLUMN income INTEGER;
CREATE INDEX visits_case ON visits (case_id, visited_on);
