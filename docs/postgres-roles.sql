-- Roles of a PostgreSQL deployment (docs/security.md, "PostgreSQL roles").
--
-- The owner role (here `fangpin_owner`) owns the schema and runs the migrations:
--     fangpin --database-url postgres://fangpin_owner@HOST/fangpin migrate
-- The service runs as `fangpin_app`, which may read and write the registry, cases and
-- everything else, but may only read and append the audit log: not one audit row can be
-- changed or removed through it, whatever the service is made to run.
--
-- Run as the owner after the first `migrate` and again after every upgrade (GRANT is
-- idempotent; tables added by an upgrade need their grant):
--     psql -h HOST -U fangpin_owner -d fangpin -f docs/postgres-roles.sql
-- Create the login role once beforehand, as a superuser:
--     CREATE ROLE fangpin_app LOGIN PASSWORD '…';

GRANT USAGE ON SCHEMA public TO fangpin_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO fangpin_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO fangpin_app;

-- The audit log: read and append only.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM fangpin_app;
-- Its head is a pointer every append moves (under a row lock); rows cannot be removed
-- through it, and moving it back is caught by the anchors (fangpin audit anchor).
REVOKE INSERT, DELETE, TRUNCATE ON audit_head FROM fangpin_app;

-- The record of applied migrations: read, so that an up-to-date service runs none.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON _sqlx_migrations FROM fangpin_app;
