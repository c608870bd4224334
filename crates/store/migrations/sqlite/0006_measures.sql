-- 帮扶措施 (assistance measures) of a case: each a JSON document (domain::assistance::Measure)
-- with the columns lists need.

CREATE TABLE measures (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    household_id INTEGER NOT NULL REFERENCES households (id),
    status       INTEGER NOT NULL,
    data         TEXT   NOT NULL,
    created_at   TEXT   NOT NULL,
    updated_at   TEXT   NOT NULL
);
CREATE INDEX measures_case ON measures (case_id);
