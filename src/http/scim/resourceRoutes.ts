/**
 * The routes every SCIM resource type has (RFC 7644 §3.2-§3.6), once for
 * Users and Groups: create, list and search, get, replace, patch, delete,
 * each one engine call through the type's `ResourceSpec`. ETags are the
 * resource's version (`W/"<n>"`): `If-Match` on PUT, PATCH and DELETE is the
 * engine's expected version (412 on a mismatch), `If-None-Match` on GET
 * answers 304 when the version is current. Every answer is projected by
 * `attributes` / `excludedAttributes`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { Actor } from '../../domain/actor.ts';
import { MusterError } from '../../domain/errors.ts';
import type { RecordFilter, RecordSort } from '../../domain/filter.ts';
import { actorOf } from '../auth/apiKeyAuth.ts';
import { LIST_SCHEMA } from './discovery.ts';
import type { ScimOptions } from './index.ts';
import type { Projection } from './projection.ts';
import { isObject, type JsonObject } from './resource.ts';
import { IdParams, ListQuery, ProjectionQuery, scimErrors, ScimList, ScimMessage, ScimResource, ScopeParams } from './schemas.ts';
import { etagOf } from './userTranslate.ts';

export type ListParams = Static<typeof ListQuery>;
/** A ListResponse message (RFC 7644 §3.4.2). */
export type ListResponse = Static<typeof ScimList>;
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

/** A resource's writes, each one engine call (also used by Bulk). `version` is the If-Match version. */
export interface ResourceWrites<T> {
  create(actor: Actor, directory: string, body: unknown): Promise<T>;
  replace(actor: Actor, directory: string, id: string, body: unknown, version: number | undefined): Promise<T>;
  patch(actor: Actor, directory: string, id: string, body: unknown, version: number | undefined): Promise<T>;
  remove(actor: Actor, directory: string, id: string, version: number | undefined): Promise<void>;
}

/** What the shared routes need of a resource type. */
export interface ResourceSpec<T extends { readonly id: string; readonly version: number }> {
  /** `Users`, `Groups`: the path segment. */
  readonly plural: string;
  /** `user`, `group`: for the summaries. */
  readonly noun: string;
  /** OpenAPI summary of PUT and PATCH, and the descriptions of both. */
  readonly docs: { readonly replace: string; readonly replaceDescription?: string; readonly patch: string; readonly patchDescription: string; readonly remove: string };
  readonly writes: ResourceWrites<T>;
  get(actor: Actor, directory: string, id: string): Promise<T>;
  /** The page of resources matching the list parameters, from `offset`, with the total that match. */
  list(actor: Actor, directory: string, query: { filter?: RecordFilter; sort?: RecordSort; offset: number; limit: number }): Promise<{ count: number; resources: readonly T[] }>;
  /** The list parameters' filter and sort in the engine's terms (400 `invalidFilter` for a bad one). */
  filterOf(filter: string): RecordFilter;
  sortOf(sortBy: string | undefined, sortOrder: string | undefined): RecordSort | undefined;
  /** The resources as SCIM JSON, projected; `location` is each one's URL. */
  render(request: FastifyRequest, actor: Actor, resources: readonly T[], projection: Projection): Promise<JsonObject[]>;
  /** Whether a PATCH is answered 204 without a body (Entra's groups; `Prefer: return=minimal` for users). */
  patchAnswersNoContent(request: FastifyRequest<{ Querystring: Static<typeof ProjectionQuery> }>): boolean;
}

export function resourceRoutes<T extends { readonly id: string; readonly version: number }>(
  app: FastifyInstance,
  options: ScimOptions,
  spec: ResourceSpec<T>,
  location: (request: FastifyRequest, id: string) => string,
): { list: (request: FastifyRequest, actor: Actor, query: ListParams) => Promise<ListResponse> } {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['scim'];
  const security = [{ scimBearer: [] }];
  const { plural, noun, writes, docs } = spec;

  async function sendOne(request: FastifyRequest, reply: FastifyReply, actor: Actor, resource: T, status: number, projection: Projection) {
    const [body] = await spec.render(request, actor, [resource], projection);
    reply.code(status).header('etag', etagOf(resource.version));
    if (status === 201) reply.header('location', location(request, resource.id));
    return reply.send(body);
  }

  async function list(request: FastifyRequest, actor: Actor, query: ListParams): Promise<ListResponse> {
    const directory = await directoryOf(options, request, actor);
    const { startIndex, count } = pageOf(query, options.limits.maxResults);
    const filter = query.filter === undefined || query.filter.trim() === '' ? undefined : spec.filterOf(query.filter);
    const sort = spec.sortOf(query.sortBy, query.sortOrder);
    const page = await spec.list(actor, directory, { ...(filter && { filter }), ...(sort && { sort }), offset: startIndex - 1, limit: count });
    const resources = await spec.render(request, actor, page.resources, query);
    return { schemas: [LIST_SCHEMA], totalResults: page.count, startIndex, itemsPerPage: resources.length, Resources: resources };
  }

  r.post(
    `/${plural}`,
    {
      config: { scope: 'users:write' },
      schema: { tags, security, summary: `SCIM: create a ${noun}`, params: ScopeParams, querystring: ProjectionQuery, body: ScimResource, response: { 201: ScimResource, ...scimErrors(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const created = await writes.create(actor, await directoryOf(options, request, actor), request.body);
      return sendOne(request, reply, actor, created, 201, request.query);
    },
  );

  r.get(
    `/${plural}`,
    {
      config: { scope: 'users:read' },
      schema: { tags, security, summary: `SCIM: list and filter ${plural.toLowerCase()}`, params: ScopeParams, querystring: ListQuery, response: { 200: ScimList, ...scimErrors(400, 401, 403, 404) } },
    },
    async (request) => list(request, actorOf(request), request.query),
  );

  r.post(
    `/${plural}/.search`,
    {
      config: { scope: 'users:read' },
      schema: { tags, security, summary: `SCIM: search ${plural.toLowerCase()} (a SearchRequest body)`, params: ScopeParams, body: ScimMessage, response: { 200: ScimList, ...scimErrors(400, 401, 403, 404) } },
    },
    async (request) => list(request, actorOf(request), searchQuery(request.body)),
  );

  r.get(
    `/${plural}/:id`,
    {
      config: { scope: 'users:read' },
      schema: { tags, security, summary: `SCIM: get a ${noun}`, params: IdParams, querystring: ProjectionQuery, response: { 200: ScimResource, 304: Type.Null(), ...scimErrors(401, 403, 404) } },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const resource = await spec.get(actor, await directoryOf(options, request, actor), request.params.id);
      if (ifNoneMatches(request.headers['if-none-match'], resource.version)) return reply.code(304).header('etag', etagOf(resource.version)).send(null);
      return sendOne(request, reply, actor, resource, 200, request.query);
    },
  );

  r.put(
    `/${plural}/:id`,
    {
      config: { scope: 'users:write' },
      schema: {
        tags,
        security,
        summary: docs.replace,
        ...(docs.replaceDescription && { description: docs.replaceDescription }),
        params: IdParams,
        querystring: ProjectionQuery,
        body: ScimResource,
        response: { 200: ScimResource, ...scimErrors(400, 401, 403, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const directory = await directoryOf(options, request, actor);
      const replaced = await writes.replace(actor, directory, request.params.id, request.body, expectedVersion(request.headers['if-match']));
      return sendOne(request, reply, actor, replaced, 200, request.query);
    },
  );

  r.patch(
    `/${plural}/:id`,
    {
      config: { scope: 'users:write' },
      schema: {
        tags,
        security,
        summary: docs.patch,
        description: docs.patchDescription,
        params: IdParams,
        querystring: ProjectionQuery,
        body: ScimMessage,
        response: { 200: ScimResource, 204: Type.Null(), ...scimErrors(400, 401, 403, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const directory = await directoryOf(options, request, actor);
      const patched = await writes.patch(actor, directory, request.params.id, request.body, expectedVersion(request.headers['if-match']));
      if (spec.patchAnswersNoContent(request)) return reply.code(204).header('etag', etagOf(patched.version)).send(null);
      return sendOne(request, reply, actor, patched, 200, request.query);
    },
  );

  r.delete(
    `/${plural}/:id`,
    { config: { scope: 'users:write' }, schema: { tags, security, summary: docs.remove, params: IdParams, response: { 204: Type.Null(), ...scimErrors(401, 403, 404, 412) } } },
    async (request, reply) => {
      const actor = actorOf(request);
      await writes.remove(actor, await directoryOf(options, request, actor), request.params.id, expectedVersion(request.headers['if-match']));
      return reply.code(204).send(null);
    },
  );
  return { list };
}
