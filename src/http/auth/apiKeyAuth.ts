/**
 * API-key authentication for the dialects that use muster's keys. Runs on `onRequest`,
 * before the body is read, so an unauthenticated caller learns nothing about
 * the body's validity. Each route declares the scope it needs in
 * `config.scope`; routes without one need only a valid key. Routes that need
 * the `operator` scope admit the operator key only and set no principal.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor, Dialect } from '../../domain/actor.ts';
import { OPERATOR_SCOPE, type Principal, type RouteScope } from '../../domain/apiKey.ts';
import type { Engine } from '../../engine/engine.ts';
import { credentialFromHeader } from './bearer.ts';
import { sessionOf } from './consoleSession.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by authentication; read it through `principalOf` or `actorOf`. */
    principal: Principal | null;
    /** The dialect whose authentication admitted the request (set with `principal`). */
    dialect: Dialect | null;
  }
  interface FastifyContextConfig {
    /** The scope a route requires; `admin` satisfies any tenant scope, only the operator key `operator`. */
    scope?: RouteScope;
  }
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route is not behind authentication');
  return request.principal;
}

/** The actor every engine call of this request acts as: the principal's tenant and identity, the dialect, the request id. */
export function actorOf(request: FastifyRequest): Actor {
  const principal = principalOf(request);
  return { tenantId: principal.tenantId, principal: principal.identity, dialect: request.dialect ?? 'native', requestId: request.id };
}

/** Declares the request decorations authentication sets (once per app; encapsulated plugins share them). */
export function decorateAuthentication(app: FastifyInstance): void {
  if (!app.hasRequestDecorator('principal')) app.decorateRequest('principal', null);
  if (!app.hasRequestDecorator('dialect')) app.decorateRequest('dialect', null);
}

/**
 * Adds API-key authentication to every route registered on `app` (an
 * encapsulated plugin): `Authorization: <scheme> <key>`, the scheme matched in
 * any letter case (`Bearer` natively, `APIKey` for Gcore clients).
 *
 * With `consoleSessions` (the native API), a request without an Authorization
 * header may present the console's session cookie instead (consoleSession.ts):
 * it acts with the scopes of the key that signed in, as dialect `console`, and
 * a write needs the session's CSRF token. An Authorization header, when
 * present, always decides.
 */
export function useApiKeyAuth(app: FastifyInstance, engine: Engine, dialect: Dialect, scheme = 'Bearer', options: { consoleSessions?: boolean } = {}): void {
  decorateAuthentication(app);
  app.addHook('onRequest', async (request) => {
    const required = request.routeOptions.config.scope;
    const session = options.consoleSessions && request.headers.authorization === undefined ? sessionOf(request) : undefined;
    if (session && required !== OPERATOR_SCOPE) {
      request.principal = await engine.consoleSessions.authenticate(session, required);
      request.dialect = 'console';
      return;
    }
    const key = credentialFromHeader(request.headers.authorization, scheme);
    // Operator routes act on tenants, not within one: no principal, and no tenant key admitted.
    if (required === OPERATOR_SCOPE) await engine.tenants.authenticateOperator(key);
    else request.principal = await engine.tenants.authenticateKey(key, required);
    request.dialect = dialect;
  });
}
