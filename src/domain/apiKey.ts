/** API keys: scopes and the principal a key stands for. Pure, no I/O. */
import type { ActorPrincipal } from './actor.ts';

export const SCOPES = ['users:read', 'users:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Who is calling: the tenant and the key's scopes, established by authentication. */
export interface Principal {
  readonly tenantId: string;
  /** The API key's id, the access key (AK), or a JWT's subject. */
  readonly keyId: string;
  readonly scopes: readonly Scope[];
  /** How writes by this principal are recorded (events, audit). */
  readonly identity: ActorPrincipal;
}

/**
 * The operator's scope: creating, listing and disabling tenants, and managing
 * any tenant's keys. No API key holds it and no tenant key can be given it, so
 * a tenant's admin can never reach another tenant; its one holder is the
 * operator key (MUSTER_OPERATOR_KEY, else `DATA_DIR/operator.key`).
 */
export const OPERATOR_SCOPE = 'operator';

/** What a route may require: a tenant scope, or the operator's. */
export type RouteScope = Scope | typeof OPERATOR_SCOPE;

/** `admin` includes every tenant scope; no key has the operator scope. */
export function hasScope(principal: Principal, required: RouteScope): boolean {
  if (required === OPERATOR_SCOPE) return false;
  return principal.scopes.includes('admin') || principal.scopes.includes(required);
}

/** An API key as listed: never the key itself, only its visible prefix. */
export interface ApiKeyInfo {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly prefix: string;
  readonly scopes: readonly Scope[];
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** An access key (AK/SK) as listed: never its secret. */
export interface AccessKeyInfo {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  /** Set once the operator disabled the tenant: its keys stop working; its data stays. */
  readonly disabledAt: Date | null;
}
