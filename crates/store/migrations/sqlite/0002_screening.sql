-- Department feeds (部门数据), screening policy (监测政策), screening runs, leads (线索) and
-- their warnings (预警).
--
-- A feed batch's records are kept as compact segments (`feed_segments.data`), sorted by
-- household: screening reads them in one sequential pass, and a batch is immutable —
-- corrected data arrives as a new batch after the wrong one is withdrawn. Records name
-- registry members by id; rows about people outside the registry are only counted.

CREATE TABLE feed_batches (
    id              INTEGER PRIMARY KEY,
    feed            INTEGER NOT NULL,          -- domain::feed::Feed code
    department      TEXT    NOT NULL,
    file_name       TEXT    NOT NULL,
    checksum        TEXT    NOT NULL,          -- SHA-256 of the file
    period_from     TEXT    NOT NULL,          -- earliest event date in the batch
    period_to       TEXT    NOT NULL,          -- latest event date
    rows            INTEGER NOT NULL,          -- data rows in the file
    stored          INTEGER NOT NULL,          -- new records kept
    duplicates      INTEGER NOT NULL,          -- rows already stored, or repeated in the file
    unmatched       INTEGER NOT NULL,          -- rows about people outside the registry
    households      INTEGER NOT NULL,          -- households concerned
    actor           TEXT    NOT NULL,
    imported_at     TEXT    NOT NULL,
    withdrawn_at    TEXT,
    withdrawn_by    TEXT
);

CREATE TABLE feed_segments (
    batch_id     INTEGER NOT NULL REFERENCES feed_batches (id),
    seq          INTEGER NOT NULL,
    feed         INTEGER NOT NULL,
    rows         INTEGER NOT NULL,
    household_lo INTEGER NOT NULL,
    household_hi INTEGER NOT NULL,
    date_lo      TEXT    NOT NULL,
    date_hi      TEXT    NOT NULL,
    data         BLOB    NOT NULL,
    PRIMARY KEY (batch_id, seq)
);
CREATE INDEX feed_segments_dates ON feed_segments (feed, date_hi);

CREATE TABLE policies (
    version        INTEGER PRIMARY KEY,
    title          TEXT    NOT NULL,
    effective_from TEXT    NOT NULL,
    source         TEXT    NOT NULL,           -- the TOML document as loaded
    checksum       TEXT    NOT NULL,
    loaded_by      TEXT    NOT NULL,
    loaded_at      TEXT    NOT NULL
);

CREATE TABLE screening_runs (
    id             INTEGER PRIMARY KEY,
    scope          INTEGER,                    -- region code screened; NULL: everything
    as_of          TEXT    NOT NULL,
    policy_version INTEGER NOT NULL REFERENCES policies (version),
    incremental    INTEGER NOT NULL,
    last_batch     INTEGER NOT NULL,           -- newest feed batch seen (incremental runs start after it)
    households     INTEGER NOT NULL,           -- households screened
    flagged        INTEGER NOT NULL,           -- households with at least one warning
    warnings_new   INTEGER NOT NULL,
    leads_new      INTEGER NOT NULL,
    leads_attached INTEGER NOT NULL,
    summary        TEXT    NOT NULL,           -- JSON: counts by rule and by township
    actor          TEXT    NOT NULL,
    started_at     TEXT    NOT NULL,
    finished_at    TEXT    NOT NULL
);

CREATE TABLE leads (
    id                 INTEGER PRIMARY KEY,
    household_id       INTEGER NOT NULL REFERENCES households (id),
    channel            INTEGER NOT NULL,       -- 线索来源
    status             INTEGER NOT NULL,       -- 1 待研判 (open), 2 不予纳入 (dismissed), 3 已转入识别
    suggested_category INTEGER,
    risks              INTEGER NOT NULL,       -- risk-type bit set
    run_id             INTEGER REFERENCES screening_runs (id),
    created_at         TEXT    NOT NULL,
    closed_at          TEXT,
    closed_by          TEXT,
    close_note         TEXT
);
CREATE INDEX leads_household ON leads (household_id);
-- At most one open lead per household.
CREATE UNIQUE INDEX leads_one_open ON leads (household_id) WHERE status = 1;

CREATE TABLE warnings (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    rule         INTEGER NOT NULL,
    evidence_key INTEGER NOT NULL,             -- what was seen: the income year, the latest source date
    run_id       INTEGER NOT NULL REFERENCES screening_runs (id),
    lead_id      INTEGER NOT NULL REFERENCES leads (id),
    risk         INTEGER NOT NULL,
    figure       INTEGER NOT NULL,
    threshold    INTEGER NOT NULL,
    period_from  TEXT    NOT NULL,
    period_to    TEXT    NOT NULL,
    sources      INTEGER NOT NULL,
    first_date   TEXT,
    last_date    TEXT,
    member_id    INTEGER,
    summary      TEXT    NOT NULL,
    UNIQUE (household_id, rule, evidence_key)
);
CREATE INDEX warnings_lead ON warnings (lead_id);
CREATE INDEX warnings_run ON warnings (run_id);
