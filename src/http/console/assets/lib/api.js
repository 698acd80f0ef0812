// The console's only way to the service: the native /v1 API (and /console/session),
// with the session cookie the browser sends by itself and, on writes, the CSRF token
// kept in memory (never in storage). Errors keep the API's code, message and field.

let csrfToken = null;
let onSignedOut = () => {};

export function setCsrfToken(token) {
  csrfToken = token;
}

/** Called with the error when the service answers 401 (expired or ended session). */
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `The service answered ${status}.`);
    this.status = status;
    this.code = error.code || 'http.' + status;
    this.details = error.details || {};
  }

  /** The request field the error concerns, when the API named one. */
  get field() {
    return this.details.field || this.details.option || null;
  }
}

export function queryString(query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') params.set(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  const text = params.toString();
  return text ? '?' + text : '';
}

/**
 * `api('GET', '/v1/directories')`. `body`: an object (sent as JSON), or a Blob/File
 * (sent as is with `contentType`). Resolves to the parsed JSON, null for 204, or the
 * Response with `raw`. Rejects with ApiError.
 */
export async function api(method, path, options = {}) {
  const headers = { accept: 'application/json', ...(options.headers || {}) };
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let body;
  if (options.body instanceof Blob) {
    body = options.body;
    headers['content-type'] = options.contentType || options.body.type || 'application/octet-stream';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(path + queryString(options.query), { method, headers, body, credentials: 'same-origin' });
  if (!response.ok) {
    const parsed = await response.json().catch(() => null);
    const error = new ApiError(response.status, parsed);
    if (response.status === 401 && !options.quiet) onSignedOut(error);
    throw error;
  }
  if (options.raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

/** `directory` and ids are path segments: always encoded. */
export const seg = (value) => encodeURIComponent(value);
