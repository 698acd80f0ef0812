/**
 * Undo: deletes the users a job created that nobody changed since (their
 * version is still the first), page by page in the report's row order. Each
 * page is one unit of work: the deletions, their `user.deleted` events and the
 * undo's progress (stored on the job) commit together, under the same claim
 * check as the import's chunks, so a resumed undo neither repeats nor skips a
 * page. Users changed since are kept, and so counted; users already gone are
 * counted as kept (gone).
 */
import type { Actor } from '../../domain/actor.ts';
import { MusterError } from '../../domain/errors.ts';
import type { ImportJob, ImportUndo } from '../../domain/importJob.ts';
import type { Queryable } from '../../store/ports.ts';
import * as repo from '../../store/repositories/imports.ts';
import { renewClaim, type ClaimedItem } from '../../store/repositories/queue.ts';
import type { EngineContext } from '../context.ts';
import { ClaimLost, HandedBack } from '../queue.ts';
import { inUnitOfWork } from '../unitOfWork.ts';
import { importEvent } from './events.ts';

const UNDO_PAGE_ROWS = 1000;

interface UndoProgress extends ImportUndo {
  /** The last report row done. */
  readonly afterRow: number;
}

async function deletePage(ctx: EngineContext, tx: Queryable, job: ImportJob, userIds: readonly string[]) {
  const { rows: deleted } = await tx.query<{ id: string; username: string }>(
    `DELETE FROM users WHERE tenant_id = $1 AND directory_id = $2 AND id = ANY($3::uuid[]) AND version = 1 RETURNING id, username`,
    [job.tenantId, job.directoryId, userIds],
  );
  const gone = new Set(deleted.map((u) => u.id));
  const rest = userIds.filter((id) => !gone.has(id));
  const { rows: changed } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE tenant_id = $1 AND id = ANY($2::uuid[])', [job.tenantId, rest]);
  return { deleted, keptChanged: changed[0]!.n, keptGone: rest.length - changed[0]!.n };
}

/**
 * Deletes the job's unchanged created users, resuming from the stored
 * progress. Unless `asUndo`, their report rows become `batch.aborted` (an
 * atomic job keeps nothing) and no undo is recorded. Returns the final
 * progress. Throws HandedBack after a page once `stopping` aborted.
 */
export async function deleteCreatedUsers(
  ctx: EngineContext,
  item: ClaimedItem,
  job: ImportJob,
  actor: Actor,
  asUndo = false,
  stopping?: AbortSignal,
): Promise<ImportUndo> {
  let progress: UndoProgress = { status: 'running', deleted: 0, kept: 0, keptChanged: 0, keptGone: 0, at: null, afterRow: 0, ...(job.undo as UndoProgress | null) };
  for (;;) {
    const page = await repo.reportPage(ctx.db, job.tenantId, job.id, 'created', progress.afterRow, UNDO_PAGE_ROWS);
    if (page.length === 0) break;
    const before = progress;
    progress = await inUnitOfWork(ctx, actor, async (uow) => {
      const locked = await repo.lockJob(uow.tx, job.tenantId, job.id);
      const stored = (locked?.job.undo as UndoProgress | null)?.afterRow ?? 0;
      if (!locked || stored !== before.afterRow || !(await renewClaim(uow.tx, item, ctx.limits.outboxLeaseMs))) throw new ClaimLost(`undo of ${job.id} moved on without this worker`);
      const ids = page.flatMap((r) => (r.userId === null ? [] : [r.userId]));
      const { deleted, keptChanged, keptGone } = await deletePage(ctx, uow.tx, job, ids);
      uow.emit(
        ...deleted.map((user) => ({
          type: 'user.deleted' as const,
          subject: { type: 'user' as const, id: user.id },
          directoryId: job.directoryId,
          data: { username: user.username, reason: asUndo ? `undo of import ${job.id}` : `atomic import ${job.id} failed` },
        })),
      );
      if (!asUndo) {
        const aborted = new MusterError('batch.aborted');
        await uow.tx.query(
          `UPDATE import_report SET status = 'failed', code = $4, message = $5, user_id = NULL
           WHERE tenant_id = $1 AND job_id = $2 AND status = 'created' AND row = ANY($3::int[])`,
          [job.tenantId, job.id, page.map((r) => r.row), aborted.code, aborted.message],
        );
      }
      const next: UndoProgress = {
        ...before,
        deleted: before.deleted + deleted.length,
        keptChanged: before.keptChanged + keptChanged,
        keptGone: before.keptGone + keptGone,
        kept: before.kept + keptChanged + keptGone,
        // An atomic job's rows are rewritten to failed, so its next page starts again from the top.
        afterRow: asUndo ? page.at(-1)!.row : 0,
      };
      await repo.saveUndo(uow.tx, job.tenantId, job.id, next);
      return next;
    });
    if (stopping?.aborted) throw new HandedBack(`undo of ${job.id}: the worker is stopping; the undo resumes after row ${progress.afterRow}`);
  }
  if (!asUndo) await ctx.db.query('UPDATE import_jobs SET undo = NULL WHERE tenant_id = $1 AND id = $2', [job.tenantId, job.id]);
  return progress;
}

/** Runs (or resumes) the undo of a finished job; records its end and emits `import.undone`. */
export async function runUndo(ctx: EngineContext, item: ClaimedItem, jobId: string, stopping?: AbortSignal): Promise<void> {
  const locked = await ctx.db.transaction((tx) => repo.lockJob(tx, item.tenantId, jobId));
  if (!locked || locked.job.undo?.status !== 'running') return;
  const progress = await deleteCreatedUsers(ctx, item, locked.job, locked.actor, true, stopping);
  await inUnitOfWork(ctx, locked.actor, async (uow) => {
    const current = await repo.lockJob(uow.tx, item.tenantId, jobId);
    if (!current || current.job.undo?.status !== 'running') return;
    if (!(await renewClaim(uow.tx, item, ctx.limits.outboxLeaseMs))) throw new ClaimLost(`undo of ${jobId}: the claim was taken over`);
    const { afterRow: _afterRow, ...undo } = progress as UndoProgress;
    const done: ImportUndo = { ...undo, status: 'completed', at: uow.now.toISOString() };
    await repo.saveUndo(uow.tx, item.tenantId, jobId, done);
    uow.emit(importEvent('import.undone', current.job, { deleted: done.deleted, kept: done.kept, keptChanged: done.keptChanged, keptGone: done.keptGone }));
  });
}
