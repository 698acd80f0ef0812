/**
 * The console's session cookie, as the native API reads it: a browser signed
 * in at /console calls /v1 with the cookie instead of a Bearer key, and sends
 * the session's CSRF token in `X-CSRF-Token` on every write. The cookie is
 * httpOnly, SameSite=Strict, Path=/, and Secure when PUBLIC_URL is https.
 */
import type { FastifyRequest } from 'fastify';
import type { SessionPresentation } from '../../engine/consoleSessions.ts';

export const SESSION_COOKIE = 'muster_session';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The value of cookie `name` in a Cookie header (RFC 6265 §5.4 pairs; the first occurrence wins). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}

/** The session a request presents, or undefined when it carries no session cookie. */
export function sessionOf(request: FastifyRequest): SessionPresentation | undefined {
  const token = cookieValue(request.headers.cookie, SESSION_COOKIE);
  if (token === undefined || token === '') return undefined;
  const csrf = request.headers[CSRF_HEADER];
  return { token, write: !SAFE_METHODS.has(request.method), csrfToken: typeof csrf === 'string' ? csrf : undefined };
}

/**
 * The Set-Cookie value that stores `token` (or, with null, clears the cookie).
 * No Max-Age: the browser drops it when it closes, and the server enforces the
 * session's expiry whatever the browser keeps.
 */
export function sessionCookie(token: string | null, secure: boolean): string {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])];
  return token === null ? [`${SESSION_COOKIE}=`, ...attributes, 'Max-Age=0'].join('; ') : [`${SESSION_COOKIE}=${token}`, ...attributes].join('; ');
}
