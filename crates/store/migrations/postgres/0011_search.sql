-- Search (查询) for the API: the indexes that keep a household search fast on millions of
-- members (store::search).
--
-- Text ranges (a 户编号 or name prefix: `x >= p AND x < succ(p)`) are compared in byte
-- order (COLLATE "C") whatever the database's collation: a linguistic collation ignores
-- punctuation and case at first and does not keep a prefix's strings together.
CREATE INDEX households_no_c ON households (household_no COLLATE "C");
-- 户编号 within a village range, and the village order of results.
CREATE INDEX households_village_no ON households (village_code, household_no COLLATE "C");
-- A member's name, exactly or by prefix, to its household.
CREATE INDEX members_name ON members (name COLLATE "C", household_id);
