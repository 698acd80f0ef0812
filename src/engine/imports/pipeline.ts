/**
 * Runs an import job: streams the stored file through the format's reader
 * and mapper, and writes it through createUsers in chunks of IMPORT_CHUNK_ROWS.
 *
 * Exactly once, whatever crashes: each chunk's users, its report rows and the
 * job's checkpoint (`next_row`, counters) commit in ONE transaction (the
 * chunk is a before-commit participant of createUsers' unit of work). That
 * transaction first locks the job row and checks that the checkpoint is the
 * one this run started the chunk from and that this worker's queue claim is
 * still the item's latest (renewing its lease); otherwise another worker took
 * the job over, the chunk rolls back whole, and this run stops (ClaimLost).
 * A run resumes by reading the file again from the start and skipping the
 * rows before the checkpoint (records are not seekable in CSV: quoted fields
 * hold newlines).
 *
 * Overlap: the next chunks are read, parsed and mapped (PREFETCH_CHUNKS ahead),
 * and the next one is validated, planned and hashed by createUsers, while the
 * current one is written. Its transaction begins as soon as the one before has
 * locked the job row (createUsers' `writeAfter`), so on PostgreSQL two chunks'
 * transactions overlap: the next one inserts its users while the one before
 * writes its report, checkpoint and events and commits. The next one's own
 * lock of the job row then waits, in the database, for that commit, so chunks
 * still commit in row order, each against the checkpoint of the one before.
 * Why this cannot deadlock: the chunk before has inserted its users before it
 * locks the job row, and nothing it does afterwards waits on the next chunk's
 * rows; the next chunk waits on the one before only in the database (the job
 * row, a username both insert), where PostgreSQL sees every wait. One case
 * ends the pass early instead: should the chunk before roll back after it
 * locked the job row and write again (a deadlock victim, retried), the next
 * chunk may take the lock first and find the checkpoint behind it; it throws
 * ClaimLost, and the job resumes from its checkpoint once the lease lapses,
 * nothing done twice. The embedded store runs one transaction at a time, so
 * there the next one simply begins after the commit. Memory holds those
 * chunks and one stored file chunk, whatever the file's size.
 *
 * Atomic jobs run two passes: `validate` (a dry run of every chunk, which
 * writes the report of failed rows), then, only if no row failed, `write`.
 * Should a row still fail while writing (a concurrent change, a repeat across
 * chunks), the users the job created are deleted again and the job fails, so
 * nothing is kept.
 */
import { setImmediate } from 'node:timers/promises';
import type { Actor } from '../../domain/actor.ts';
import { summarise, type BatchItem, type BatchOutcome, type BatchPolicy, type ItemResult } from '../../domain/batch.ts';
import { isMusterError, MusterError } from '../../domain/errors.ts';
import { isUuid } from '../../domain/directory.ts';
import { addCounts, isFinished, topFailures, type ImportJob, type ReportStatus } from '../../domain/importJob.ts';
import { findFormat } from '../../formats/index.ts';
import { isUnreadable, readRecords, type CsvDelimiter } from '../../formats/readers/index.ts';
import type { ImportFormat, SourceRow, UnreadableRow } from '../../formats/types.ts';
import type { Queryable } from '../../store/ports.ts';
import { groupIdsByName } from '../../store/repositories/groups.ts';
import * as repo from '../../store/repositories/imports.ts';
import { renewClaim, type ClaimedItem } from '../../store/repositories/queue.ts';
import type { EngineContext } from '../context.ts';
import type { ProvisioningService } from '../provisioning.ts';
import { ClaimLost, Deferred, HandedBack } from '../queue.ts';
import { inUnitOfWork } from '../unitOfWork.ts';
import { importEvent } from './events.ts';
import { deleteCreatedUsers } from './undo.ts';

/** How soon a job held back by IMPORT_MAX_RUNNING_PER_TENANT looks again. */
const START_RETRY_MS = 2000;
/** Chunks read and mapped ahead of the one being written. */
const PREFETCH_CHUNKS = 2;
/** Thrown by a chunk's commit that comes after a cancel another chunk saw: it rolls back, and the pass ends cancelled. */
class ChunkWithdrawn extends Error {}

/** Source columns whose cells never reach the report. */
const CREDENTIAL_COLUMN = /password|hash|secret|salt/i;
/** The outcome of a chunk every row of which the format skipped: nothing went to createUsers. */
const NOTHING_WRITTEN: BatchOutcome = { results: [], summary: summarise([], false, false) };

interface PendingRow {
  readonly row: number;
  readonly line: number | null;
  /** What goes to createUsers; null for a row the format says is not a user (`skip`). */
  readonly item: BatchItem | null;
  readonly skip?: MusterError;
  readonly username: string | null;
  /** The row's cells as read (CSV inputs), for the report of a failed row, which blanks their credentials; null when the input keeps none. */
  readonly source: Readonly<Record<string, unknown>> | null;
}

/** The stored file, chunk by chunk, counting the bytes read. */
async function* storedFile(ctx: EngineContext, job: ImportJob, counter: { bytes: number }): AsyncGenerator<Buffer> {
  for (let seq = 0; ; seq++) {
    const chunk = await repo.readFileChunk(ctx.db, job.tenantId, job.id, seq);
    if (!chunk) return;
    counter.bytes += chunk.length;
    yield chunk;
  }
}

/** Iterates `source` up to `depth` items ahead of the consumer. */
async function* prefetch<T>(source: AsyncIterable<T>, depth: number): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const ahead: Promise<IteratorResult<T>>[] = [];
  try {
    for (;;) {
      while (ahead.length < depth) {
        const next = iterator.next();
        next.catch(() => {}); // observed when its turn comes
        ahead.push(next);
      }
      const result = await ahead.shift()!;
      if (result.done) return;
      yield result.value;
    }
  } finally {
    await iterator.return?.();
  }
}

function credentialFree(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([column, value]) => [column, CREDENTIAL_COLUMN.test(column) ? '' : value]));
}

/** Rows from `startRow` on, mapped, in chunks; `seen.lastRow` is the last row read. Throws `import.too_many_rows` past `maxRows`. */
async function* pendingChunks(
  records: AsyncIterable<SourceRow | UnreadableRow>,
  format: ImportFormat,
  formatOptions: unknown,
  keepSource: () => boolean,
  startRow: number,
  size: number,
  maxRows: number,
  seen: { lastRow: number },
): AsyncGenerator<PendingRow[]> {
  let chunk: PendingRow[] = [];
  for await (const record of records) {
    if (record.row > maxRows) {
      if (chunk.length > 0) yield chunk;
      throw new MusterError('import.too_many_rows', `An import job holds at most ${maxRows} rows.`, { limit: maxRows });
    }
    seen.lastRow = record.row;
    if (record.row < startRow) continue;
    const line = record.line ?? null;
    if (isUnreadable(record)) chunk.push({ row: record.row, line, item: { rejected: record.error }, username: null, source: null });
    else {
      let item: BatchItem | null;
      let skip: MusterError | undefined;
      try {
        const mapped = format.map(record, formatOptions);
        if ('skip' in mapped) {
          item = null;
          skip = mapped.skip;
        } else item = 'draft' in mapped ? { draft: mapped.draft } : { rejected: mapped.error };
      } catch (error) {
        if (!isMusterError(error)) throw error;
        item = { rejected: error };
      }
      const username = item && 'draft' in item && typeof item.draft.username === 'string' ? item.draft.username : null;
      const source = keepSource() ? record.fields : null;
      chunk.push({ row: record.row, line, item, ...(skip && { skip }), username, source });
    }
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** The row's line of the report; `result` is createUsers' answer for it, undefined for a row the format skipped. */
function reportRow(pending: PendingRow, result: ItemResult | undefined, validating: boolean): repo.ReportRow {
  const base = { row: pending.row, line: pending.line, source: null };
  if (result === undefined) {
    const reason = pending.skip!;
    const field = reason.details?.field;
    return { ...base, status: 'skipped', userId: null, username: null, code: reason.code, message: reason.message, field: typeof field === 'string' ? field : null };
  }
  if (result.status === 'failed') {
    const field = result.error.details?.field;
    return {
      ...base,
      status: 'failed',
      userId: null,
      username: pending.username,
      code: result.error.code,
      message: result.error.message,
      field: typeof field === 'string' ? field : null,
      source: pending.source && credentialFree(pending.source),
    };
  }
  if (validating) {
    const aborted = new MusterError('batch.aborted');
    return { ...base, status: 'failed', userId: null, username: pending.username, code: aborted.code, message: aborted.message, field: null };
  }
  return {
    ...base,
    status: result.status as ReportStatus,
    userId: result.user?.id ?? null,
    username: result.user?.username ?? pending.username,
    code: null,
    message: null,
    field: null,
  };
}

/**
 * The `groups` a row names that are not UUIDs are group names (an export's
 * `groups`): they become the ids of the job's directory's groups of those
 * names, one query per chunk. A name of no group stays as it is, so
 * createUsers fails its row with `group.not_found`.
 */
async function resolveGroupNames(ctx: EngineContext, job: ImportJob, items: readonly BatchItem[]): Promise<BatchItem[]> {
  const named = (item: BatchItem) => ('draft' in item ? (item.draft.groupIds ?? []).filter((group) => !isUuid(group)) : []);
  const names = [...new Set(items.flatMap(named))];
  if (names.length === 0) return [...items];
  const ids = await groupIdsByName(ctx.db, job.tenantId, job.directoryId, names);
  return items.map((item) =>
    'draft' in item && named(item).length > 0 ? { ...item, draft: { ...item.draft, groupIds: item.draft.groupIds!.map((group) => ids.get(group) ?? group) } } : item,
  );
}

export interface RunContext {
  readonly ctx: EngineContext;
  readonly provisioning: ProvisioningService;
  /** Aborts when the worker stops: the run ends after the chunk in flight commits (HandedBack). */
  readonly stopping: AbortSignal;
}

/**
 * Inside a transaction: locks the job and checks that `expected` still holds
 * and that `item` is still this worker's claim (renewing its lease);
 * throws ClaimLost otherwise.
 */
async function lockOwned(ctx: EngineContext, tx: Queryable, item: ClaimedItem, jobId: string, expected: { nextRow: number; phase: ImportJob['phase'] }) {
  const locked = await repo.lockJob(tx, item.tenantId, jobId);
  if (!locked || locked.job.status !== 'running' || locked.job.nextRow !== expected.nextRow || locked.job.phase !== expected.phase) {
    throw new ClaimLost(`import ${jobId} moved on without this worker`);
  }
  if (!(await renewClaim(tx, item, ctx.limits.outboxLeaseMs))) throw new ClaimLost(`import ${jobId}: the claim was taken over`);
  return locked;
}

type PassEnd = { readonly kind: 'read'; readonly rows: number } | { readonly kind: 'cancelled' } | { readonly kind: 'failed'; readonly error: MusterError };

/** One pass over the file from the job's checkpoint. */
async function runPass(run: RunContext, item: ClaimedItem, job: ImportJob, actor: Actor, format: ImportFormat, formatOptions: unknown): Promise<PassEnd> {
  const { ctx, provisioning } = run;
  const limits = ctx.limits.imports;
  const validating = job.phase === 'validate';
  const counter = { bytes: 0 };
  const source = readRecords(format.reader, storedFile(ctx, job, counter), {
    maxRowBytes: limits.maxRowBytes,
    ...(job.options.delimiter !== undefined && { delimiter: job.options.delimiter as CsvDelimiter }),
  });
  const seen = { lastRow: 0 };
  const size = Math.min(limits.chunkRows, ctx.limits.batchMaxItems);
  const chunks = prefetch(
    pendingChunks(source.records, format, formatOptions, () => source.columns() !== undefined, job.nextRow, size, limits.maxRows, seen),
    PREFETCH_CHUNKS,
  );
  const policy: BatchPolicy = validating
    ? { mode: 'partial', onConflict: job.options.onConflict, dryRun: true }
    : {
        mode: 'partial',
        onConflict: job.options.onConflict,
        dryRun: job.options.dryRun,
        ...(job.options.invite && {
          invite: { ...(job.options.redirectUrl !== undefined && { redirectUrl: job.options.redirectUrl }), ...(job.options.message !== undefined && { message: job.options.message }) },
        }),
      };
  let nextRow = job.nextRow;
  /** Where the chunk whose commit saw the cancel ends: that chunk is the last, later ones are withdrawn. */
  let cancelledAt: number | undefined;
  /** The chunk before's whole write, its commit included. */
  let previous: Promise<void> = Promise.resolve();
  /** Settles once the chunk before has locked the job row in its transaction (or its write has ended without doing so). */
  let previousLocked: Promise<void> = Promise.resolve();
  try {
    for await (const chunk of chunks) {
      const expected = { nextRow, phase: job.phase };
      nextRow = chunk.at(-1)!.row + 1;
      let committed = false;
      const items = chunk.flatMap((pending) => (pending.item ? [pending.item] : []));
      const skipped = chunk.length - items.length;
      let markLocked!: () => void;
      const jobLocked = new Promise<void>((resolve) => (markLocked = resolve));
      const commit = async (tx: Queryable, outcome: BatchOutcome) => {
        const locked = await lockOwned(ctx, tx, item, job.id, expected);
        markLocked();
        if (cancelledAt !== undefined && expected.nextRow >= cancelledAt) throw new ChunkWithdrawn();
        // createUsers answered for the rows with an item, in order.
        let next = 0;
        const rows = chunk.map((pending) => reportRow(pending, pending.item ? outcome.results[next++] : undefined, validating));
        await repo.insertReportRows(tx, job.tenantId, job.id, rows, job.options.mode === 'atomic' && !validating);
        const failures: Record<string, number> = {};
        for (const row of outcome.results) if (row.status === 'failed') failures[row.error.code] = (failures[row.error.code] ?? 0) + 1;
        const count = (status: ItemResult['status']) => (validating ? 0 : outcome.results.filter((r) => r.status === status).length);
        await repo.saveCheckpoint(tx, job.tenantId, job.id, {
          nextRow: chunk.at(-1)!.row + 1,
          bytesRead: counter.bytes,
          processed: chunk.length,
          created: count('created'),
          updated: count('updated'),
          skipped: validating ? 0 : count('skipped') + skipped,
          failed: outcome.results.filter((r) => r.status === 'failed').length,
          failureCounts: addCounts(locked.job.failureCounts, failures),
          sourceColumns: source.columns() ?? null,
        });
        if (locked.job.cancelRequested) cancelledAt = chunk.at(-1)!.row + 1;
        committed = true;
      };
      const after = previous;
      const startAfter = previousLocked;
      const written = (async () => {
        const resolved = await resolveGroupNames(ctx, job, items);
        const outcome = resolved.length > 0 ? await provisioning.createUsers(actor, job.directoryId, resolved, policy, { commitWith: commit, writeAfter: startAfter }) : NOTHING_WRITTEN;
        // A dry run (or a chunk nothing of which was written in a transaction) commits its report on its own, after the chunk before.
        if (!committed) {
          await after;
          await ctx.db.transaction((tx) => commit(tx, outcome));
        }
        ctx.onImportRows?.(chunk.length);
      })();
      written.catch(() => {}); // awaited as `previous` on the next turn, or below
      // A write that fails before its lock rejects this too, so the next chunk's transaction never begins.
      previousLocked = Promise.race([jobLocked, written]);
      previousLocked.catch(() => {});
      // At most this chunk and the one before are in flight: the one before ends before more is read.
      await after;
      previous = written;
      if (cancelledAt !== undefined) break;
      // Stopping: read no more; the chunk in flight commits below, then the job goes back to the queue.
      if (run.stopping.aborted) break;
      // The embedded store runs queries on this thread and may settle them without a macrotask:
      // let requests waiting for I/O in between chunks, or a job would starve the API while it runs.
      await setImmediate();
    }
    try {
      await previous;
    } catch (error) {
      if (!(error instanceof ChunkWithdrawn)) throw error;
    }
    if (cancelledAt !== undefined) return { kind: 'cancelled' };
    if (run.stopping.aborted) throw new HandedBack(`import ${job.id}: the worker is stopping; the job resumes at its checkpoint`);
  } catch (error) {
    // The chunk in flight ends (commits or not) before the pass does, so the job read next is final.
    await previous.catch(() => {});
    if (isMusterError(error) && (error.code === 'import.unreadable_file' || error.code === 'import.too_many_rows' || error.code === 'directory.not_found')) {
      return { kind: 'failed', error };
    }
    throw error;
  }
  return { kind: 'read', rows: seen.lastRow };
}

/** Ends the job (completed, failed or cancelled) with its event, if this worker still owns it at `expected`. */
async function finish(
  ctx: EngineContext,
  item: ClaimedItem,
  jobId: string,
  actor: Actor,
  expected: { nextRow: number; phase: ImportJob['phase'] },
  state: repo.FinalState,
): Promise<void> {
  await inUnitOfWork(ctx, actor, async (uow) => {
    await lockOwned(ctx, uow.tx, item, jobId, expected);
    await repo.markFinished(uow.tx, item.tenantId, jobId, state);
    const job = (await repo.findJob(uow.tx, item.tenantId, jobId))!;
    const type = state.status === 'completed' ? 'import.completed' : state.status === 'failed' ? 'import.failed' : 'import.cancelled';
    uow.emit(importEvent(type, job, { totals: job.totals, failures: topFailures(job.failureCounts), error: job.error }));
  });
}

/** Runs (or resumes) the job the claimed queue item names; see the module contract. */
export async function runImport(run: RunContext, item: ClaimedItem, jobId: string): Promise<void> {
  const { ctx } = run;
  const { tenantId } = item;
  const start = await ctx.db.transaction(async (tx) => {
    const locked = await repo.lockJob(tx, tenantId, jobId);
    if (!locked || isFinished(locked.job.status) || locked.job.status === 'uploading') return undefined;
    if (!(await renewClaim(tx, item, ctx.limits.outboxLeaseMs))) throw new ClaimLost(`import ${jobId}: the claim was taken over`);
    if (locked.job.status === 'queued' && !locked.job.cancelRequested && (await repo.countRunningJobs(tx, tenantId)) >= ctx.limits.imports.maxRunningPerTenant) {
      throw new Deferred(`the tenant runs ${ctx.limits.imports.maxRunningPerTenant} import jobs already`, START_RETRY_MS);
    }
    return locked;
  });
  if (!start) return;
  const { actor } = start;
  const format = findFormat(start.job.format);
  if (start.job.status === 'queued') {
    await inUnitOfWork(ctx, actor, async (uow) => {
      await repo.markStarted(uow.tx, tenantId, jobId);
      const job = (await repo.findJob(uow.tx, tenantId, jobId))!;
      uow.emit(importEvent('import.started', job, { format: job.format, bytes: job.bytes, mode: job.options.mode, dryRun: job.options.dryRun }));
    });
  }
  let job = (await repo.findJob(ctx.db, tenantId, jobId))!;
  const at = () => ({ nextRow: job.nextRow, phase: job.phase });
  if (job.cancelRequested) return finish(ctx, item, jobId, actor, at(), { status: 'cancelled', rowsTotal: null, error: null });
  if (!format) {
    return finish(ctx, item, jobId, actor, at(), { status: 'failed', rowsTotal: null, error: { code: 'import.invalid_options', message: `No format ${job.format} here.` } });
  }
  try {
    const formatOptions = format.parseOptions(JSON.parse(ctx.queueSealer.open(start.formatOptions, `import:${jobId}`).toString('utf8')) as Record<string, string>);
    for (;;) {
      const end = await runPass(run, item, job, actor, format, formatOptions);
      job = (await repo.findJob(ctx.db, tenantId, jobId))!;
      if (end.kind === 'cancelled') return await finish(ctx, item, jobId, actor, at(), { status: 'cancelled', rowsTotal: null, error: null });
      const atomic = job.options.mode === 'atomic';
      if (end.kind === 'failed') {
        if (atomic && job.phase === 'write') await deleteCreatedUsers(ctx, item, job, actor);
        return await finish(ctx, item, jobId, actor, at(), { status: 'failed', rowsTotal: null, error: { code: end.error.code, message: end.error.message } });
      }
      if (atomic && job.phase === 'validate' && job.totals.failed === 0 && !job.options.dryRun) {
        await ctx.db.transaction(async (tx) => {
          await lockOwned(ctx, tx, item, jobId, at());
          await repo.startWritePhase(tx, tenantId, jobId);
        });
        job = (await repo.findJob(ctx.db, tenantId, jobId))!;
        continue;
      }
      if (atomic && job.totals.failed > 0) {
        if (job.phase === 'write') await deleteCreatedUsers(ctx, item, job, actor);
        const aborted = end.rows - job.totals.failed;
        const error = new MusterError('import.atomic_failed');
        return await finish(ctx, item, jobId, actor, at(), {
          status: 'failed',
          rowsTotal: end.rows,
          error: { code: error.code, message: error.message },
          totals: { created: 0, updated: 0, skipped: 0, failed: end.rows, failureCounts: addCounts(job.failureCounts, aborted > 0 ? { 'batch.aborted': aborted } : {}) },
        });
      }
      return await finish(ctx, item, jobId, actor, at(), { status: 'completed', rowsTotal: end.rows, error: null });
    }
  } catch (error) {
    if (error instanceof ClaimLost || error instanceof HandedBack) throw error;
    // The queue retries from the checkpoint; on the last attempt the job fails rather than staying `running`.
    if (item.attempt >= ctx.limits.outboxMaxAttempts || (isMusterError(error) && error.code === 'import.invalid_options')) {
      const code = isMusterError(error) ? error.code : 'internal';
      const message = isMusterError(error) ? error.message : 'The job failed repeatedly; the request id of the upload finds it in the logs.';
      await finish(ctx, item, jobId, actor, at(), { status: 'failed', rowsTotal: null, error: { code, message } });
      return;
    }
    throw error;
  }
}
