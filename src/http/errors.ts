/**
 * Turns anything a request can fail with into a registered MusterError, so
 * every dialect renders from one vocabulary. Framework failures (bad JSON,
 * schema violations, oversize bodies, wrong content types) get their own codes;
 * anything unknown becomes `internal` and is logged, never shown.
 */
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isMusterError, MusterError, type FieldProblem } from '../domain/errors.ts';
import type { StoredResponse } from '../engine/idempotency.ts';
import { isStoreUnavailable } from '../engine/failures.ts';
import { sendStored } from './idempotency.ts';

/** A dialect's error shape: status, headers and body for a registered error. */
export type ErrorRenderer = (error: MusterError) => StoredResponse;

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `/users/0/email` -> `users[0].email`; a missing or unknown property is named itself. */
function fieldOf(issue: AjvIssue, part: string | undefined): string {
  const segments = issue.instancePath.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  const extra = issue.params.missingProperty ?? issue.params.additionalProperty;
  if (typeof extra === 'string') segments.push(extra);
  const path = segments.reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
  const prefix = part === 'querystring' ? 'query' : part === 'params' ? 'path' : part === 'headers' ? 'header' : '';
  return prefix ? (path ? `${prefix}.${path}` : prefix) : path || '(body)';
}

function describe(issue: AjvIssue): string {
  if (issue.keyword === 'additionalProperties') return 'is not a known field';
  if (issue.keyword === 'required') return 'is required';
  return issue.message ?? 'is not valid';
}

export function validationProblems(issues: readonly AjvIssue[], part: string | undefined): FieldProblem[] {
  return issues.map((issue) => ({ field: fieldOf(issue, part), message: describe(issue) }));
}

/** `request.invalid` naming every problem (the first in the message). */
export function invalidRequest(problems: readonly FieldProblem[]): MusterError {
  const first = problems[0];
  return new MusterError('request.invalid', first ? `${first.field} ${first.message}.` : undefined, { field: first?.field, problems });
}

/** The registered error for any thrown value, plus whether it is unexpected (to be logged as such). */
export function classifyError(error: unknown, bodyLimitBytes: number): { error: MusterError; unexpected: boolean } {
  if (isMusterError(error)) return { error, unexpected: false };
  const fastifyError = error as Partial<FastifyError> & { validation?: AjvIssue[]; validationContext?: string };
  if (Array.isArray(fastifyError.validation)) {
    return { error: invalidRequest(validationProblems(fastifyError.validation, fastifyError.validationContext)), unexpected: false };
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { error: new MusterError('request.malformed_json'), unexpected: false };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { error: new MusterError('request.unsupported_media_type'), unexpected: false };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        error: new MusterError('request.too_large', `The request body is larger than the limit of ${bodyLimitBytes} bytes.`, {
          limitBytes: bodyLimitBytes,
        }),
        unexpected: false,
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { error: new MusterError('request.invalid', fastifyError.message), unexpected: false };
    case 'FST_ERR_BAD_URL':
      return { error: new MusterError('request.invalid', 'The URL is not valid: malformed percent-encoding in the path.'), unexpected: false };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { error: new MusterError('request.uri_too_long'), unexpected: false };
  }
  if (isStoreUnavailable(error)) return { error: new MusterError('service.unavailable'), unexpected: true };
  // The JSON parser's own failures (including prototype-poisoning keys) carry a 400.
  if (error instanceof SyntaxError || fastifyError.statusCode === 400) {
    return { error: new MusterError('request.malformed_json'), unexpected: false };
  }
  return { error: new MusterError('internal'), unexpected: true };
}

/**
 * Gives a dialect plugin (or the root) its error and not-found answers: every
 * failure is classified into a registered error, unexpected ones are logged
 * with the request id, and `render` gives it the dialect's shape. An
 * error whose details carry `retryAfterSeconds` also sends `Retry-After`.
 */
export function useErrorShape(app: FastifyInstance, render: ErrorRenderer): void {
  app.setErrorHandler((error, request, reply) => {
    const { error: registered, unexpected } = classifyError(error, app.initialConfig.bodyLimit ?? 0);
    // A client that hangs up mid-body (an upload cut short) fails the body's stream: its own doing, no fault of the service's.
    if (unexpected && request.raw.readableAborted) request.log.info({ err: error }, 'the client closed the connection before its request body ended');
    else if (unexpected) request.log.error({ err: error }, 'unexpected error');
    const retryAfter = registered.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    return sendStored(reply, render(registered));
  });
  app.setNotFoundHandler((request, reply) => sendStored(reply, render(new MusterError('route.not_found', `No route ${request.method} ${request.url.split('?')[0]}.`))));
}

/** Where a dialect is mounted, and its error shape. */
export interface DialectShape {
  readonly prefix: string;
  readonly render: ErrorRenderer;
}

/** The shape for a URL: the dialect whose prefix is the URL's first segments, else `fallback` (the native shape). */
export function shapeForUrl(url: string, shapes: readonly DialectShape[], fallback: ErrorRenderer): ErrorRenderer {
  const path = url.split('?', 1)[0] ?? '';
  return shapes.find((s) => path === s.prefix || path.startsWith(`${s.prefix}/`))?.render ?? fallback;
}

/**
 * Errors raised before routing, in the shape of the dialect the URL belongs to:
 * - `frameworkErrors` (Fastify option): malformed percent-encoding
 *   (`FST_ERR_BAD_URL`, 400) and over-long path parameters (414);
 * - `clientErrorHandler` (Fastify option, Node's `clientError`): requests Node's
 *   HTTP parser refuses before Fastify sees them: oversized headers (431), a
 *   request timeout (408), anything else unparseable (400). The dialect is read
 *   from the request line of the raw bytes Node kept (`err.rawPacket`); when
 *   even that is missing, the native shape answers. The connection is closed
 *   after the answer, as Node does.
 */
export function preRoutingErrorHandlers(shapes: readonly DialectShape[], fallback: ErrorRenderer) {
  return {
    frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
      const { error: registered, unexpected } = classifyError(error, 0);
      if (unexpected) request.log.error({ err: error }, 'unexpected error');
      void sendStored(reply.header('x-request-id', request.id), shapeForUrl(request.raw.url ?? '', shapes, fallback)(registered));
    },
    clientErrorHandler(error: ConnectionError, socket: Socket): void {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const registered =
        error.code === 'HPE_HEADER_OVERFLOW'
          ? new MusterError('request.headers_too_large')
          : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? new MusterError('request.timeout')
            : new MusterError('request.invalid', 'The HTTP request is malformed.');
      const raw: unknown = error.rawPacket; // a Buffer at run time, whatever the type says
      const requestLine = Buffer.isBuffer(raw) ? (raw.toString('latin1').split('\r\n', 1)[0] ?? '') : '';
      const url = /^[A-Z]+ (\S+)/.exec(requestLine)?.[1] ?? '';
      const response = shapeForUrl(url, shapes, fallback)(registered);
      const body = Buffer.from(JSON.stringify(response.body));
      const headers = { ...response.headers, 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length), connection: 'close' };
      if (socket.writable) {
        const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
        socket.write(`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}\r\n${head}\r\n`);
        socket.write(body);
      }
      socket.destroy(error);
    },
  };
}
