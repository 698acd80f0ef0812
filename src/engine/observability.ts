/**
 * What an operator watches that lives outside one request, read when
 * /metrics is scraped: the queue by kind (depth, oldest pending item's age,
 * dead items), the password-hashing pool's queue, and the store's connections.
 * One aggregate query per queue kind; no tenant's data.
 */
import { QUEUE_KINDS, queueStats, type QueueKind, type QueueStats } from '../store/repositories/queue.ts';
import type { PoolStats } from '../store/ports.ts';
import type { EngineContext } from './context.ts';

export interface OperationalSnapshot {
  readonly queue: readonly (QueueStats & { readonly kind: QueueKind })[];
  readonly hashQueue: number;
  readonly storePool: PoolStats | undefined;
}

export function observabilityService(ctx: EngineContext) {
  return {
    async snapshot(): Promise<OperationalSnapshot> {
      const queue = await Promise.all(QUEUE_KINDS.map(async (kind) => ({ kind, ...(await queueStats(ctx.db, kind, null)) })));
      return { queue, hashQueue: ctx.passwords.queued(), storePool: ctx.db.poolStats?.() };
    },
  };
}
