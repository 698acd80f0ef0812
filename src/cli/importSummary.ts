/**
 * The end of an import: the summary table (counts, duration, rate, the most
 * frequent error codes with an example row each). Tables by cli-table3 (the
 * maintained successor of cli-table: column widths from the content, word
 * wrap), without colours so a log file reads the same as a terminal.
 */
import Table from 'cli-table3';
import type { ImportJob, ReportRow } from './importJob.ts';
import { count, formatDuration } from './importProgress.ts';

/** Seconds from the job's start (or creation) to its end. */
export function jobSeconds(job: ImportJob): number | undefined {
  if (!job.finishedAt) return undefined;
  return Math.max(0, (Date.parse(job.finishedAt) - Date.parse(job.startedAt ?? job.createdAt)) / 1000);
}

/** `row 12 (line 13): username is taken (username)`. */
export function exampleText(row: ReportRow | undefined): string {
  if (!row) return '';
  const where = `row ${row.row}${row.line !== undefined ? ` (line ${row.line})` : ''}`;
  return `${where}: ${row.message ?? row.code ?? row.status}${row.field ? ` (${row.field})` : ''}`;
}

const plainTable = (options: ConstructorParameters<typeof Table>[0] = {}) => new Table({ style: { head: [], border: [], compact: true }, ...options });

export interface SummaryFiles {
  readonly rejected?: string | undefined;
  readonly report?: string | undefined;
}

export function summaryText(job: ImportJob, examples: ReadonlyMap<string, ReportRow>, files: SummaryFiles = {}): string {
  const seconds = jobSeconds(job);
  const { totals } = job;
  const counts = plainTable();
  counts.push(
    { job: job.id },
    { status: `${job.status}${job.options.dryRun === true || job.options.dryRun === 'true' ? ' (dry run: nothing written)' : ''}` },
    { directory: job.directory },
    { rows: count(totals.rows ?? totals.processed) },
    { created: count(totals.created) },
    { updated: count(totals.updated) },
    { skipped: count(totals.skipped) },
    { failed: count(totals.failed) },
    { duration: seconds === undefined ? '?' : formatDuration(seconds) },
    { rate: seconds ? `${count(Math.round(totals.processed / seconds))} rows/s` : '?' },
  );
  if (job.error) counts.push({ error: `${job.error.code}: ${job.error.message}` });
  if (job.undo) counts.push({ undo: `${job.undo.status}: ${count(job.undo.deleted)} deleted, ${count(job.undo.kept)} kept` });
  if (files.rejected) counts.push({ 'rejected rows': files.rejected });
  if (files.report) counts.push({ report: files.report });
  const parts = [counts.toString()];
  if (job.failures.length > 0) {
    const failures = plainTable({ head: ['error code', 'rows', 'example'], wordWrap: true, colWidths: [null, null, 60] });
    for (const failure of job.failures) failures.push([failure.code, count(failure.count), exampleText(examples.get(failure.code))]);
    parts.push(failures.toString());
  }
  return parts.join('\n');
}
