/**
 * Rate limits on every dialect's routes (engine/rateLimits.ts counts them).
 * Registered on the root app before any dialect, as a `preHandler` hook:
 * Fastify runs each phase's hooks for every level before the next phase, so
 * every dialect's authentication (`onRequest`, or Huawei's `preValidation`,
 * which needs the parsed body's bytes) has set the principal here. Requests
 * that fail authentication or validation are not counted.
 * Errors go through the route's own error handler, in its dialect's shape;
 * `rate.limited` carries `retryAfterSeconds`, which `useErrorShape` sends as
 * `Retry-After` for every dialect (SCIM's included).
 *
 * Only authenticated tenant requests count: operator routes and public pages
 * set no principal (the invitation page has its own lockout).
 */
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine/engine.ts';
import { actorOf } from './auth/apiKeyAuth.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A batch route: the body field holding its users, each of which counts
     * against RATE_LIMIT_KEY_USERS.
     */
    batchUsersField?: string;
  }
}

/** How many users a batch body carries in `field` (0 when it holds no list: validation reports that). */
export function usersIn(body: unknown, field: string | undefined): number {
  if (field === undefined || typeof body !== 'object' || body === null) return 0;
  const users = (body as Record<string, unknown>)[field];
  return Array.isArray(users) ? users.length : 0;
}

export function useRateLimits(app: FastifyInstance, engine: Engine): void {
  app.addHook('preHandler', async (request) => {
    if (!request.principal) return;
    await engine.rateLimits.admit(actorOf(request), request.ip, usersIn(request.body, request.routeOptions.config.batchUsersField));
  });
}
