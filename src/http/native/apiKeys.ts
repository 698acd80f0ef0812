/** Native API-key routes: an admin key manages its own tenant's keys. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Engine } from '../../engine/engine.ts';
import { principalOf } from '../auth/apiKeyAuth.ts';
import { errorResponses } from './openapi.ts';
import { renderApiKey } from './render.ts';
import { ApiKeyBody, ApiKeyCreateBody, ApiKeyListBody, ApiKeyParams, CreatedApiKeyBody } from './schemas.ts';

export function apiKeyRoutes(app: FastifyInstance, engine: Engine): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['api keys'];

  r.post(
    '/api-keys',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Create an API key (the key is shown once)',
        body: ApiKeyCreateBody,
        response: { 201: CreatedApiKeyBody, ...errorResponses(400, 401, 403, 415) },
      },
    },
    async (request, reply) => {
      const issued = await engine.tenants.createKey(principalOf(request).tenantId, request.body);
      reply.code(201);
      return { ...renderApiKey(issued.info), key: issued.key };
    },
  );

  r.get(
    '/api-keys',
    { config: { scope: 'admin' }, schema: { tags, summary: 'List API keys', response: { 200: ApiKeyListBody, ...errorResponses(401, 403) } } },
    async (request) => ({ keys: (await engine.tenants.listKeys(principalOf(request).tenantId)).map(renderApiKey) }),
  );

  r.post(
    '/api-keys/:keyId/revoke',
    {
      config: { scope: 'admin' },
      schema: { tags, summary: 'Revoke an API key', params: ApiKeyParams, response: { 200: ApiKeyBody, ...errorResponses(401, 403, 404) } },
    },
    async (request) => renderApiKey(await engine.tenants.revokeKey(principalOf(request).tenantId, request.params.keyId)),
  );
}
