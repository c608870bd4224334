-- The discovery channels besides screening (domain.md §6.1): cadre visits (干部排查) and
-- self-declarations (农户自主申报). A visit that finds a risk, and a declaration by a
-- registered household, open a lead (or join the household's open lead). A declaration's
-- ID number and phone are stored like the registry's: encrypted, with a keyed hash.

CREATE TABLE visits (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    visited_on   TEXT    NOT NULL,
    visitor      TEXT    NOT NULL,
    findings     TEXT    NOT NULL,
    risks        INTEGER NOT NULL,           -- risk-type bit set; 0: no risk found
    lead_id      INTEGER REFERENCES leads (id),
    created_at   TEXT    NOT NULL
);
CREATE INDEX visits_household ON visits (household_id);

CREATE TABLE declarations (
    id           INTEGER PRIMARY KEY,
    receipt      TEXT    NOT NULL UNIQUE,    -- 回执码, given to the household
    name         TEXT    NOT NULL,
    phone_enc    BLOB    NOT NULL,
    phone_hash   BLOB    NOT NULL,
    id_enc       BLOB    NOT NULL,
    id_hash      BLOB    NOT NULL,
    village_code INTEGER NOT NULL REFERENCES regions (code),
    difficulty   TEXT    NOT NULL,
    risk         INTEGER NOT NULL,
    household_id INTEGER REFERENCES households (id),   -- NULL: not (yet) in the registry
    lead_id      INTEGER REFERENCES leads (id),
    created_at   TEXT    NOT NULL
);
