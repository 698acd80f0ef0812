/**
 * The one durable queue, as the engine and the workers see it. Use cases
 * enqueue work inside their unit of work (`enqueueWork`), so it exists exactly
 * when their change commits; workers claim due items of a kind under a lease
 * (payloads opened), then report each one done or failed.
 *
 * Every kind gets the same rules: a failure is retried with exponential
 * backoff and jitter until `outboxMaxAttempts` (OUTBOX_MAX_ATTEMPTS), then the
 * item is dead with its last error; a permanent refusal is dead at once.
 * Delivery is at-least-once: an item whose worker died is claimed again after
 * its lease (OUTBOX_LEASE_MS), under the same dedupe key, so receivers can
 * tell a redelivery. A kind is a handler (workers/), not a second queue.
 */
import { newId } from '../crypto/ids.ts';
import type { Queryable } from '../store/ports.ts';
import * as repo from '../store/repositories/queue.ts';
import type { EngineContext } from './context.ts';

export type { ClaimedItem, QueueKind, QueueStats, DeadItem } from '../store/repositories/queue.ts';

/** The longest wait between two attempts. */
export const RETRY_CAP_MS = 3_600_000;

/**
 * Delay before attempt `attempt + 1`: base * 2^(attempt-1), capped, with "equal
 * jitter" (a random point in the upper half), so retries of many items
 * failing together spread out.
 */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_CAP_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Work to enqueue; `payload` is sealed under the server key (it may carry a secret, such as an invitation token). */
export interface Work {
  readonly kind: repo.QueueKind;
  readonly dedupeKey: string;
  readonly target: string;
  readonly invitationId?: string;
  readonly payload: unknown;
}

/** Inside the caller's transaction: enqueues `work`, sealed; the caller wakes the workers after COMMIT. */
export async function enqueueWork(ctx: EngineContext, tx: Queryable, tenantId: string, work: readonly Work[]): Promise<void> {
  await repo.insertItems(
    tx,
    tenantId,
    work.map((w) => ({
      id: newId(),
      kind: w.kind,
      dedupeKey: w.dedupeKey,
      target: w.target,
      invitationId: w.invitationId ?? null,
      payload: ctx.queueSealer.seal(Buffer.from(JSON.stringify(w.payload)), w.dedupeKey),
    })),
  );
}

export interface ClaimedWork<Payload> {
  readonly item: repo.ClaimedItem;
  readonly payload: Payload;
}

export function queueService(ctx: EngineContext) {
  return {
    /** Claims up to `limit` due items of `kind` under a lease and opens their payloads. */
    async claim<Payload>(kind: repo.QueueKind, limit: number): Promise<ClaimedWork<Payload>[]> {
      const claimed = await repo.claimDue(ctx.db, kind, limit, ctx.limits.outboxLeaseMs);
      return claimed.map((item) => ({ item, payload: JSON.parse(ctx.queueSealer.open(item.payload, item.dedupeKey).toString('utf8')) as Payload }));
    },

    /** Hands claimed items back unstarted (see `repo.releaseClaims`); returns how many. */
    release: (items: readonly repo.ClaimedItem[]): Promise<number> => repo.releaseClaims(ctx.db, items),

    done: (item: repo.ClaimedItem): Promise<void> => ctx.db.transaction((tx) => repo.markDone(tx, item)),

    /** Records a failed attempt; returns whether the item is now dead. */
    async failed(item: repo.ClaimedItem, error: string, permanent: boolean): Promise<boolean> {
      const dead = permanent || item.attempt >= ctx.limits.outboxMaxAttempts;
      await ctx.db.transaction((tx) => repo.markFailed(tx, item, error.slice(0, 1000), dead ? null : retryDelayMs(item.attempt, ctx.limits.outboxRetryBaseMs)));
      return dead;
    },

    /** Counts of a kind for one tenant, or for all when `tenantId` is null. */
    stats: (kind: repo.QueueKind, tenantId: string | null): Promise<repo.QueueStats> => repo.queueStats(ctx.db, kind, tenantId),

    dead: (kind: repo.QueueKind, tenantId: string, limit = 100): Promise<repo.DeadItem[]> => repo.deadItems(ctx.db, kind, tenantId, limit),
  };
}

export type QueueService = ReturnType<typeof queueService>;
