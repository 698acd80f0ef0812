/**
 * The queue's `import` kind: runs an import job (or its undo) from its
 * checkpoint. One job at a time per instance; the item's lease is renewed by
 * every chunk's transaction, so a job runs as long as it needs while its
 * worker lives, and moves to another instance (resuming at the checkpoint)
 * once a dead worker's lease runs out (OUTBOX_LEASE_MS). A worker that finds
 * its claim taken over stops without recording anything (ClaimLost). A
 * stopping worker (SIGTERM) ends the chunk in flight and hands the job back
 * (HandedBack), so another instance resumes it at once.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Engine } from '../engine/engine.ts';
import type { ImportWork } from '../engine/imports/index.ts';
import type { QueueHandler } from './queueRunner.ts';

/** Logs each claim of a job (`import job claimed`, with the attempt), so the logs say which instance ran or resumed it. */
export function importHandler(engine: Engine, log?: FastifyBaseLogger): QueueHandler<ImportWork> {
  return {
    kind: 'import',
    batchSize: 1,
    concurrency: 1,
    handle: ({ item, payload }, stopping) => {
      log?.info({ jobId: payload.jobId, op: payload.op, attempt: item.attempt }, 'import job claimed');
      return engine.imports.runClaimed(item, payload, stopping);
    },
  };
}
