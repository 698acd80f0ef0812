/** Console sessions (migration 0014). Every function takes the handle it must run on. */
import type { Scope } from '../../domain/apiKey.ts';
import type { Queryable } from '../ports.ts';

/** A session with what authentication needs of its key and tenant. */
export interface SessionRecord {
  readonly tenantId: string;
  readonly id: string;
  readonly keyId: string;
  readonly secretHash: Buffer;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly keyPrefix: string;
  readonly scopes: readonly Scope[];
  readonly keyRevoked: boolean;
  readonly tenantDisabled: boolean;
}

interface SessionRow {
  tenant_id: string;
  id: string;
  key_id: string;
  secret_hash: Uint8Array;
  created_at: Date;
  expires_at: Date;
  prefix: string;
  scopes: string[];
  key_revoked: boolean;
  tenant_disabled: boolean;
}

export async function insertSession(
  q: Queryable,
  session: { tenantId: string; id: string; keyId: string; secretHash: Buffer; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await q.query(
    'INSERT INTO console_sessions (tenant_id, id, key_id, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
    [session.tenantId, session.id, session.keyId, session.secretHash, session.createdAt, session.expiresAt],
  );
}

/** The session with its key's prefix, scopes and revocation, and its tenant's state; undefined when there is none. */
export async function findSession(q: Queryable, tenantId: string, id: string): Promise<SessionRecord | undefined> {
  const { rows } = await q.query<SessionRow>(
    `SELECT s.tenant_id, s.id, s.key_id, s.secret_hash, s.created_at, s.expires_at, k.prefix, k.scopes,
            k.revoked_at IS NOT NULL AS key_revoked, t.disabled_at IS NOT NULL AS tenant_disabled
       FROM console_sessions s
       JOIN api_keys k ON k.id = s.key_id AND k.tenant_id = s.tenant_id
       JOIN tenants t ON t.id = s.tenant_id
      WHERE s.tenant_id = $1 AND s.id = $2`,
    [tenantId, id],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    tenantId: row.tenant_id,
    id: row.id,
    keyId: row.key_id,
    secretHash: Buffer.from(row.secret_hash),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    keyPrefix: row.prefix,
    scopes: row.scopes as Scope[],
    keyRevoked: row.key_revoked,
    tenantDisabled: row.tenant_disabled,
  };
}

export async function extendSession(q: Queryable, tenantId: string, id: string, expiresAt: Date): Promise<void> {
  await q.query('UPDATE console_sessions SET expires_at = $3 WHERE tenant_id = $1 AND id = $2', [tenantId, id, expiresAt]);
}

export async function deleteSession(q: Queryable, tenantId: string, id: string): Promise<void> {
  await q.query('DELETE FROM console_sessions WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
}

/** Deletes the tenant's sessions that expired before `now`; returns how many. */
export async function deleteExpiredSessions(q: Queryable, tenantId: string, now: Date): Promise<number> {
  const { rowCount } = await q.query('DELETE FROM console_sessions WHERE tenant_id = $1 AND expires_at <= $2', [tenantId, now]);
  return rowCount;
}
