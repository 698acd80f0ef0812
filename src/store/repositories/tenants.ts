/** Tenants and API keys. Every function takes the handle it must run on. */
import type { ApiKeyInfo, Scope, Tenant } from '../../domain/apiKey.ts';
import type { Queryable } from '../ports.ts';

interface TenantRow {
  id: string;
  name: string;
  created_at: Date;
  disabled_at: Date | null;
}

const toTenant = (row: TenantRow): Tenant => ({ id: row.id, name: row.name, createdAt: row.created_at, disabledAt: row.disabled_at });
const TENANT_COLUMNS = 'id, name, created_at, disabled_at';

export async function insertTenant(q: Queryable, tenant: { id: string; name: string }): Promise<Tenant> {
  const { rows } = await q.query<TenantRow>(`INSERT INTO tenants (id, name) VALUES ($1, $2) RETURNING ${TENANT_COLUMNS}`, [tenant.id, tenant.name]);
  return toTenant(rows[0]!);
}

export async function countTenants(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM tenants');
  return rows[0]!.n;
}

/** By id (when `ref` is a UUID) or name. */
export async function findTenant(q: Queryable, ref: string, refIsId: boolean): Promise<Tenant | undefined> {
  const { rows } = await q.query<TenantRow>(`SELECT ${TENANT_COLUMNS} FROM tenants WHERE ${refIsId ? 'id' : 'name'} = $1`, [ref]);
  return rows[0] ? toTenant(rows[0]) : undefined;
}

export async function listTenants(q: Queryable): Promise<Tenant[]> {
  const { rows } = await q.query<TenantRow>(`SELECT ${TENANT_COLUMNS} FROM tenants ORDER BY created_at, id`);
  return rows.map(toTenant);
}

/** Disables a tenant (idempotent: the first time stays); undefined when there is none such. */
export async function disableTenant(q: Queryable, id: string): Promise<Tenant | undefined> {
  const { rows } = await q.query<TenantRow>(
    `UPDATE tenants SET disabled_at = coalesce(disabled_at, now()) WHERE id = $1 RETURNING ${TENANT_COLUMNS}`,
    [id],
  );
  return rows[0] ? toTenant(rows[0]) : undefined;
}

interface ApiKeyRow {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const API_KEY_COLUMNS = 'id, tenant_id, name, prefix, scopes, created_at, last_used_at, revoked_at';

const toApiKey = (row: ApiKeyRow): ApiKeyInfo => ({
  id: row.id,
  tenantId: row.tenant_id,
  name: row.name,
  prefix: row.prefix,
  scopes: row.scopes as Scope[],
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
});

export interface NewApiKey {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly prefix: string;
  readonly keyHash: Buffer;
  readonly scopes: readonly Scope[];
}

export async function insertApiKey(q: Queryable, key: NewApiKey): Promise<ApiKeyInfo> {
  const { rows } = await q.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, scopes)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${API_KEY_COLUMNS}`,
    [key.id, key.tenantId, key.name, key.prefix, key.keyHash, key.scopes],
  );
  return toApiKey(rows[0]!);
}

/** The key with this hash, and whether its tenant is disabled. */
export async function findApiKeyByHash(q: Queryable, keyHash: Buffer): Promise<(ApiKeyInfo & { tenantDisabled: boolean }) | undefined> {
  const { rows } = await q.query<ApiKeyRow & { tenant_disabled: boolean }>(
    `SELECT ${API_KEY_COLUMNS.split(', ').map((c) => `k.${c}`).join(', ')}, t.disabled_at IS NOT NULL AS tenant_disabled
     FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.key_hash = $1`,
    [keyHash],
  );
  return rows[0] ? { ...toApiKey(rows[0]), tenantDisabled: rows[0].tenant_disabled } : undefined;
}

export async function listApiKeys(q: Queryable, tenantId: string): Promise<ApiKeyInfo[]> {
  const { rows } = await q.query<ApiKeyRow>(
    `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id`,
    [tenantId],
  );
  return rows.map(toApiKey);
}

/** Revokes by id or visible prefix; returns the key, or undefined if the tenant has none such. */
/** Revokes (keeping an earlier revocation's time); `newly` is false when it was revoked before. */
export async function revokeApiKey(q: Queryable, tenantId: string, ref: string, refIsId: boolean): Promise<{ key: ApiKeyInfo; newly: boolean } | undefined> {
  // now() is the transaction's start, so it equals revoked_at only when this statement set it.
  const { rows } = await q.query<ApiKeyRow & { newly: boolean }>(
    `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
     WHERE tenant_id = $1 AND ${refIsId ? 'id' : 'prefix'} = $2 RETURNING ${API_KEY_COLUMNS}, revoked_at = now() AS newly`,
    [tenantId, ref],
  );
  return rows[0] ? { key: toApiKey(rows[0]), newly: rows[0].newly } : undefined;
}

/** Records use at most once a minute per key, so authentication rarely writes. */
export async function touchApiKey(q: Queryable, id: string): Promise<void> {
  await q.query(
    `UPDATE api_keys SET last_used_at = now()
     WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
    [id],
  );
}

export async function getRedirectAllowlist(q: Queryable, tenantId: string): Promise<string[]> {
  const { rows } = await q.query<{ redirect_allowlist: string[] }>('SELECT redirect_allowlist FROM tenants WHERE id = $1', [tenantId]);
  return rows[0]?.redirect_allowlist ?? [];
}

export async function setRedirectAllowlist(q: Queryable, tenantId: string, allowlist: readonly string[]): Promise<void> {
  await q.query('UPDATE tenants SET redirect_allowlist = $2 WHERE id = $1', [tenantId, allowlist]);
}
