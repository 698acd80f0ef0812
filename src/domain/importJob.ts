/**
 * Import jobs as the domain sees them: status, options, counters and the
 * progress derived from them. Pure.
 */
import type { BatchMode, ConflictPolicy } from './batch.ts';

export const IMPORT_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];
/** `uploading` is stored while the body arrives; such a job is never shown. */
export type StoredImportStatus = ImportStatus | 'uploading';
export const FINISHED_IMPORT_STATUSES: readonly ImportStatus[] = ['completed', 'failed', 'cancelled'];

export const REPORT_STATUSES = ['created', 'updated', 'skipped', 'failed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** The pipeline options of a job (the format's own options are kept apart, sealed). */
export interface ImportOptions {
  readonly mode: BatchMode;
  readonly onConflict: ConflictPolicy;
  readonly dryRun: boolean;
  readonly invite: boolean;
  readonly redirectUrl?: string;
  readonly message?: string;
  readonly mapping?: Readonly<Record<string, string>>;
  readonly delimiter?: string;
  readonly externalId?: string;
}

export interface ImportTotals {
  /** Null until the whole file has been read. */
  readonly rows: number | null;
  readonly processed: number;
  readonly created: number;
  readonly updated: number;
  readonly skipped: number;
  readonly failed: number;
}

export interface ImportUndo {
  readonly status: 'running' | 'completed';
  readonly deleted: number;
  /** Created users not deleted: changed since the import, or already gone. */
  readonly kept: number;
  readonly keptChanged: number;
  readonly keptGone: number;
  readonly at: string | null;
}

export interface ImportJob {
  readonly id: string;
  readonly tenantId: string;
  readonly directoryId: string;
  readonly directoryName: string;
  readonly status: StoredImportStatus;
  readonly phase: 'validate' | 'write';
  readonly format: string;
  readonly options: ImportOptions;
  readonly bytes: number;
  readonly bytesRead: number;
  readonly totals: ImportTotals;
  /** The next input row to do: rows before it are done and in the report. */
  readonly nextRow: number;
  /** Error code -> rows that failed with it. */
  readonly failureCounts: Readonly<Record<string, number>>;
  readonly sourceColumns: readonly string[] | null;
  readonly cancelRequested: boolean;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly undo: ImportUndo | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
}

export interface ImportProgress {
  readonly percent: number;
  readonly rowsPerSecond: number;
  readonly etaSeconds: number | null;
}

export const isFinished = (status: StoredImportStatus): boolean => (FINISHED_IMPORT_STATUSES as readonly string[]).includes(status);

/**
 * Progress at `now`: the share of rows done once the row count is known,
 * else of the file's bytes read; rows per second since the start; the
 * remaining time at that rate (null before there is a rate).
 */
export function progressOf(job: ImportJob, now: Date): ImportProgress {
  if (job.status === 'completed') return { percent: 100, rowsPerSecond: rateOf(job, job.finishedAt ?? now), etaSeconds: 0 };
  const rate = rateOf(job, job.finishedAt ?? now);
  const done = job.totals.rows !== null ? job.totals.processed / Math.max(1, job.totals.rows) : job.bytesRead / Math.max(1, job.bytes);
  const percent = Math.min(isFinished(job.status) ? 100 : 99, Math.floor(done * 100));
  let etaSeconds: number | null = null;
  if (!isFinished(job.status) && rate > 0) {
    const remainingRows = job.totals.rows !== null ? job.totals.rows - job.totals.processed : (job.totals.processed * (1 - done)) / Math.max(done, 1e-9);
    etaSeconds = Math.max(0, Math.round(remainingRows / rate));
  } else if (isFinished(job.status)) etaSeconds = 0;
  return { percent, rowsPerSecond: rate, etaSeconds };
}

function rateOf(job: ImportJob, until: Date): number {
  if (job.startedAt === null) return 0;
  const seconds = (until.getTime() - job.startedAt.getTime()) / 1000;
  return seconds <= 0 ? 0 : Math.round((job.totals.processed / seconds) * 10) / 10;
}

/** The most frequent failure codes, most frequent first (ties by code), at most `limit`. */
export function topFailures(counts: Readonly<Record<string, number>>, limit = 10): { code: string; count: number }[] {
  return Object.entries(counts)
    .map(([code, count]) => ({ code, count }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
    .slice(0, limit);
}

/** Adds `more` to `counts` (a new object). */
export function addCounts(counts: Readonly<Record<string, number>>, more: Readonly<Record<string, number>>): Record<string, number> {
  const sum: Record<string, number> = { ...counts };
  for (const [code, count] of Object.entries(more)) sum[code] = (sum[code] ?? 0) + count;
  return sum;
}
