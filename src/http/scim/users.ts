/**
 * /Users (RFC 7644 §3.2-§3.6): create, get, list and search, replace, patch,
 * delete, each one engine call. ETags are the user's version (`W/"<n>"`):
 * `If-Match` on PUT, PATCH and DELETE is the engine's expected version (412 on
 * a mismatch), `If-None-Match` on GET answers 304 when the version is current.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { Actor } from '../../domain/actor.ts';
import { MusterError } from '../../domain/errors.ts';
import type { User } from '../../domain/user.ts';
import { actorOf } from '../auth/apiKeyAuth.ts';
import { LIST_SCHEMA } from './discovery.ts';
import { baseUrl } from './discoveryRoutes.ts';
import { userFilter, userSort } from './filter.ts';
import type { ScimOptions } from './index.ts';
import { applyPatch, readPatch, type PatchOperation } from './patch.ts';
import { project, type Projection } from './projection.ts';
import { resourceType } from './registry.ts';
import { isObject, readResource, type JsonObject } from './resource.ts';
import { IdParams, ListQuery, ProjectionQuery, scimErrors, ScimList, ScimMessage, ScimResource, ScopeParams } from './schemas.ts';
import { draftOf, etagOf, profileOf, renderUser } from './userTranslate.ts';

const USER = resourceType('User');
type ListParams = Static<typeof ListQuery>;
const SEARCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
/** The directory `/scim/v2/...` (no directory in the path) uses, created on first use. */
export const DEFAULT_DIRECTORY = 'scim';

/** The version an `If-Match` names (`W/"3"`, `"3"`); undefined for none or `*`. A list takes its first entry. */
export function expectedVersion(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d+)"/.exec(value);
  // An ETag muster never issued matches no version: the precondition fails.
  return match ? Number(match[1]) : -1;
}

/**
 * `startIndex` (1-based; below 1 is 1, beyond any row an empty page) and
 * `count` (below 0 is 0, above `maxResults` or absent is `maxResults`).
 */
export function pageOf(query: { startIndex?: number; count?: number }, maxResults: number): { startIndex: number; count: number } {
  const startIndex = Math.min(Math.max(1, query.startIndex ?? 1), Number.MAX_SAFE_INTEGER);
  return { startIndex, count: Math.min(Math.max(0, query.count ?? maxResults), maxResults) };
}

/** Whether an `If-None-Match` names the current version (or `*`). */
export function ifNoneMatches(header: string | undefined, version: number): boolean {
  return header !== undefined && header.split(',').some((tag) => ['*', etagOf(version), `"${version}"`].includes(tag.trim()));
}

/** The directory of the request: the path's, else the tenant's `scim` directory (created on first use). */
export async function directoryOf(options: ScimOptions, request: FastifyRequest, actor: Actor): Promise<string> {
  const named = (request.params as { directory?: string }).directory;
  if (named !== undefined) return named;
  return (await options.engine.directories.ensureDirectory(actor, DEFAULT_DIRECTORY)).id;
}

/** The password a PATCH sets, if any (hashed before the engine's transaction opens). */
function patchedPassword(operations: readonly PatchOperation[]): string | undefined {
  let password: string | undefined;
  for (const op of operations) {
    if (op.op === 'remove') continue;
    if (op.path?.toLowerCase() === 'password' && typeof op.value === 'string') password = op.value;
    if (op.path === undefined && isObject(op.value)) {
      const key = Object.keys(op.value).find((k) => k.toLowerCase() === 'password');
      if (key !== undefined && typeof op.value[key] === 'string') password = op.value[key];
    }
  }
  return password;
}

/**
 * The writes of /Users, each one engine call, shared by the routes and Bulk.
 * `version` is the If-Match version (the engine checks it under the row lock).
 */
export function userWrites(engine: ScimOptions['engine']) {
  return {
    create: async (actor: Actor, directory: string, body: unknown): Promise<User> =>
      (await engine.users.createUser(actor, directory, draftOf(readResource(USER, body)))).user,

    /** PUT: replaces every readWrite attribute; a password in the body is set (hashed before the transaction). */
    replace(actor: Actor, directory: string, id: string, body: unknown, version: number | undefined): Promise<User> {
      const resource = readResource(USER, body);
      const password = typeof resource.password === 'string' ? resource.password : undefined;
      return engine.users.modifyUser(actor, directory, { id }, (current) => profileOf(resource, current), version, password);
    },

    /** PATCH: every operation applied to the user as it is under the row lock; all or none. */
    patch(actor: Actor, directory: string, id: string, body: unknown, version: number | undefined): Promise<User> {
      const operations = readPatch(body);
      const derive = (current: User) => {
        const patched = applyPatch(renderUser(current, ''), USER, operations);
        if (typeof patched.userName !== 'string' || patched.userName === '') throw new MusterError('scim.invalid_value', 'Attribute "userName" is required.', { field: 'userName' });
        return profileOf(patched, current);
      };
      return engine.users.modifyUser(actor, directory, { id }, derive, version, patchedPassword(operations));
    },

    remove: (actor: Actor, directory: string, id: string, version: number | undefined): Promise<void> => engine.users.deleteUser(actor, directory, { id }, version),
  };
}

export function userRoutes(app: FastifyInstance, options: ScimOptions): void {
  const { engine } = options;
  const writes = userWrites(engine);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['scim'];
  const security = [{ scimBearer: [] }];
  const usersBase = (request: FastifyRequest) => `${baseUrl(options.publicUrl, request)}/Users`;
  const groupsBase = (request: FastifyRequest) => `${baseUrl(options.publicUrl, request)}/Groups`;

  async function render(request: FastifyRequest, actor: Actor, users: readonly User[], projection: Projection): Promise<JsonObject[]> {
    const groups = users.length === 0 ? new Map() : await engine.groups.groupsOf(actor, users.map((u) => u.id));
    return users.map((u) => project(renderUser(u, `${usersBase(request)}/${u.id}`, groups.get(u.id) ?? [], groupsBase(request)), USER, projection));
  }

  async function sendOne(request: FastifyRequest, reply: FastifyReply, actor: Actor, user: User, status: number, projection: Projection) {
    const [body] = await render(request, actor, [user], projection);
    reply.code(status).header('etag', etagOf(user.version));
    if (status === 201) reply.header('location', `${usersBase(request)}/${user.id}`);
    return reply.send(body);
  }

  async function list(request: FastifyRequest, actor: Actor, query: ListParams) {
    const directory = await directoryOf(options, request, actor);
    const { startIndex, count } = pageOf(query, options.limits.maxResults);
    const filter = query.filter === undefined || query.filter.trim() === '' ? undefined : userFilter(USER, query.filter);
    const sort = userSort(USER, query.sortBy, query.sortOrder);
    const page = await engine.users.listUsersMatching(actor, directory, { ...(filter && { filter }), ...(sort && { sort }), offset: startIndex - 1, limit: count });
    const resources = await render(request, actor, page.users, query);
    return { schemas: [LIST_SCHEMA], totalResults: page.count, startIndex, itemsPerPage: resources.length, Resources: resources };
  }

  r.post(
    '/Users',
    {
      config: { scope: 'users:write' },
      schema: { tags, security, summary: 'SCIM: create a user', params: ScopeParams, querystring: ProjectionQuery, body: ScimResource, response: { 201: ScimResource, ...scimErrors(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const user = await writes.create(actor, await directoryOf(options, request, actor), request.body);
      return sendOne(request, reply, actor, user, 201, request.query);
    },
  );

  r.get(
    '/Users',
    {
      config: { scope: 'users:read' },
      schema: { tags, security, summary: 'SCIM: list and filter users', params: ScopeParams, querystring: ListQuery, response: { 200: ScimList, ...scimErrors(400, 401, 403, 404) } },
    },
    async (request) => list(request, actorOf(request), request.query),
  );

  r.post(
    '/Users/.search',
    {
      config: { scope: 'users:read' },
      schema: { tags, security, summary: 'SCIM: search users (a SearchRequest body)', params: ScopeParams, body: ScimMessage, response: { 200: ScimList, ...scimErrors(400, 401, 403, 404) } },
    },
    async (request) => list(request, actorOf(request), searchQuery(request.body)),
  );

  r.post(
    '/.search',
    {
      config: { scope: 'users:read' },
      schema: { tags, security, summary: 'SCIM: search from the root (Users; a SearchRequest body)', params: ScopeParams, body: ScimMessage, response: { 200: ScimList, ...scimErrors(400, 401, 403, 404) } },
    },
    async (request) => list(request, actorOf(request), searchQuery(request.body)),
  );

  r.get(
    '/Users/:id',
    {
      config: { scope: 'users:read' },
      schema: { tags, security, summary: 'SCIM: get a user', params: IdParams, querystring: ProjectionQuery, response: { 200: ScimResource, 304: Type.Null(), ...scimErrors(401, 403, 404) } },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const user = await engine.users.getUser(actor, await directoryOf(options, request, actor), { id: request.params.id });
      if (ifNoneMatches(request.headers['if-none-match'], user.version)) return reply.code(304).header('etag', etagOf(user.version)).send(null);
      return sendOne(request, reply, actor, user, 200, request.query);
    },
  );

  r.put(
    '/Users/:id',
    {
      config: { scope: 'users:write' },
      schema: {
        tags,
        security,
        summary: 'SCIM: replace a user',
        description: 'Replaces every readWrite attribute (absent ones are cleared); readOnly attributes in the body are ignored.',
        params: IdParams,
        querystring: ProjectionQuery,
        body: ScimResource,
        response: { 200: ScimResource, ...scimErrors(400, 401, 403, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const directory = await directoryOf(options, request, actor);
      const user = await writes.replace(actor, directory, request.params.id, request.body, expectedVersion(request.headers['if-match']));
      return sendOne(request, reply, actor, user, 200, request.query);
    },
  );

  r.patch(
    '/Users/:id',
    {
      config: { scope: 'users:write' },
      schema: {
        tags,
        security,
        summary: 'SCIM: change a user (PatchOp)',
        description: 'All operations apply atomically, under the user\'s row lock and version check. 200 with the user; 204 with `Prefer: return=minimal`.',
        params: IdParams,
        querystring: ProjectionQuery,
        body: ScimMessage,
        response: { 200: ScimResource, 204: Type.Null(), ...scimErrors(400, 401, 403, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const directory = await directoryOf(options, request, actor);
      const user = await writes.patch(actor, directory, request.params.id, request.body, expectedVersion(request.headers['if-match']));
      if (/return=minimal/i.test(String(request.headers.prefer ?? ''))) return reply.code(204).header('etag', etagOf(user.version)).send(null);
      return sendOne(request, reply, actor, user, 200, request.query);
    },
  );

  r.delete(
    '/Users/:id',
    { config: { scope: 'users:write' }, schema: { tags, security, summary: 'SCIM: delete a user', params: IdParams, response: { 204: Type.Null(), ...scimErrors(401, 403, 404, 412) } } },
    async (request, reply) => {
      const actor = actorOf(request);
      await writes.remove(actor, await directoryOf(options, request, actor), request.params.id, expectedVersion(request.headers['if-match']));
      return reply.code(204).send(null);
    },
  );
}

/** A SearchRequest body (RFC 7644 §3.4.3) as list parameters; attribute lists may be arrays or comma-separated strings. */
export function searchQuery(body: unknown): ListParams {
  if (!isObject(body) || !Array.isArray(body.schemas) || !body.schemas.includes(SEARCH_SCHEMA)) {
    throw new MusterError('scim.invalid_syntax', `A search body is a SearchRequest message: "schemas": ["${SEARCH_SCHEMA}"].`);
  }
  const list = (v: unknown) => (Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : undefined);
  const int = (v: unknown, name: string) => {
    if (v === undefined) return undefined;
    if (!Number.isInteger(v)) throw new MusterError('scim.invalid_value', `"${name}" must be an integer.`, { field: name });
    return v as number;
  };
  const text = (v: unknown, name: string) => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new MusterError('scim.invalid_value', `"${name}" must be a string.`, { field: name });
    return v;
  };
  const query: Record<string, unknown> = {
    filter: text(body.filter, 'filter'),
    startIndex: int(body.startIndex, 'startIndex'),
    count: int(body.count, 'count'),
    sortBy: text(body.sortBy, 'sortBy'),
    sortOrder: text(body.sortOrder, 'sortOrder'),
    attributes: list(body.attributes),
    excludedAttributes: list(body.excludedAttributes),
  };
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)) as ListParams;
}
