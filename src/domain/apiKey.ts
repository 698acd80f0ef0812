/** API keys: scopes and the principal a key stands for. Pure, no I/O. */

export const SCOPES = ['users:read', 'users:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Who is calling: the tenant and the key's scopes, established by authentication. */
export interface Principal {
  readonly tenantId: string;
  readonly keyId: string;
  readonly scopes: readonly Scope[];
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

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}
