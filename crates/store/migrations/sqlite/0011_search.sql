-- Search (查询) for the API: the indexes that keep a household search fast on millions of
-- members (store::search).
--
-- 户编号 within a village range, and the village order of results: one walk of this index
-- answers "the households of these villages by number" without touching the table.
CREATE INDEX households_village_no ON households (village_code, household_no);
-- A member's name, exactly or by prefix, to its household.
CREATE INDEX members_name ON members (name, household_id);
