/**
 * A finished job's report, fetched from GET /v1/imports/{id}/report: saved to
 * a file (--report PATH, the rejected rows), or read for the summary's example
 * rows. Files are written under a temporary name and renamed when complete, so
 * a file at the given path is always a whole report, never half of one (a
 * dropped connection leaves the previous file, or none).
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ServiceClient } from './http.ts';
import type { ReportRow } from './importJob.ts';

/** Writes `chunks` to `path` as a whole: to a temporary file beside it, renamed at the end; on failure nothing changes at `path`. */
export async function writeAtomically(path: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
  const partial = `${path}.partial-${process.pid}`;
  try {
    await pipeline(Readable.from(chunks), createWriteStream(partial));
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/** Where the rejected rows of FILE go: `users.csv` -> `users.rejected.csv`, any other name gets `.rejected.csv` appended. */
export function rejectedPath(file: string): string {
  return extname(file).toLowerCase() === '.csv' ? `${file.slice(0, -4)}.rejected.csv` : `${file}.rejected.csv`;
}

/** The report's query for `path`: CSV when it ends in .csv, else NDJSON. */
export const reportFormatFor = (path: string) => (extname(path).toLowerCase() === '.csv' ? 'csv' : 'ndjson');

export type ReportQuery = { status: 'all' | 'failed' | 'created' | 'updated' | 'skipped'; format: 'csv' | 'ndjson'; rejected?: boolean };

export async function openReport(client: ServiceClient, jobId: string, query: ReportQuery): Promise<AsyncIterable<Uint8Array> | Iterable<Uint8Array>> {
  const params = new URLSearchParams({ status: query.status, format: query.format, ...(query.rejected && { rejected: 'true' }) });
  const response = await client.open('GET', `/imports/${encodeURIComponent(jobId)}/report?${params}`, {});
  return response.body ?? [];
}

/** Saves the report to `path` (whole or not at all). */
export async function saveReport(client: ServiceClient, jobId: string, query: ReportQuery, path: string): Promise<void> {
  await writeAtomically(path, await openReport(client, jobId, query));
}

/**
 * The first failed row of each of `codes`, read from the failed rows' NDJSON
 * report, which is read only as far as needed to find one of each.
 */
export async function failureExamples(client: ServiceClient, jobId: string, codes: readonly string[]): Promise<Map<string, ReportRow>> {
  const examples = new Map<string, ReportRow>();
  if (codes.length === 0) return examples;
  const wanted = new Set(codes);
  const input = Readable.from(await openReport(client, jobId, { status: 'failed', format: 'ndjson' }));
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (!line.trim()) continue;
      const row = JSON.parse(line) as ReportRow;
      if (row.code !== undefined && wanted.has(row.code) && !examples.has(row.code)) examples.set(row.code, row);
      if (examples.size === wanted.size) break;
    }
  } finally {
    lines.close();
    input.destroy(); // cancels the rest of the response
  }
  return examples;
}
