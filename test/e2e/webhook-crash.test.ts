/**
 * Webhook deliveries survive a crash: the service killed (SIGKILL) while it
 * delivers leaves its committed deliveries in the queue, and after a restart
 * every event reaches the receiver, in commit order, under its one
 * `webhook-id` (a delivery in flight at the kill may arrive twice, with the
 * same id). The receiver is HTTPS on loopback, trusted through
 * WEBHOOK_CA_FILE and allowed by WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true (muster
 * refuses loopback otherwise). On both stores.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { processStoreEnv } from '../helpers/stores.ts';
import { http, startProcess, waitFor } from '../helpers/process.ts';
import { startWebhookReceiver } from '../helpers/webhookReceiver.ts';

const USERS = 120;

for (const kind of ['postgres', 'embedded'] as const) {
  describe(`webhooks after a crash: ${kind}`, () => {
    it('delivers every event after the process is killed mid-delivery', async () => {
      const rx = await startWebhookReceiver();
      const { env: storeVars, cleanup } = await processStoreEnv(kind, 'hook_crash');
      const adminKey = `hookcrash-${randomBytes(24).toString('hex')}`;
      const env = {
        ...storeVars,
        MUSTER_ADMIN_KEY: adminKey,
        MUSTER_SERVER_KEY: randomBytes(32).toString('base64'),
        WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true',
        WEBHOOK_CA_FILE: rx.caFile,
        OUTBOX_POLL_MS: '50',
        OUTBOX_LEASE_MS: '1500',
        // A lane waits for its failed head: on a loaded machine one failed
        // attempt must not hold the rest back for the default's 5 s, then 5 min.
        WEBHOOK_RETRY_SCHEDULE_MS: '0,200,500,1000,2000',
      };
      try {
        // Slow answers keep the worker busy long enough to be killed mid-way.
        rx.answer = () => new Promise((resolve) => setTimeout(() => resolve(204), 20));
        const first = await startProcess(env);
        const created = await http(`${first.url}/v1/webhooks`, 'POST', adminKey, { url: `${rx.url}/crash`, eventTypes: ['user.created'], perUserEvents: true });
        assert.equal(created.status, 201);
        const users = Array.from({ length: USERS }, (_, i) => ({ username: `hookcrash${i}` }));
        const batch = await http(`${first.url}/v1/directories/default/users/batch`, 'POST', adminKey, { users });
        assert.equal(batch.body.summary.created, USERS);
        const ids: string[] = batch.body.results.map((r: { user: { id: string } }) => r.user.id);
        await waitFor('some deliveries', () => rx.received.length >= 10);
        first.process.kill('SIGKILL');
        await once(first.process, 'exit');
        const beforeRestart = rx.received.length;
        assert.ok(beforeRestart < USERS, `the crash came mid-delivery (${beforeRestart} of ${USERS} delivered)`);

        rx.answer = () => 204;
        const second = await startProcess(env);
        try {
          await waitFor('every event', () => new Set(rx.received.map((h) => h.headers['webhook-id'])).size >= USERS, 240_000);
        } catch (error) {
          const warnings = second.stdout().split('\n').filter((line) => /"level":(?:[4-9]\d)/.test(line));
          const arrived = new Set(rx.received.map((h) => h.headers['webhook-id'])).size;
          const exit = second.process.exitCode ?? second.process.signalCode ?? 'still running';
          throw new Error(`${(error as Error).message}: ${arrived} of ${USERS} arrived; the service (${exit}) warned:\n${warnings.join('\n')}\n${second.stderr()}`, { cause: error });
        } finally {
          await second.stop();
        }
        const verifier = new Webhook(created.body.secret);
        const byId = new Map<string, string>();
        for (const hook of rx.received) {
          const message = verifier.verify(hook.body, hook.headers) as { data: { subject: { id: string } } };
          const seen = byId.get(hook.headers['webhook-id']!);
          assert.ok(seen === undefined || seen === message.data.subject.id, 'a redelivery carries the same message under the same id');
          byId.set(hook.headers['webhook-id']!, message.data.subject.id);
        }
        assert.deepEqual([...new Set(rx.received.map((h) => byId.get(h.headers['webhook-id']!)))], ids, 'every event, none lost, in commit order');
        const duplicates = rx.received.length - USERS;
        process.stdout.write(`# ${kind}: ${beforeRestart} deliveries before the kill, ${duplicates} delivered twice after restart\n`);
        assert.ok(duplicates <= 1, 'at most the one delivery in flight was sent again');
      } finally {
        await rx.close();
        await cleanup();
      }
    });
  });
}
