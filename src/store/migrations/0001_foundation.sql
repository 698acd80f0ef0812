-- Foundation: tenants, API keys, directories, users.
-- Every constraint is named; the engine maps violations by name.
-- Keys lead with tenant_id so the schema can be distributed by tenant (Citus).

CREATE TABLE tenants (
  id          uuid        NOT NULL,
  name        text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tenants_pk PRIMARY KEY (id),
  CONSTRAINT tenants_name_uq UNIQUE (name),
  CONSTRAINT tenants_name_ck CHECK (length(name) BETWEEN 1 AND 128)
);

CREATE TABLE api_keys (
  id            uuid        NOT NULL,
  tenant_id     uuid        NOT NULL,
  name          text        NOT NULL,
  prefix        text        NOT NULL,
  key_hash      bytea       NOT NULL,
  scopes        text[]      NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz,
  CONSTRAINT api_keys_pk PRIMARY KEY (id),
  CONSTRAINT api_keys_key_hash_uq UNIQUE (key_hash),
  CONSTRAINT api_keys_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
  CONSTRAINT api_keys_scopes_ck CHECK (
    cardinality(scopes) > 0 AND scopes <@ ARRAY['users:read', 'users:write', 'admin']::text[]
  )
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at);

CREATE TABLE directories (
  tenant_id   uuid        NOT NULL,
  id          uuid        NOT NULL,
  name        text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT directories_pk PRIMARY KEY (tenant_id, id),
  CONSTRAINT directories_name_uq UNIQUE (tenant_id, name),
  CONSTRAINT directories_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
  CONSTRAINT directories_name_ck CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$')
);

-- username_key / email_key: NFKC + lower case, computed by the domain layer
-- (comparisonKey) so both stores compare identically whatever their collation.
CREATE TABLE users (
  tenant_id      uuid        NOT NULL,
  directory_id   uuid        NOT NULL,
  id             uuid        NOT NULL,
  username       text        NOT NULL,
  username_key   text        NOT NULL,
  email          text,
  email_key      text,
  display_name   text,
  given_name     text,
  family_name    text,
  phone          text,
  locale         text,
  external_id    text,
  status         text        NOT NULL,
  expires_at     timestamptz,
  attributes     jsonb       NOT NULL DEFAULT '{}'::jsonb,
  password_hash  text,
  secret_hash    bytea,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  version        integer     NOT NULL DEFAULT 1,
  CONSTRAINT users_pk PRIMARY KEY (tenant_id, id),
  CONSTRAINT users_directory_fk FOREIGN KEY (tenant_id, directory_id)
    REFERENCES directories (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT users_username_uq UNIQUE (tenant_id, directory_id, username_key),
  CONSTRAINT users_email_uq UNIQUE (tenant_id, directory_id, email_key),
  CONSTRAINT users_status_ck CHECK (status IN ('pending', 'active', 'disabled')),
  CONSTRAINT users_email_key_ck CHECK ((email IS NULL) = (email_key IS NULL))
);
-- Cursor pagination walks a directory in id order (UUIDv7: creation order).
CREATE INDEX users_directory_page_idx ON users (tenant_id, directory_id, id);
