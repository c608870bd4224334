-- Registry (一户一档): divisions, households, members, yearly incomes, import batches.
-- Personal fields (ID numbers, phones) are stored only encrypted (*_enc) with a keyed hash
-- (*_hash) beside them for exact lookup. Money is integer fen.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE regions (
    code   INTEGER PRIMARY KEY,          -- 12-digit statistical code
    name   TEXT    NOT NULL,
    level  INTEGER NOT NULL,             -- 1 province … 5 village
    parent INTEGER
);
CREATE INDEX regions_parent ON regions (parent);

CREATE TABLE households (
    id             INTEGER PRIMARY KEY,
    household_no   TEXT    NOT NULL UNIQUE,
    village_code   INTEGER NOT NULL REFERENCES regions (code),
    household_type INTEGER NOT NULL,
    exit_year      INTEGER,
    phone_enc      BLOB,
    phone_hash     BLOB,
    address        TEXT,
    housing        INTEGER,
    water          INTEGER,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);
CREATE INDEX households_village ON households (village_code);

CREATE TABLE members (
    id               INTEGER PRIMARY KEY,
    household_id     INTEGER NOT NULL REFERENCES households (id),
    name             TEXT    NOT NULL,
    id_enc           BLOB    NOT NULL,
    id_hash          BLOB    NOT NULL,
    relation         INTEGER NOT NULL,
    sex              INTEGER NOT NULL,
    birth_date       TEXT    NOT NULL,
    labor            INTEGER NOT NULL,
    health           INTEGER,
    disability_grade INTEGER,
    schooling        INTEGER,
    education        INTEGER,
    work_months      INTEGER,
    medical_insured  INTEGER,
    dibao            INTEGER,
    tekun            INTEGER,
    updated_at       TEXT    NOT NULL
);
CREATE INDEX members_household ON members (household_id);
-- Named (not an inline UNIQUE) so that a bulk load of a large part of the registry can
-- drop it and build it again in one sort, which is several times faster than inserting
-- random keys one by one.
CREATE UNIQUE INDEX members_id_hash ON members (id_hash);

CREATE TABLE incomes (
    household_id    INTEGER NOT NULL REFERENCES households (id),
    year            INTEGER NOT NULL,
    wage            INTEGER NOT NULL,
    business_income INTEGER NOT NULL,
    business_cost   INTEGER NOT NULL,
    property        INTEGER NOT NULL,
    transfer        INTEGER NOT NULL,
    medical_oop     INTEGER,
    education_cost  INTEGER,
    other_rigid     INTEGER,
    updated_at      TEXT    NOT NULL,
    PRIMARY KEY (household_id, year)
);

CREATE TABLE import_batches (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,
    file_name   TEXT    NOT NULL,
    checksum    TEXT    NOT NULL,
    rows        INTEGER NOT NULL,
    inserted    INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    imported_at TEXT    NOT NULL
);
