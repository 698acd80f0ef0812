/**
 * `muster jobs`: the tenant's import jobs through the service's API (list,
 * show, cancel, undo, report, delete). Each prints text, or the API's JSON
 * with --json. Exit codes: importJob.ts EXIT.
 */
import { stdout } from 'node:process';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { ServiceClient } from './http.ts';
import type { ImportJob } from './importJob.ts';
import { CONNECTION_OPTIONS, UsageError, type ConnectionArgs } from './importOptions.ts';
import { failureExamples, openReport, writeAtomically, type ReportQuery } from './importReport.ts';
import { count } from './importProgress.ts';
import { summaryText } from './importSummary.ts';

export const JOBS_USAGE = `Usage:
  muster jobs [list] [--directory <name>] [--limit <n>] [--cursor <cursor>]   the import jobs, newest first
  muster jobs show JOB                    a job's state, counts and most frequent errors
  muster jobs cancel JOB                  stop a running job after its current chunk
  muster jobs undo JOB                    delete the users the job created that nobody changed since
  muster jobs report JOB [--status all|failed|created|updated|skipped] [--format ndjson|csv]
                         [--rejected] [--output PATH]
                                          the per-row report (--rejected: the failed rows of a CSV
                                          input in its own columns plus "error", ready to fix and re-run)
  muster jobs delete JOB                  the job, its stored file and its report
Options: --url <url>       the service (default MUSTER_URL, else http://127.0.0.1:$PORT)
         --key-file <path> a file holding the API key (default MUSTER_KEY; --key <key> works but
                           shows the key in the process list)
         --json            the API's JSON instead of text
Exit codes: 0 done, 1 the service refused (the message says why), 64 usage, 69 service unreachable.
Example:
  MUSTER_KEY=... muster jobs report 0193f7c2-... --status failed --rejected --output fix.csv`;

export function jobLine(job: ImportJob): string {
  const { totals } = job;
  return (
    `${job.id}  ${job.directory}  ${job.status.padEnd(9)}  ${job.format.padEnd(8)}  ${job.progress.percent.toFixed(0).padStart(3)}%  ` +
    `rows ${count(totals.processed)}/${totals.rows === null ? '?' : count(totals.rows)}  created ${count(totals.created)} updated ${count(totals.updated)} ` +
    `skipped ${count(totals.skipped)} failed ${count(totals.failed)}  ${job.createdAt}`
  );
}

const REPORT_STATUSES = ['all', 'failed', 'created', 'updated', 'skipped'] as const;

/** Runs `muster jobs ...` (argv after `jobs`); `connect` makes the client from the connection flags. */
export async function runJobs(argv: readonly string[], connect: (args: ConnectionArgs) => ServiceClient, print: (text: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      directory: { type: 'string', short: 'd' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
      status: { type: 'string' },
      format: { type: 'string' },
      rejected: { type: 'boolean', default: false },
      output: { type: 'string' },
      ...CONNECTION_OPTIONS,
    },
  });
  const [verb = 'list', jobId, ...extra] = positionals;
  const client = connect({ url: values.url, key: values.key, keyFile: values['key-file'] });
  if (extra.length > 0) throw new UsageError(`jobs ${verb} takes one JOB (got ${positionals.slice(1).join(' ')})`);
  const out = (text: string, value: unknown) => print(values.json ? JSON.stringify(value, null, 2) : text);
  const requireJob = () => {
    if (!jobId) throw new UsageError(`jobs ${verb} needs a JOB id (muster jobs list shows them)`);
    return `/imports/${encodeURIComponent(jobId)}`;
  };
  switch (verb) {
    case 'list': {
      if (values.limit !== undefined && !/^[1-9]\d*$/.test(values.limit)) throw new UsageError('--limit must be a positive integer');
      const query = new URLSearchParams({ ...(values.cursor && { cursor: values.cursor }), ...(values.limit && { limit: values.limit }) }).toString();
      const base = values.directory ? `/directories/${encodeURIComponent(values.directory)}/imports` : '/imports';
      const page = await client.json<{ imports: ImportJob[]; nextCursor: string | null }>('GET', `${base}${query ? `?${query}` : ''}`);
      const more = page.nextCursor ? `\n(more: --cursor ${page.nextCursor})` : '';
      out((page.imports.map(jobLine).join('\n') || '(no import jobs)') + more, page);
      return 0;
    }
    case 'show': {
      const job = await client.json<ImportJob>('GET', requireJob());
      const examples = await failureExamples(client, job.id, job.failures.map((f) => f.code));
      out(summaryText(job, examples), job);
      return 0;
    }
    case 'cancel':
    case 'undo': {
      const job = await client.json<ImportJob>('POST', `${requireJob()}/${verb}`);
      out(`${verb === 'cancel' ? 'Cancelling' : 'Undoing'}: ${jobLine(job)}`, job);
      return 0;
    }
    case 'delete': {
      await client.json('DELETE', requireJob());
      out(`Deleted import job ${jobId} (its file and report too).`, { deleted: jobId });
      return 0;
    }
    case 'report': {
      requireJob();
      const status = values.status ?? (values.rejected ? 'failed' : 'all');
      if (!(REPORT_STATUSES as readonly string[]).includes(status)) throw new UsageError(`--status must be one of ${REPORT_STATUSES.join(', ')}`);
      const format = values.format ?? (values.rejected || values.output?.toLowerCase().endsWith('.csv') ? 'csv' : 'ndjson');
      if (format !== 'csv' && format !== 'ndjson') throw new UsageError('--format must be ndjson or csv');
      if (values.rejected && (status !== 'failed' || format !== 'csv')) throw new UsageError('--rejected goes with --status failed and --format csv');
      const query: ReportQuery = { status: status as ReportQuery['status'], format, ...(values.rejected && { rejected: true }) };
      const body = await openReport(client, jobId!, query);
      if (values.output) await writeAtomically(values.output, body);
      else await pipeline(Readable.from(body), stdout, { end: false });
      return 0;
    }
    default:
      throw new UsageError(`unknown jobs command "${verb}"`);
  }
}
