/**
 * What the CLI remembers between runs: for each Idempotency-Key it used, the
 * job the service answered with, so that running the same command again goes
 * straight to that job without sending the file (the service would answer the
 * same job for the key anyway; this spares the upload). One small JSON file
 * per service and key under $XDG_STATE_HOME/muster/imports (default
 * ~/.local/state); no secret is stored, only the service's address and ids.
 * A record that cannot be read, or names a job the service no longer has, is
 * ignored: the upload then runs as if there were none.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

interface JobRecord {
  readonly url: string;
  readonly jobId: string;
}

function recordFile(baseUrl: string, idempotencyKey: string, env: NodeJS.ProcessEnv): string {
  const stateHome = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(stateHome, 'muster', 'imports', `${createHash('sha256').update(`${baseUrl}\n${idempotencyKey}`).digest('hex')}.json`);
}

/** The job id remembered for this service and key, if any. */
export function rememberedJob(baseUrl: string, idempotencyKey: string, env = process.env): string | undefined {
  try {
    const record = JSON.parse(readFileSync(recordFile(baseUrl, idempotencyKey, env), 'utf8')) as Partial<JobRecord>;
    return record.url === baseUrl && typeof record.jobId === 'string' ? record.jobId : undefined;
  } catch {
    return undefined;
  }
}

/** Remembers the job; a state directory that cannot be written only costs the next run an upload. */
export function rememberJob(baseUrl: string, idempotencyKey: string, jobId: string, env = process.env): void {
  const file = recordFile(baseUrl, idempotencyKey, env);
  try {
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify({ url: baseUrl, jobId } satisfies JobRecord) + '\n', { mode: 0o600 });
  } catch {
    // best effort (a read-only home): the service still answers the same job for the key
  }
}

export function forgetJob(baseUrl: string, idempotencyKey: string, env = process.env): void {
  rmSync(recordFile(baseUrl, idempotencyKey, env), { force: true });
}
