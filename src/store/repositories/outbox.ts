/**
 * The outbox. Rows are claimed under a lease: a claim sets `locked_until`, and
 * only rows whose lease is over (or never set) can be claimed again, so a row
 * whose sender died is retried once its lease runs out. FOR UPDATE SKIP LOCKED
 * lets several dispatchers claim at once without waiting on each other.
 */
import type { Queryable } from '../ports.ts';

export interface NewOutboxMessage {
  readonly id: string;
  readonly kind: 'invitation';
  readonly messageId: string;
  readonly recipient: string;
  readonly invitationId: string;
  readonly payload: Buffer;
}

export async function insertMessages(q: Queryable, tenantId: string, messages: readonly NewOutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const column = <T>(pick: (m: NewOutboxMessage) => T) => messages.map(pick);
  await q.query(
    `INSERT INTO outbox (tenant_id, id, kind, message_id, recipient, invitation_id, payload)
     SELECT $1, id, kind, message_id, recipient, invitation_id, decode(payload, 'base64')
     FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::text[])
       AS t(id, kind, message_id, recipient, invitation_id, payload)`,
    [
      tenantId,
      column((m) => m.id),
      column((m) => m.kind),
      column((m) => m.messageId),
      column((m) => m.recipient),
      column((m) => m.invitationId),
      column((m) => m.payload.toString('base64')),
    ],
  );
}

export interface ClaimedMessage {
  readonly tenantId: string;
  readonly id: string;
  readonly kind: 'invitation';
  readonly messageId: string;
  readonly recipient: string;
  readonly payload: Uint8Array;
  /** This attempt's number, counting from 1. */
  readonly attempt: number;
  readonly claimedAt: Date;
}

/** Claims up to `limit` due messages for `leaseMs`, counting the attempt. */
export async function claimDue(q: Queryable, limit: number, leaseMs: number): Promise<ClaimedMessage[]> {
  const { rows } = await q.query<{
    tenant_id: string;
    id: string;
    kind: 'invitation';
    message_id: string;
    recipient: string;
    payload: Uint8Array;
    attempts: number;
    claimed_at: Date;
  }>(
    `UPDATE outbox o SET locked_until = now() + make_interval(secs => $2 / 1000.0), attempts = o.attempts + 1
     FROM (SELECT tenant_id, id FROM outbox
           WHERE status = 'pending' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until <= now())
           ORDER BY next_attempt_at
           LIMIT $1
           FOR UPDATE SKIP LOCKED) due
     WHERE o.tenant_id = due.tenant_id AND o.id = due.id
     RETURNING o.tenant_id, o.id, o.kind, o.message_id, o.recipient, o.payload, o.attempts, now() AS claimed_at`,
    [limit, leaseMs],
  );
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    id: r.id,
    kind: r.kind,
    messageId: r.message_id,
    recipient: r.recipient,
    payload: r.payload,
    attempt: r.attempts,
    claimedAt: r.claimed_at,
  }));
}

async function recordAttempt(q: Queryable, message: ClaimedMessage, outcome: 'sent' | 'failed', error: string | null): Promise<void> {
  await q.query(
    `INSERT INTO outbox_attempts (tenant_id, outbox_id, attempt, started_at, outcome, error) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT ON CONSTRAINT outbox_attempts_pk DO NOTHING`,
    [message.tenantId, message.id, message.attempt, message.claimedAt, outcome, error],
  );
}

/** Delivered: records the attempt, marks it sent, and wipes the payload (it held the invitation token). */
export async function markSent(q: Queryable, message: ClaimedMessage): Promise<void> {
  await recordAttempt(q, message, 'sent', null);
  await q.query(
    `UPDATE outbox SET status = 'sent', sent_at = now(), locked_until = NULL, last_error = NULL, payload = '\\x'::bytea
     WHERE tenant_id = $1 AND id = $2`,
    [message.tenantId, message.id],
  );
}

/** Failed: records the attempt; schedules the next one after `retryInMs`, or marks it dead when that is null. */
export async function markFailed(q: Queryable, message: ClaimedMessage, error: string, retryInMs: number | null): Promise<void> {
  await recordAttempt(q, message, 'failed', error);
  if (retryInMs === null) {
    await q.query(
      `UPDATE outbox SET status = 'dead', locked_until = NULL, last_error = $3, payload = '\\x'::bytea WHERE tenant_id = $1 AND id = $2`,
      [message.tenantId, message.id, error],
    );
  } else {
    await q.query(
      `UPDATE outbox SET locked_until = NULL, last_error = $3, next_attempt_at = now() + make_interval(secs => $4 / 1000.0)
       WHERE tenant_id = $1 AND id = $2`,
      [message.tenantId, message.id, error, retryInMs],
    );
  }
}

export interface OutboxStats {
  readonly pending: number;
  readonly sent: number;
  readonly dead: number;
  /** Seconds the oldest unsent message has waited, or null when none waits. */
  readonly oldestPendingSeconds: number | null;
  readonly attempts: number;
}

/** Counts for one tenant, or for all when `tenantId` is null (logs). */
export async function outboxStats(q: Queryable, tenantId: string | null): Promise<OutboxStats> {
  const { rows } = await q.query<{ pending: number; sent: number; dead: number; oldest: number | null; attempts: number }>(
    `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
            count(*) FILTER (WHERE status = 'sent')::int AS sent,
            count(*) FILTER (WHERE status = 'dead')::int AS dead,
            extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending'))::float8 AS oldest,
            coalesce(sum(attempts), 0)::int AS attempts
     FROM outbox WHERE $1::uuid IS NULL OR tenant_id = $1`,
    [tenantId],
  );
  const row = rows[0]!;
  return { pending: row.pending, sent: row.sent, dead: row.dead, oldestPendingSeconds: row.oldest === null ? null : Math.round(row.oldest), attempts: row.attempts };
}

export interface DeadMessage {
  readonly id: string;
  readonly messageId: string;
  readonly recipient: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: Date;
}

export async function deadMessages(q: Queryable, tenantId: string, limit: number): Promise<DeadMessage[]> {
  const { rows } = await q.query<{ id: string; message_id: string; recipient: string; attempts: number; last_error: string | null; created_at: Date }>(
    `SELECT id, message_id, recipient, attempts, last_error, created_at FROM outbox
     WHERE tenant_id = $1 AND status = 'dead' ORDER BY created_at DESC LIMIT $2`,
    [tenantId, limit],
  );
  return rows.map((r) => ({ id: r.id, messageId: r.message_id, recipient: r.recipient, attempts: r.attempts, lastError: r.last_error, createdAt: r.created_at }));
}
