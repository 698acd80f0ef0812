/**
 * `muster import`: uploads a file as an import job (or attaches to one), shows
 * its progress until it finishes, then writes the rejected rows and the
 * report and prints the summary. Exit codes: importJob.ts EXIT.
 *
 * Resuming: the Idempotency-Key is a digest of the file and the options, so a
 * re-run after a dropped connection or a kill is answered with the job the
 * first run created (200) when the service got the file, and uploads it when
 * it did not; a dropped connection during the upload is retried the same way,
 * a few times, before giving up with exit 69. A job this machine already got
 * an answer for is attached to without sending the file (importState.ts).
 *
 * Ctrl-C while the job runs asks whether to cancel it or to detach (the job
 * goes on; `--attach JOB` comes back to it); without a terminal it detaches.
 * Ctrl-C before the job exists (hashing, uploading) stops the upload.
 */
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceError, ServiceUnreachableError, type ServiceClient } from './http.ts';
import { EXIT, exitCodeFor, isFinished, type ImportJob, type ReportRow } from './importJob.ts';
import { idempotencyKey, UsageError, type ImportCommand, type UploadRequest } from './importOptions.ts';
import type { ProgressView } from './importProgress.ts';
import { failureExamples, rejectedPath, reportFormatFor, saveReport } from './importReport.ts';
import { forgetJob, rememberedJob, rememberJob } from './importState.ts';
import { summaryText } from './importSummary.ts';
import { sha256File, uploadFile } from './importUpload.ts';
import { watchJob } from './importWatch.ts';

/** Connection failures during the upload retried before exit 69 (each after a longer pause). */
const UPLOAD_ATTEMPTS = 5;
/** How long a busy service (429 import.too_many_jobs, 409 idempotency.in_progress) is waited for in all. */
const BUSY_WAIT_LIMIT_MS = 10 * 60_000;
const CSV_FORMATS = new Set(['csv', 'cognito', 'entra']);

export interface ImportContext {
  readonly client: ServiceClient;
  readonly view: ProgressView;
  /** The summary and final lines (stdout). */
  readonly print: (text: string) => void;
  /** Messages beside the progress (stderr). */
  readonly warn: (text: string) => void;
  readonly json: boolean;
  /** Ctrl-C may ask a question (stdin and stderr are terminals). */
  readonly interactive: boolean;
}

/** Runs `work` with Ctrl-C routed to `onInterrupt` instead of ending the process. */
async function withInterrupt<T>(onInterrupt: () => void, work: () => Promise<T>): Promise<T> {
  process.on('SIGINT', onInterrupt);
  try {
    return await work();
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

async function upload(request: UploadRequest, ctx: ImportContext, signal: AbortSignal): Promise<{ status: number; job: ImportJob }> {
  let size: number;
  try {
    size = (await stat(request.file)).size;
  } catch {
    throw new UsageError(`${request.file}: no such file, or it cannot be read`);
  }
  const sha256 = await sha256File(request.file, (bytes) => ctx.view.hashing(bytes, size), signal);
  const key = idempotencyKey(sha256, request);
  const remembered = rememberedJob(ctx.client.baseUrl, key);
  if (remembered !== undefined) {
    try {
      return { status: 200, job: await ctx.client.json<ImportJob>('GET', `/imports/${encodeURIComponent(remembered)}`) };
    } catch (error) {
      if (!(error instanceof ServiceError && error.status === 404)) throw error;
      forgetJob(ctx.client.baseUrl, key);
    }
  }
  const busyUntil = Date.now() + BUSY_WAIT_LIMIT_MS;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const answer = await uploadFile(request, { client: ctx.client, idempotencyKey: key, signal, onProgress: (sent, total) => ctx.view.uploading(sent, total) });
      rememberJob(ctx.client.baseUrl, key, answer.job.id);
      return answer;
    } catch (error) {
      if (error instanceof ServiceUnreachableError && attempt < UPLOAD_ATTEMPTS) {
        const pause = 1000 * 2 ** (attempt - 1);
        ctx.view.note(`${error.message.replace(/;.*$/, '')}; retrying in ${pause / 1000} s (the same job: nothing is imported twice)`);
        await sleep(pause, undefined, { signal });
        continue;
      }
      const busy = error instanceof ServiceError && (error.code === 'import.too_many_jobs' || error.code === 'idempotency.in_progress');
      if (busy && Date.now() < busyUntil) {
        const pause = (error.retryAfterSeconds ?? 5) * 1000;
        ctx.view.note(`${error.code}: retrying in ${pause / 1000} s`);
        await sleep(pause, undefined, { signal });
        continue;
      }
      if (error instanceof ServiceUnreachableError) {
        throw new ServiceUnreachableError(`${error.message.replace(/;.*$/, '')}; run the same command again to resume (the same file and options name the same job).`);
      }
      throw error;
    }
  }
}

/** Asks on the terminal; a second Ctrl-C, end of input or `close()` answers "detach". */
function askCancelOrDetach(): { answer: Promise<'cancel' | 'detach'>; close: () => void } {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  const answer = new Promise<string>((resolve) => {
    prompt.on('SIGINT', () => resolve('d'));
    prompt.on('close', () => resolve('d'));
    prompt.question('\nCancel the import (c), or detach and leave it running (d)? [d] ', resolve);
  }).then((text) => {
    prompt.close();
    return /^\s*c/i.test(text) ? 'cancel' as const : 'detach' as const;
  });
  return { answer, close: () => prompt.close() };
}

/** Follows the job until it finishes; resolves with its last state, or 'detached'. */
async function follow(job: ImportJob, ctx: ImportContext): Promise<ImportJob | 'detached'> {
  if (isFinished(job)) {
    ctx.view.job('done', job);
    return job;
  }
  const detach = new AbortController();
  let asking: { close: () => void } | undefined;
  let cancelled = false;
  const onInterrupt = () => {
    if (asking || cancelled || !ctx.interactive) {
      detach.abort();
      return;
    }
    ctx.view.pause();
    const question = askCancelOrDetach();
    asking = question;
    void question.answer.then(async (choice) => {
      asking = undefined;
      ctx.view.resume();
      if (choice === 'detach') return detach.abort();
      cancelled = true;
      try {
        await ctx.client.json('POST', `/imports/${encodeURIComponent(job.id)}/cancel`);
        ctx.view.note('cancelling: the job stops after its current chunk');
      } catch (error) {
        ctx.warn(`muster: could not cancel the job: ${(error as Error).message}`);
      }
    });
  };
  let last = job;
  try {
    await withInterrupt(onInterrupt, async () => {
      for await (const { event, job: state } of watchJob(ctx.client, job.id, {
        signal: detach.signal,
        onReconnect: (attempt, reason) => ctx.view.note(`progress stream lost (${reason}); reconnecting (attempt ${attempt})`),
      })) {
        last = state;
        ctx.view.job(event, state);
      }
    });
  } catch (error) {
    if (detach.signal.aborted) return 'detached';
    throw error;
  } finally {
    asking?.close(); // the job ended while the question was open
  }
  return last;
}

/** Writes the rejected rows and the report, prints the summary; the exit code. */
async function finish(job: ImportJob, file: string | undefined, csvInput: boolean, reportPath: string | undefined, ctx: ImportContext): Promise<number> {
  ctx.view.stop();
  const files: { rejected?: string; report?: string } = {};
  const attempt = async (what: string, retry: string, work: () => Promise<void>) => {
    try {
      await work();
      return true;
    } catch (error) {
      if (!(error instanceof ServiceError || error instanceof ServiceUnreachableError || (error as NodeJS.ErrnoException).code)) throw error;
      ctx.warn(`muster: could not save ${what}: ${(error as Error).message} (try: ${retry})`);
      return false;
    }
  };
  if (job.totals.failed > 0) {
    const base = file ?? `import-${job.id}.csv`;
    const path = csvInput ? rejectedPath(base) : `${base}.failed.csv`;
    const query = { status: 'failed', format: 'csv', ...(csvInput && { rejected: true }) } as const;
    const retry = `muster jobs report ${job.id} --status failed${csvInput ? ' --rejected' : ''} --output ${path}`;
    if (await attempt('the rejected rows', retry, () => saveReport(ctx.client, job.id, query, path))) files.rejected = path;
  }
  if (reportPath !== undefined) {
    const retry = `muster jobs report ${job.id} --output ${reportPath}`;
    if (await attempt('the report', retry, () => saveReport(ctx.client, job.id, { status: 'all', format: reportFormatFor(reportPath) }, reportPath))) files.report = reportPath;
  }
  let examples = new Map<string, ReportRow>();
  await attempt('the example rows', `muster jobs report ${job.id} --status failed`, async () => {
    examples = await failureExamples(ctx.client, job.id, job.failures.map((f) => f.code));
  });
  const exitCode = exitCodeFor(job);
  if (ctx.json) ctx.print(JSON.stringify({ event: 'summary', job, examples: Object.fromEntries(examples), files, exitCode }));
  else ctx.print(summaryText(job, examples, files));
  return exitCode;
}

export async function runImport(command: Extract<ImportCommand, { kind: 'upload' | 'attach' }>, ctx: ImportContext): Promise<number> {
  let job: ImportJob;
  let file: string | undefined;
  let csvInput: boolean;
  if (command.kind === 'attach') {
    job = await ctx.client.json<ImportJob>('GET', `/imports/${encodeURIComponent(command.jobId)}`);
    file = command.file;
    csvInput = CSV_FORMATS.has(job.format) || (file !== undefined && /\.csv$/i.test(file));
    if (!isFinished(job)) ctx.view.job('accepted', job);
  } else {
    const stopUpload = new AbortController();
    let answer: { status: number; job: ImportJob };
    try {
      answer = await withInterrupt(() => stopUpload.abort(), () => upload(command.upload, ctx, stopUpload.signal));
    } catch (error) {
      if (!stopUpload.signal.aborted) throw error;
      ctx.view.stop();
      ctx.warn('muster: interrupted before the job was created; run the same command again to start or resume it.');
      return EXIT.interrupted;
    }
    job = answer.job;
    file = command.upload.file;
    csvInput = command.upload.contentType === 'text/csv';
    if (answer.status === 200) ctx.view.note(`the service already has this job (same file and options): attached to ${job.id}`);
    if (!isFinished(job)) ctx.view.job('accepted', job);
  }
  const end = await follow(job, ctx);
  if (end === 'detached') {
    ctx.view.stop();
    ctx.warn(`muster: detached; job ${job.id} goes on. Re-attach: muster import --attach ${job.id}${file ? ` ${file}` : ''}`);
    return EXIT.detached;
  }
  return finish(end, file, csvInput, command.reportPath, ctx);
}
