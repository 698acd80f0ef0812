/** The audit trail: `GET /v1/audit-events`, the tenant's domain events newest first (admin). */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Engine } from '../../engine/engine.ts';
import { actorOf } from '../auth/apiKeyAuth.ts';
import { errorResponses } from './openapi.ts';
import { AuditPageBody, AuditQuery } from './schemas.ts';

export function auditRoutes(app: FastifyInstance, engine: Engine): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/audit-events',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['audit'],
        summary: 'Who did what: the tenant\'s events, newest first',
        description:
          'Every write of every dialect records an event in the same transaction: who (the key, access key or token, and the dialect), ' +
          'what (`user.created`, `user.updated`, `user.deleted`, `user.secret_rotated`, `invitation.*`, `directory.*`, `group.*`, `key.*`), ' +
          'on which subject, with the changed fields (never a credential). Kept AUDIT_RETENTION_DAYS (default 90). Paged by `cursor`.',
        querystring: AuditQuery,
        response: { 200: AuditPageBody, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { user, actor, type, since, until, cursor, limit } = request.query;
      const page = await engine.audit.list(actorOf(request), {
        ...(user !== undefined && { subjectId: user }),
        ...(actor !== undefined && { actor }),
        ...(type !== undefined && { types: type.split(',').map((t) => t.trim()).filter(Boolean) }),
        ...(since !== undefined && { since: new Date(since) }),
        ...(until !== undefined && { until: new Date(until) }),
        ...(cursor !== undefined && { cursor }),
        limit,
      });
      return {
        events: page.events.map((e) => ({ ...e, occurredAt: e.occurredAt.toISOString() })),
        nextCursor: page.nextCursor,
      };
    },
  );
}
