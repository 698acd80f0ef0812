/**
 * Request spans (src/observability/): the server's listener opens a span per
 * request (AppOptions.tracing, through Fastify's serverFactory); this hook
 * names it after the route template and records the dialect and status as
 * the answer is sent (onSend: the status is final, the span still open).
 */
import type { FastifyInstance } from 'fastify';
import type { RequestTracing } from '../observability/ports.ts';
import { dialectOf } from './metrics.ts';

export function useRequestTracing(app: FastifyInstance, tracing: RequestTracing): void {
  app.addHook('onSend', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    tracing.answer(request.raw, { method: request.method, route, dialect: dialectOf(route, request.dialect), status: reply.statusCode });
  });
}
