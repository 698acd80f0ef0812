-- Idempotency keys: the first response to a request, sealed (AES-256-GCM under
-- the server key), replayed to retries with the same key and body until expiry.
CREATE TABLE idempotency_keys (
  tenant_id     uuid        NOT NULL,
  key           text        NOT NULL,
  fingerprint   bytea       NOT NULL,
  state         text        NOT NULL,
  response      bytea,
  locked_until  timestamptz NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  CONSTRAINT idempotency_keys_pk PRIMARY KEY (tenant_id, key),
  CONSTRAINT idempotency_keys_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
  CONSTRAINT idempotency_keys_state_ck CHECK (state IN ('running', 'done')),
  CONSTRAINT idempotency_keys_response_ck CHECK ((state = 'done') = (response IS NOT NULL))
);
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);
