/** Native key routes: an admin key manages its own tenant's API keys and access keys (AK/SK). */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Engine } from '../../engine/engine.ts';
import { actorOf } from '../auth/apiKeyAuth.ts';
import { errorResponses } from './openapi.ts';
import { renderAccessKey, renderApiKey } from './render.ts';
import {
  AccessKeyBody,
  AccessKeyListBody,
  AccessKeyParams,
  ApiKeyBody,
  ApiKeyCreateBody,
  ApiKeyListBody,
  ApiKeyParams,
  CreatedAccessKeyBody,
  CreatedApiKeyBody,
} from './schemas.ts';

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
      const issued = await engine.tenants.createKey(actorOf(request), request.body);
      reply.code(201);
      return { ...renderApiKey(issued.info), key: issued.key };
    },
  );

  r.get(
    '/api-keys',
    { config: { scope: 'admin' }, schema: { tags, summary: 'List API keys', response: { 200: ApiKeyListBody, ...errorResponses(401, 403) } } },
    async (request) => ({ keys: (await engine.tenants.listKeys(actorOf(request))).map(renderApiKey) }),
  );

  r.post(
    '/api-keys/:keyId/revoke',
    {
      config: { scope: 'admin' },
      schema: { tags, summary: 'Revoke an API key', params: ApiKeyParams, response: { 200: ApiKeyBody, ...errorResponses(401, 403, 404) } },
    },
    async (request) => renderApiKey(await engine.tenants.revokeKey(actorOf(request), request.params.keyId)),
  );

  r.post(
    '/access-keys',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Create an access key pair for signed requests (the secret is shown once)',
        description: 'For clients that sign requests with SDK-HMAC-SHA256 (Huawei\'s SDKs). The secret is stored encrypted under the server key.',
        body: ApiKeyCreateBody,
        response: { 201: CreatedAccessKeyBody, ...errorResponses(400, 401, 403, 415) },
      },
    },
    async (request, reply) => {
      const created = await engine.accessKeys.create(actorOf(request), request.body);
      reply.code(201);
      return { ...renderAccessKey(created.info), secretAccessKey: created.secretAccessKey };
    },
  );

  r.get(
    '/access-keys',
    { config: { scope: 'admin' }, schema: { tags, summary: 'List access keys', response: { 200: AccessKeyListBody, ...errorResponses(401, 403) } } },
    async (request) => ({ accessKeys: (await engine.accessKeys.list(actorOf(request))).map(renderAccessKey) }),
  );

  r.post(
    '/access-keys/:accessKeyId/revoke',
    {
      config: { scope: 'admin' },
      schema: { tags, summary: 'Revoke an access key', params: AccessKeyParams, response: { 200: AccessKeyBody, ...errorResponses(401, 403, 404) } },
    },
    async (request) => renderAccessKey(await engine.accessKeys.revoke(actorOf(request), request.params.accessKeyId)),
  );
}
