/**
 * Graceful stop of a queue worker (issue 16): the item in flight finishes, and
 * the items it had claimed but not started are handed back at once (lease
 * ended, attempt not counted), so another instance sends them now rather than
 * after OUTBOX_LEASE_MS. On both stores.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { startQueueRunner, type QueueHandler } from '../../src/workers/queueRunner.ts';
import { claimDue } from '../../src/store/repositories/queue.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestEngine, type TestEngine } from '../helpers/engine.ts';

for (const kind of STORE_KINDS) {
  describe(`queue worker stop: ${kind}`, () => {
    let t: TestEngine;
    before(async () => {
      t = await startTestEngine(kind, { OUTBOX_LEASE_MS: '600000' });
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
  });
}
