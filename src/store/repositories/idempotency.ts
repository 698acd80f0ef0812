/** Idempotency keys. Times are the database's, so every instance agrees on them. */
import type { Queryable } from '../ports.ts';

export interface IdempotencyRow {
  readonly fingerprint: Uint8Array;
  readonly state: 'running' | 'done';
  readonly response: Uint8Array | null;
  readonly expired: boolean;
  readonly lockExpired: boolean;
  /** Milliseconds until a running key's lease lapses (0 or less: lapsed). */
  readonly lockRemainingMs: number;
}

/** Takes the key for a new request; false when a row for it exists. */
export async function insertRunning(q: Queryable, tenantId: string, key: string, fingerprint: Buffer, leaseSeconds: number, ttlHours: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `INSERT INTO idempotency_keys (tenant_id, key, fingerprint, state, locked_until, expires_at)
     VALUES ($1, $2, $3, 'running', now() + make_interval(secs => $4), now() + make_interval(hours => $5))
     ON CONFLICT DO NOTHING`,
    [tenantId, key, fingerprint, leaseSeconds, ttlHours],
  );
  return rowCount > 0;
}

export async function findKey(q: Queryable, tenantId: string, key: string): Promise<IdempotencyRow | undefined> {
  const { rows } = await q.query<{ fingerprint: Uint8Array; state: 'running' | 'done'; response: Uint8Array | null; expired: boolean; lock_expired: boolean; lock_remaining_ms: number }>(
    `SELECT fingerprint, state, response, expires_at <= now() AS expired, locked_until <= now() AS lock_expired,
            (extract(epoch FROM locked_until - now()) * 1000)::float8 AS lock_remaining_ms
     FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`,
    [tenantId, key],
  );
  const row = rows[0];
  return (
    row && {
      fingerprint: row.fingerprint,
      state: row.state,
      response: row.response,
      expired: row.expired,
      lockExpired: row.lock_expired,
      lockRemainingMs: Number(row.lock_remaining_ms),
    }
  );
}

export async function deleteExpired(q: Queryable, tenantId: string, key: string): Promise<void> {
  await q.query('DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2 AND expires_at <= now()', [tenantId, key]);
}

/** Takes over a running key whose lease ran out (its owner died); true if this caller got it. */
export async function takeOverAbandoned(q: Queryable, tenantId: string, key: string, leaseSeconds: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => $3)
     WHERE tenant_id = $1 AND key = $2 AND state = 'running' AND locked_until <= now()`,
    [tenantId, key, leaseSeconds],
  );
  return rowCount > 0;
}

/** Extends a running key's lease (its request is alive); false when the key is no longer running. */
export async function renewRunning(q: Queryable, tenantId: string, key: string, leaseSeconds: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => $3)
     WHERE tenant_id = $1 AND key = $2 AND state = 'running'`,
    [tenantId, key, leaseSeconds],
  );
  return rowCount > 0;
}

export async function markDone(q: Queryable, tenantId: string, key: string, response: Buffer): Promise<void> {
  await q.query(`UPDATE idempotency_keys SET state = 'done', response = $3 WHERE tenant_id = $1 AND key = $2`, [tenantId, key, response]);
}

export async function deleteRunning(q: Queryable, tenantId: string, key: string): Promise<void> {
  await q.query(`DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2 AND state = 'running'`, [tenantId, key]);
}

export async function deleteAllExpired(q: Queryable): Promise<number> {
  return (await q.query('DELETE FROM idempotency_keys WHERE expires_at <= now()')).rowCount;
}
