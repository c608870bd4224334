-- The screening image of the registry (筛查底册): per village, what screening needs of its
-- households, members and incomes, packed in one blob (store::facts). It is derived data:
-- `registry_generation` counts every change of the registry (each import that writes
-- households, members or incomes adds one in its own transaction), and an image built from
-- an older generation is ignored and rebuilt.

CREATE TABLE registry_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT  NOT NULL
);
INSERT INTO registry_generation (id, generation) VALUES (1, 0);

CREATE TABLE screening_facts (
    village_code INTEGER PRIMARY KEY,
    generation   BIGINT  NOT NULL,
    households   BIGINT  NOT NULL,
    data         BLOB     NOT NULL
);
