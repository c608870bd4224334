-- 同义词表 (departments' own words for the values of feed columns): every county document
-- loaded is kept as a version, as loaded, like the policies. The newest one is laid over
-- the built-in table at each feed import (tabular::synonyms); none: the built-in table.
CREATE TABLE synonym_tables (
    version    INTEGER PRIMARY KEY,
    title      TEXT    NOT NULL,
    source     TEXT    NOT NULL,               -- the TOML document as loaded
    checksum   TEXT    NOT NULL,
    loaded_by  TEXT    NOT NULL,
    loaded_at  TEXT    NOT NULL
);
