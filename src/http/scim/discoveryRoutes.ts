/** The discovery endpoints (RFC 7644 §4); no scope beyond a valid token. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MusterError } from '../../domain/errors.ts';
import { allResourceTypes, allSchemas, listOf, renderResourceType, renderSchema, serviceProviderConfig } from './discovery.ts';
import type { ScimOptions } from './index.ts';
import { RESOURCE_TYPES, SCHEMAS } from './registry.ts';
import { scimErrors, ScimList, ScimResource, ScopeParams } from './schemas.ts';

/** The base URL of the request's SCIM service: `.../scim/v2` or `.../scim/v2/{directory}`. */
export function baseUrl(publicUrl: string, request: FastifyRequest): string {
  const directory = (request.params as { directory?: string }).directory;
  return `${publicUrl}/scim/v2${directory === undefined ? '' : `/${encodeURIComponent(directory)}`}`;
}

export function discoveryRoutes(app: FastifyInstance, options: ScimOptions): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['scim'];
  const security = [{ scimBearer: [] }];
  const base = (request: FastifyRequest) => baseUrl(options.publicUrl, request);
  const Named = Type.Object({ directory: Type.Optional(Type.String()), id: Type.String({ maxLength: 512 }) });

  r.get(
    '/ServiceProviderConfig',
    { schema: { tags, security, summary: 'SCIM: what this service supports', params: ScopeParams, response: { 200: ScimResource, ...scimErrors(401, 403) } } },
    async (request) => serviceProviderConfig(base(request), options.limits),
  );
  r.get(
    '/ResourceTypes',
    { schema: { tags, security, summary: 'SCIM: the resource types (User, Group)', params: ScopeParams, response: { 200: ScimList, ...scimErrors(401, 403) } } },
    async (request) => listOf(allResourceTypes(base(request))),
  );
  r.get(
    '/ResourceTypes/:id',
    { schema: { tags, security, summary: 'SCIM: one resource type', params: Named, response: { 200: ScimResource, ...scimErrors(401, 403, 404) } } },
    async (request) => {
      const type = RESOURCE_TYPES.find((t) => t.name === request.params.id);
      if (!type) throw new MusterError('route.not_found', `No resource type "${request.params.id}".`);
      return renderResourceType(base(request), type);
    },
  );
  r.get(
    '/Schemas',
    { schema: { tags, security, summary: 'SCIM: the schemas, every attribute with its characteristics', params: ScopeParams, response: { 200: ScimList, ...scimErrors(401, 403) } } },
    async (request) => listOf(allSchemas(base(request))),
  );
  r.get(
    '/Schemas/:id',
    { schema: { tags, security, summary: 'SCIM: one schema, by its URN', params: Named, response: { 200: ScimResource, ...scimErrors(401, 403, 404) } } },
    async (request) => {
      const schema = SCHEMAS.find((s) => s.id === request.params.id);
      if (!schema) throw new MusterError('route.not_found', `No schema "${request.params.id}".`);
      return renderSchema(base(request), schema);
    },
  );
}
