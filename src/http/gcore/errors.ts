/**
 * Gcore's error shape: `{"exception_class", "message"}`, plus `invalid_fields`
 * (`{"field": ["problem"]}`) for validation errors, as Gcore's Cloud API answers.
 * Fields are named as on Gcore's wire (`name`, `secret`, `duration`), never by
 * the engine's names, in `invalid_fields` and in the message alike.
 * No request id in the body (it is in the X-Request-Id header), so a retried
 * request that fails again gets a byte-identical answer. Client errors carry
 * `x-should-retry: false`: Gcore's SDKs retry 409s otherwise, and retrying a
 * conflict cannot help.
 */
import type { FieldProblem, MusterError } from '../../domain/errors.ts';
import type { StoredResponse } from '../../engine/idempotency.ts';

const CLASS_BY_STATUS: Record<number, string> = {
  400: 'ValidationError',
  401: 'AuthenticationError',
  403: 'ForbiddenError',
  404: 'NotFoundError',
  408: 'RequestTimeout',
  409: 'ConflictError',
  412: 'ValidationError',
  413: 'RequestEntityTooLarge',
  414: 'RequestURITooLong',
  415: 'UnsupportedMediaType',
  422: 'ValidationError',
  429: 'TooManyRequests',
  431: 'RequestHeaderFieldsTooLarge',
  503: 'ServiceUnavailable',
};

/** The engine's field names (users' fields) as Gcore's wire names them. */
const WIRE_FIELDS: Record<string, string> = { username: 'name', password: 'secret', lifetimeSeconds: 'duration', expiresAt: 'duration' };

/** `username` -> `name`, `users[2].password` -> `users[2].secret`; other names are already Gcore's. */
export function wireField(field: string): string {
  const [, prefix = '', name = field] = /^(users\[\d+\]\.)?(.*)$/.exec(field) ?? [];
  return prefix + (WIRE_FIELDS[name] ?? name);
}

export function renderGcoreError(error: MusterError): StoredResponse {
  const listed = error.details?.problems as FieldProblem[] | undefined;
  const problems = listed?.map((p) => ({ ...p, field: wireField(p.field) }));
  const invalidFields: Record<string, string[]> = {};
  for (const p of problems ?? []) (invalidFields[p.field] ??= []).push(p.message);
  // A message that starts with the first problem's field name says it in Gcore's words.
  const first = listed?.[0]?.field;
  const message = first !== undefined && error.message.startsWith(`${first} `) ? `${wireField(first)}${error.message.slice(first.length)}` : error.message;
  return {
    status: error.status,
    headers: error.status < 500 && error.status !== 408 && error.status !== 429 ? { 'x-should-retry': 'false' } : {},
    body: {
      exception_class: CLASS_BY_STATUS[error.status] ?? 'InternalServerError',
      message,
      ...(problems && { invalid_fields: invalidFields }),
    },
  };
}
