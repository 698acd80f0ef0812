-- Operations at scale (issue 16).
--
-- Citus rule: with tenant_id as the distribution column, every key of a tenant
-- table includes tenant_id (test/store/distribution-rules.test.ts reads the
-- catalog; docs/scaling.md says how the tables are distributed). tenants,
-- api_keys and access_keys are reference tables and keep their global keys.
--
-- users.seq (Gcore's integer id) is found within a tenant's directory, never
-- across tenants; it still comes from one identity sequence.
ALTER TABLE users DROP CONSTRAINT users_seq_uq;
ALTER TABLE users ADD CONSTRAINT users_seq_uq UNIQUE (tenant_id, seq);
-- Registries are always named with their tenant (the caller's key).
ALTER TABLE gcore_registries DROP CONSTRAINT gcore_registries_pk;
ALTER TABLE gcore_registries ADD CONSTRAINT gcore_registries_pk PRIMARY KEY (tenant_id, id);
-- An invitation token does not name its tenant: the invitation page finds it by
-- hash alone (a multi-shard read on Citus, at the pace people click links), then
-- locks it by (tenant_id, token_hash). token_hash leads, so the one index serves
-- both; tokens carry 256 random bits, so a hash is unique across tenants too.
ALTER TABLE invitations DROP CONSTRAINT invitations_token_hash_uq;
ALTER TABLE invitations ADD CONSTRAINT invitations_token_hash_uq UNIQUE (token_hash, tenant_id);

-- Rate-limit and lockout counters, shared by every instance: one row per
-- bucket (an API key, a client address, a user being guessed at) and fixed
-- window, bumped by one UPSERT per request (store/repositories/counters.ts).
-- Keyed by bucket, not by tenant (addresses have none): on Citus it is
-- distributed by bucket on its own and joins nothing. Rows are swept once
-- their window has ended (window_end).
CREATE TABLE rate_limit_hits (
  bucket        text        NOT NULL,
  window_start  timestamptz NOT NULL,
  window_end    timestamptz NOT NULL,
  hits          integer     NOT NULL,
  CONSTRAINT rate_limit_hits_pk PRIMARY KEY (bucket, window_start),
  CONSTRAINT rate_limit_hits_window_ck CHECK (window_end > window_start)
);
CREATE INDEX rate_limit_hits_end_idx ON rate_limit_hits (window_end);
