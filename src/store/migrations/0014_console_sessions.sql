-- Console sessions: an API key exchanged for a cookie (src/http/console). Kept
-- in the database so any instance serves any session (instances are stateless).
--
-- The cookie names its row, `<tenant_id>.<id>.<secret>`, so the lookup is by the
-- primary key, which includes tenant_id like every key of a tenant's table; only
-- SHA-256 of the secret is stored. The session acts with the scopes of the key
-- that signed in, read from api_keys on every request, so revoking the key ends
-- its sessions. api_keys' primary key is (id) alone, so key_id has no foreign
-- key (it could not include tenant_id); a session of a revoked key is refused.
CREATE TABLE console_sessions (
  tenant_id    uuid        NOT NULL,
  id           uuid        NOT NULL,
  key_id       uuid        NOT NULL,
  secret_hash  bytea       NOT NULL,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  CONSTRAINT console_sessions_pk PRIMARY KEY (tenant_id, id),
  CONSTRAINT console_sessions_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);
CREATE INDEX console_sessions_expiry_idx ON console_sessions (tenant_id, expires_at);
