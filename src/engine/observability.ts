/**
 * What an operator watches that lives outside one request, read when
 * /metrics is scraped: the queue by kind (depth, oldest pending item's age,
 * dead items), import jobs by status, the password-hashing pool's queue, and
 * the store's connections. No tenant's data.
 *
 * Cost at scale: the stored figures are two statements (the queue's from its
 * partial indexes of pending and dead items, `queueGauges`; the jobs grouped
 * by status), read at most once per SNAPSHOT_TTL_MS per instance however many
 * scrapers ask; concurrent scrapes share one read. The hashing pool and the
 * store pool are read live (memory).
 */
import { IMPORT_STATUSES, type ImportStatus } from '../domain/importJob.ts';
import { jobCountsByStatus } from '../store/repositories/imports.ts';
import { queueGauges, type QueueGauge } from '../store/repositories/queue.ts';
import type { PoolStats } from '../store/ports.ts';
import type { EngineContext } from './context.ts';

/** How long the stored figures are reused: a scrape may see them this much late. */
export const SNAPSHOT_TTL_MS = 5000;

export interface OperationalSnapshot {
  readonly queue: readonly QueueGauge[];
  readonly importJobs: Readonly<Record<ImportStatus, number>>;
  readonly hashQueue: number;
  readonly storePool: PoolStats | undefined;
}

type StoredFigures = Pick<OperationalSnapshot, 'queue' | 'importJobs'>;

export function observabilityService(ctx: EngineContext) {
  let cached: { readonly at: number; readonly figures: Promise<StoredFigures> } | undefined;

  async function readStored(): Promise<StoredFigures> {
    const [queue, jobs] = await Promise.all([queueGauges(ctx.db), jobCountsByStatus(ctx.db)]);
    const importJobs = Object.fromEntries(IMPORT_STATUSES.map((status) => [status, jobs.get(status) ?? 0])) as Record<ImportStatus, number>;
    return { queue, importJobs };
  }

  /** The stored figures, read again once SNAPSHOT_TTL_MS has passed; a failed read is not kept. */
  function stored(): Promise<StoredFigures> {
    const now = Date.now();
    if (!cached || now - cached.at >= SNAPSHOT_TTL_MS) {
      const figures = readStored();
      cached = { at: now, figures };
      figures.catch(() => {
        if (cached?.figures === figures) cached = undefined;
      });
    }
    return cached.figures;
  }

  return {
    async snapshot(): Promise<OperationalSnapshot> {
      return { ...(await stored()), hashQueue: ctx.passwords.queued(), storePool: ctx.db.poolStats?.() };
    },
  };
}
