/**
 * JWT bearer authentication (the Royalti dialect): `Authorization: Bearer <JWT>`
 * issued by muster (POST /v1/tokens) or by a trusted external issuer. The token
 * grants the tenant (`tid`) and scopes (`scope`); routes declare the scope they
 * need in `config.scope`. Any failure is `auth.invalid_token` with the reason.
 */
import type { FastifyInstance } from 'fastify';
import { hasScope, type Principal, type RouteScope } from '../../domain/apiKey.ts';
import { MusterError } from '../../domain/errors.ts';
import { InvalidTokenError, type JwtAuthority } from '../../crypto/jwt.ts';
import type { Dialect } from '../../domain/actor.ts';
import { decorateAuthentication } from './apiKeyAuth.ts';
import { credentialFromHeader } from './bearer.ts';

/** The principal a JWT grants, checked against the route's scope; throws `auth.invalid_token` or `auth.insufficient_scope`. */
export async function principalFromJwt(jwt: JwtAuthority, token: string, required: RouteScope | undefined): Promise<Principal> {
  let principal: Principal;
  try {
    const grant = await jwt.verify(token);
    principal = {
      tenantId: grant.tenantId,
      keyId: grant.subject,
      scopes: grant.scopes,
      identity: { kind: 'jwt', subject: grant.subject, issuer: grant.issuer ?? '' },
    };
  } catch (error) {
    if (error instanceof InvalidTokenError) throw new MusterError('auth.invalid_token', `The bearer token is not valid: ${error.message}.`);
    throw error;
  }
  if (required && !hasScope(principal, required)) throw new MusterError('auth.insufficient_scope', `This operation needs the ${required} scope.`, { requiredScope: required });
  return principal;
}

export function useJwtAuth(app: FastifyInstance, jwt: JwtAuthority, dialect: Dialect): void {
  decorateAuthentication(app);
  app.addHook('onRequest', async (request) => {
    const token = credentialFromHeader(request.headers.authorization, 'Bearer');
    request.principal = await principalFromJwt(jwt, token, request.routeOptions.config.scope);
    request.dialect = dialect;
  });
}
