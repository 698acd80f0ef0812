/**
 * Operator routes, `/v1/tenants`: create, list and disable tenants, and manage
 * any tenant's API keys. They need the `operator` scope, which only the
 * operator key holds (see domain/apiKey.ts): a tenant's admin key is refused
 * with 403, so no tenant reaches another through them.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { operatorActor } from '../../domain/actor.ts';
import { OPERATOR_SCOPE } from '../../domain/apiKey.ts';
import type { Engine } from '../../engine/engine.ts';
import { errorResponses } from './openapi.ts';
import { renderApiKey, renderTenant } from './render.ts';
import {
  ApiKeyBody,
  ApiKeyCreateBody,
  ApiKeyListBody,
  CreatedApiKeyBody,
  CreatedTenantBody,
  TenantBody,
  TenantCreateBody,
  TenantKeyParams,
  TenantListBody,
  TenantParams,
} from './schemas.ts';

export function tenantRoutes(app: FastifyInstance, engine: Engine): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['tenants (operator)'];
  const security = [{ operatorKey: [] }];
  const config = { scope: OPERATOR_SCOPE } as const;
  /** The operator acting on the tenant named `ref` (its writes are audited in that tenant). */
  const operatorIn = async (ref: string, request: FastifyRequest) => operatorActor((await engine.tenants.resolveTenant(ref)).id, request.id);

  r.post(
    '/tenants',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Create a tenant with a "default" directory and an admin key (shown once)',
        body: TenantCreateBody,
        response: { 201: CreatedTenantBody, ...errorResponses(400, 401, 403, 409, 415) },
      },
    },
    async (request, reply) => {
      const { tenant, adminKey } = await engine.tenants.createTenant(request.body.name);
      reply.code(201);
      return { tenant: renderTenant(tenant), adminKey: { ...renderApiKey(adminKey.info), key: adminKey.key } };
    },
  );

  r.get(
    '/tenants',
    { config, schema: { tags, security, summary: 'List tenants', response: { 200: TenantListBody, ...errorResponses(401, 403) } } },
    async () => ({ tenants: (await engine.tenants.listTenants()).map(renderTenant) }),
  );

  r.post(
    '/tenants/:tenant/disable',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Disable a tenant: its API keys and access keys stop working; its data stays',
        params: TenantParams,
        response: { 200: TenantBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => renderTenant(await engine.tenants.disableTenant(request.params.tenant)),
  );

  r.post(
    '/tenants/:tenant/api-keys',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Create an API key in a tenant (the key is shown once)',
        params: TenantParams,
        body: ApiKeyCreateBody,
        response: { 201: CreatedApiKeyBody, ...errorResponses(400, 401, 403, 404, 415) },
      },
    },
    async (request, reply) => {
      const issued = await engine.tenants.createKey(await operatorIn(request.params.tenant, request), request.body);
      reply.code(201);
      return { ...renderApiKey(issued.info), key: issued.key };
    },
  );

  r.get(
    '/tenants/:tenant/api-keys',
    { config, schema: { tags, security, summary: 'List a tenant\'s API keys', params: TenantParams, response: { 200: ApiKeyListBody, ...errorResponses(401, 403, 404) } } },
    async (request) => ({ keys: (await engine.tenants.listKeys(await operatorIn(request.params.tenant, request))).map(renderApiKey) }),
  );

  r.post(
    '/tenants/:tenant/api-keys/:keyId/revoke',
    {
      config,
      schema: { tags, security, summary: 'Revoke a tenant\'s API key', params: TenantKeyParams, response: { 200: ApiKeyBody, ...errorResponses(401, 403, 404) } },
    },
    async (request) => renderApiKey(await engine.tenants.revokeKey(await operatorIn(request.params.tenant, request), request.params.keyId)),
  );
}
