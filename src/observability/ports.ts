/**
 * What the HTTP layer needs of tracing, with no OpenTelemetry import: the
 * implementation (tracing.ts) is loaded only when an OTLP endpoint is
 * configured, so a service without one loads and runs none of it.
 */
import type { IncomingMessage, RequestListener } from 'node:http';

/** The request, once routed and answered, as its span records it. */
export interface AnsweredRequest {
  readonly method: string;
  /** The route template (`/v1/directories/:directory/users/batch`), never the raw URL: paths carry ids and invitation tokens. */
  readonly route: string;
  readonly dialect: string;
  readonly status: number;
}

export interface RequestTracing {
  /**
   * The HTTP server's request listener, wrapped: each request runs inside a
   * new server span (continuing a W3C `traceparent` the client sent), which
   * is the active context of everything the request awaits: engine and
   * store spans become its children.
   */
  wrapListener(listener: RequestListener): RequestListener;
  /** Names the request's span after its route and records dialect and status, as the answer is sent. The span ends when the response closes (sent, or the client went away). */
  answer(request: IncomingMessage, answered: AnsweredRequest): void;
}
