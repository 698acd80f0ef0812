/**
 * Runs the queue's work of one kind: claims due items (FOR UPDATE SKIP
 * LOCKED, under a lease, so any number of instances can run one), hands each
 * to the kind's handler, and records the outcome. It wakes when a transaction
 * queues work, and otherwise polls every `pollMs`. Stopping lets the work in
 * flight finish and hands the claimed items not yet started back at once
 * (their leases end, the attempt is not counted); a process killed mid-work
 * leaves leases that run out, and
 * those items run again after restart, under the same dedupe key.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Engine } from '../engine/engine.ts';
import { ClaimLost, Deferred, type ClaimedWork, type QueueKind } from '../engine/queue.ts';

/** Thrown by a handler when retrying cannot help (an SMTP 5xx, a 410 Gone): the item is dead at once. */
export class PermanentFailure extends Error {}

export interface QueueHandler<Payload> {
  readonly kind: QueueKind;
  /** Does the work; throws to fail the attempt (a PermanentFailure ends the item). */
  handle(work: ClaimedWork<Payload>): Promise<void>;
  /** Items claimed at once, and run at once. */
  readonly batchSize: number;
  readonly concurrency: number;
  /** The kind's own retry schedule (engine/queue.ts `failed`); without one, the queue's backoff applies. */
  readonly retryDelaysMs?: readonly number[];
}

export interface QueueRunnerOptions {
  readonly engine: Engine;
  readonly log: FastifyBaseLogger;
  readonly pollMs: number;
}

export interface QueueRunner {
  /** Look for due work now. */
  wake(): void;
  /** Stops claiming, waits for the work in flight, hands unstarted claims back. */
  stop(): Promise<void>;
}

/** How often a kind's depth is logged while it has work. */
const DEPTH_LOG_INTERVAL_MS = 60_000;

export function startQueueRunner<Payload>(handler: QueueHandler<Payload>, options: QueueRunnerOptions): QueueRunner {
  const { engine, log } = options;
  const { kind, batchSize, concurrency } = handler;
  let running = true;
  let wakeUp: (() => void) | undefined;
  /** Set by a wake that came while the loop was busy, so it is not lost. */
  let woken = false;
  let lastDepthLog = 0;

  async function run(work: ClaimedWork<Payload>): Promise<void> {
    const { item } = work;
    try {
      await handler.handle(work);
    } catch (error) {
      if (error instanceof Deferred) {
        await engine.queue.defer(item, error.delayMs);
        log.debug({ kind, key: item.dedupeKey, reason: error.message }, `${kind} deferred`);
        return;
      }
      if (error instanceof ClaimLost) {
        log.info({ kind, key: item.dedupeKey, attempt: item.attempt }, `${kind}: another worker claimed it; leaving it to them`);
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      const outcome = await engine.queue.failed(item, message, error instanceof PermanentFailure, handler.retryDelaysMs);
      const entry = { kind, key: item.dedupeKey, attempt: item.attempt, error: message };
      if (outcome === 'dead') log.error(entry, `${kind} is dead: no more attempts`);
      else if (outcome === 'retrying') log.warn(entry, `${kind} attempt failed; will retry`);
      else log.info(entry, `${kind} attempt failed after another worker claimed it; leaving it to them`);
      return;
    }
    await engine.queue.done(item);
    log.debug({ kind, key: item.dedupeKey, attempt: item.attempt }, `${kind} done`);
  }

  async function logDepth(): Promise<void> {
    if (Date.now() - lastDepthLog < DEPTH_LOG_INTERVAL_MS) return;
    lastDepthLog = Date.now();
    const stats = await engine.queue.stats(kind, null);
    if (stats.pending > 0 || stats.dead > 0) log.info({ kind, queue: stats }, 'queue depth');
  }

  async function loop(): Promise<void> {
    while (running) {
      /**
       * A claim that found work means more may be due (a full batch, or the
       * next item of a lane the last one blocked): claim again at once.
       */
      let more = false;
      try {
        const claimed = await engine.queue.claim<Payload>(kind, batchSize);
        for (let i = 0; i < claimed.length; i += concurrency) {
          if (!running) {
            // Stopping: the items not started go back to the queue now, not when their leases run out.
            const handedBack = await engine.queue.release(claimed.slice(i).map((w) => w.item));
            log.info({ kind, handedBack }, 'stopping: handed unstarted queue items back');
            break;
          }
          await Promise.all(claimed.slice(i, i + concurrency).map(run));
        }
        more = claimed.length > 0;
        await logDepth();
      } catch (error) {
        log.error({ err: error, kind }, 'queue run failed; retrying after the poll interval');
      }
      if (running && !more && !woken) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.pollMs);
          wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wakeUp = undefined;
      }
      woken = false;
    }
  }

  const done = loop();
  return {
    wake: () => {
      woken = true;
      wakeUp?.();
    },
    async stop() {
      running = false;
      wakeUp?.();
      await done;
    },
  };
}
