/**
 * /metrics and the request metrics behind it (src/metrics/metrics.ts).
 *
 * - Every answered request is counted by route template (never the raw URL:
 *   ids and tokens stay out of label values), method, dialect and status, and
 *   timed; batch routes (`config.batchUsersField`) also record their size.
 * - `GET /metrics` answers the Prometheus text format to `Authorization:
 *   Bearer <METRICS_TOKEN>` or the operator key, and 401 (native shape) to
 *   anything else. A separate unauthenticated listener (METRICS_PORT) is
 *   started by main.ts for networks that scrape without credentials.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine/engine.ts';
import { METRICS_CONTENT_TYPE, type Metrics } from '../metrics/metrics.ts';
import { credentialFromHeader } from './auth/bearer.ts';
import { usersIn } from './rateLimit.ts';

/** The dialect a route belongs to, by its mount (a request refused before authentication has no dialect set). */
const DIALECT_BY_PREFIX: readonly [string, string][] = [
  ['/v1/', 'native'],
  ['/scim/', 'scim'],
  ['/cloud/v1/registries', 'gcore'],
  ['/v2/', 'huawei'],
  ['/users', 'alloy'],
  ['/user/', 'royalti'],
  ['/invite/', 'invite'],
];

export function dialectOf(route: string, authenticated: string | null): string {
  return authenticated ?? DIALECT_BY_PREFIX.find(([prefix]) => route.startsWith(prefix))?.[1] ?? 'none';
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function useMetrics(app: FastifyInstance, engine: Engine, metrics: Metrics, token: string | undefined): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.recordRequest(route, request.method, dialectOf(route, request.dialect), reply.statusCode, reply.elapsedTime / 1000);
    const field = request.routeOptions.config.batchUsersField;
    if (field !== undefined) metrics.recordBatch(usersIn(request.body, field));
  });

  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    const presented = credentialFromHeader(request.headers.authorization, 'Bearer');
    if (!(token !== undefined && sameSecret(presented, token))) await engine.tenants.authenticateOperator(presented);
    return reply.type(METRICS_CONTENT_TYPE).send(await metrics.text());
  });
}
