/**
 * HTTP from the CLI to a running muster service (the operator API, import
 * jobs): the bearer key, the native error body turned into a ServiceError, a
 * service that does not answer into a ServiceUnreachableError. The key goes
 * into the Authorization header only: never into a message, a URL or a log line.
 */

/** A failure the service answered with: its error code, HTTP status and message (and Retry-After, when it sent one). */
export class ServiceError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: string, message: string, status = 0, retryAfterSeconds?: number) {
    super(message);
    this.name = 'ServiceError';
    this.code = code;
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The service at `baseUrl` could not be reached at all, or the connection dropped. */
export class ServiceUnreachableError extends Error {}

/** What to tell the user when nothing answers: where the address comes from. */
const DEFAULT_HINT = 'set MUSTER_URL to its address';

/** The one-line ServiceUnreachableError for a failed connection (fetch's TypeError with a cause, or a node:http error). */
export function unreachable(baseUrl: string, error: unknown, hint = DEFAULT_HINT): ServiceUnreachableError {
  const reason = (error as { cause?: { code?: string; message?: string } }).cause ?? (error as { code?: string; message?: string });
  return new ServiceUnreachableError(`cannot reach the service at ${baseUrl} (${reason?.code ?? reason?.message ?? String(error)}); ${hint}.`);
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), or undefined. */
export function retryAfterSeconds(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** The ServiceError for a refusal: the native body's code and message, else the status. */
export function serviceErrorOf(baseUrl: string, status: number, bodyText: string, retryAfter?: string | null): ServiceError {
  let parsed: { error?: { code?: string; message?: string; details?: { option?: unknown } } } | undefined;
  try {
    parsed = bodyText ? (JSON.parse(bodyText) as typeof parsed) : undefined;
  } catch {
    parsed = undefined;
  }
  const code = parsed?.error?.code ?? `http.${status}`;
  const option = typeof parsed?.error?.details?.option === 'string' ? `, option ${parsed.error.details.option}` : '';
  return new ServiceError(code, `${parsed?.error?.message ?? `HTTP ${status}`} (${parsed?.error?.code ?? status}${option}, from ${baseUrl})`, status, retryAfterSeconds(retryAfter));
}

export interface ServiceClient {
  readonly baseUrl: string;
  readonly key: string;
  /** How to point the CLI at another address, for the unreachable message. */
  readonly hint: string;
  /** A JSON request under /v1; resolves with the parsed body (undefined for 204). */
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** A request under /v1 whose body the caller reads (event streams, reports); refusals are thrown as ServiceError. */
  open(method: string, path: string, options?: { headers?: Record<string, string>; signal?: AbortSignal }): Promise<Response>;
}

/** A client of the service at `baseUrl` (no trailing slash) with `key` as bearer token; `hint` says how to point it elsewhere. */
export function serviceClient(baseUrl: string, key: string, hint = DEFAULT_HINT): ServiceClient {
  async function open(method: string, path: string, options: { headers?: Record<string, string>; signal?: AbortSignal; body?: string } = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...options.headers },
        ...(options.body !== undefined && { body: options.body }),
        ...(options.signal && { signal: options.signal }),
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw unreachable(baseUrl, error, hint);
    }
    if (!response.ok) throw serviceErrorOf(baseUrl, response.status, await response.text(), response.headers.get('retry-after'));
    return response;
  }
  return {
    baseUrl,
    key,
    hint,
    open,
    async json<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await open(method, path, {
        headers: { accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return (text ? JSON.parse(text) : undefined) as T;
    },
  };
}
