/**
 * `Idempotency-Key` for create routes of any dialect. The request's fingerprint
 * is the method, the route, its parameters and the body (canonical JSON, so key
 * order does not matter). The first response is recorded, inside the write
 * transaction when the route has one, and replayed exactly, marked with
 * `Idempotent-Replayed: true`. Request-level errors (4xx) are recorded and
 * replayed too; an unexpected failure gives the key back so a retry runs. A
 * retry while the first runs is `409 idempotency.in_progress` with
 * `Retry-After` (and `details.retryAfterSeconds`); the running request renews
 * its lease meanwhile (`engine.idempotency.hold`).
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isMusterError, MusterError } from '../domain/errors.ts';
import type { Engine } from '../engine/engine.ts';
import type { Actor } from '../domain/actor.ts';
import type { OwnedKey, StoredResponse } from '../engine/idempotency.ts';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAY_HEADER = 'idempotent-replayed';
const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

/** JSON with object keys sorted, so equal bodies have equal fingerprints. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function fingerprint(request: FastifyRequest): Buffer {
  return createHash('sha256')
    .update(`${request.method}\n${request.routeOptions.url ?? ''}\n${canonical(request.params)}\n${canonical(request.body)}`)
    .digest();
}

/**
 * Runs `work` once per idempotency key and sends its response (or the
 * recorded one). `work` gets the owned key when the request carries one: a
 * write hands it to the engine, which records the response in the write's own
 * transaction; any other answer (a 4xx, or work that wrote nothing) is
 * recorded here. `renderError` renders a request-level MusterError in the
 * dialect's shape, so that it too can be recorded and replayed.
 */
export async function sendIdempotent(
  request: FastifyRequest,
  reply: FastifyReply,
  engine: Engine,
  actor: Actor,
  renderError: (error: MusterError) => StoredResponse,
  work: (owned: OwnedKey | undefined) => Promise<StoredResponse>,
): Promise<FastifyReply> {
  const { tenantId } = actor;
  const header = request.headers[IDEMPOTENCY_HEADER];
  if (header === undefined) return sendStored(reply, await work(undefined));
  const key = Array.isArray(header) ? header[0]! : header;
  if (!KEY_SHAPE.test(key)) throw new MusterError('idempotency.invalid_key');

  const claim = await engine.idempotency.claim(tenantId, key, fingerprint(request));
  if (claim.kind === 'mismatch') throw new MusterError('idempotency.key_reused');
  if (claim.kind === 'running') {
    throw new MusterError(
      'idempotency.in_progress',
      `A request with this Idempotency-Key is still running; retry in ${claim.retryAfterSeconds} s.`,
      { retryAfterSeconds: claim.retryAfterSeconds },
    );
  }
  if (claim.kind === 'replay') return sendStored(reply.header(REPLAY_HEADER, 'true'), claim.response);

  const owned: OwnedKey = { tenantId, key, recorded: false };
  let response: StoredResponse;
  try {
    response = await engine.idempotency.hold(tenantId, key, () => work(owned));
  } catch (error) {
    owned.recorded = false; // whatever was recorded rolled back with the transaction
    if (!isMusterError(error) || error.status >= 500) {
      await engine.idempotency.release(tenantId, key);
      throw error;
    }
    response = renderError(error);
  }
  if (!owned.recorded) await engine.idempotency.complete(undefined, tenantId, key, response);
  return sendStored(reply, response);
}

/** Sends a response as recorded: status, headers, body. */
export function sendStored(reply: FastifyReply, response: StoredResponse): FastifyReply {
  return reply
    .code(response.status)
    .headers(response.headers ?? {})
    .send(response.body);
}
