/**
 * Graceful stop of a queue worker (issue 16): the item in flight finishes, and
 * the items it had claimed but not started are handed back at once (lease
 * ended, attempt not counted), so another instance sends them now rather than
 * after OUTBOX_LEASE_MS. An import job in flight stops after the chunk it is
 * writing and is handed back too, resumable from its checkpoint. On both stores.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { startQueueRunner, type QueueHandler } from '../../src/workers/queueRunner.ts';
import { importHandler } from '../../src/workers/importHandler.ts';
import { claimDue } from '../../src/store/repositories/queue.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestEngine, type TestEngine } from '../helpers/engine.ts';
import { waitFor } from '../helpers/wait.ts';

const CHUNK_ROWS = 100;
const IMPORT_ROWS = 3000;

for (const kind of STORE_KINDS) {
  describe(`queue worker stop: ${kind}`, () => {
    let t: TestEngine;
    before(async () => {
      t = await startTestEngine(kind, { OUTBOX_LEASE_MS: '600000', IMPORT_CHUNK_ROWS: String(CHUNK_ROWS) });
    });
    after(() => t.close());

    it('finishes the item in flight and hands the unstarted claims back', async () => {
      const { actor } = await t.newTenant();
      for (let i = 0; i < 5; i += 1) await t.engine.users.createUser(actor, 'default', { username: `stop-${i}`, email: `stop-${i}@example.com` }, { invite: {} });

      let release!: () => void;
      const started: string[] = [];
      const inFlight = new Promise<void>((resolve) => (release = resolve));
      let firstStarted!: () => void;
      const first = new Promise<void>((resolve) => (firstStarted = resolve));
      const handler: QueueHandler<{ to: string }> = {
        kind: 'mail',
        batchSize: 5,
        concurrency: 1,
        async handle(work) {
          started.push(work.payload.to);
          firstStarted();
          await inFlight;
        },
      };
      const runner = startQueueRunner(handler, { engine: t.engine, log: Fastify({ logger: false }).log, pollMs: 3_600_000 });
      await first;
      const stopped = runner.stop();
      release();
      await stopped;

      assert.equal(started.length, 1, 'only the item in flight ran');
      const handedBack = await claimDue(t.db, 'mail', 10, 60_000);
      assert.equal(handedBack.length, 4, 'the other four are claimable at once, not after the 10-minute lease');
      assert.ok(handedBack.every((item) => item.attempt === 1), 'the handed-back attempt was not counted');
      assert.ok(!handedBack.some((item) => item.target === started[0]), 'the finished item is done');
    });

    it('stops an import after the chunk in flight and hands the job back, resumable at its checkpoint', async () => {
      const { tenantId, actor } = await t.newTenant();
      const csv = ['username,email', ...Array.from({ length: IMPORT_ROWS }, (_, i) => `handback${i},handback${i}@example.com`)].join('\n');
      const { job } = await t.engine.imports.start(actor, 'default', { raw: {}, mediaType: 'text/csv' }, (async function* () {
        yield Buffer.from(csv);
      })());
      const log = Fastify({ logger: false }).log;
      const processed = async () => (await t.engine.imports.get(actor, job.id)).totals.processed ?? 0;
      const first = startQueueRunner(importHandler(t.engine), { engine: t.engine, log, pollMs: 20 });
      await waitFor('two chunks written', async () => (await processed()) >= 2 * CHUNK_ROWS, 60_000);
      await first.stop();

      const stopped = await t.engine.imports.get(actor, job.id);
      assert.equal(stopped.status, 'running', 'the job is left to resume, not ended');
      assert.ok(stopped.totals.processed! < IMPORT_ROWS, `stopped midway (${stopped.totals.processed} rows)`);
      assert.equal(stopped.totals.processed! % CHUNK_ROWS, 0, 'stopped at a chunk boundary');
      const { rows } = await t.db.query<{ attempts: number; leased: boolean }>(
        `SELECT attempts, locked_until IS NOT NULL AS leased FROM queue WHERE tenant_id = $1 AND kind = 'import' AND status = 'pending'`,
        [tenantId],
      );
      assert.deepEqual(rows, [{ attempts: 0, leased: false }], 'handed back: no lease, the attempt not counted');

      const second = startQueueRunner(importHandler(t.engine), { engine: t.engine, log, pollMs: 20 });
      try {
        const done = await waitFor('the job to finish elsewhere', async () => {
          const current = await t.engine.imports.get(actor, job.id);
          return current.status === 'running' ? undefined : current;
        }, 60_000);
        assert.equal(done.status, 'completed');
        assert.deepEqual(done.totals, { rows: IMPORT_ROWS, processed: IMPORT_ROWS, created: IMPORT_ROWS, updated: 0, skipped: 0, failed: 0 });
        const counts = await t.db.query<{ users: number; report: number }>(
          `SELECT (SELECT count(*)::int FROM users WHERE tenant_id = $1 AND username LIKE 'handback%') AS users,
                  (SELECT count(DISTINCT row)::int FROM import_report WHERE tenant_id = $1 AND job_id = $2) AS report`,
          [tenantId, job.id],
        );
        assert.deepEqual(counts.rows[0], { users: IMPORT_ROWS, report: IMPORT_ROWS }, 'every row once');
      } finally {
        await second.stop();
      }
    });
  });
}
