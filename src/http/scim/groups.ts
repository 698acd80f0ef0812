/**
 * /Groups (RFC 7644 §3.2-§3.6) over the engine's groups: create, get, list and
 * search, replace, patch (members added, removed by filter or by a value list,
 * replaced; renamed), delete. PATCH answers 204 unless the client asks for
 * attributes (`attributes`/`excludedAttributes`), as Entra ID expects; its
 * operations run in the engine's group read-modify-write with the version check.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { Actor } from '../../domain/actor.ts';
import { MusterError } from '../../domain/errors.ts';
import type { GroupMember, VersionedGroup } from '../../domain/group.ts';
import { actorOf } from '../auth/apiKeyAuth.ts';
import { LIST_SCHEMA } from './discovery.ts';
import { baseUrl } from './discoveryRoutes.ts';
import { groupFilter, groupSort } from './filter.ts';
import { groupChangesOf, renderGroup } from './groupTranslate.ts';
import type { ScimOptions } from './index.ts';
import { applyPatch, readPatch } from './patch.ts';
import { project, type Projection } from './projection.ts';
import { resourceType } from './registry.ts';
import { readResource, type JsonObject } from './resource.ts';
import { IdParams, ListQuery, ProjectionQuery, scimErrors, ScimList, ScimMessage, ScimResource, ScopeParams } from './schemas.ts';
import { directoryOf, expectedVersion, ifNoneMatches, pageOf, searchQuery } from './users.ts';
import { etagOf } from './userTranslate.ts';

const GROUP = resourceType('Group');
type ListParams = Static<typeof ListQuery>;

/** Whether a projection leaves `members` out, so they need not be read. */
function skipsMembers(projection: Projection): boolean {
  const listed = (text: string | undefined) => (text ?? '').split(',').map((p) => p.trim().toLowerCase());
  if (projection.attributes) return !listed(projection.attributes).some((p) => p === 'members' || p.startsWith('members.') || p.endsWith(':members'));
  return listed(projection.excludedAttributes).includes('members');
}

/** The writes of /Groups, each one engine call, shared by the routes and Bulk. `version` is the If-Match version. */
export function groupWrites(engine: ScimOptions['engine']) {
  return {
    create(actor: Actor, directory: string, body: unknown): Promise<VersionedGroup> {
      const changes = groupChangesOf(readResource(GROUP, body));
      return engine.groups.create(actor, directory, changes.name, null, { externalId: changes.externalId, memberIds: changes.memberIds });
    },

    replace(actor: Actor, directory: string, id: string, body: unknown, version: number | undefined): Promise<VersionedGroup> {
      const changes = groupChangesOf(readResource(GROUP, body));
      return engine.groups.modify(actor, directory, id, () => changes, version);
    },

    patch(actor: Actor, directory: string, id: string, body: unknown, version: number | undefined): Promise<VersionedGroup> {
      const operations = readPatch(body);
      const derive = (current: VersionedGroup, members: readonly GroupMember[]) => {
        const patched = applyPatch(renderGroup(current, members, '', ''), GROUP, operations);
        if (typeof patched.displayName !== 'string' || patched.displayName === '') throw new MusterError('scim.invalid_value', 'Attribute "displayName" is required.', { field: 'displayName' });
        return groupChangesOf(patched);
      };
      return engine.groups.modify(actor, directory, id, derive, version);
    },

    remove: (actor: Actor, directory: string, id: string, version: number | undefined): Promise<void> => engine.groups.delete(actor, directory, id, version),
  };
}

export function groupRoutes(app: FastifyInstance, options: ScimOptions): void {
  const { engine } = options;
  const writes = groupWrites(engine);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['scim'];
  const security = [{ scimBearer: [] }];
  const groupsBase = (request: FastifyRequest) => `${baseUrl(options.publicUrl, request)}/Groups`;
  const usersBase = (request: FastifyRequest) => `${baseUrl(options.publicUrl, request)}/Users`;

  async function render(request: FastifyRequest, actor: Actor, groups: readonly VersionedGroup[], projection: Projection): Promise<JsonObject[]> {
    const members = groups.length === 0 || skipsMembers(projection) ? new Map() : await engine.groups.membersOf(actor, groups.map((g) => g.id));
    return groups.map((g) => project(renderGroup(g, members.get(g.id) ?? [], `${groupsBase(request)}/${g.id}`, usersBase(request)), GROUP, projection));
  }

  async function sendOne(request: FastifyRequest, reply: FastifyReply, actor: Actor, group: VersionedGroup, status: number, projection: Projection) {
    const [body] = await render(request, actor, [group], projection);
    reply.code(status).header('etag', etagOf(group.version));
    if (status === 201) reply.header('location', `${groupsBase(request)}/${group.id}`);
    return reply.send(body);
  }

  async function list(request: FastifyRequest, actor: Actor, query: ListParams) {
    const directory = await directoryOf(options, request, actor);
    const { startIndex, count } = pageOf(query, options.limits.maxResults);
    const filter = query.filter === undefined || query.filter.trim() === '' ? undefined : groupFilter(GROUP, query.filter);
    const sort = groupSort(GROUP, query.sortBy, query.sortOrder);
    const page = await engine.groups.listMatching(actor, directory, { ...(filter && { filter }), ...(sort && { sort }), offset: startIndex - 1, limit: count });
    const resources = await render(request, actor, page.groups, query);
    return { schemas: [LIST_SCHEMA], totalResults: page.count, startIndex, itemsPerPage: resources.length, Resources: resources };
  }

  r.post(
    '/Groups',
    {
      config: { scope: 'users:write' },
      schema: { tags, security, summary: 'SCIM: create a group', params: ScopeParams, querystring: ProjectionQuery, body: ScimResource, response: { 201: ScimResource, ...scimErrors(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const group = await writes.create(actor, await directoryOf(options, request, actor), request.body);
      return sendOne(request, reply, actor, group, 201, request.query);
    },
  );

  r.get(
    '/Groups',
    {
      config: { scope: 'users:read' },
      schema: { tags, security, summary: 'SCIM: list and filter groups', params: ScopeParams, querystring: ListQuery, response: { 200: ScimList, ...scimErrors(400, 401, 403, 404) } },
    },
    async (request) => list(request, actorOf(request), request.query),
  );

  r.post(
    '/Groups/.search',
    {
      config: { scope: 'users:read' },
      schema: { tags, security, summary: 'SCIM: search groups (a SearchRequest body)', params: ScopeParams, body: ScimMessage, response: { 200: ScimList, ...scimErrors(400, 401, 403, 404) } },
    },
    async (request) => list(request, actorOf(request), searchQuery(request.body)),
  );

  r.get(
    '/Groups/:id',
    {
      config: { scope: 'users:read' },
      schema: { tags, security, summary: 'SCIM: get a group', params: IdParams, querystring: ProjectionQuery, response: { 200: ScimResource, 304: Type.Null(), ...scimErrors(401, 403, 404) } },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const group = await engine.groups.get(actor, await directoryOf(options, request, actor), request.params.id);
      if (ifNoneMatches(request.headers['if-none-match'], group.version)) return reply.code(304).header('etag', etagOf(group.version)).send(null);
      return sendOne(request, reply, actor, group, 200, request.query);
    },
  );

  r.put(
    '/Groups/:id',
    {
      config: { scope: 'users:write' },
      schema: { tags, security, summary: 'SCIM: replace a group (name, externalId, members)', params: IdParams, querystring: ProjectionQuery, body: ScimResource, response: { 200: ScimResource, ...scimErrors(400, 401, 403, 404, 409, 412) } },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const directory = await directoryOf(options, request, actor);
      const group = await writes.replace(actor, directory, request.params.id, request.body, expectedVersion(request.headers['if-match']));
      return sendOne(request, reply, actor, group, 200, request.query);
    },
  );

  r.patch(
    '/Groups/:id',
    {
      config: { scope: 'users:write' },
      schema: {
        tags,
        security,
        summary: 'SCIM: change a group (PatchOp): rename, add, remove or replace members',
        description: 'All operations apply atomically under the group\'s row lock and version check. 204, or 200 with the group when `attributes` or `excludedAttributes` is given.',
        params: IdParams,
        querystring: ProjectionQuery,
        body: ScimMessage,
        response: { 200: ScimResource, 204: Type.Null(), ...scimErrors(400, 401, 403, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const directory = await directoryOf(options, request, actor);
      const group = await writes.patch(actor, directory, request.params.id, request.body, expectedVersion(request.headers['if-match']));
      if (request.query.attributes === undefined && request.query.excludedAttributes === undefined) return reply.code(204).header('etag', etagOf(group.version)).send(null);
      return sendOne(request, reply, actor, group, 200, request.query);
    },
  );

  r.delete(
    '/Groups/:id',
    { config: { scope: 'users:write' }, schema: { tags, security, summary: 'SCIM: delete a group (not its members)', params: IdParams, response: { 204: Type.Null(), ...scimErrors(401, 403, 404, 412) } } },
    async (request, reply) => {
      const actor = actorOf(request);
      await writes.remove(actor, await directoryOf(options, request, actor), request.params.id, expectedVersion(request.headers['if-match']));
      return reply.code(204).send(null);
    },
  );
}
