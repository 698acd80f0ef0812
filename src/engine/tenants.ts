/**
 * Tenants and API keys: creating a tenant (with its default directory and first
 * admin key), first-start bootstrap, key issue, listing, revocation, and
 * authenticating a presented key.
 */
import { timingSafeEqual } from 'node:crypto';
import { hasScope, isScope, OPERATOR_SCOPE, type ApiKeyInfo, type Principal, type RouteScope, type Scope, type Tenant } from '../domain/apiKey.ts';
import { DEFAULT_DIRECTORY_NAME, isUuid } from '../domain/directory.ts';
import { MusterError } from '../domain/errors.ts';
import { newId } from '../crypto/ids.ts';
import { apiKeyHash, newApiKey, visiblePrefix } from '../crypto/secrets.ts';
import { mappingConstraints } from '../store/constraints.ts';
import type { Queryable } from '../store/ports.ts';
import { insertDirectory } from '../store/repositories/directories.ts';
import * as repo from '../store/repositories/tenants.ts';
import type { Actor } from '../domain/actor.ts';
import type { DomainEvent } from '../domain/events.ts';
import type { EngineContext } from './context.ts';
import { inUnitOfWork } from './unitOfWork.ts';

/** A key as issued: `key` is the only time the secret value is ever returned. */
export interface IssuedKey {
  readonly key: string;
  readonly info: ApiKeyInfo;
}

export interface KeyRequest {
  readonly name: string;
  readonly scopes: readonly string[];
}

/** Bootstrap lock: two instances starting on an empty store create one tenant. */
const BOOTSTRAP_LOCK_ID = 7_240_419_002;

/** Checks a requested scope list; throws `request.invalid` for an empty or unknown one. */
export function validScopes(scopes: readonly string[]): Scope[] {
  const invalid = scopes.filter((s) => !isScope(s));
  if (scopes.length === 0 || invalid.length > 0) {
    throw new MusterError('request.invalid', `scopes must be a non-empty list of users:read, users:write, admin.`, { field: 'scopes' });
  }
  return [...new Set(scopes)] as Scope[];
}

async function issueKey(tx: Queryable, tenantId: string, request: KeyRequest, presetKey?: string): Promise<IssuedKey> {
  const key = presetKey ?? newApiKey();
  const info = await repo.insertApiKey(tx, {
    id: newId(),
    tenantId,
    name: request.name,
    prefix: visiblePrefix(key),
    keyHash: apiKeyHash(key),
    scopes: validScopes(request.scopes),
  });
  return { key, info };
}

async function createTenantIn(tx: Queryable, name: string, presetKey?: string): Promise<{ tenant: Tenant; adminKey: IssuedKey }> {
  const tenant = await repo.insertTenant(tx, { id: newId(), name });
  await insertDirectory(tx, tenant.id, { id: newId(), name: DEFAULT_DIRECTORY_NAME });
  const adminKey = await issueKey(tx, tenant.id, { name: 'admin', scopes: ['admin'] }, presetKey);
  return { tenant, adminKey };
}

function apiKeyEvent(type: 'key.created' | 'key.revoked', key: ApiKeyInfo): DomainEvent {
  return { type, subject: { type: 'api_key', id: key.id }, directoryId: null, data: { name: key.name, prefix: key.prefix, scopes: key.scopes } };
}

export function tenantService(ctx: EngineContext) {
  const service = {
    /** Creates a tenant with a `default` directory and an admin key. */
    createTenant(name: string): Promise<{ tenant: Tenant; adminKey: IssuedKey }> {
      if (name.length === 0 || name.length > 128) throw new MusterError('request.invalid', 'name must be 1 to 128 characters.', { field: 'name' });
      return mappingConstraints(() => ctx.db.transaction((tx) => createTenantIn(tx, name)));
    },

    listTenants: (): Promise<Tenant[]> => repo.listTenants(ctx.db),

    /**
     * Disables a tenant by id or name: from the next request on, its API keys
     * and access keys are refused (`auth.tenant_disabled`); its data stays.
     * Idempotent. Throws `tenant.not_found`.
     */
    async disableTenant(ref: string): Promise<Tenant> {
      const disabled = await repo.disableTenant(ctx.db, (await service.resolveTenant(ref)).id);
      if (!disabled) throw new MusterError('tenant.not_found', `No tenant "${ref}".`);
      return disabled;
    },

    /** The tenant named by `ref` (its id or name); throws `tenant.not_found`. */
    async resolveTenant(ref: string): Promise<Tenant> {
      const tenant = await repo.findTenant(ctx.db, ref, isUuid(ref));
      if (!tenant) throw new MusterError('tenant.not_found', `No tenant "${ref}".`);
      return tenant;
    },

    /**
     * On an empty store, creates the `default` tenant, its `default` directory
     * and an admin key (`presetKey` when given, else a generated one). Returns
     * undefined when the store already has tenants. Safe under concurrent starts.
     */
    bootstrap(presetKey: string | undefined): Promise<{ tenant: Tenant; adminKey: IssuedKey } | undefined> {
      return ctx.db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK_ID]);
        if ((await repo.countTenants(tx)) > 0) return undefined;
        return createTenantIn(tx, 'default', presetKey);
      });
    },

    createKey: (actor: Actor, request: KeyRequest): Promise<IssuedKey> =>
      inUnitOfWork(ctx, actor, async (uow) => {
        const issued = await issueKey(uow.tx, actor.tenantId, request);
        uow.emit(apiKeyEvent('key.created', issued.info));
        return issued;
      }),

    listKeys: (actor: Actor): Promise<ApiKeyInfo[]> => repo.listApiKeys(ctx.db, actor.tenantId),

    /** Revokes by key id or visible prefix. Idempotent: revoking twice keeps the first time (and writes one event). */
    revokeKey: (actor: Actor, ref: string): Promise<ApiKeyInfo> =>
      inUnitOfWork(ctx, actor, async (uow) => {
        const revoked = await repo.revokeApiKey(uow.tx, actor.tenantId, ref, isUuid(ref));
        if (!revoked) throw new MusterError('api_key.not_found');
        if (revoked.newly) uow.emit(apiKeyEvent('key.revoked', revoked.key));
        return revoked.key;
      }),

    /** True when `key` is a live key (used to warn about a stale MUSTER_ADMIN_KEY). */
    async isLiveKey(key: string): Promise<boolean> {
      const found = await repo.findApiKeyByHash(ctx.db, apiKeyHash(key));
      return found !== undefined && found.revokedAt === null;
    },

    /**
     * The principal for a presented key. Throws `auth.invalid_key`,
     * `auth.key_revoked`, `auth.tenant_disabled`, or `auth.insufficient_scope`
     * when `required` is given and not held.
     */
    async authenticateKey(key: string, required?: RouteScope): Promise<Principal> {
      const found = await repo.findApiKeyByHash(ctx.db, apiKeyHash(key));
      if (!found) throw new MusterError('auth.invalid_key');
      if (found.revokedAt !== null) throw new MusterError('auth.key_revoked');
      if (found.tenantDisabled) throw new MusterError('auth.tenant_disabled');
      const principal: Principal = {
        tenantId: found.tenantId,
        keyId: found.id,
        scopes: found.scopes,
        identity: { kind: 'api_key', keyId: found.id, prefix: found.prefix },
      };
      if (required && !hasScope(principal, required)) {
        throw new MusterError('auth.insufficient_scope', `This operation needs the ${required} scope.`, { requiredScope: required });
      }
      if (found.lastUsedAt === null || ctx.now().getTime() - found.lastUsedAt.getTime() > 60_000) {
        await repo.touchApiKey(ctx.db, found.id);
      }
      return principal;
    },
  };
  return {
    ...service,
    /** Admits the operator key only: see `authenticateOperatorIn`. */
    authenticateOperator: (key: string): Promise<void> => authenticateOperatorIn(service, ctx.operatorKeyHash, key),
  };
}

/**
 * Checks the operator key (compared as SHA-256 digests in constant time). A
 * tenant's key presented instead is `auth.insufficient_scope` (after the checks
 * of `authenticateKey`), anything else `auth.invalid_key`.
 */
async function authenticateOperatorIn(service: { authenticateKey(key: string): Promise<Principal> }, operatorKeyHash: Buffer, key: string): Promise<void> {
  const presented = apiKeyHash(key);
  if (presented.length === operatorKeyHash.length && timingSafeEqual(presented, operatorKeyHash)) return;
  await service.authenticateKey(key);
  throw new MusterError('auth.insufficient_scope', `This operation needs the ${OPERATOR_SCOPE} scope, which only the operator key has.`, { requiredScope: OPERATOR_SCOPE });
}

export type TenantService = ReturnType<typeof tenantService>;
