/**
 * An import job as the service's native API sends it (GET /v1/imports/{id},
 * the `progress` and `done` events) and what the CLI concludes from it: the
 * exit code of a finished job. The shape is the import-job HTTP contract.
 */

import type { ImportProgress, ImportStatus, ImportTotals } from '../domain/importJob.ts';

export interface ImportJob {
  readonly id: string;
  readonly directory: string;
  readonly status: ImportStatus;
  readonly format: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly bytes: number;
  readonly totals: ImportTotals;
  readonly progress: ImportProgress;
  /** Most frequent first, at most 10. */
  readonly failures: readonly { readonly code: string; readonly count: number }[];
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly undo: { readonly status: string; readonly deleted: number; readonly kept: number; readonly at: string } | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

/** One line of a job's report (`format=ndjson`). */
export interface ReportRow {
  readonly row: number;
  readonly line?: number;
  readonly status: string;
  readonly userId?: string;
  readonly username?: string;
  readonly code?: string;
  readonly message?: string;
  readonly field?: string;
}

export const isFinished = (job: ImportJob) => job.status === 'completed' || job.status === 'failed' || job.status === 'cancelled';

/**
 * Exit codes of `muster import`, `muster migrate-from` and `muster jobs`
 * (documented in their --help). Distinct from the store commands' 2 for usage:
 * 2 here means "some rows failed", as scripts running migrations expect.
 */
export const EXIT = {
  /** Every row succeeded (or would have, in a dry run); a jobs command did what it was asked. */
  ok: 0,
  /** The job failed or was cancelled, or the service refused the request. */
  failed: 1,
  /** The job completed and some rows failed (see the rejected-rows file). */
  rowsFailed: 2,
  /** Ctrl-C detached from a job that keeps running (re-attach with --attach). */
  detached: 3,
  /** Bad arguments, a missing file or key, bad configuration. */
  usage: 64,
  /** The service cannot be reached, or the connection dropped and did not come back. */
  unreachable: 69,
  /** Ctrl-C before the job existed (during hashing or upload). */
  interrupted: 130,
} as const;

/** The exit code for a finished job. */
export function exitCodeFor(job: ImportJob): number {
  if (job.status !== 'completed') return EXIT.failed;
  return job.totals.failed > 0 ? EXIT.rowsFailed : EXIT.ok;
}
