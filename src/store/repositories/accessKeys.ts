/** Access keys (AK/SK). The secret is stored sealed; only the engine opens it. */
import type { AccessKeyInfo, Scope } from '../../domain/apiKey.ts';
import type { Queryable } from '../ports.ts';

interface Row {
  id: string;
  tenant_id: string;
  name: string;
  scopes: string[];
  created_at: Date;
  revoked_at: Date | null;
}

const toInfo = (row: Row): AccessKeyInfo => ({
  id: row.id,
  tenantId: row.tenant_id,
  name: row.name,
  scopes: row.scopes as Scope[],
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

const COLUMNS = 'id, tenant_id, name, scopes, created_at, revoked_at';

export async function insertAccessKey(q: Queryable, key: { id: string; tenantId: string; name: string; sealedSecret: Buffer; scopes: readonly Scope[] }): Promise<AccessKeyInfo> {
  const { rows } = await q.query<Row>(
    `INSERT INTO access_keys (id, tenant_id, name, secret, scopes) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [key.id, key.tenantId, key.name, key.sealedSecret, key.scopes],
  );
  return toInfo(rows[0]!);
}

/** The access key with this id, its sealed secret, and whether its tenant is disabled. */
export async function findAccessKey(q: Queryable, id: string): Promise<(AccessKeyInfo & { sealedSecret: Uint8Array; tenantDisabled: boolean }) | undefined> {
  const { rows } = await q.query<Row & { secret: Uint8Array; tenant_disabled: boolean }>(
    `SELECT ${COLUMNS.split(', ').map((c) => `a.${c}`).join(', ')}, a.secret, t.disabled_at IS NOT NULL AS tenant_disabled
     FROM access_keys a JOIN tenants t ON t.id = a.tenant_id WHERE a.id = $1`,
    [id],
  );
  return rows[0] && { ...toInfo(rows[0]), sealedSecret: rows[0].secret, tenantDisabled: rows[0].tenant_disabled };
}

export async function listAccessKeys(q: Queryable, tenantId: string): Promise<AccessKeyInfo[]> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM access_keys WHERE tenant_id = $1 ORDER BY created_at, id`, [tenantId]);
  return rows.map(toInfo);
}

/** Revokes (keeping an earlier revocation's time); `newly` is false when it was revoked before. */
export async function revokeAccessKey(q: Queryable, tenantId: string, id: string): Promise<{ key: AccessKeyInfo; newly: boolean } | undefined> {
  // now() is the transaction's start, so it equals revoked_at only when this statement set it.
  const { rows } = await q.query<Row & { newly: boolean }>(
    `UPDATE access_keys SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}, revoked_at = now() AS newly`,
    [tenantId, id],
  );
  return rows[0] && { key: toInfo(rows[0]), newly: rows[0].newly };
}
