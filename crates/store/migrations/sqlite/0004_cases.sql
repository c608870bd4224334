-- Monitoring cases (监测对象识别与风险消除): one row per case, the case itself as a JSON
-- document (domain::case::Case, which carries its own history), with the columns lists and
-- deadlines are queried by; and one row per transition (who, when, from which stage to which,
-- with what note), written in the transaction that changes the case.

CREATE TABLE cases (
    id            INTEGER PRIMARY KEY,
    household_id  INTEGER NOT NULL REFERENCES households (id),
    lead_id       INTEGER REFERENCES leads (id),
    state         INTEGER NOT NULL,
    open          INTEGER NOT NULL,          -- 1 until 风险已消除 or 不予纳入
    first_clue_on TEXT    NOT NULL,
    version       INTEGER NOT NULL,          -- optimistic concurrency: +1 per transition
    data          TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE INDEX cases_household ON cases (household_id);
-- At most one open case per household.
CREATE UNIQUE INDEX cases_one_open ON cases (household_id) WHERE open = 1;

CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    kind        INTEGER NOT NULL,            -- domain::case::ActionKind code
    from_state  INTEGER,
    to_state    INTEGER NOT NULL,
    level       INTEGER NOT NULL,            -- 村级 1, 乡镇 2, 县级 3
    actor       TEXT    NOT NULL,
    on_date     TEXT    NOT NULL,            -- the day the step took place
    note        TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id);
