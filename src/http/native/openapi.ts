/** OpenAPI helpers for native routes. */
import { ErrorBody } from './schemas.ts';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: malformed JSON, schema violation, or a broken rule.',
  401: 'Missing, malformed, unknown or revoked API key; for authenticate, rejected credentials.',
  403: 'The key lacks the required scope, or its tenant is disabled.',
  404: 'No such directory, user or key in the caller\'s tenant (tenant routes: no such tenant).',
  409: 'Conflict with an existing resource, or a request with the same Idempotency-Key is still running.',
  412: 'If-Match does not match the current version.',
  413: 'The body exceeds the configured size limit.',
  415: 'Unsupported Content-Type.',
  422: 'The Idempotency-Key was used with a different request.',
  429: 'A rate limit (RATE_LIMIT_*) or a sign-in lockout (LOCKOUT_*) is used up; Retry-After says when to retry.',
};

/** Response entries for the given error statuses, all in the native error shape. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries(statuses.map((status) => [status, { ...ErrorBody, description: ERROR_DESCRIPTIONS[status] ?? 'Error.' }]));
}
