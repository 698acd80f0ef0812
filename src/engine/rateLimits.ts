/**
 * Rate limits (RATE_LIMIT_*): requests per principal and per client address,
 * and users sent through batch endpoints per principal, counted in the
 * database (store/repositories/counters.ts), so every instance on one
 * database enforces one limit.
 *
 * Sliding-window approximation: a bucket's count is this window's hits plus
 * the previous window's weighted by the part of it the last
 * RATE_LIMIT_WINDOW_SECONDS still overlap (`slidingHits`), so a burst at the
 * end of one window and the start of the next cannot pass twice a limit, as
 * fixed windows let it; still one UPSERT per request. It assumes the previous
 * window's hits were spread evenly, so it may admit a little more or less
 * than an exact sliding log. Requests refused for being over the limit still
 * count, so a client that keeps hammering stays refused.
 */
import { actorColumns, type Actor } from '../domain/actor.ts';
import { MusterError } from '../domain/errors.ts';
import { bumpCounters, deleteEndedWindows, type BumpedTotal, type CounterHit } from '../store/repositories/counters.ts';
import type { EngineContext } from './context.ts';

export type RateLimitScope = 'key' | 'address' | 'users';

/** The bucket that names the actor's principal: the same key counts alike through every dialect. */
function principalBucket(actor: Actor): string {
  const { kind, id, label } = actorColumns(actor);
  return kind === 'jwt' ? `jwt:${label ?? ''}:${id ?? ''}` : `${kind}:${id ?? actor.tenantId}`;
}

/** The sliding-window estimate of a bucket's hits over the last window (see the module contract). */
export function slidingHits(total: Pick<BumpedTotal, 'hits' | 'previousHits' | 'remainingFraction'>): number {
  return total.hits + total.previousHits * total.remainingFraction;
}

/**
 * Whole seconds (at least 1) until the estimate leaves room for one more
 * hit under `limit`: within this window when only the previous window's
 * weight is in the way, else after this window ends and enough of the next
 * has passed for this window's hits to weigh little enough.
 */
export function secondsUntilAdmitted(total: Pick<BumpedTotal, 'hits' | 'previousHits' | 'remainingFraction'>, limit: number, windowSeconds: number): number {
  const room = limit - 1;
  const { hits, previousHits, remainingFraction } = total;
  const fraction = hits <= room ? remainingFraction - (previousHits > 0 ? (room - hits) / previousHits : remainingFraction) : remainingFraction + 1 - room / hits;
  return Math.max(1, Math.ceil(fraction * windowSeconds));
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
      const over = limits.findIndex(([, , limit], i) => slidingHits(totals[i]!) > limit);
      if (over < 0) return;
      const [scope, , limit] = limits[over]!;
      const retryAfterSeconds = secondsUntilAdmitted(totals[over]!, limit, policy.windowSeconds);
      throw new MusterError('rate.limited', `Rate limit of ${limit} ${scope === 'users' ? 'users' : 'requests'} per ${policy.windowSeconds} s ${scope === 'address' ? 'per client address' : 'per key'} reached; retry in ${retryAfterSeconds} s.`, {
        scope,
        limit,
        windowSeconds: policy.windowSeconds,
        retryAfterSeconds,
      });
    },

    /** Deletes counter windows that ended more than a window ago (the estimate weighs the last one); returns how many. */
    sweep: (): Promise<number> => deleteEndedWindows(ctx.db, policy.windowSeconds),
  };
}
