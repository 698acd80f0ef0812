/**
 * Import jobs survive crashes and share instances (PostgreSQL: several
 * service processes on one database). Every chunk's users, report rows and
 * checkpoint commit together, so
 * - a process killed with SIGKILL in the middle of a 100,000-row job, once
 *   restarted, finishes it with exactly 100,000 rows accounted for and no
 *   user twice;
 * - a second instance takes a job over from a frozen one whose lease ran
 *   out, and the frozen one, woken, finds its claim taken and writes no chunk
 *   twice.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { processSchema } from '../helpers/stores.ts';
import { http, startProcess, waitFor, type RunningService } from '../helpers/process.ts';

function csvOf(rows: number): string {
  const lines = ['username,email'];
  for (let i = 1; i <= rows; i++) lines.push(`user${i},user${i}@example.com`);
  return `${lines.join('\n')}\n`;
}

async function upload(service: RunningService, key: string, csv: string): Promise<string> {
  const response = await fetch(`${service.url}/v1/directories/default/imports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
    body: csv,
  });
  assert.equal(response.status, 202, await response.clone().text());
  return ((await response.json()) as { id: string }).id;
}

/** The queue lease of these services, and how long the two-instance case watches for a chunk (see there). */
const LEASE_MS = 6000;
const OBSERVE_MS = 4000;
/** The jobs' chunk size (IMPORT_CHUNK_ROWS, set below). */
const CHUNK_ROWS = 1000;

describe('import jobs across crashes and instances: postgres', () => {
  let admin: pg.Client;
  let schema: string;
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  const key = `import-${randomBytes(24).toString('hex')}`;

  before(async () => {
    const store = await processSchema('import');
    ({ schema, admin, drop } = store);
    env = {
      DATA_DIR: mkdtempSync(join(tmpdir(), 'muster-import-')),
      DATABASE_URL: store.databaseUrl,
      MUSTER_ADMIN_KEY: key,
      MUSTER_SERVER_KEY: randomBytes(32).toString('base64'),
      OUTBOX_POLL_MS: '100',
      OUTBOX_LEASE_MS: String(LEASE_MS),
      // A frozen holder may be inside a chunk's transaction, holding the job's row lock: the server ends that session.
      DATABASE_IDLE_TRANSACTION_TIMEOUT_MS: '3000',
      OUTBOX_RETRY_BASE_MS: '100',
      IMPORT_CHUNK_ROWS: String(CHUNK_ROWS),
    };
  });
  after(() => drop());

  /** What the database holds for the job: users of the directory, report rows, distinct rows, and the job's totals. */
  async function accounted(jobId: string) {
    const q = async (sql: string, params: unknown[] = []) => Number(Object.values((await admin.query(sql, params)).rows[0] as object)[0]);
    return {
      users: await q(`SELECT count(*) FROM ${schema}.users WHERE username LIKE 'user%'`),
      distinctUsers: await q(`SELECT count(DISTINCT username_key) FROM ${schema}.users WHERE username LIKE 'user%'`),
      reportRows: await q(`SELECT count(*) FROM ${schema}.import_report WHERE job_id = $1`, [jobId]),
      lastRow: await q(`SELECT max(row) FROM ${schema}.import_report WHERE job_id = $1`, [jobId]),
      created: await q(`SELECT count(*) FROM ${schema}.import_report WHERE job_id = $1 AND status = 'created'`, [jobId]),
    };
  }

  async function job(service: RunningService, id: string) {
    return (await http(`${service.url}/v1/imports/${id}`, 'GET', key)).body as { status: string; totals: Record<string, number | null> };
  }

  it('finishes a 100,000-row job killed with SIGKILL midway, after a restart: every row exactly once', async () => {
    const ROWS = 100_000;
    const first = await startProcess(env);
    const id = await upload(first, key, csvOf(ROWS));
    await waitFor('the job to be midway', async () => ((await job(first, id)).totals.processed as number) >= 15_000, 120_000);
    first.process.kill('SIGKILL');
    await once(first.process, 'exit');
    const atKill = await accounted(id);
    assert.ok(atKill.reportRows < ROWS, `killed midway (${atKill.reportRows} rows done)`);
    assert.equal(atKill.users, atKill.created, 'at any moment, the users written are exactly the rows reported created');

    const second = await startProcess(env);
    try {
      let done: Awaited<ReturnType<typeof job>> | undefined;
      await waitFor('the job to finish', async () => ['completed', 'failed'].includes((done = await job(second, id)).status), 300_000);
      assert.equal(done!.status, 'completed');
      assert.deepEqual(done!.totals, { rows: ROWS, processed: ROWS, created: ROWS, updated: 0, skipped: 0, failed: 0 });
      assert.deepEqual(await accounted(id), { users: ROWS, distinctUsers: ROWS, reportRows: ROWS, lastRow: ROWS, created: ROWS });
    } finally {
      await second.stop();
    }
  });

  it('two instances share one job: a frozen one loses it to the other and, woken, writes no chunk twice', async () => {
    const ROWS = 30_000;
    const a = await startProcess(env);
    const b = await startProcess(env);
    await admin.query(`DELETE FROM ${schema}.import_jobs`);
    await admin.query(`DELETE FROM ${schema}.users`);
    try {
      const id = await upload(a, key, csvOf(ROWS));
      await waitFor('the job to start', async () => ((await job(b, id)).totals.processed as number) >= 2_000, 60_000);
      // Freeze a. If the job still moves within OBSERVE_MS (shorter than the lease, so no takeover can
      // happen yet, and longer than a chunk takes even on a loaded machine), b holds it: freeze b instead.
      // One more chunk may land from a (its COMMIT already sent when it froze): moving means more than that.
      const processed = async (via: RunningService) => (await job(via, id)).totals.processed as number;
      a.process.kill('SIGSTOP');
      const before = await processed(b);
      const moved = await waitFor('chunks committed by b', async () => (await processed(b)) > before + CHUNK_ROWS, OBSERVE_MS).catch(() => false);
      const [holder, other] = moved ? [b, a] : [a, b];
      if (holder === b) {
        a.process.kill('SIGCONT');
        b.process.kill('SIGSTOP');
      }
      const frozenAt = await processed(other);
      await waitFor('the other instance to take the job over', async () => (await processed(other)) > frozenAt + 2_000, 60_000);
      holder.process.kill('SIGCONT');
      let done: Awaited<ReturnType<typeof job>> | undefined;
      await waitFor('the job to finish', async () => ['completed', 'failed'].includes((done = await job(a, id)).status), 120_000);
      assert.deepEqual(done!.totals, { rows: ROWS, processed: ROWS, created: ROWS, updated: 0, skipped: 0, failed: 0 });
      assert.deepEqual(await accounted(id), { users: ROWS, distinctUsers: ROWS, reportRows: ROWS, lastRow: ROWS, created: ROWS });
      const claims = await admin.query(`SELECT attempts FROM ${schema}.queue WHERE kind = 'import' AND target = $1`, [id]);
      assert.ok(claims.rows[0].attempts >= 2, 'the job was claimed by both instances');
      const logs = a.stdout() + b.stdout();
      assert.match(logs, /another worker claimed it/, 'the woken instance found its claim taken and stopped');
    } finally {
      a.process.kill('SIGCONT');
      b.process.kill('SIGCONT');
      await a.stop();
      await b.stop();
    }
  });
});
