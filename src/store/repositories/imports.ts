/**
 * Import jobs, their stored files and their reports (migration 0011).
 * Every statement is scoped by tenant. The chunk transaction of the pipeline
 * locks the job row (`lockJob`) and moves its checkpoint with the users and
 * report rows it wrote; report rows are keyed by (job, row), so a row can
 * never be written twice.
 */
import type { Actor } from '../../domain/actor.ts';
import type { ImportJob, ImportOptions, ImportUndo, ReportStatus, StoredImportStatus } from '../../domain/importJob.ts';
import { arrayLiteral } from '../arrayLiteral.ts';
import type { Queryable } from '../ports.ts';

interface JobRow {
  tenant_id: string;
  id: string;
  directory_id: string;
  directory_name: string;
  status: StoredImportStatus;
  phase: 'validate' | 'write';
  format: string;
  options: ImportOptions;
  bytes: string | number;
  bytes_read: string | number;
  rows_total: number | null;
  next_row: number;
  processed: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  failure_counts: Record<string, number>;
  source_columns: string[] | null;
  cancel_requested: boolean;
  error: { code: string; message: string } | null;
  undo: ImportUndo | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const JOB_COLUMNS = `j.tenant_id, j.id, j.directory_id, d.name AS directory_name, j.status, j.phase, j.format, j.options, j.bytes, j.bytes_read,
  j.rows_total, j.next_row, j.processed, j.created, j.updated, j.skipped, j.failed, j.failure_counts, j.source_columns,
  j.cancel_requested, j.error, j.undo, j.created_at, j.started_at, j.finished_at`;
const FROM_JOBS = 'import_jobs j JOIN directories d ON d.tenant_id = j.tenant_id AND d.id = j.directory_id';

function toJob(r: JobRow): ImportJob {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    directoryId: r.directory_id,
    directoryName: r.directory_name,
    status: r.status,
    phase: r.phase,
    format: r.format,
    options: r.options,
    bytes: Number(r.bytes),
    bytesRead: Number(r.bytes_read),
    totals: { rows: r.rows_total, processed: r.processed, created: r.created, updated: r.updated, skipped: r.skipped, failed: r.failed },
    nextRow: r.next_row,
    failureCounts: r.failure_counts,
    sourceColumns: r.source_columns,
    cancelRequested: r.cancel_requested,
    error: r.error,
    undo: r.undo,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export interface NewJob {
  readonly id: string;
  readonly directoryId: string;
  readonly format: string;
  readonly options: ImportOptions;
  readonly formatOptions: Buffer;
  readonly actor: Actor;
  readonly idempotencyKey: string | null;
}

/** A job in `uploading`: not listed, not run, until `finishUpload`. */
export async function insertJob(q: Queryable, tenantId: string, job: NewJob): Promise<void> {
  await q.query(
    `INSERT INTO import_jobs (tenant_id, id, directory_id, status, format, options, format_options, actor, idempotency_key)
     VALUES ($1, $2, $3, 'uploading', $4, $5, decode($6, 'base64'), $7, $8)`,
    [tenantId, job.id, job.directoryId, job.format, JSON.stringify(job.options), job.formatOptions.toString('base64'), JSON.stringify(job.actor), job.idempotencyKey],
  );
}

export async function appendFileChunk(q: Queryable, tenantId: string, jobId: string, seq: number, data: Buffer): Promise<void> {
  await q.query(`INSERT INTO import_file_chunks (tenant_id, job_id, seq, data) VALUES ($1, $2, $3, decode($4, 'base64'))`, [
    tenantId,
    jobId,
    seq,
    data.toString('base64'),
  ]);
}

/** `uploading` -> `queued` with the stored size; false when the job is gone. */
export async function finishUpload(q: Queryable, tenantId: string, jobId: string, bytes: number, chunks: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE import_jobs SET status = 'queued', bytes = $3, file_chunks = $4 WHERE tenant_id = $1 AND id = $2 AND status = 'uploading'`,
    [tenantId, jobId, bytes, chunks],
  );
  return rowCount > 0;
}

/** The stored file's chunk `seq`, or undefined past the end. */
export async function readFileChunk(q: Queryable, tenantId: string, jobId: string, seq: number): Promise<Buffer | undefined> {
  const { rows } = await q.query<{ data: Uint8Array }>('SELECT data FROM import_file_chunks WHERE tenant_id = $1 AND job_id = $2 AND seq = $3', [tenantId, jobId, seq]);
  return rows[0] ? Buffer.from(rows[0].data) : undefined;
}

export async function findJob(q: Queryable, tenantId: string, jobId: string): Promise<ImportJob | undefined> {
  const { rows } = await q.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM ${FROM_JOBS} WHERE j.tenant_id = $1 AND j.id = $2`, [tenantId, jobId]);
  return rows[0] ? toJob(rows[0]) : undefined;
}

/** The job, its sealed format options and its actor, locked until the transaction ends. */
export async function lockJob(q: Queryable, tenantId: string, jobId: string): Promise<{ job: ImportJob; formatOptions: Buffer; actor: Actor } | undefined> {
  const { rows } = await q.query<JobRow & { format_options: Uint8Array; actor: Actor }>(
    `SELECT ${JOB_COLUMNS}, j.format_options, j.actor FROM ${FROM_JOBS} WHERE j.tenant_id = $1 AND j.id = $2 FOR UPDATE OF j`,
    [tenantId, jobId],
  );
  const row = rows[0];
  return row && { job: toJob(row), formatOptions: Buffer.from(row.format_options), actor: row.actor };
}

export async function findJobByIdempotencyKey(q: Queryable, tenantId: string, key: string): Promise<ImportJob | undefined> {
  const { rows } = await q.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM ${FROM_JOBS} WHERE j.tenant_id = $1 AND j.idempotency_key = $2`, [tenantId, key]);
  return rows[0] ? toJob(rows[0]) : undefined;
}

/** A page of jobs, newest first (ids are time-ordered), before `beforeId`. */
export async function listJobs(q: Queryable, tenantId: string, directoryId: string | null, beforeId: string | null, limit: number): Promise<ImportJob[]> {
  const { rows } = await q.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM ${FROM_JOBS}
     WHERE j.tenant_id = $1 AND j.status <> 'uploading' AND ($2::uuid IS NULL OR j.directory_id = $2) AND ($3::uuid IS NULL OR j.id < $3)
     ORDER BY j.id DESC LIMIT $4`,
    [tenantId, directoryId, beforeId, limit],
  );
  return rows.map(toJob);
}

/** Jobs of the tenant that are uploading, queued or running. */
export async function countUnfinishedJobs(q: Queryable, tenantId: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM import_jobs WHERE tenant_id = $1 AND status IN ('uploading', 'queued', 'running')`,
    [tenantId],
  );
  return rows[0]!.n;
}

/** Jobs of the tenant running now. */
export async function countRunningJobs(q: Queryable, tenantId: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM import_jobs WHERE tenant_id = $1 AND status = 'running'`, [tenantId]);
  return rows[0]!.n;
}

/** Jobs of every tenant by status (metrics; uploads in progress are not jobs yet); statuses with none are absent. */
export async function jobCountsByStatus(q: Queryable): Promise<Map<string, number>> {
  const { rows } = await q.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM import_jobs WHERE status <> 'uploading' GROUP BY status`);
  return new Map(rows.map((r) => [r.status, r.n]));
}

export async function markStarted(q: Queryable, tenantId: string, jobId: string): Promise<void> {
  await q.query(`UPDATE import_jobs SET status = 'running', started_at = coalesce(started_at, now()) WHERE tenant_id = $1 AND id = $2`, [tenantId, jobId]);
}

/** What one chunk adds to the job, committed with the chunk's users. */
export interface ChunkProgress {
  readonly nextRow: number;
  readonly bytesRead: number;
  readonly processed: number;
  readonly created: number;
  readonly updated: number;
  readonly skipped: number;
  readonly failed: number;
  readonly failureCounts: Readonly<Record<string, number>>;
  readonly sourceColumns: readonly string[] | null;
}

export async function saveCheckpoint(q: Queryable, tenantId: string, jobId: string, p: ChunkProgress): Promise<void> {
  await q.query(
    `UPDATE import_jobs SET next_row = $3, bytes_read = $4, processed = processed + $5, created = created + $6, updated = updated + $7,
       skipped = skipped + $8, failed = failed + $9, failure_counts = $10, source_columns = coalesce(source_columns, $11)
     WHERE tenant_id = $1 AND id = $2`,
    [
      tenantId,
      jobId,
      p.nextRow,
      p.bytesRead,
      p.processed,
      p.created,
      p.updated,
      p.skipped,
      p.failed,
      JSON.stringify(p.failureCounts),
      p.sourceColumns === null ? null : JSON.stringify(p.sourceColumns),
    ],
  );
}

/** Starts an atomic job's write pass: the validation's counters and checkpoint are reset (its report rows are overwritten row by row). */
export async function startWritePhase(q: Queryable, tenantId: string, jobId: string): Promise<void> {
  await q.query(
    `UPDATE import_jobs SET phase = 'write', next_row = 1, bytes_read = 0, processed = 0, created = 0, updated = 0, skipped = 0, failed = 0, failure_counts = '{}'
     WHERE tenant_id = $1 AND id = $2`,
    [tenantId, jobId],
  );
}

export interface FinalState {
  readonly status: 'completed' | 'failed' | 'cancelled';
  readonly rowsTotal: number | null;
  readonly error: { code: string; message: string } | null;
  /** Replaces the counters (an atomic job that wrote nothing). */
  readonly totals?: { readonly created: number; readonly updated: number; readonly skipped: number; readonly failed: number; readonly failureCounts: Record<string, number> };
}

export async function markFinished(q: Queryable, tenantId: string, jobId: string, state: FinalState): Promise<void> {
  const t = state.totals;
  await q.query(
    `UPDATE import_jobs SET status = $3, rows_total = coalesce($4, rows_total), error = $5, finished_at = now(),
       created = coalesce($6, created), updated = coalesce($7, updated), skipped = coalesce($8, skipped), failed = coalesce($9, failed),
       failure_counts = coalesce($10, failure_counts)
     WHERE tenant_id = $1 AND id = $2`,
    [
      tenantId,
      jobId,
      state.status,
      state.rowsTotal,
      state.error === null ? null : JSON.stringify(state.error),
      t?.created ?? null,
      t?.updated ?? null,
      t?.skipped ?? null,
      t?.failed ?? null,
      t ? JSON.stringify(t.failureCounts) : null,
    ],
  );
}

/** Asks a queued or running job to stop; returns the job's status before. */
export async function requestCancel(q: Queryable, tenantId: string, jobId: string): Promise<void> {
  await q.query(`UPDATE import_jobs SET cancel_requested = true WHERE tenant_id = $1 AND id = $2 AND status IN ('queued', 'running')`, [tenantId, jobId]);
}

export async function saveUndo(q: Queryable, tenantId: string, jobId: string, undo: ImportUndo): Promise<void> {
  await q.query('UPDATE import_jobs SET undo = $3 WHERE tenant_id = $1 AND id = $2', [tenantId, jobId, JSON.stringify(undo)]);
}

/** Deletes the job with its stored file and report; false when there was none. */
export async function deleteJob(q: Queryable, tenantId: string, jobId: string): Promise<boolean> {
  const { rowCount } = await q.query('DELETE FROM import_jobs WHERE tenant_id = $1 AND id = $2', [tenantId, jobId]);
  return rowCount > 0;
}

/** Retention: deletes up to `limit` jobs finished before `cutoff` (and uploads abandoned before it); returns how many. */
export async function deleteJobsBefore(q: Queryable, cutoff: Date, limit: number): Promise<number> {
  const { rowCount } = await q.query(
    `DELETE FROM import_jobs WHERE (tenant_id, id) IN (
       SELECT tenant_id, id FROM import_jobs
       WHERE (finished_at IS NOT NULL AND finished_at < $1) OR (status = 'uploading' AND created_at < $1)
       LIMIT $2)`,
    [cutoff, limit],
  );
  return rowCount;
}

export interface ReportRow {
  readonly row: number;
  readonly line: number | null;
  readonly status: ReportStatus;
  readonly userId: string | null;
  readonly username: string | null;
  readonly code: string | null;
  readonly message: string | null;
  readonly field: string | null;
  /** Failed rows of CSV inputs: the row's cells (credentials blanked). */
  readonly source: Readonly<Record<string, unknown>> | null;
}

/** The report's columns as insertReportRows sends them: one array each, with the element type and the cast back; `required` ones are never null. */
const REPORT_COLUMNS: readonly { name: string; arrayType: string; cast: string; required?: true; value: (r: ReportRow) => string | number | null }[] = [
  { name: 'row', arrayType: 'int[]', cast: '', required: true, value: (r) => r.row },
  { name: 'line', arrayType: 'int[]', cast: '', value: (r) => r.line },
  { name: 'status', arrayType: 'text[]', cast: '', required: true, value: (r) => r.status },
  { name: 'user_id', arrayType: 'uuid[]', cast: '', value: (r) => r.userId },
  { name: 'username', arrayType: 'text[]', cast: '', value: (r) => r.username },
  { name: 'code', arrayType: 'text[]', cast: '', value: (r) => r.code },
  { name: 'message', arrayType: 'text[]', cast: '', value: (r) => r.message },
  { name: 'field', arrayType: 'text[]', cast: '', value: (r) => r.field },
  { name: 'source', arrayType: 'text[]', cast: '::jsonb', value: (r) => (r.source === null ? null : JSON.stringify(r.source)) },
];

/**
 * Writes report rows in one statement. Columns null in every row (the error
 * columns of a chunk of created rows) are not sent: they are null by default.
 * A row already there is replaced only when `replace` (an atomic job's write
 * pass over its validation); otherwise a repeat violates the primary key,
 * which rolls the chunk back.
 */
export async function insertReportRows(q: Queryable, tenantId: string, jobId: string, rows: readonly ReportRow[], replace = false): Promise<void> {
  if (rows.length === 0) return;
  const params: unknown[] = [tenantId, jobId];
  const sent: { name: string; array: string; select: string }[] = [];
  for (const column of REPORT_COLUMNS) {
    const values = rows.map(column.value);
    if (!column.required && values.every((v) => v === null)) continue;
    params.push(arrayLiteral(values));
    sent.push({ name: column.name, array: `$${params.length}::${column.arrayType}`, select: `t.${column.name}${column.cast}` });
  }
  const names = sent.map((c) => c.name).join(', ');
  const replaced = REPORT_COLUMNS.filter((c) => c.name !== 'row').map((c) => `${c.name} = EXCLUDED.${c.name}`).join(', ');
  await q.query(
    `INSERT INTO import_report (tenant_id, job_id, ${names})
     SELECT $1, $2, ${sent.map((c) => c.select).join(', ')}
     FROM unnest(${sent.map((c) => c.array).join(', ')}) AS t(${names})
     ${replace ? `ON CONFLICT ON CONSTRAINT import_report_pk DO UPDATE SET ${replaced}` : ''}`,
    params,
  );
}

/** Report rows after row `afterRow`, in row order, optionally of one status. */
export async function reportPage(q: Queryable, tenantId: string, jobId: string, status: ReportStatus | null, afterRow: number, limit: number): Promise<ReportRow[]> {
  const { rows } = await q.query<{
    row: number;
    line: number | null;
    status: ReportStatus;
    user_id: string | null;
    username: string | null;
    code: string | null;
    message: string | null;
    field: string | null;
    source: Record<string, unknown> | null;
  }>(
    `SELECT row, line, status, user_id, username, code, message, field, source FROM import_report
     WHERE tenant_id = $1 AND job_id = $2 AND ($3::text IS NULL OR status = $3) AND row > $4 ORDER BY row LIMIT $5`,
    [tenantId, jobId, status, afterRow, limit],
  );
  return rows.map((r) => ({
    row: r.row,
    line: r.line,
    status: r.status,
    userId: r.user_id,
    username: r.username,
    code: r.code,
    message: r.message,
    field: r.field,
    source: r.source,
  }));
}
