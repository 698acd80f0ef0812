/**
 * The outbox survives a crash: a process killed (SIGKILL) in the middle of
 * dispatching leaves committed mail behind, and after a restart every
 * invitation is delivered. At-least-once: a message that was in flight may
 * arrive twice, but always under the same Message-ID. On both stores.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { processStoreEnv } from '../helpers/stores.ts';
import { http, startProcess } from '../helpers/process.ts';
import { startTestSmtp } from '../helpers/smtp.ts';

const USERS = 150;

for (const kind of ['postgres', 'embedded'] as const) {
  describe(`outbox after a crash: ${kind}`, () => {
    it('delivers every invitation after the process is killed during dispatch', async () => {
      const smtp = await startTestSmtp();
      const { env: storeVars, cleanup } = await processStoreEnv(kind, 'crash');
      const adminKey = `crash-${randomBytes(24).toString('hex')}`;
      const env = { ...storeVars, SMTP_URL: smtp.url, MUSTER_ADMIN_KEY: adminKey, OUTBOX_POLL_MS: '50', OUTBOX_LEASE_MS: '1500' };
      try {
        smtp.delayEach(25); // keep the dispatcher busy long enough to be killed mid-way
        const first = await startProcess(env);
        const users = Array.from({ length: USERS }, (_, i) => ({ username: `crash${i}`, email: `crash${i}@example.com` }));
        const created = await http(`${first.url}/v1/directories/default/users/batch`, 'POST', adminKey, { users, invite: {} });
        assert.equal(created.body.summary.created, USERS);
        await smtp.waitFor((received) => received.length >= 10);
        first.process.kill('SIGKILL');
        await once(first.process, 'exit');
        const beforeRestart = smtp.received.length;
        assert.ok(beforeRestart < USERS, `the crash came mid-dispatch (${beforeRestart} of ${USERS} sent)`);

        smtp.delayEach(0);
        const second = await startProcess(env);
        try {
          await smtp.waitFor((received) => new Set(received.map((m) => m.to)).size >= USERS, 60_000);
        } finally {
          await second.stop();
        }
        const byRecipient = new Map<string, Set<string>>();
        for (const mail of smtp.received) byRecipient.set(mail.to, (byRecipient.get(mail.to) ?? new Set()).add(mail.messageId));
        for (const user of users) {
          const ids = byRecipient.get(user.email);
          assert.ok(ids, `${user.email} got its invitation`);
          assert.equal(ids.size, 1, `${user.email}: any duplicate carries the same Message-ID`);
        }
        const duplicates = smtp.received.length - USERS;
        process.stdout.write(`# ${kind}: ${beforeRestart} mails before the kill, ${duplicates} delivered twice after restart\n`);
        assert.ok(duplicates <= 50, 'at most the messages in flight were sent again');
      } finally {
        await smtp.close();
        await cleanup();
      }
    });
  });
}
