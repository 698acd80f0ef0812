-- Lanes without a walk (store/repositories/queue.ts, docs/webhooks.md).
--
-- Until now a claim took a lane's item only when no pending item of its lane
-- had a lower seq, so every claim walked all the pending items of a blocked
-- lane (an endpoint that is down with its backlog). Now only a lane's HEAD is
-- claimable: the other pending items of the lane are `lane_waiting` and out
-- of the due index, so a claim visits due heads and unlaned items only,
-- whatever the backlog. When the head ends (done or dead), the lane's next
-- pending item is promoted in the same transaction; enqueuing into a lane
-- without a head promotes the first new item.
--
-- Promotion and enqueuing serialise on the lane's row in `queue_lanes`
-- (SELECT ... FOR UPDATE): without it, a head finishing while an item is
-- enqueued could leave a lane of waiting items and no head (each side reads
-- the other's change as not yet committed). Lock order: a webhook endpoint's
-- row, then its lane, then queue rows.
CREATE TABLE queue_lanes (
  tenant_id uuid NOT NULL,
  kind      text NOT NULL,
  lane      text NOT NULL,
  CONSTRAINT queue_lanes_pk PRIMARY KEY (tenant_id, kind, lane),
  CONSTRAINT queue_lanes_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
INSERT INTO queue_lanes (tenant_id, kind, lane) SELECT DISTINCT tenant_id, kind, lane FROM queue WHERE lane IS NOT NULL;

ALTER TABLE queue ADD COLUMN lane_waiting boolean NOT NULL DEFAULT false;
ALTER TABLE queue ADD CONSTRAINT queue_lane_waiting_ck CHECK (lane IS NOT NULL OR NOT lane_waiting);
UPDATE queue q SET lane_waiting = true
WHERE q.lane IS NOT NULL AND q.status = 'pending'
  AND EXISTS (SELECT 1 FROM queue e WHERE e.tenant_id = q.tenant_id AND e.kind = q.kind AND e.lane = q.lane
                AND e.status = 'pending' AND e.lane_seq < q.lane_seq);
-- At most one head per lane; also the promotion's "has the lane a head?" probe.
CREATE UNIQUE INDEX queue_lane_head_uq ON queue (tenant_id, kind, lane) WHERE lane IS NOT NULL AND status = 'pending' AND NOT lane_waiting;
-- A worker's scan: due rows of its kind that may run (no waiting lane item), in due order.
DROP INDEX queue_due_idx;
CREATE INDEX queue_due_idx ON queue (kind, next_attempt_at) WHERE status = 'pending' AND NOT lane_waiting;

-- A requeued item (a webhook redelivery) runs its kind's retry schedule from
-- the start again, while its attempts keep counting (queue_attempts is keyed
-- by attempt): the schedule's position is attempts - retry_base.
ALTER TABLE queue ADD COLUMN retry_base integer NOT NULL DEFAULT 0;
