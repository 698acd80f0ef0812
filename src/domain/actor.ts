/**
 * Who does a write. Every engine use case takes an actor first: the tenant it
 * acts in, the principal that authenticated, the dialect the request came
 * through and the request id. Events and the audit trail record it. Pure.
 */
export const DIALECTS = ['native', 'scim', 'gcore', 'huawei', 'alloy', 'royalti', 'console', 'invite', 'cli', 'system'] as const;
export type Dialect = (typeof DIALECTS)[number];

/** The authenticated party behind an actor; never a credential, only what names it. */
export type ActorPrincipal =
  | { readonly kind: 'api_key'; readonly keyId: string; readonly prefix: string }
  | { readonly kind: 'access_key'; readonly accessKey: string }
  | { readonly kind: 'jwt'; readonly subject: string; readonly issuer: string }
  /** A person acting on their own account through a link muster sent (the invitation page). */
  | { readonly kind: 'invitee'; readonly userId: string }
  | { readonly kind: 'cli' }
  /** The operator key, acting on a tenant from outside it (the operator API). */
  | { readonly kind: 'operator' }
  /** muster itself: a worker, a sweeper, the bootstrap. */
  | { readonly kind: 'system'; readonly component: string };

export interface Actor {
  readonly tenantId: string;
  readonly principal: ActorPrincipal;
  readonly dialect: Dialect;
  /** The HTTP request id, or null outside a request. */
  readonly requestId: string | null;
}

/** The actor of an operator's command line. */
export function cliActor(tenantId: string): Actor {
  return { tenantId, principal: { kind: 'cli' }, dialect: 'cli', requestId: null };
}

/** The operator key acting on `tenantId` through the operator API. */
export function operatorActor(tenantId: string, requestId: string): Actor {
  return { tenantId, principal: { kind: 'operator' }, dialect: 'native', requestId };
}

/** How an actor is stored and filtered: a kind, an id and a human label (key prefix, AK, subject). */
export function actorColumns(actor: Actor): { kind: ActorPrincipal['kind']; id: string | null; label: string | null } {
  const p = actor.principal;
  switch (p.kind) {
    case 'api_key':
      return { kind: p.kind, id: p.keyId, label: p.prefix };
    case 'access_key':
      return { kind: p.kind, id: p.accessKey, label: null };
    case 'jwt':
      return { kind: p.kind, id: p.subject, label: p.issuer };
    case 'invitee':
      return { kind: p.kind, id: p.userId, label: null };
    case 'cli':
    case 'operator':
      return { kind: p.kind, id: null, label: null };
    case 'system':
      return { kind: p.kind, id: null, label: p.component };
  }
}
