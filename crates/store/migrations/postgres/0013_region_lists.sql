-- Lists of cases and leads by region (案件列表, 线索列表, 待办): the household's village is
-- kept on the case and on the lead, so that a region's list and its count read the cases
-- (tens of thousands) along one index, never a household per case (store::cases). A
-- household that moves to another village in a registry import takes its cases and leads
-- along (the trigger).
ALTER TABLE cases ADD COLUMN village_code BIGINT;
UPDATE cases SET village_code = h.village_code FROM households h WHERE h.id = cases.household_id;
ALTER TABLE cases ALTER COLUMN village_code SET NOT NULL;
ALTER TABLE leads ADD COLUMN village_code BIGINT;
UPDATE leads SET village_code = h.village_code FROM households h WHERE h.id = leads.household_id;
ALTER TABLE leads ALTER COLUMN village_code SET NOT NULL;
-- A region's list with few rows reads them along the region; a region with many reads
-- the newest first and keeps its own, without reading a case document (store::cases).
CREATE INDEX cases_region ON cases (village_code, open, state) INCLUDE (id);
CREATE INDEX cases_recent ON cases (id) INCLUDE (village_code, open, state);
CREATE INDEX leads_region ON leads (village_code, status) INCLUDE (id);
CREATE INDEX leads_recent ON leads (id) INCLUDE (village_code, status);

CREATE FUNCTION households_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases SET village_code = NEW.village_code WHERE household_id = NEW.id;
    UPDATE leads SET village_code = NEW.village_code WHERE household_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER households_moved AFTER UPDATE OF village_code ON households
FOR EACH ROW WHEN (OLD.village_code IS DISTINCT FROM NEW.village_code)
EXECUTE FUNCTION households_moved();
