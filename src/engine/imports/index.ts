/**
 * Import jobs, the use cases (DESIGN.md "Import jobs"): start a job from an
 * uploaded file, read and list jobs, cancel, undo, delete, stream the report,
 * sweep past retention, and run the queue's `import` work (pipeline.ts,
 * undo.ts).
 *
 * Upload: the body is streamed into IMPORT_FILE_CHUNK_BYTES rows of the
 * database as it arrives (never held whole); the job stays `uploading`,
 * invisible and never run, until the last byte is stored; then one unit of
 * work queues it with its queue item. A failed or oversized upload deletes
 * what it stored. With an idempotency key, a second upload under the same key
 * answers the first job and reads nothing.
 */
import { newId } from '../../crypto/ids.ts';
import type { Actor } from '../../domain/actor.ts';
import { isMusterError, MusterError } from '../../domain/errors.ts';
import { isFinished, type ImportJob, type ReportStatus } from '../../domain/importJob.ts';
import { databaseErrorInfo } from '../../store/ports.ts';
import * as repo from '../../store/repositories/imports.ts';
import type { ClaimedItem } from '../../store/repositories/queue.ts';
import type { EngineContext } from '../context.ts';
import { decodeCursor, encodeCursor } from '../cursors.ts';
import { resolveDirectory } from '../directories.ts';
import type { ProvisioningService } from '../provisioning.ts';
import { enqueueWork } from '../queue.ts';
import { inUnitOfWork } from '../unitOfWork.ts';
import { importEvent } from './events.ts';
import { parseImportRequest } from './options.ts';
import { runImport } from './pipeline.ts';
import { runUndo } from './undo.ts';

export { parseImportRequest } from './options.ts';
export type { ReportRow } from '../../store/repositories/imports.ts';

/** Size of one stored piece of an uploaded file. */
export const IMPORT_FILE_CHUNK_BYTES = 256 * 1024;
/** Report rows read per query while streaming a report. */
const REPORT_PAGE_ROWS = 1000;
/** Seconds a client refused for too many jobs is told to wait. */
const RETRY_AFTER_SECONDS = 30;
/** Finished jobs deleted per statement by the retention sweep. */
const SWEEP_BATCH = 100;

/** The queue payload of kind `import`. */
export interface ImportWork {
  readonly jobId: string;
  readonly op: 'run' | 'undo';
}

export interface StartImport {
  /** The options as strings (query parameters or form fields). */
  readonly raw: Readonly<Record<string, string>>;
  /** The body's media type without parameters, which picks the format when `format` is absent. */
  readonly mediaType: string | undefined;
  readonly idempotencyKey?: string;
}

const notFound = () => new MusterError('import.not_found');

export function importService(ctx: EngineContext, provisioning: ProvisioningService) {
  const limits = ctx.limits.imports;

  async function get(actor: Actor, jobId: string): Promise<ImportJob> {
    const job = /^[0-9a-f-]{36}$/i.test(jobId) ? await repo.findJob(ctx.db, actor.tenantId, jobId) : undefined;
    if (!job || job.status === 'uploading') throw notFound();
    return job;
  }

  async function queue(tx: Parameters<typeof enqueueWork>[1], tenantId: string, work: ImportWork): Promise<void> {
    await enqueueWork(ctx, tx, tenantId, [{ kind: 'import', dedupeKey: `${work.op}:${work.jobId}`, target: work.jobId, payload: work }]);
  }

  return {
    /**
     * Starts a job over `body` in `directoryRef`. Throws (before reading the
     * body) `import.invalid_options`, `directory.not_found`,
     * `import.too_many_jobs` (with `retryAfterSeconds`); while reading,
     * `request.too_large` past IMPORT_MAX_BYTES and `request.body_required`
     * for an empty file. `replayed`: the job an earlier request with the same
     * idempotency key started.
     */
    async start(actor: Actor, directoryRef: string, request: StartImport, body: AsyncIterable<Uint8Array>): Promise<{ job: ImportJob; replayed: boolean }> {
      const { tenantId } = actor;
      const key = request.idempotencyKey ?? null;
      if (key !== null) {
        const earlier = await repo.findJobByIdempotencyKey(ctx.db, tenantId, key);
        if (earlier) return { job: earlier, replayed: true };
      }
      const { format, options, formatOptions } = parseImportRequest(request.raw, request.mediaType);
      const directory = await resolveDirectory(ctx.db, tenantId, directoryRef);
      if ((await repo.countUnfinishedJobs(ctx.db, tenantId)) >= limits.maxQueuedPerTenant) {
        throw new MusterError('import.too_many_jobs', undefined, { limit: limits.maxQueuedPerTenant, retryAfterSeconds: RETRY_AFTER_SECONDS });
      }
      const id = newId();
      try {
        await repo.insertJob(ctx.db, tenantId, {
          id,
          directoryId: directory.id,
          format: format.name,
          options,
          formatOptions: ctx.queueSealer.seal(Buffer.from(JSON.stringify(formatOptions)), `import:${id}`),
          actor,
          idempotencyKey: key,
        });
      } catch (error) {
        const raced = key !== null && databaseErrorInfo(error)?.constraint === 'import_jobs_idempotency_uq';
        if (!raced) throw error;
        const earlier = await repo.findJobByIdempotencyKey(ctx.db, tenantId, key);
        if (!earlier) throw error;
        return { job: earlier, replayed: true };
      }
      try {
        let bytes = 0;
        let seq = 0;
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        const flush = async () => {
          await repo.appendFileChunk(ctx.db, tenantId, id, seq++, Buffer.concat(pending, pendingBytes));
          pending = [];
          pendingBytes = 0;
        };
        for await (const piece of body) {
          bytes += piece.byteLength;
          if (bytes > limits.maxBytes) {
            throw new MusterError('request.too_large', `An import file holds at most ${limits.maxBytes} bytes (IMPORT_MAX_BYTES).`, { limitBytes: limits.maxBytes });
          }
          pending.push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
          pendingBytes += piece.byteLength;
          if (pendingBytes >= IMPORT_FILE_CHUNK_BYTES) await flush();
        }
        if (pendingBytes > 0) await flush();
        if (bytes === 0) throw new MusterError('request.body_required', 'The import file is empty.');
        const atomicValidation = options.mode === 'atomic' && !options.dryRun;
        await inUnitOfWork(ctx, actor, async (uow) => {
          if (atomicValidation) await uow.tx.query(`UPDATE import_jobs SET phase = 'validate' WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
          if (!(await repo.finishUpload(uow.tx, tenantId, id, bytes, seq))) throw notFound();
          await queue(uow.tx, tenantId, { jobId: id, op: 'run' });
          uow.afterCommit(ctx.notifyImports);
        });
      } catch (error) {
        await repo.deleteJob(ctx.db, tenantId, id).catch(() => {});
        throw error;
      }
      return { job: (await repo.findJob(ctx.db, tenantId, id))!, replayed: false };
    },

    get,

    /** Jobs of the tenant (of one directory when `directoryRef` is given), newest first. */
    async list(actor: Actor, directoryRef: string | null, page: { cursor?: string; limit: number }): Promise<{ jobs: ImportJob[]; nextCursor: string | null }> {
      const directoryId = directoryRef === null ? null : (await resolveDirectory(ctx.db, actor.tenantId, directoryRef)).id;
      const before = page.cursor === undefined ? null : decodeCursor('before', page.cursor);
      const jobs = await repo.listJobs(ctx.db, actor.tenantId, directoryId, before, page.limit + 1);
      const more = jobs.length > page.limit;
      const shown = jobs.slice(0, page.limit);
      return { jobs: shown, nextCursor: more ? encodeCursor('before', shown.at(-1)!.id) : null };
    },

    /** A queued job is cancelled at once; a running one stops after its current chunk. A finished one is left as it is. */
    async cancel(actor: Actor, jobId: string): Promise<ImportJob> {
      await get(actor, jobId);
      await inUnitOfWork(ctx, actor, async (uow) => {
        const locked = await repo.lockJob(uow.tx, actor.tenantId, jobId);
        if (!locked) throw notFound();
        if (locked.job.status === 'queued') {
          await repo.markFinished(uow.tx, actor.tenantId, jobId, { status: 'cancelled', rowsTotal: null, error: null });
          const job = (await repo.findJob(uow.tx, actor.tenantId, jobId))!;
          uow.emit(importEvent('import.cancelled', job, { totals: job.totals }));
        } else if (locked.job.status === 'running') await repo.requestCancel(uow.tx, actor.tenantId, jobId);
      });
      return get(actor, jobId);
    },

    /** Queues the undo of a finished job (`import.not_finished` otherwise); asking again changes nothing. */
    async undo(actor: Actor, jobId: string): Promise<ImportJob> {
      await get(actor, jobId);
      await inUnitOfWork(ctx, actor, async (uow) => {
        const locked = await repo.lockJob(uow.tx, actor.tenantId, jobId);
        if (!locked) throw notFound();
        if (!isFinished(locked.job.status)) throw new MusterError('import.not_finished');
        if (locked.job.undo !== null) return;
        await repo.saveUndo(uow.tx, actor.tenantId, jobId, { status: 'running', deleted: 0, kept: 0, keptChanged: 0, keptGone: 0, at: null });
        await queue(uow.tx, actor.tenantId, { jobId, op: 'undo' });
        uow.afterCommit(ctx.notifyImports);
      });
      return get(actor, jobId);
    },

    /** Deletes the job, its stored file and its report (a running job stops at its next chunk). */
    async remove(actor: Actor, jobId: string): Promise<void> {
      await get(actor, jobId);
      if (!(await repo.deleteJob(ctx.db, actor.tenantId, jobId))) throw notFound();
    },

    /** The report's rows in row order, of one status or all, read a page at a time (never whole). */
    async *report(actor: Actor, jobId: string, status: ReportStatus | null): AsyncGenerator<repo.ReportRow> {
      let after = 0;
      for (;;) {
        const page = await repo.reportPage(ctx.db, actor.tenantId, jobId, status, after, REPORT_PAGE_ROWS);
        yield* page;
        if (page.length < REPORT_PAGE_ROWS) return;
        after = page.at(-1)!.row;
      }
    },

    /** Deletes jobs finished more than IMPORT_RETENTION_DAYS ago (and abandoned uploads); returns how many. */
    async sweep(): Promise<number> {
      const cutoff = new Date(ctx.now().getTime() - limits.retentionDays * 86_400_000);
      let total = 0;
      for (;;) {
        const deleted = await repo.deleteJobsBefore(ctx.db, cutoff, SWEEP_BATCH);
        total += deleted;
        if (deleted < SWEEP_BATCH) return total;
      }
    },

    /**
     * Runs claimed `import` work: the job (or its undo), from wherever it
     * stopped. Throws ClaimLost when another worker took it over, and
     * HandedBack when `stopping` aborted: the chunk (or undo page) in flight
     * committed, and the rest is left at the checkpoint.
     */
    async runClaimed(item: ClaimedItem, work: ImportWork, stopping: AbortSignal = new AbortController().signal): Promise<void> {
      try {
        if (work.op === 'undo') await runUndo(ctx, item, work.jobId, stopping);
        else await runImport({ ctx, provisioning, stopping }, item, work.jobId);
      } catch (error) {
        // A job deleted while it ran: nothing is left to do.
        if (isMusterError(error) && error.code === 'import.not_found') return;
        throw error;
      }
    },
  };
}

export type ImportService = ReturnType<typeof importService>;
