/**
 * JWT bearer authentication (the Royalti dialect): `Authorization: Bearer <JWT>`
 * issued by muster (POST /v1/tokens) or by a trusted external issuer. The token
 * grants the tenant (`tid`) and scopes (`scope`); routes declare the scope they
 * need in `config.scope`. Any failure is `auth.invalid_token` with the reason.
 */
import type { FastifyInstance } from 'fastify';
import { hasScope, type Principal } from '../../domain/apiKey.ts';
import { MusterError } from '../../domain/errors.ts';
import { InvalidTokenError, type JwtAuthority } from '../../crypto/jwt.ts';
import type { Dialect } from '../../domain/actor.ts';
import { decorateAuthentication } from './apiKeyAuth.ts';
import { credentialFromHeader } from './bearer.ts';

export function useJwtAuth(app: FastifyInstance, jwt: JwtAuthority, dialect: Dialect): void {
  decorateAuthentication(app);
  app.addHook('onRequest', async (request) => {
    const token = credentialFromHeader(request.headers.authorization, 'Bearer');
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
    const required = request.routeOptions.config.scope;
    if (required && !hasScope(principal, required)) throw new MusterError('auth.insufficient_scope', `This operation needs the ${required} scope.`, { requiredScope: required });
    request.principal = principal;
    request.dialect = dialect;
  });
}
