-- SCIM: groups get an external id, a version (their ETag) and a change time;
-- users are looked up by externalId (Entra ID's matching attribute).
ALTER TABLE groups ADD COLUMN external_id text;
ALTER TABLE groups ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE groups ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
UPDATE groups SET updated_at = created_at;
CREATE INDEX users_external_id_idx ON users (tenant_id, directory_id, external_id);
CREATE INDEX groups_directory_page_idx ON groups (tenant_id, directory_id, id);
CREATE INDEX group_members_group_idx ON group_members (tenant_id, group_id, user_id);
