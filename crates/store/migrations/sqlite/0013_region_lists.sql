-- Lists of cases and leads by region (案件列表, 线索列表, 待办): the household's village is
-- kept on the case and on the lead, so that a region's list and its count read the cases
-- (tens of thousands) along one index, never a household per case (store::cases). A
-- household that moves to another village in a registry import takes its cases and leads
-- along (the trigger).
ALTER TABLE cases ADD COLUMN village_code INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET village_code = (SELECT h.village_code FROM households h WHERE h.id = cases.household_id);
ALTER TABLE leads ADD COLUMN village_code INTEGER NOT NULL DEFAULT 0;
UPDATE leads SET village_code = (SELECT h.village_code FROM households h WHERE h.id = leads.household_id);
-- A region's list with few rows reads them along the region; a region with many reads
-- the newest first and keeps its own, without reading a case document (store::cases).
CREATE INDEX cases_region ON cases (village_code, open, state);
CREATE INDEX cases_recent ON cases (id, village_code, open, state);
CREATE INDEX leads_region ON leads (village_code, status);
CREATE INDEX leads_recent ON leads (id, village_code, status);

CREATE TRIGGER households_moved AFTER UPDATE OF village_code ON households
WHEN NEW.village_code <> OLD.village_code
BEGIN
    UPDATE cases SET village_code = NEW.village_code WHERE household_id = NEW.id;
    UPDATE leads SET village_code = NEW.village_code WHERE household_id = NEW.id;
END;
