/**
 * `muster migrate-from PROVIDER FILE --check`: reads the whole export here,
 * with the same readers, format mappers and user rules as the service's
 * import jobs (src/formats, domain/user.ts validateDraft), and says what
 * would be imported and what cannot be (unsupported hash algorithms,
 * missing usernames, malformed records, repeated usernames), without
 * contacting the service. Memory: one record at a time, plus one comparison
 * key per user to find repeats. Conflicts with users already in the
 * directory are the service's to find (a dry run: --dry-run).
 */
import { createReadStream } from 'node:fs';
import { isMusterError, MusterError } from '../domain/errors.ts';
import { comparisonKey, validateDraft } from '../domain/user.ts';
import { parseImportRequest } from '../engine/imports/options.ts';
import { isUnreadable, readRecords, type CsvDelimiter } from '../formats/readers/index.ts';
import { EXIT } from './importJob.ts';
import type { UploadRequest } from './importOptions.ts';

/** The largest record read (the service's IMPORT_MAX_ROW_BYTES default). */
const MAX_ROW_BYTES = 1024 * 1024;

export interface CheckResult {
  readonly format: string;
  readonly rows: number;
  readonly importable: number;
  /** Of the importable users, those that arrive with a usable password hash. */
  readonly withPassword: number;
  /** Why rows cannot be imported: per code, the count and the first row's details. */
  readonly problems: ReadonlyMap<string, RowTally>;
  /** Rows the format says are not users (Entra's example row): skipped by an import, no failure. */
  readonly skipped: ReadonlyMap<string, RowTally>;
}

interface RowTally {
  count: number;
  readonly row: number;
  readonly message: string;
  readonly field?: string;
}

/** Counts `error` under its code, keeping the first row's details. */
function tally(into: Map<string, RowTally>, row: number, error: MusterError): void {
  const known = into.get(error.code);
  if (known) known.count += 1;
  else into.set(error.code, { count: 1, row, message: error.message, ...(typeof error.details?.field === 'string' && { field: error.details.field }) });
}

export async function checkExport(upload: UploadRequest): Promise<CheckResult> {
  const { format, options, formatOptions } = parseImportRequest(upload.options, upload.contentType);
  const parsedOptions = format.parseOptions(formatOptions);
  const source = readRecords(format.reader, createReadStream(upload.file), {
    maxRowBytes: MAX_ROW_BYTES,
    ...(options.delimiter !== undefined && { delimiter: options.delimiter as CsvDelimiter }),
  });
  const problems = new Map<string, RowTally>();
  const skipped = new Map<string, RowTally>();
  const seen = new Set<string>();
  let rows = 0;
  let importable = 0;
  let withPassword = 0;
  const fail = (row: number, error: MusterError) => tally(problems, row, error);
  for await (const record of source.records) {
    rows += 1;
    if (isUnreadable(record)) {
      fail(record.row, record.error);
      continue;
    }
    const mapped = format.map(record, parsedOptions);
    if ('error' in mapped) {
      fail(record.row, mapped.error);
      continue;
    }
    if ('skip' in mapped) {
      tally(skipped, record.row, mapped.skip);
      continue;
    }
    try {
      const draft = validateDraft(mapped.draft);
      const key = comparisonKey(draft.username);
      if (seen.has(key)) {
        // The service's import fails such a row in its chunk, or as a conflict with the earlier row's user.
        fail(record.row, new MusterError('batch.duplicate_in_batch', `The username ${draft.username} appears in an earlier record.`, { field: 'username' }));
        continue;
      }
      seen.add(key);
      importable += 1;
      if (draft.passwordHash !== undefined || draft.password !== undefined) withPassword += 1;
    } catch (error) {
      if (!isMusterError(error)) throw error;
      fail(record.row, error);
    }
  }
  return { format: format.name, rows, importable, withPassword, problems, skipped };
}

/** The check's report, as printed; and its exit code: 0 when every row can be imported, 2 when some cannot. */
export function checkReport(file: string, result: CheckResult): { text: string; exit: number } {
  const lines = [
    `${file} (${result.format}): ${result.rows} records; ${result.importable} can be imported, ${result.withPassword} of them with a usable password.`,
  ];
  const tallied = (tallies: ReadonlyMap<string, RowTally>) =>
    [...tallies].sort((a, b) => b[1].count - a[1].count).map(([code, p]) => `  ${String(p.count).padStart(7)}  ${code}  e.g. row ${p.row}${p.field ? ` (${p.field})` : ''}: ${p.message}`);
  const skipped = [...result.skipped.values()].reduce((sum, p) => sum + p.count, 0);
  const cannot = result.rows - result.importable - skipped;
  if (skipped > 0) lines.push(`${skipped} are not users and will be skipped:`, ...tallied(result.skipped));
  if (cannot === 0) lines.push(`${skipped > 0 ? 'Every other' : 'Every'} record can be imported. (Users already in the directory are found by the service: try --dry-run.)`);
  else lines.push(`${cannot} cannot be imported:`, ...tallied(result.problems));
  return { text: lines.join('\n'), exit: cannot === 0 ? EXIT.ok : EXIT.rowsFailed };
}
