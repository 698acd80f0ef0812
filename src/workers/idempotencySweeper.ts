/**
 * Deletes expired idempotency keys periodically. Expired keys are also ignored
 * on access, so the sweep only reclaims space; any instance may run it.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Engine } from '../engine/engine.ts';

export const SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/** Starts sweeping; returns a function that stops it. */
export function startIdempotencySweeper(engine: Engine, log: FastifyBaseLogger, intervalMs = SWEEP_INTERVAL_MS): () => void {
  const timer = setInterval(() => {
    engine.idempotency.sweep().then(
      (deleted) => {
        if (deleted > 0) log.info({ deleted }, 'swept expired idempotency keys');
      },
      (error: unknown) => log.warn({ err: error }, 'idempotency sweep failed'),
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
