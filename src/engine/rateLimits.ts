/**
 * Rate limits (RATE_LIMIT_*): requests per principal and per client address,
 * and users sent through batch endpoints per principal, in fixed windows
 * counted in the database (store/repositories/counters.ts), so every instance
 * on one database enforces one limit. A fixed window admits at most twice a
 * limit across a window boundary; that is the price of one UPSERT per request.
 * Requests refused for being over the limit still count, so a client that
 * keeps hammering stays refused until the window ends.
 */
import { actorColumns, type Actor } from '../domain/actor.ts';
import { MusterError } from '../domain/errors.ts';
import { bumpCounters, deleteEndedWindows, type CounterHit } from '../store/repositories/counters.ts';
import type { EngineContext } from './context.ts';

export type RateLimitScope = 'key' | 'address' | 'users';

/** The bucket that names the actor's principal: the same key counts alike through every dialect. */
function principalBucket(actor: Actor): string {
  const { kind, id, label } = actorColumns(actor);
  return kind === 'jwt' ? `jwt:${label ?? ''}:${id ?? ''}` : `${kind}:${id ?? actor.tenantId}`;
}

export function rateLimitService(ctx: EngineContext) {
  const policy = ctx.limits.rateLimit;
  return {
    /**
     * Counts one request of `actor` from `address`, carrying `users` users
     * (0 outside batch endpoints). Throws `rate.limited` (429, with
     * `retryAfterSeconds`) when any limit is over; the first limit over is named.
     */
    async admit(actor: Actor, address: string, users: number): Promise<void> {
      const principal = principalBucket(actor);
      const limits: [RateLimitScope, CounterHit, number][] = [];
      const add = (scope: RateLimitScope, bucket: string, cost: number, limit: number) => {
        if (limit > 0 && cost > 0) limits.push([scope, { bucket, cost, windowSeconds: policy.windowSeconds }, limit]);
      };
      add('key', `req:${principal}`, 1, policy.keyRequests);
      add('address', `addr:${address}`, 1, policy.addressRequests);
      add('users', `users:${principal}`, users, policy.keyUsers);
      if (limits.length === 0) return;
      const totals = await bumpCounters(ctx.db, limits.map(([, hit]) => hit));
      const over = limits.findIndex(([, , limit], i) => totals[i]!.hits > limit);
      if (over < 0) return;
      const [scope, , limit] = limits[over]!;
      const retryAfterSeconds = totals[over]!.secondsLeft;
      throw new MusterError('rate.limited', `Rate limit of ${limit} ${scope === 'users' ? 'users' : 'requests'} per ${policy.windowSeconds} s ${scope === 'address' ? 'per client address' : 'per key'} reached; retry in ${retryAfterSeconds} s.`, {
        scope,
        limit,
        windowSeconds: policy.windowSeconds,
        retryAfterSeconds,
      });
    },

    /** Deletes counter windows that have ended; returns how many. */
    sweep: (): Promise<number> => deleteEndedWindows(ctx.db),
  };
}
