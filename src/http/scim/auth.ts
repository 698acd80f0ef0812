/**
 * SCIM authentication: `Authorization: Bearer <token>`, where the token is a
 * muster API key or a JWT (POST /v1/tokens, or a trusted external issuer): a
 * token of three dot-separated parts is a JWT, anything else a key. Runs on
 * `onRequest`, before the body is read; a failure is a SCIM Error with status
 * "401" (or "403" for a missing scope).
 */
import type { FastifyInstance } from 'fastify';
import type { JwtAuthority } from '../../crypto/jwt.ts';
import type { Engine } from '../../engine/engine.ts';
import { decorateAuthentication } from '../auth/apiKeyAuth.ts';
import { credentialFromHeader } from '../auth/bearer.ts';
import { principalFromJwt } from '../auth/jwtAuth.ts';

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

export function useScimAuth(app: FastifyInstance, engine: Engine, jwt: JwtAuthority): void {
  decorateAuthentication(app);
  app.addHook('onRequest', async (request) => {
    const token = credentialFromHeader(request.headers.authorization, 'Bearer');
    const required = request.routeOptions.config.scope;
    request.principal = JWT_SHAPE.test(token) ? await principalFromJwt(jwt, token, required) : await engine.tenants.authenticateKey(token, required);
    request.dialect = 'scim';
  });
}
