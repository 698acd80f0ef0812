/**
 * The operator tasks the CLI offers on tenants and their API keys, done one of
 * two ways with the same results: on the store directly (`local`, when the CLI
 * may open it), or through a running service's operator API (`remote`, when
 * that service holds the embedded store's data directory). Values come back in
 * the API's wire shapes either way (timestamps as ISO 8601 text).
 */
import type { ApiKeyInfo, Tenant } from '../domain/apiKey.ts';
import { cliActor } from '../domain/actor.ts';
import type { Engine } from '../engine/engine.ts';
import { serviceClient } from './http.ts';

export interface TenantView {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly disabledAt: string | null;
}

export interface KeyView {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly scopes: readonly string[];
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

export interface KeyRequest {
  readonly name: string;
  readonly scopes: readonly string[];
}

export interface OperatorTasks {
  createTenant(name: string): Promise<{ tenant: TenantView; adminKey: KeyView & { key: string } }>;
  listTenants(): Promise<TenantView[]>;
  disableTenant(ref: string): Promise<TenantView>;
  createKey(tenantRef: string, request: KeyRequest): Promise<KeyView & { key: string }>;
  listKeys(tenantRef: string): Promise<KeyView[]>;
  revokeKey(tenantRef: string, keyRef: string): Promise<KeyView>;
}

export { ServiceError, ServiceUnreachableError } from './http.ts';

const iso = (date: Date | null) => date?.toISOString() ?? null;
const tenantView = (t: Tenant): TenantView => ({ id: t.id, name: t.name, createdAt: t.createdAt.toISOString(), disabledAt: iso(t.disabledAt) });
const keyView = (k: ApiKeyInfo): KeyView => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: iso(k.lastUsedAt),
  revokedAt: iso(k.revokedAt),
});

/** The tasks on an open store, through the engine. */
export function localTasks(engine: Engine): OperatorTasks {
  /** The CLI acts as itself (`cli`) in the tenant it names. */
  const actorIn = async (ref: string) => cliActor((await engine.tenants.resolveTenant(ref)).id);
  return {
    async createTenant(name) {
      const { tenant, adminKey } = await engine.tenants.createTenant(name);
      return { tenant: tenantView(tenant), adminKey: { ...keyView(adminKey.info), key: adminKey.key } };
    },
    listTenants: async () => (await engine.tenants.listTenants()).map(tenantView),
    disableTenant: async (ref) => tenantView(await engine.tenants.disableTenant(ref)),
    async createKey(tenantRef, request) {
      const issued = await engine.tenants.createKey(await actorIn(tenantRef), request);
      return { ...keyView(issued.info), key: issued.key };
    },
    listKeys: async (tenantRef) => (await engine.tenants.listKeys(await actorIn(tenantRef))).map(keyView),
    revokeKey: async (tenantRef, keyRef) => keyView(await engine.tenants.revokeKey(await actorIn(tenantRef), keyRef)),
  };
}

/**
 * The tasks through the operator API of the service at `baseUrl`, with the
 * operator key. Throws ServiceUnreachableError when nothing answers there and
 * ServiceError with the service's code when it refuses.
 */
export function remoteTasks(baseUrl: string, operatorKey: string): OperatorTasks {
  const client = serviceClient(baseUrl, operatorKey);
  const call = <T>(method: string, path: string, body?: unknown) => client.json<T>(method, path, body);
  const segment = encodeURIComponent;
  return {
    createTenant: (name) => call('POST', '/tenants', { name }),
    listTenants: async () => (await call<{ tenants: TenantView[] }>('GET', '/tenants')).tenants,
    disableTenant: (ref) => call('POST', `/tenants/${segment(ref)}/disable`),
    createKey: (tenantRef, request) => call('POST', `/tenants/${segment(tenantRef)}/api-keys`, request),
    listKeys: async (tenantRef) => (await call<{ keys: KeyView[] }>('GET', `/tenants/${segment(tenantRef)}/api-keys`)).keys,
    revokeKey: (tenantRef, keyRef) => call('POST', `/tenants/${segment(tenantRef)}/api-keys/${segment(keyRef)}/revoke`),
  };
}
