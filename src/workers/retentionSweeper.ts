/**
 * Deletes what has outlived its retention, periodically: expired idempotency
 * keys (IDEMPOTENCY_TTL_HOURS; they are also ignored on access, so this only
 * reclaims space), audit events older than AUDIT_RETENTION_DAYS, import
 * jobs (file and report) finished more than IMPORT_RETENTION_DAYS ago, and
 * ended rate-limit and lockout counter windows. Any instance may run it;
 * sweeps are idempotent deletes.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Engine } from '../engine/engine.ts';

export const SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/** Runs every sweep once; resolves when all are done (failures are logged, not thrown). */
export async function sweepOnce(engine: Engine, log: FastifyBaseLogger): Promise<void> {
  const sweeps: [string, () => Promise<number>][] = [
    ['expired idempotency keys', () => engine.idempotency.sweep()],
    ['audit events past retention', () => engine.audit.sweep()],
    ['import jobs past retention', () => engine.imports.sweep()],
    ['ended rate-limit windows', () => engine.rateLimits.sweep()],
  ];
  for (const [what, sweep] of sweeps) {
    try {
      const deleted = await sweep();
      if (deleted > 0) log.info({ deleted }, `swept ${what}`);
    } catch (error) {
      log.warn({ err: error }, `sweeping ${what} failed`);
    }
  }
}

/** Starts sweeping every `intervalMs`; returns a function that stops it. */
export function startRetentionSweeper(engine: Engine, log: FastifyBaseLogger, intervalMs = SWEEP_INTERVAL_MS): () => void {
  const timer = setInterval(() => void sweepOnce(engine, log), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
