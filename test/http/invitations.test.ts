/**
 * Invitations end to end through a real SMTP server started here: the mail queue
 * delivers every mail once, survives refusals, sends nothing for a rolled-back
 * batch; the invitation page activates the user and redirects only where
 * allowed; TLS certificates are verified (an untrusted one is refused, a private
 * CA is trusted through NODE_EXTRA_CA_CERTS, SMTP_TLS_INSECURE is the explicit,
 * logged opt-out). On both stores. "Nothing more arrived" is asserted only after
 * the outbox has nothing pending, never after a fixed sleep.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { http, startProcess } from '../helpers/process.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { inviteToken, startTestSmtp, type TestSmtp } from '../helpers/smtp.ts';
import { waitFor } from '../helpers/wait.ts';

const FAST_OUTBOX = { OUTBOX_POLL_MS: '20', OUTBOX_RETRY_BASE_MS: '20' };

for (const kind of STORE_KINDS) {
  describe(`invitations: ${kind}`, () => {
    let smtp: TestSmtp;
    let svc: TestService;
    let key: string;
    let tenantId: string;
    let n = 0;
    const dir = async () => {
      const name = `inv${++n}`;
      await svc.call('POST', '/v1/directories', { key, body: { name } });
      return name;
    };
    const page = (method: string, token: string, form?: Record<string, string>) =>
      svc.app.inject({
        method: method as 'GET',
        url: `/invite/${token}`,
        ...(form && { payload: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      });
    const mailTo = (address: string) => smtp.received.filter((m) => m.to === address);
    const outboxRows = async () =>
      (await svc.db.query<{ n: number }>("SELECT count(*)::int AS n FROM queue WHERE tenant_id = $1 AND kind = 'mail'", [tenantId])).rows[0]!.n;
    /**
     * Resolves once the tenant's outbox (per the API) has nothing pending: every
     * message is sent or dead, so no further send, duplicate or retry, can happen.
     */
    const outboxSettled = () =>
      waitFor('the outbox to have nothing pending', async () => {
        const outbox = await svc.call('GET', '/v1/outbox', { key });
        return outbox.body.pending === 0 && outbox.body;
      }, 60_000);

    before(async () => {
      smtp = await startTestSmtp();
      svc = await startTestService(kind, { SMTP_URL: smtp.url, ...FAST_OUTBOX, PUBLIC_URL: 'https://muster.example' });
      ({ adminKey: key, tenantId } = await svc.newTenant());
      await svc.call('PUT', '/v1/settings/redirect-allowlist', { key, body: { allowed: ['https://app.example.com/welcome'] } });
    });
    after(async () => {
      await svc.close();
      await smtp.close();
    });

    it('a batch of 500 invited users yields exactly 500 delivered mails', async () => {
      const d = await dir();
      const users = Array.from({ length: 500 }, (_, i) => ({ username: `bulk${i}`, email: `bulk${i}-${kind}@example.com` }));
      const response = await svc.call('POST', `/v1/directories/${d}/users/batch`, {
        key,
        body: { users, invite: { message: 'Welcome aboard!' } },
      });
      assert.equal(response.status, 200);
      assert.ok(response.body.results.every((r: { user: { status: string } }) => r.user.status === 'pending'));
      const ours = () => smtp.received.filter((m) => m.to.startsWith('bulk') && m.to.endsWith(`-${kind}@example.com`));
      const outbox = await outboxSettled();
      assert.ok(outbox.sent >= 500);
      assert.equal(ours().length, 500);
      assert.equal(new Set(ours().map((m) => m.to)).size, 500);
      assert.equal(new Set(ours().map((m) => m.messageId)).size, 500);
    });

    it('retries while the SMTP server refuses, then delivers every mail once', async () => {
      const d = await dir();
      const refusedBefore = smtp.refusedCount();
      smtp.refuse(25);
      const users = Array.from({ length: 10 }, (_, i) => ({ username: `retry${i}`, email: `retry${i}-${kind}@example.com` }));
      await svc.call('POST', `/v1/directories/${d}/users/batch`, { key, body: { users, invite: {} } });
      await outboxSettled();
      assert.ok(smtp.refusedCount() - refusedBefore >= 10, 'the server did refuse');
      for (const u of users) assert.equal(mailTo(u.email).length, 1, `${u.email} got one mail`);
      const attempts = await svc.db.query<{ outcome: string; n: number }>(
        `SELECT a.outcome, count(*)::int AS n FROM queue_attempts a JOIN queue o ON o.tenant_id = a.tenant_id AND o.id = a.queue_id
         WHERE o.kind = 'mail' AND o.target LIKE $1 GROUP BY a.outcome ORDER BY a.outcome`,
        [`retry%-${kind}@example.com`],
      );
      const byOutcome = Object.fromEntries(attempts.rows.map((r) => [r.outcome, r.n]));
      assert.equal(byOutcome.done, 10);
      assert.ok((byOutcome.failed ?? 0) >= 10, 'every refusal is recorded as an attempt');
    });

    it('sends nothing for an atomic batch that fails', async () => {
      const d = await dir();
      const before = await outboxRows();
      const received = smtp.received.length;
      const response = await svc.call('POST', `/v1/directories/${d}/users/batch`, {
        key,
        body: { users: [...Array.from({ length: 5 }, (_, i) => ({ username: `rb${i}`, email: `rb${i}@example.com` })), { username: 'bad', email: 'nope' }], invite: {} },
      });
      assert.equal(response.status, 422);
      await outboxSettled();
      assert.equal(await outboxRows(), before);
      assert.equal(smtp.received.length, received);
    });

    it('marks a message dead after a permanent refusal, with its last error, visible in the outbox', async () => {
      const d = await dir();
      smtp.refuse(1, 550);
      await svc.call('POST', `/v1/directories/${d}/users`, { key, body: { username: 'bounce', email: `bounce-${kind}@example.com`, invite: {} } });
      const dead = await waitFor('the bounced mail to be listed as dead', async () =>
        (await svc.call('GET', '/v1/outbox', { key })).body.deadMessages.find((m: { recipient: string }) => m.recipient === `bounce-${kind}@example.com`),
      );
      assert.equal(dead.attempts, 1);
      assert.match(dead.lastError, /550|unavailable/i);
      assert.ok(svc.logs.some((line) => line.includes('mail is dead')), 'the dead letter is logged');
    });

    it('the invitation page sets the password, activates the user, burns the token and redirects', async () => {
      const d = await dir();
      const email = `ada-${kind}@example.com`;
      const created = await svc.call('POST', `/v1/directories/${d}/users`, {
        key,
        body: { username: 'ada', email, invite: { redirectUrl: 'https://app.example.com/welcome?from=muster', message: 'Hi <Ada> & team' } },
      });
      assert.equal(created.status, 201);
      assert.equal(created.body.status, 'pending');
      await smtp.waitFor(() => mailTo(email).length > 0);
      const mail = mailTo(email)[0]!;
      assert.match(mail.raw, /https:\/\/muster\.example\/invite\//);
      assert.match(mail.raw.replace(/=\r?\n/g, ''), /Hi <Ada> & team/, 'the custom message is in the text part');
      assert.match(mail.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '='), /Hi &lt;Ada&gt; &amp; team/, 'and escaped in the HTML part');
      const token = inviteToken(mail);

      const form = await page('GET', token);
      assert.equal(form.statusCode, 200);
      assert.match(form.body, /ada/);
      assert.equal(form.headers['cache-control'], 'no-store');
      assert.equal(form.headers['referrer-policy'], 'no-referrer');

      const mismatch = await page('POST', token, { password: 'long enough one', confirm: 'long enough two' });
      assert.equal(mismatch.statusCode, 400);
      assert.match(mismatch.body, /do not match/);
      const short = await page('POST', token, { password: 'short', confirm: 'short' });
      assert.equal(short.statusCode, 400);
      assert.match(short.body, /at least 8 characters/);
      const ownName = await page('POST', token, { password: email, confirm: email });
      assert.equal(ownName.statusCode, 400);
      assert.match(ownName.body, /not be your username or email/);

      const accepted = await page('POST', token, { password: 'difference engine', confirm: 'difference engine' });
      assert.equal(accepted.statusCode, 303);
      assert.equal(accepted.headers.location, 'https://app.example.com/welcome?from=muster');

      const user = await svc.call('GET', `/v1/directories/${d}/users/${created.body.id}`, { key });
      assert.equal(user.body.status, 'active');
      const login = await svc.call('POST', `/v1/directories/${d}/authenticate`, { key, body: { username: 'ada', password: 'difference engine' } });
      assert.equal(login.status, 200);

      const reused = await page('POST', token, { password: 'another password', confirm: 'another password' });
      assert.equal(reused.statusCode, 410);
      assert.match(reused.body, /already been used/);
      assert.equal((await page('GET', token)).statusCode, 410);
      const status = await svc.call('GET', `/v1/directories/${d}/users/${created.body.id}/invitation`, { key });
      assert.equal(status.body.status, 'accepted');
      assert.equal(status.body.delivery.status, 'sent');
      assert.ok(!svc.logs.join('\n').includes(token), 'the token never reaches the log');
    });

    it('answers unknown, malformed and expired links with a clear page, never a stack trace', async () => {
      const unknown = await page('GET', 'A'.repeat(43));
      assert.equal(unknown.statusCode, 404);
      assert.match(unknown.body, /not valid/);
      assert.equal((await page('GET', 'short')).statusCode, 404);
      assert.equal((await page('POST', 'A'.repeat(43), { password: 'whatever12', confirm: 'whatever12' })).statusCode, 404);

      const d = await dir();
      const email = `late-${kind}@example.com`;
      await svc.call('POST', `/v1/directories/${d}/users`, { key, body: { username: 'late', email, invite: {} } });
      await smtp.waitFor(() => mailTo(email).length > 0);
      const token = inviteToken(mailTo(email)[0]!);
      await svc.db.query("UPDATE invitations SET expires_at = now() - interval '1 second' WHERE tenant_id = $1", [tenantId]);
      const expired = await page('GET', token);
      assert.equal(expired.statusCode, 410);
      assert.match(expired.body, /expired/);
      assert.equal((await page('POST', token, { password: 'long enough pw', confirm: 'long enough pw' })).statusCode, 410);
      const garbage = await svc.app.inject({ method: 'POST', url: `/invite/${token}`, payload: '{', headers: { 'content-type': 'application/json' } });
      assert.ok(garbage.statusCode < 500);
      assert.match(String(garbage.headers['content-type']), /text\/html/);
    });

    it('redirects only to URLs on the tenant\'s allow-list', async () => {
      const d = await dir();
      const refused = [
        'https://app.example.com/welcomeback',
        'https://app.example.com.evil.com/welcome',
        'https://app.example.com@evil.com/welcome',
        'http://app.example.com/welcome',
        'https://evil.com/welcome',
        'javascript:alert(1)',
        '//evil.com/welcome',
      ];
      for (const redirectUrl of refused) {
        const response = await svc.call('POST', `/v1/directories/${d}/users`, { key, body: { username: `r${refused.indexOf(redirectUrl)}`, email: 'r@example.com', invite: { redirectUrl } } });
        assert.equal(response.status, 400, redirectUrl);
        assert.equal(response.body.error.code, 'invitation.redirect_not_allowed', redirectUrl);
      }
      const batch = await svc.call('POST', `/v1/directories/${d}/users/batch`, {
        key,
        body: { users: [{ username: 'x', email: 'x@example.com' }], invite: { redirectUrl: 'https://evil.com/' } },
      });
      assert.equal(batch.body.error.code, 'invitation.redirect_not_allowed');

      // Allowed when invited, but the allow-list changed before acceptance: no redirect.
      const email = `moved-${kind}@example.com`;
      await svc.call('POST', `/v1/directories/${d}/users`, { key, body: { username: 'moved', email, invite: { redirectUrl: 'https://app.example.com/welcome/next' } } });
      await smtp.waitFor(() => mailTo(email).length > 0);
      await svc.call('PUT', '/v1/settings/redirect-allowlist', { key, body: { allowed: ['https://other.example.com/'] } });
      const accepted = await page('POST', inviteToken(mailTo(email)[0]!), { password: 'long enough pw', confirm: 'long enough pw' });
      assert.equal(accepted.statusCode, 200);
      assert.match(accepted.body, /password is set/);
      await svc.call('PUT', '/v1/settings/redirect-allowlist', { key, body: { allowed: ['https://app.example.com/welcome'] } });
      const bad = await svc.call('PUT', '/v1/settings/redirect-allowlist', { key, body: { allowed: ['not a url'] } });
      assert.equal(bad.status, 400);
    });

    it('resends (the old link stops working) and revokes', async () => {
      const d = await dir();
      const email = `again-${kind}@example.com`;
      const created = await svc.call('POST', `/v1/directories/${d}/users`, { key, body: { username: 'again', email, invite: {} } });
      await smtp.waitFor(() => mailTo(email).length === 1);
      const first = inviteToken(mailTo(email)[0]!);
      const base = `/v1/directories/${d}/users/${created.body.id}/invitation`;
      const resent = await svc.call('POST', `${base}/resend`, { key });
      assert.equal(resent.status, 202);
      assert.equal(resent.body.status, 'pending');
      await smtp.waitFor(() => mailTo(email).length === 2);
      const second = inviteToken(mailTo(email)[1]!);
      assert.notEqual(first, second);
      assert.notEqual(mailTo(email)[0]!.messageId, mailTo(email)[1]!.messageId);
      assert.equal((await page('GET', first)).statusCode, 410);
      assert.equal((await page('GET', second)).statusCode, 200);
      const revoked = await svc.call('POST', `${base}/revoke`, { key });
      assert.equal(revoked.body.status, 'revoked');
      assert.equal((await page('GET', second)).statusCode, 410);
      assert.equal((await svc.call('POST', `${base}/revoke`, { key })).body.error.code, 'invitation.not_pending');
      const active = await svc.call('POST', `/v1/directories/${d}/users`, { key, body: { username: 'active1', email: 'a1@example.com' } });
      assert.equal((await svc.call('POST', `/v1/directories/${d}/users/${active.body.id}/invitation/resend`, { key })).body.error.code, 'invitation.not_pending');
      assert.equal((await svc.call('GET', `/v1/directories/${d}/users/${active.body.id}/invitation`, { key })).body.error.code, 'invitation.not_found');
    });

    it('refuses an invitation without an email or with a credential, per item', async () => {
      const d = await dir();
      const response = await svc.call('POST', `/v1/directories/${d}/users/batch`, {
        key,
        body: {
          mode: 'partial',
          invite: {},
          users: [{ username: 'noemail' }, { username: 'withpw', email: 'w@example.com', password: 'long enough pw' }, { username: 'fine', email: 'fine@example.com' }, { username: 'act', email: 'act@example.com', status: 'active' }],
        },
      });
      assert.deepEqual(response.body.results.map((r: { status: string; error?: { code: string } }) => r.error?.code ?? r.status), [
        'invitation.email_required',
        'invitation.credential_conflict',
        'created',
        'request.invalid',
      ]);
    });
  });
}

describe('invitations over encrypted SMTP', () => {
  for (const tls of ['implicit', 'starttls'] as const) {
    const how = tls === 'implicit' ? 'smtps:// (implicit TLS)' : 'STARTTLS';

    it(`${how}: delivers to a server whose CA is given with NODE_EXTRA_CA_CERTS, authenticating on the encrypted connection (a real process)`, async () => {
      const smtp = await startTestSmtp({ tls });
      const dataDir = mkdtempSync(join(tmpdir(), 'muster-tls-'));
      const caFile = join(dataDir, 'ca.pem');
      writeFileSync(caFile, smtp.caPem!);
      const adminKey = `tls-admin-${'k'.repeat(32)}`;
      const service = await startProcess({ DATA_DIR: join(dataDir, 'data'), SMTP_URL: smtp.url, NODE_EXTRA_CA_CERTS: caFile, MUSTER_ADMIN_KEY: adminKey, ...FAST_OUTBOX });
      try {
        const created = await http(`${service.url}/v1/directories/default/users`, 'POST', adminKey, { username: 'tls', email: `tls-${tls}@example.com`, invite: {} });
        assert.equal(created.status, 201);
        await smtp.waitFor((received) => received.length === 1);
        assert.equal(smtp.received[0]!.to, `tls-${tls}@example.com`);
        assert.equal(smtp.received[0]!.secure, true);
        assert.ok(!service.stdout().includes('SMTP_TLS_INSECURE'), 'no insecure warning when verification is on');
      } finally {
        await service.stop();
        await smtp.close();
      }
    });

    for (const kind of STORE_KINDS) {
      it(`${how}, ${kind}: refuses a server whose certificate is not trusted; nothing is sent and the error is recorded`, async () => {
        const smtp = await startTestSmtp({ tls });
        const svc = await startTestService(kind, { SMTP_URL: smtp.url, ...FAST_OUTBOX });
        try {
          const { adminKey } = await svc.newTenant();
          const created = await svc.call('POST', '/v1/directories/default/users', { key: adminKey, body: { username: 'untrusted', email: `untrusted-${tls}@example.com`, invite: {} } });
          assert.equal(created.status, 201);
          const invitation = `/v1/directories/default/users/${created.body.id}/invitation`;
          const delivery = await waitFor('a failed delivery attempt', async () => {
            const { body } = await svc.call('GET', invitation, { key: adminKey });
            return body.delivery.attempts >= 1 && body.delivery.lastError !== null && body.delivery;
          });
          assert.equal(delivery.status, 'pending', 'a certificate error is retried, not sent');
          assert.match(delivery.lastError, /certificate|self[- ]signed|verify/i);
          assert.equal(smtp.received.length, 0, 'the server received nothing');
          assert.ok(!svc.logs.some((line) => line.includes('SMTP_TLS_INSECURE')), 'verification was on');
        } finally {
          await svc.close();
          await smtp.close();
        }
      });

      it(`${how}, ${kind}: SMTP_TLS_INSECURE=true delivers to an untrusted certificate, with a warning at start`, async () => {
        const smtp = await startTestSmtp({ tls });
        const svc = await startTestService(kind, { SMTP_URL: smtp.url, SMTP_TLS_INSECURE: 'true', ...FAST_OUTBOX });
        try {
          const warning = svc.logs.map((line) => JSON.parse(line)).find((entry) => String(entry.msg).includes('SMTP_TLS_INSECURE=true'));
          assert.equal(warning?.level, 40, 'logged as a warning');
          const { adminKey } = await svc.newTenant();
          await svc.call('POST', '/v1/directories/default/users', { key: adminKey, body: { username: 'insecure', email: `insecure-${tls}@example.com`, invite: {} } });
          await smtp.waitFor((received) => received.length === 1);
          assert.equal(smtp.received[0]!.secure, true);
        } finally {
          await svc.close();
          await smtp.close();
        }
      });
    }
  }
});

for (const kind of STORE_KINDS) {
  describe(`invitations without SMTP (the embedded default's mail folder): ${kind}`, () => {
    let svc: TestService;
    let key: string;
    before(async () => {
      const templates = mkdtempSync(join(tmpdir(), 'muster-templates-'));
      writeFileSync(join(templates, 'invitation.subject.txt'), 'Join the {{username}} party\n');
      svc = await startTestService(kind, { ...FAST_OUTBOX, MAIL_TEMPLATES_DIR: templates });
      ({ adminKey: key } = await svc.newTenant());
    });
    after(() => svc.close());

    it('writes .eml files under the data directory, listed and served by the API, from overridable templates', async () => {
      await svc.call('POST', '/v1/directories/default/users', { key, body: { username: 'newbie', email: 'newbie@example.com', invite: { message: 'See you Monday' } } });
      const messages = await waitFor('the .eml file', async () => {
        const list = await svc.call('GET', '/v1/mail', { key });
        return list.body.messages.length > 0 && list.body.messages;
      });
      assert.equal(messages.length, 1);
      const file = await svc.call('GET', `/v1/mail/${messages[0].file}`, { key });
      assert.equal(file.status, 200);
      assert.match(String(file.headers['content-type']), /message\/rfc822/);
      assert.match(file.text, /^Message-ID: <[^>]+@localhost>/m);
      assert.match(file.text, /^Subject: Join the newbie party/m);
      assert.match(file.text.replace(/=\r?\n/g, ''), /See you Monday/);
      assert.match(file.text.replace(/=\r?\n/g, ''), /http:\/\/localhost:8080\/invite\/[A-Za-z0-9_-]{43}/);
      assert.equal((await svc.call('GET', '/v1/mail/..%2F..%2Fserver.key', { key })).status, 404);
      assert.equal((await svc.call('GET', '/v1/mail/nothing.eml', { key })).body.error.code, 'mail.not_found');
    });
  });
}
