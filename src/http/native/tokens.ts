/** `POST /v1/tokens`: exchanges an API key for a short-lived JWT (for dialects that authenticate with JWTs). */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { SCOPES } from '../../domain/apiKey.ts';
import { MusterError } from '../../domain/errors.ts';
import type { JwtAuthority } from '../../crypto/jwt.ts';
import { principalOf } from '../auth/apiKeyAuth.ts';
import { errorResponses } from './openapi.ts';

const TokenRequest = Type.Object(
  { scopes: Type.Optional(Type.Array(Type.Enum(SCOPES), { minItems: 1, uniqueItems: true, description: 'Narrower than the key\'s scopes; default: all of them.' })) },
  { additionalProperties: false },
);
const TokenBody = Type.Object({
  token: Type.String({ description: 'A JWT (EdDSA), signed by the keys at /.well-known/jwks.json.' }),
  expiresAt: Type.String({ format: 'date-time' }),
});

export function tokenRoutes(app: FastifyInstance, jwt: JwtAuthority): void {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/tokens',
    {
      // The body is optional: none means a token with the key's scopes.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: ['api keys'],
        summary: 'Exchange the API key for a short-lived JWT',
        description: 'The token carries the tenant (`tid`), the key (`sub`) and the scopes (`scope`); it expires after JWT_TTL_SECONDS. It stays valid until then even if the key is revoked.',
        body: TokenRequest,
        response: { 200: TokenBody, ...errorResponses(400, 401, 403, 415) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const requested = request.body.scopes ?? principal.scopes;
      const excess = requested.filter((s) => !principal.scopes.includes(s) && !principal.scopes.includes('admin'));
      if (excess.length > 0) throw new MusterError('auth.insufficient_scope', `The key does not hold ${excess.join(', ')}.`, { requiredScope: excess[0] });
      const { token, expiresAt } = await jwt.issue({ tenantId: principal.tenantId, subject: principal.keyId, scopes: requested });
      return { token, expiresAt: expiresAt.toISOString() };
    },
  );
}
