-- Concurrency (issue, part 3): what the database itself enforces when two requests race,
-- instead of checks in the application that two transactions can both pass.

-- A feed batch is identified by the records it stores: SHA-256 over the feed and the sorted
-- natural keys of its new records. The same upload sent twice at once computes the same
-- digest in both transactions, and the second insert fails (or, on PostgreSQL, waits for
-- the first and then finds it) instead of storing the records twice. A withdrawn batch
-- frees its digest, so the corrected file — or the same one — can be imported again.
-- Batches imported before this migration have none (NULL is never equal to anything).
ALTER TABLE feed_batches ADD COLUMN records_digest BLOB;
CREATE UNIQUE INDEX feed_batches_one_digest ON feed_batches (records_digest)
    WHERE withdrawn_at IS NULL;

-- One 户主 (relation code 1) per household, whatever the imports running at the same time.
CREATE UNIQUE INDEX members_one_head ON members (household_id) WHERE relation = 1;

-- Named locks: a transaction that checks the database and then writes on what it saw
-- (a registry import, a feed import, a screening run's writes) locks its row first on
-- PostgreSQL, so that two such transactions run one after the other. SQLite needs none:
-- BEGIN IMMEDIATE already admits one writer at a time.
CREATE TABLE locks (
    name TEXT PRIMARY KEY
);
INSERT INTO locks (name) VALUES ('registry'), ('feeds'), ('screening');
