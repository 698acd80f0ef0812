/**
 * Turns anything a request can fail with into a registered MusterError, so
 * every dialect renders from one vocabulary. Framework failures (bad JSON,
 * schema violations, oversize bodies, wrong content types) get their own codes;
 * anything unknown becomes `internal` and is logged, never shown.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { isMusterError, MusterError, type FieldProblem } from '../domain/errors.ts';
import { isStoreUnavailable } from '../engine/failures.ts';

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
    case 'FST_ERR_BAD_URL':
      return { error: new MusterError('request.invalid', fastifyError.message), unexpected: false };
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
 * with the request id, and `respond` renders it in the dialect's shape. An
 * error whose details carry `retryAfterSeconds` also sends `Retry-After`.
 */
export function useErrorShape(app: FastifyInstance, respond: (reply: FastifyReply, error: MusterError) => FastifyReply): void {
  app.setErrorHandler((error, request, reply) => {
    const { error: registered, unexpected } = classifyError(error, app.initialConfig.bodyLimit ?? 0);
    if (unexpected) request.log.error({ err: error }, 'unexpected error');
    const retryAfter = registered.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    return respond(reply, registered);
  });
  app.setNotFoundHandler((request, reply) => respond(reply, new MusterError('route.not_found', `No route ${request.method} ${request.url.split('?')[0]}.`)));
}
