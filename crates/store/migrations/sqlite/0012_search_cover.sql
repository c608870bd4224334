-- Search (查询), second step: 户编号 with its village in one index, so that a search by a
-- 户编号 prefix learns each household's village without reading the household — a prefix
-- such as a village code matches thousands — and a walk in 户编号 order keeps a region's
-- households without reading the others (store::search).
CREATE INDEX households_no_village ON households (household_no, village_code);
