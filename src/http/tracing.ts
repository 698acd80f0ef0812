/**
 * Request spans (src/observability/): the server's listener opens a span per
 * request (AppOptions.tracing, through Fastify's serverFactory); this hook
 * names it after the route template and records the dialect and status as
 * the answer is sent (onSend: the status is final, the span still open).
 */
import { createServer } from 'node:http';
import type { FastifyInstance, FastifyServerFactory } from 'fastify';
import type { RequestTracing } from '../observability/ports.ts';
import { dialectOf } from './metrics.ts';

export function useRequestTracing(app: FastifyInstance, tracing: RequestTracing): void {
  app.addHook('onSend', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    tracing.answer(request.raw, { method: request.method, route, dialect: dialectOf(route, request.dialect), status: reply.statusCode });
  });
}

/**
 * The HTTP server Fastify would make, its listener wrapped in a request span.
 * A server factory takes over Fastify's own server set-up, so this applies
 * the same timeouts from Fastify's options (defaults filled in) as it does.
 */
export function tracedServerFactory(tracing: RequestTracing): FastifyServerFactory {
  return (handler, options) => {
    const server = createServer(tracing.wrapListener(handler));
    const { keepAliveTimeout, requestTimeout, connectionTimeout, maxRequestsPerSocket } = options as {
      keepAliveTimeout?: number;
      requestTimeout?: number;
      connectionTimeout?: number;
      maxRequestsPerSocket?: number;
    };
    if (keepAliveTimeout !== undefined) server.keepAliveTimeout = keepAliveTimeout;
    if (requestTimeout !== undefined) server.requestTimeout = requestTimeout;
    if (connectionTimeout !== undefined) server.setTimeout(connectionTimeout);
    if (maxRequestsPerSocket) server.maxRequestsPerSocket = maxRequestsPerSocket;
    return server;
  };
}
