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

/** `admin` includes every other scope. */
export function hasScope(principal: Principal, required: Scope): boolean {
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
}
