-- Access keys (AK/SK) for clients that sign requests (Huawei's SDK-HMAC-SHA256).
-- Verifying a signature needs the secret itself, so it is stored sealed
-- (AES-256-GCM under the server key), never in the clear and not hashed.
CREATE TABLE access_keys (
  id           text        NOT NULL,
  tenant_id    uuid        NOT NULL,
  name         text        NOT NULL,
  secret       bytea       NOT NULL,
  scopes       text[]      NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz,
  CONSTRAINT access_keys_pk PRIMARY KEY (id),
  CONSTRAINT access_keys_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
  CONSTRAINT access_keys_scopes_ck CHECK (
    cardinality(scopes) > 0 AND scopes <@ ARRAY['users:read', 'users:write', 'admin']::text[]
  )
);
CREATE INDEX access_keys_tenant_idx ON access_keys (tenant_id, created_at);

-- Groups of users in a directory (Huawei group_ids, later SCIM Groups).
CREATE TABLE groups (
  tenant_id     uuid        NOT NULL,
  id            uuid        NOT NULL,
  directory_id  uuid        NOT NULL,
  name          text        NOT NULL,
  description   text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT groups_pk PRIMARY KEY (tenant_id, id),
  CONSTRAINT groups_name_uq UNIQUE (tenant_id, directory_id, name),
  CONSTRAINT groups_directory_fk FOREIGN KEY (tenant_id, directory_id) REFERENCES directories (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE group_members (
  tenant_id  uuid NOT NULL,
  group_id   uuid NOT NULL,
  user_id    uuid NOT NULL,
  CONSTRAINT group_members_pk PRIMARY KEY (tenant_id, group_id, user_id),
  CONSTRAINT group_members_group_fk FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT group_members_user_fk FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX group_members_user_idx ON group_members (tenant_id, user_id);
