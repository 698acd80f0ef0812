-- One durable queue for all background work. The invitation outbox becomes
-- its first kind ('mail'); webhooks and import chunks are further kinds of
-- the same table, with the same lease, attempts, backoff and dead-letter
-- rules (engine/queue.ts). A row is claimed with FOR UPDATE SKIP LOCKED under
-- a lease (locked_until), so any number of instances share the work, and a
-- row whose worker died is claimed again when its lease runs out.
--
-- dedupe_key: the work's stable identity (a mail's Message-ID, a webhook's
-- webhook-id), unique per tenant and kind, so enqueuing twice is one row and
-- receivers can deduplicate redeliveries. target: what the work goes to (a
-- mail's recipient), for listings. invitation_id: mail of an invitation goes
-- when the invitation goes (a deleted user is sent nothing).
ALTER TABLE outbox RENAME TO queue;
ALTER TABLE queue RENAME CONSTRAINT outbox_pk TO queue_pk;
ALTER TABLE queue RENAME COLUMN message_id TO dedupe_key;
ALTER TABLE queue DROP CONSTRAINT outbox_message_id_uq;
ALTER TABLE queue ADD CONSTRAINT queue_dedupe_key_uq UNIQUE (tenant_id, kind, dedupe_key);
ALTER TABLE queue RENAME COLUMN recipient TO target;
ALTER TABLE queue RENAME COLUMN sent_at TO finished_at;
ALTER TABLE queue RENAME CONSTRAINT outbox_invitation_fk TO queue_invitation_fk;
ALTER TABLE queue DROP CONSTRAINT outbox_kind_ck;
ALTER TABLE queue DROP CONSTRAINT outbox_status_ck;
UPDATE queue SET kind = 'mail' WHERE kind = 'invitation';
UPDATE queue SET status = 'done' WHERE status = 'sent';
ALTER TABLE queue ADD CONSTRAINT queue_kind_ck CHECK (kind IN ('mail'));
ALTER TABLE queue ADD CONSTRAINT queue_status_ck CHECK (status IN ('pending', 'done', 'dead'));
DROP INDEX outbox_due_idx;
-- A worker's scan: due rows of its kind, in due order.
CREATE INDEX queue_due_idx ON queue (kind, next_attempt_at) WHERE status = 'pending';
ALTER INDEX outbox_invitation_idx RENAME TO queue_invitation_idx;

ALTER TABLE outbox_attempts RENAME TO queue_attempts;
ALTER TABLE queue_attempts RENAME COLUMN outbox_id TO queue_id;
ALTER TABLE queue_attempts RENAME CONSTRAINT outbox_attempts_pk TO queue_attempts_pk;
ALTER TABLE queue_attempts RENAME CONSTRAINT outbox_attempts_outbox_fk TO queue_attempts_queue_fk;
ALTER TABLE queue_attempts DROP CONSTRAINT outbox_attempts_outcome_ck;
UPDATE queue_attempts SET outcome = 'done' WHERE outcome = 'sent';
ALTER TABLE queue_attempts ADD CONSTRAINT queue_attempts_outcome_ck CHECK (outcome IN ('done', 'failed'));
