/**
 * POST /Bulk (RFC 7644 §3.7). A body over `bulk.maxPayloadSize` is refused
 * from its Content-Length before it is read (and by the route's body limit
 * when it has none); more than `bulk.maxOperations` operations, before any
 * runs. Both are 413 `scim.bulk_too_large` naming the limit.
 *
 * Order: an operation runs after the POSTs whose `bulkId` it references
 * (in `data` or in `path`, anywhere), otherwise in request order; a cycle of
 * references, a reference to no POST of the request, or to a POST that failed
 * is a 409 `scim.bulk_unresolved` for that operation. Runs of consecutive
 * `POST /Users` (in that order) go through `createUsers` as one partial batch
 * (up to BATCH_MAX_ITEMS each), so a thousand creates are one insert. Every other operation is the same
 * engine call as its route, with its `version` as If-Match.
 *
 * `failOnErrors`: once that many operations have failed, no further one
 * starts; a batch already running reports all of its results. The answer is
 * 200 with one result per operation that ran, whatever failed.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Actor } from '../../domain/actor.ts';
import type { BatchItem } from '../../domain/batch.ts';
import { isMusterError, MusterError } from '../../domain/errors.ts';
import { actorOf } from '../auth/apiKeyAuth.ts';
import { baseUrl } from './discoveryRoutes.ts';
import { scimErrorBody } from './errors.ts';
import { groupWrites } from './groups.ts';
import type { ScimOptions } from './index.ts';
import { resourceType } from './registry.ts';
import { isObject, readResource, type Json } from './resource.ts';
import { scimErrors, ScimMessage, ScimResource, ScopeParams } from './schemas.ts';
import { directoryOf, expectedVersion } from './resourceRoutes.ts';
import { userWrites } from './users.ts';
import { draftOf, etagOf } from './userTranslate.ts';

export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

const METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;
type Method = (typeof METHODS)[number];

interface BulkOperation {
  readonly index: number;
  readonly method: Method;
  readonly bulkId: string | undefined;
  readonly version: string | undefined;
  readonly path: string;
  readonly data: unknown;
  /** The bulkIds this operation references. */
  readonly needs: ReadonlySet<string>;
}

interface BulkResult {
  readonly method: Method;
  readonly bulkId?: string;
  readonly version?: string;
  readonly location?: string;
  readonly status: string;
  readonly response?: Record<string, unknown>;
}

const REFERENCE = /^bulkId:(.+)$/;

function referencesIn(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') {
    const match = REFERENCE.exec(value);
    if (match) into.add(match[1]!);
  } else if (Array.isArray(value)) for (const v of value) referencesIn(v, into);
  else if (isObject(value)) for (const v of Object.values(value)) referencesIn(v, into);
}

/** The operation's `data` with every `bulkId:x` string replaced by the id x's POST created; as sent when it references none. */
function resolvedData(op: BulkOperation, ids: ReadonlyMap<string, string>): unknown {
  return op.needs.size === 0 ? op.data : resolveReferences(op.data, ids);
}

/** `value` with every `bulkId:x` string replaced by the id x's POST created. */
function resolveReferences(value: unknown, ids: ReadonlyMap<string, string>): Json {
  if (typeof value === 'string') {
    const match = REFERENCE.exec(value);
    return match && ids.has(match[1]!) ? ids.get(match[1]!)! : value;
  }
  if (Array.isArray(value)) return value.map((v) => resolveReferences(v, ids));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveReferences(v, ids)]));
  return value as Json;
}

function readOperations(body: unknown, maxOperations: number): { operations: BulkOperation[]; failOnErrors: number | undefined } {
  if (!isObject(body) || !Array.isArray(body.schemas) || !body.schemas.includes(BULK_REQUEST_SCHEMA)) {
    throw new MusterError('scim.invalid_syntax', `A Bulk body is a BulkRequest message: "schemas": ["${BULK_REQUEST_SCHEMA}"].`);
  }
  const raw = body.Operations;
  if (!Array.isArray(raw)) throw new MusterError('scim.invalid_syntax', 'A BulkRequest has an "Operations" array.');
  if (raw.length > maxOperations) {
    throw new MusterError('scim.bulk_too_large', `The Bulk request has ${raw.length} operations; bulk.maxOperations is ${maxOperations}.`, { limit: maxOperations });
  }
  const failOnErrors = body.failOnErrors;
  if (failOnErrors !== undefined && (!Number.isSafeInteger(failOnErrors) || (failOnErrors as number) < 1)) {
    throw new MusterError('scim.invalid_value', '"failOnErrors" must be a positive integer.', { field: 'failOnErrors' });
  }
  const seen = new Set<string>();
  const operations = raw.map((op, index): BulkOperation => {
    const where = `Operations[${index}]`;
    if (!isObject(op)) throw new MusterError('scim.invalid_syntax', `${where} must be an object.`);
    const method = typeof op.method === 'string' ? op.method.toUpperCase() : '';
    if (!(METHODS as readonly string[]).includes(method)) throw new MusterError('scim.invalid_syntax', `${where}.method must be POST, PUT, PATCH or DELETE.`);
    if (typeof op.path !== 'string') throw new MusterError('scim.invalid_syntax', `${where}.path must be a string.`);
    if (op.bulkId !== undefined && typeof op.bulkId !== 'string') throw new MusterError('scim.invalid_syntax', `${where}.bulkId must be a string.`);
    if (method === 'POST' && op.bulkId === undefined) throw new MusterError('scim.invalid_syntax', `${where}: a POST needs a bulkId.`);
    if (typeof op.bulkId === 'string') {
      if (seen.has(op.bulkId)) throw new MusterError('scim.invalid_syntax', `${where}: bulkId "${op.bulkId}" is used twice.`);
      seen.add(op.bulkId);
    }
    const needs = new Set<string>();
    referencesIn(op.data, needs);
    referencesIn(op.path.split('/').pop(), needs);
    return {
      index,
      method: method as Method,
      bulkId: op.bulkId as string | undefined,
      version: typeof op.version === 'string' ? op.version : undefined,
      path: op.path,
      data: op.data,
      needs,
    };
  });
  return { operations, failOnErrors: failOnErrors as number | undefined };
}

/**
 * The operations in the order they run: each after the POSTs it references,
 * otherwise in request order. Operations that cannot run (a cycle, an unknown
 * bulkId) come back in `unresolved`.
 */
function runOrder(operations: readonly BulkOperation[]): { order: BulkOperation[]; unresolved: Map<BulkOperation, string> } {
  const definedBy = new Map(operations.filter((o) => o.method === 'POST' && o.bulkId !== undefined).map((o) => [o.bulkId!, o]));
  const unresolved = new Map<BulkOperation, string>();
  const order: BulkOperation[] = [];
  const state = new Map<BulkOperation, 'visiting' | 'done'>();
  const visit = (op: BulkOperation): boolean => {
    if (state.get(op) === 'done') return !unresolved.has(op);
    if (state.get(op) === 'visiting') return false;
    state.set(op, 'visiting');
    let ok = true;
    for (const id of op.needs) {
      const dependency = definedBy.get(id);
      if (!dependency) {
        unresolved.set(op, `bulkId "${id}" is defined by no POST of this request.`);
        ok = false;
      } else if (dependency === op || !visit(dependency)) {
        if (!unresolved.has(op)) unresolved.set(op, `bulkId "${id}" cannot be resolved: a circular reference, or it depends on one that cannot.`);
        ok = false;
      }
    }
    state.set(op, 'done');
    if (ok) order.push(op);
    return ok;
  };
  for (const op of operations) visit(op);
  return { order, unresolved };
}

/** The resource and id a Bulk path names: `/Users`, `/Users/{id}`, `/Groups`, `/Groups/{id}`. */
function target(path: string): { type: 'Users' | 'Groups'; id: string | undefined } {
  const match = /^\/(Users|Groups)(?:\/([^/]+))?$/.exec(path);
  if (!match) throw new MusterError('scim.invalid_path', `The Bulk path "${path}" names no resource (use /Users, /Users/{id}, /Groups or /Groups/{id}).`);
  return { type: match[1] as 'Users' | 'Groups', id: match[2] };
}

function failure(op: BulkOperation, error: MusterError): BulkResult {
  const body = scimErrorBody(error);
  return { method: op.method, ...(op.bulkId !== undefined && { bulkId: op.bulkId }), status: String(body.status), response: body };
}

export function bulkRoutes(app: FastifyInstance, options: ScimOptions): void {
  const { engine, limits } = options;
  const users = userWrites(engine);
  const groups = groupWrites(engine);
  const USER = resourceType('User');
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tooLarge = () =>
    new MusterError('scim.bulk_too_large', `The Bulk request body is larger than bulk.maxPayloadSize, ${limits.bulkMaxPayloadBytes} bytes.`, { limit: limits.bulkMaxPayloadBytes });

  r.post(
    '/Bulk',
    {
      config: { scope: 'users:write' },
      bodyLimit: limits.bulkMaxPayloadBytes,
      // Before the body is read: a declared length over the limit is refused at once.
      onRequest: async (request) => {
        if (Number(request.headers['content-length'] ?? 0) > limits.bulkMaxPayloadBytes) throw tooLarge();
      },
      errorHandler: (error, request, reply) => {
        const tooBig = (error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE';
        return (app.errorHandler as (e: unknown, q: FastifyRequest, r: typeof reply) => unknown)(tooBig ? tooLarge() : error, request, reply);
      },
      schema: {
        tags: ['scim'],
        security: [{ scimBearer: [] }],
        summary: 'SCIM: many creates, replaces, patches and deletes in one request (BulkRequest)',
        description: `200 with one result per operation that ran. At most ${limits.bulkMaxOperations} operations and ${limits.bulkMaxPayloadBytes} bytes (413 otherwise).`,
        params: ScopeParams,
        body: ScimMessage,
        response: { 200: ScimResource, ...scimErrors(400, 401, 403, 404, 413) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const { operations, failOnErrors } = readOperations(request.body, limits.bulkMaxOperations);
      const directory = await directoryOf(options, request, actor);
      const base = baseUrl(options.publicUrl, request);
      const { order, unresolved } = runOrder(operations);
      const results = new Map<BulkOperation, BulkResult>();
      const created = new Map<string, string>();
      let errors = 0;
      const record = (op: BulkOperation, result: BulkResult) => {
        results.set(op, result);
        if (Number(result.status) >= 400) errors++;
      };
      for (const [op, reason] of unresolved) record(op, failure(op, new MusterError('scim.bulk_unresolved', reason)));

      for (let i = 0; i < order.length; ) {
        if (failOnErrors !== undefined && errors >= failOnErrors) break;
        const op = order[i]!;
        if (op.needs.size > 0 && [...op.needs].some((id) => !created.has(id))) {
          record(op, failure(op, new MusterError('scim.bulk_unresolved', `An operation it references (bulkId ${[...op.needs].find((id) => !created.has(id))}) failed.`)));
          i++;
          continue;
        }
        if (op.method === 'POST' && op.path === '/Users') {
          let end = i;
          while (end < order.length && end - i < limits.batchMaxItems && order[end]!.method === 'POST' && order[end]!.path === '/Users' && [...order[end]!.needs].every((id) => created.has(id))) end++;
          const run = order.slice(i, end);
          await createUserRun(actor, directory, run, created, base, record);
          i = end;
          continue;
        }
        try {
          record(op, await runOne(actor, directory, op, created, base));
        } catch (error) {
          if (!isMusterError(error) || error.status >= 500) throw error;
          record(op, failure(op, error));
        }
        i++;
      }
      return { schemas: [BULK_RESPONSE_SCHEMA], Operations: operations.filter((op) => results.has(op)).map((op) => results.get(op)!) };
    },
  );

  /** One partial batch through createUsers for a run of POST /Users. */
  async function createUserRun(actor: Actor, directory: string, run: readonly BulkOperation[], created: Map<string, string>, base: string, record: (op: BulkOperation, result: BulkResult) => void) {
    const items: BatchItem[] = run.map((op) => {
      try {
        return { draft: draftOf(readResource(USER, resolvedData(op, created))) };
      } catch (error) {
        if (isMusterError(error)) return { rejected: error };
        throw error;
      }
    });
    const outcome = await engine.provisioning.createUsers(actor, directory, items, { mode: 'partial', onConflict: 'fail', dryRun: false });
    outcome.results.forEach((result, k) => {
      const op = run[k]!;
      if (result.status === 'failed') return record(op, failure(op, result.error));
      const user = result.user!;
      created.set(op.bulkId!, user.id);
      record(op, { method: 'POST', bulkId: op.bulkId!, version: etagOf(user.version), location: `${base}/Users/${user.id}`, status: '201' });
    });
  }

  /** One operation through the same writes as its route; a POST records its bulkId's new id in `created`. */
  async function runOne(actor: Actor, directory: string, op: BulkOperation, created: Map<string, string>, base: string): Promise<BulkResult> {
    const resolvedPath = op.path.replace(/^(\/(?:Users|Groups)\/)bulkId:(.+)$/, (whole, prefix: string, id: string) => (created.has(id) ? `${prefix}${created.get(id)}` : whole));
    const { type, id } = target(resolvedPath);
    const data = resolvedData(op, created);
    const version = expectedVersion(op.version);
    const writes = type === 'Users' ? users : groups;
    const bulkId = op.bulkId === undefined ? {} : { bulkId: op.bulkId };
    if (op.method === 'POST') {
      if (id !== undefined) throw new MusterError('scim.invalid_path', `POST goes to /${type}, not to one resource.`);
      const resource = await writes.create(actor, directory, data);
      created.set(op.bulkId!, resource.id);
      return { method: 'POST', ...bulkId, version: etagOf(resource.version), location: `${base}/${type}/${resource.id}`, status: '201' };
    }
    if (id === undefined) throw new MusterError('scim.invalid_path', `${op.method} needs /${type}/{id}.`);
    if (op.method === 'DELETE') {
      await writes.remove(actor, directory, id, version);
      return { method: 'DELETE', ...bulkId, location: `${base}/${type}/${id}`, status: '204' };
    }
    const resource = op.method === 'PUT' ? await writes.replace(actor, directory, id, data, version) : await writes.patch(actor, directory, id, data, version);
    return { method: op.method, ...bulkId, version: etagOf(resource.version), location: `${base}/${type}/${id}`, status: '200' };
  }
}
