-- SCIM: groups get an external id, a version (their ETag) and a change time;
-- users are looked up by externalId (Entra ID's matching attribute).
ALTER TABLE groups ADD COLUMN external_id text;
ALTER TABLE groups ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE groups ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
UPDATE groups SET updated_at = created_at;
-- Partial: most users have no external id, and a lookup names one (a full index
-- on the same leading columns would also tempt the planner, without statistics,
-- into reading a directory through it; see test/engine/lookup-plan.test.ts).
CREATE INDEX users_external_id_idx ON users (tenant_id, directory_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX groups_directory_page_idx ON groups (tenant_id, directory_id, id);
CREATE INDEX group_members_group_idx ON group_members (tenant_id, group_id, user_id);
