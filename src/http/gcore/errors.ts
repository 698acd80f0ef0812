/**
 * Gcore's error shape: `{"exception_class", "message"}`, plus `invalid_fields`
 * (`{"field": ["problem"]}`) for validation errors, as Gcore's Cloud API answers.
 * No request id in the body (it is in the X-Request-Id header), so a retried
 * request that fails again gets a byte-identical answer. Client errors carry
 * `x-should-retry: false`: Gcore's SDKs retry 409s otherwise, and retrying a
 * conflict cannot help.
 */
import type { MusterError } from '../../domain/errors.ts';
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
  431: 'RequestHeaderFieldsTooLarge',
  503: 'ServiceUnavailable',
};

export function renderGcoreError(error: MusterError): StoredResponse {
  const problems = error.details?.problems as { field: string; message: string }[] | undefined;
  const invalidFields: Record<string, string[]> = {};
  for (const p of problems ?? []) (invalidFields[p.field] ??= []).push(p.message);
  return {
    status: error.status,
    headers: error.status < 500 && error.status !== 408 && error.status !== 429 ? { 'x-should-retry': 'false' } : {},
    body: {
      exception_class: CLASS_BY_STATUS[error.status] ?? 'InternalServerError',
      message: error.message,
      ...(problems && { invalid_fields: invalidFields }),
    },
  };
}
