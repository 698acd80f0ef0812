-- Tenants the operator disabled (POST /v1/tenants/{tenant}/disable): their API
-- keys and access keys stop authenticating; their data stays.
ALTER TABLE tenants ADD COLUMN disabled_at timestamptz;
