-- Webhooks: endpoints that receive the tenant's domain events over HTTPS
-- (engine/webhooks.ts, workers/webhookHandler.ts, docs/webhooks.md).
--
-- A delivery is a queue item of kind 'webhook' (one queue, one set of lease
-- and attempt rules). Order per endpoint comes from two generic queue
-- columns: `lane` names an ordered stream (the endpoint's id) and `lane_seq`
-- is the item's place in it. A claim takes an item only when no pending item
-- of its lane has a lower seq, so a lane has at most one item in flight and
-- runs in seq order. The seq is reserved from `webhook_endpoints.last_seq`
-- under the endpoint's row lock in the transaction that commits the events:
-- the lock is held until COMMIT, so seq order is commit order per endpoint.
--
-- Secrets are sealed under the server key (bound to the endpoint id), like
-- access keys: signing needs them in the clear. `previous_secret` signs too
-- until `previous_secret_expires_at` (rotation with overlap).
CREATE TABLE webhook_endpoints (
  tenant_id                  uuid        NOT NULL,
  id                         uuid        NOT NULL,
  url                        text        NOT NULL,
  description                text        NOT NULL DEFAULT '',
  event_types                text[]      NOT NULL,
  per_user_events            boolean     NOT NULL DEFAULT false,
  enabled                    boolean     NOT NULL DEFAULT true,
  disabled_reason            text,
  disabled_at                timestamptz,
  secret                     bytea       NOT NULL,
  previous_secret            bytea,
  previous_secret_expires_at timestamptz,
  last_seq                   bigint      NOT NULL DEFAULT 0,
  failing_since              timestamptz,
  created_at                 timestamptz NOT NULL DEFAULT now(),
  updated_at                 timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT webhook_endpoints_pk PRIMARY KEY (tenant_id, id),
  CONSTRAINT webhook_endpoints_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

ALTER TABLE queue ADD COLUMN lane text;
ALTER TABLE queue ADD COLUMN lane_seq bigint;
ALTER TABLE queue ADD CONSTRAINT queue_lane_ck CHECK ((lane IS NULL) = (lane_seq IS NULL));
-- A lane's listing (an endpoint's deliveries, newest first).
CREATE INDEX queue_lane_idx ON queue (tenant_id, kind, lane, lane_seq) WHERE lane IS NOT NULL;
-- The claim's "is an earlier item of this lane pending?" probe: over pending
-- items only, so it stays one index step however many items a lane has done.
CREATE INDEX queue_lane_pending_idx ON queue (tenant_id, kind, lane, lane_seq) WHERE lane IS NOT NULL AND status = 'pending';

ALTER TABLE queue DROP CONSTRAINT queue_kind_ck;
ALTER TABLE queue ADD CONSTRAINT queue_kind_ck CHECK (kind IN ('mail', 'webhook', 'import'));
