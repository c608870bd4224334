-- 案件附件 (files kept with a case): the scanned, signed 承诺授权书 and the like. The case
-- document names each by its SHA-256; the bytes live here, once per case and digest.

CREATE TABLE case_files (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    name         TEXT    NOT NULL,
    sha256       TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    data         BLOB    NOT NULL,
    created_at   TEXT    NOT NULL,
    UNIQUE (case_id, sha256)
);
