/**
 * Many instances, one database (issue 16): three service processes on one
 * PostgreSQL share the queue. 500 invitations are created through one of
 * them; one instance is killed (SIGKILL) mid-dispatch, one is stopped
 * gracefully (SIGTERM: its unstarted claims are handed back); the survivors
 * deliver every invitation, each under one Message-ID, through a real SMTP
 * server. At-least-once: only mail the killed process had handed to SMTP but
 * not yet recorded may arrive twice (same Message-ID). (The import part is
 * added with the import jobs.)
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { processSchema } from '../helpers/stores.ts';
import { http, startProcess, type RunningService } from '../helpers/process.ts';
import { startTestSmtp } from '../helpers/smtp.ts';
import { waitFor } from '../helpers/wait.ts';
import { SMTP_CONNECTIONS } from '../../src/mail/transport.ts';

const USERS = 500;

describe('three instances on one PostgreSQL', () => {
  it('deliver 500 invitations exactly once per recipient when one is killed and one stopped midway', async () => {
    const smtp = await startTestSmtp();
    const { databaseUrl, schema, admin, drop } = await processSchema('multi');
    const adminKey = `multi-${randomBytes(24).toString('hex')}`;
    const serverKey = randomBytes(32).toString('base64');
    const env = (i: number) => ({
      DATABASE_URL: databaseUrl,
      DATA_DIR: mkdtempSync(join(tmpdir(), `muster-multi-${i}-`)),
      // Every instance must share the server key (queued payloads are sealed under it) and the operator key.
      MUSTER_SERVER_KEY: serverKey,
      MUSTER_OPERATOR_KEY: `operator-${'k'.repeat(40)}`,
      MUSTER_ADMIN_KEY: adminKey,
      SMTP_URL: smtp.url,
      OUTBOX_POLL_MS: '50',
      OUTBOX_LEASE_MS: '1500',
    });
    const services: RunningService[] = [];
    try {
      smtp.delayEach(10); // dispatch takes seconds, so the kill lands mid-way
      for (let i = 0; i < 3; i += 1) services.push(await startProcess(env(i)));
      const [first, second, third] = services as [RunningService, RunningService, RunningService];
      const users = Array.from({ length: USERS }, (_, i) => ({ username: `multi${i}`, email: `multi${i}@example.com` }));
      const created = await http(`${second.url}/v1/directories/default/users/batch`, 'POST', adminKey, { users, invite: {} });
      assert.equal(created.body.summary.created, USERS, JSON.stringify(created.body).slice(0, 500));

      await smtp.waitFor((received) => received.length >= 50, 60_000);
      first.process.kill('SIGKILL');
      await once(first.process, 'exit');
      await smtp.waitFor((received) => received.length >= 150, 60_000);
      assert.equal(await second.stop(), 0, 'a graceful stop exits 0');
      assert.match(second.stdout(), /"shutting down"/);
      const beforeDrain = smtp.received.length;
      assert.ok(beforeDrain < USERS, `the kill and the stop came mid-dispatch (${beforeDrain} of ${USERS} sent)`);

      smtp.delayEach(0);
      await smtp.waitFor((received) => new Set(received.map((m) => m.to)).size >= USERS, 120_000);
      const byRecipient = new Map<string, Set<string>>();
      for (const mail of smtp.received) byRecipient.set(mail.to, (byRecipient.get(mail.to) ?? new Set()).add(mail.messageId));
      for (const user of users) assert.equal(byRecipient.get(user.email)?.size, 1, `${user.email}: one invitation, one Message-ID`);
      const duplicates = smtp.received.length - USERS;
      process.stdout.write(`# ${beforeDrain} mails before the drain; ${duplicates} delivered twice (same Message-ID) after the SIGKILL\n`);
      // The mail a worker has in flight at once (its SMTP connections) is the most a kill can duplicate.
      assert.ok(duplicates <= SMTP_CONNECTIONS, `only mail in flight at the kill was sent again (${duplicates})`);
      // The last mails are recorded done just after the SMTP server has them: wait for the queue to settle.
      const settled = async () => (await admin.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM ${schema}.queue GROUP BY status ORDER BY status`)).rows;
      const queue = await waitFor('every queue item done', async () => {
        const rows = await settled();
        return rows.length === 1 && rows[0]!.status === 'done' ? rows : undefined;
      }, 30_000).catch(async () => settled());
      assert.deepEqual(queue, [{ status: 'done', n: USERS }], 'every item done, none dead or pending');
      assert.equal(await third.stop(), 0);
    } finally {
      for (const service of services) if (service.process.exitCode === null && service.process.signalCode === null) service.process.kill('SIGKILL');
      await smtp.close();
      await drop();
    }
  });
});
