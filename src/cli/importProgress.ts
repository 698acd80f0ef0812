/**
 * How `muster import` shows its progress, one view per kind of output:
 * - a terminal: one bar redrawn in place (cli-progress: the most used Node
 *   progress bar, kept up to date, with in-place redraw, a redraw rate cap and
 *   cursor handling on every terminal Node supports, so we need not write ANSI);
 * - anything else (CI, a log file): plain lines, at most one per stage every
 *   `intervalMs`, besides each stage's first and last;
 * - --json: one JSON object per line on stdout (`hashing`, `upload`, the job
 *   events `accepted` | `progress` | `done`, `note`), for scripts.
 * The texts come from the pure functions below, shared by every view.
 */
import cliProgress from 'cli-progress';
import type { ImportJob } from './importJob.ts';

/** A count with thousands separators: 100,000. */
export const count = (n: number) => n.toLocaleString('en-US');

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** 45s, 3m05s, 2h07m. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Rows done/total, percent, rate, ETA and the running counts of a job. */
export function jobProgressText(job: ImportJob): string {
  const { totals, progress } = job;
  const eta = progress.etaSeconds === null ? '?' : formatDuration(progress.etaSeconds);
  return (
    `${progress.percent.toFixed(1)}% | ${count(totals.processed)}/${totals.rows === null ? '?' : count(totals.rows)} rows | ` +
    `${count(Math.round(progress.rowsPerSecond))} rows/s | ETA ${eta} | ` +
    `created ${count(totals.created)} updated ${count(totals.updated)} skipped ${count(totals.skipped)} failed ${count(totals.failed)}`
  );
}

/** Bytes sent of the total, percent and rate. */
export function transferText(done: number, total: number, elapsedMs: number): string {
  const percent = total === 0 ? 100 : (done / total) * 100;
  const rate = elapsedMs > 0 ? formatBytes(Math.round((done / elapsedMs) * 1000)) : '?';
  return `${percent.toFixed(1)}% | ${formatBytes(done)}/${formatBytes(total)} | ${rate}/s`;
}

/** One plain progress line: the time (UTC, to the second), the stage, its text. */
export function plainLine(now: Date, stage: string, text: string): string {
  return `${now.toISOString().slice(0, 19)}Z ${stage} ${text}`;
}

const jobStage = (job: ImportJob) => `job ${job.id} ${job.status}`;

export type JobEventName = 'accepted' | 'progress' | 'done';

export interface ProgressView {
  hashing(bytes: number, total: number): void;
  uploading(sent: number, total: number): void;
  job(event: JobEventName, job: ImportJob): void;
  /** A message beside the progress (a reconnect). */
  note(text: string): void;
  /** Stops drawing until resume (while the CLI asks a question). */
  pause(): void;
  resume(): void;
  /** The end: leaves the last state on screen. */
  stop(): void;
}

type Stage = 'hashing' | 'upload' | 'job';

const NOTE_MS = 10_000;

/** Keeps the start time of each stage, for transfer rates. */
function stageClock(now: () => number) {
  const started = new Map<Stage, number>();
  return (stage: Stage) => {
    if (!started.has(stage)) started.set(stage, now());
    return now() - started.get(stage)!;
  };
}

/** The terminal view: one bar, redrawn in place, on `stream` (stderr). */
export function ttyView(stream: NodeJS.WriteStream): ProgressView {
  const elapsed = stageClock(Date.now);
  let current: { stage: Stage; bar: cliProgress.SingleBar } | undefined;
  /** A note stays beside the bar for NOTE_MS. */
  let note = { text: '', until: 0 };
  let paused = false;
  const show = (stage: Stage, label: string, fraction: number, text: string) => {
    if (paused) return;
    if (current?.stage !== stage) {
      current?.bar.stop();
      const bar = new cliProgress.SingleBar({
        stream,
        hideCursor: true,
        barsize: 24,
        fps: 5,
        format: (options, params, payload: { label: string; text: string }) =>
          `${payload.label} ${cliProgress.Format.BarFormat(params.progress, options)} ${payload.text}`,
      }, cliProgress.Presets.shades_classic);
      bar.start(1000, 0, { label, text });
      current = { stage, bar };
    }
    const noted = Date.now() < note.until ? `${text} | ${note.text}` : text;
    current.bar.update(Math.round(Math.min(1, Math.max(0, fraction)) * 1000), { label, text: noted });
  };
  return {
    hashing: (bytes, total) => show('hashing', 'hashing  ', total ? bytes / total : 1, transferText(bytes, total, elapsed('hashing'))),
    uploading: (sent, total) => show('upload', 'uploading', total ? sent / total : 1, transferText(sent, total, elapsed('upload'))),
    job(event, job) {
      show('job', 'importing', job.progress.percent / 100, `${job.status} ${jobProgressText(job)}`);
      if (event === 'done') current?.bar.stop();
    },
    note(text) {
      note = { text, until: Date.now() + NOTE_MS };
    },
    pause() {
      current?.bar.stop();
      current = undefined;
      paused = true;
    },
    resume() {
      paused = false;
    },
    stop() {
      current?.bar.stop();
      current = undefined;
    },
  };
}

/** The plain view: lines through `write`, each stage at most once per `intervalMs` but for its first and last. */
export function plainView(write: (line: string) => void, intervalMs: number, now: () => Date = () => new Date()): ProgressView {
  const elapsed = stageClock(() => now().getTime());
  const lastAt = new Map<Stage, number>();
  let paused = false;
  const emit = (stage: Stage, label: string, text: string, force: boolean) => {
    const at = now().getTime();
    const last = lastAt.get(stage);
    if (paused || (!force && last !== undefined && at - last < intervalMs)) return;
    lastAt.set(stage, at);
    write(plainLine(now(), label, text));
  };
  return {
    hashing: (bytes, total) => emit('hashing', 'hashing', transferText(bytes, total, elapsed('hashing')), bytes === total),
    uploading: (sent, total) => emit('upload', 'uploading', transferText(sent, total, elapsed('upload')), sent === total),
    job: (event, job) => emit('job', jobStage(job), jobProgressText(job), event !== 'progress'),
    note: (text) => write(plainLine(now(), 'note', text)),
    pause: () => (paused = true),
    resume: () => (paused = false),
    stop: () => {},
  };
}

/** The --json view: one object per line through `write`; transfer events at most once per `intervalMs` but for the last. */
export function jsonView(write: (line: string) => void, intervalMs = 1000, now: () => number = Date.now): ProgressView {
  const lastAt = new Map<string, number>();
  const transfer = (event: string, bytes: number, totalBytes: number) => {
    const last = lastAt.get(event);
    if (bytes !== totalBytes && last !== undefined && now() - last < intervalMs) return;
    lastAt.set(event, now());
    write(JSON.stringify({ event, bytes, totalBytes }));
  };
  return {
    hashing: (bytes, total) => transfer('hashing', bytes, total),
    uploading: (sent, total) => transfer('upload', sent, total),
    job: (event, job) => write(JSON.stringify({ event, job })),
    note: (message) => write(JSON.stringify({ event: 'note', message })),
    pause: () => {},
    resume: () => {},
    stop: () => {},
  };
}
