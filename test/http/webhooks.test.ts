/**
 * Webhooks over the wire, on both stores, with a real HTTPS receiver on
 * loopback (test/helpers/webhookReceiver.ts: a self-signed certificate trusted
 * through WEBHOOK_CA_FILE; loopback reached only because
 * WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true, which the last suite leaves off to
 * show the refusal). Every delivery is verified with the `standardwebhooks`
 * package, the independent implementation of the signature scheme.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { startWebhookReceiver, type ReceivedHook, type WebhookReceiver } from '../helpers/webhookReceiver.ts';
import { waitFor } from '../helpers/wait.ts';

interface Message {
  readonly type: string;
  readonly timestamp: string;
  readonly data: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- message data is arbitrary JSON
}

/** The messages of `hooks` that verify under `secret` (standardwebhooks throws on a bad signature). */
function verified(hooks: readonly ReceivedHook[], secret: string): Message[] {
  const verifier = new Webhook(secret);
  return hooks.map((hook) => verifier.verify(hook.body, hook.headers) as Message);
}

const FAST_RETRIES = '0,100,100,100,100,100,100,100,100,100';

for (const kind of STORE_KINDS) {
  describe(`webhooks (${kind})`, () => {
    let svc: TestService;
    let rx: WebhookReceiver;
    let key: string;
    const hooksTo = (path: string) => rx.received.filter((h) => h.path === path);
    const createEndpoint = async (path: string, body: Record<string, unknown>) => {
      const created = await svc.call('POST', '/v1/webhooks', { key, body: { url: `${rx.url}${path}`, ...body } });
      assert.equal(created.status, 201, created.text);
      return created.body as { id: string; secret: string };
    };

    before(async () => {
      rx = await startWebhookReceiver();
      svc = await startTestService(kind, {
        WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true',
        WEBHOOK_CA_FILE: rx.caFile,
        WEBHOOK_RETRY_SCHEDULE_MS: FAST_RETRIES,
        OUTBOX_POLL_MS: '50',
      });
      key = (await svc.newTenant()).adminKey;
    });
    after(async () => {
      await svc.close();
      await rx.close();
    });

    it('manages endpoints: the whsec_ secret is shown once, patches change fields, deletes answer 404 after', async () => {
      const created = await createEndpoint('/crud', { eventTypes: ['user.*', 'import.*'], description: 'CRM' });
      assert.match(created.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      const shown = await svc.call('GET', `/v1/webhooks/${created.id}`, { key });
      assert.equal(shown.status, 200);
      assert.equal(shown.body.secret, undefined, 'the secret is not shown again');
      assert.equal(JSON.stringify(shown.body).includes(created.secret.slice(6)), false);
      assert.deepEqual(shown.body.eventTypes, ['user.*', 'import.*']);
      const patched = await svc.call('PATCH', `/v1/webhooks/${created.id}`, { key, body: { enabled: false, eventTypes: ['invitation.*'] } });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.enabled, false);
      assert.deepEqual(patched.body.eventTypes, ['invitation.*']);
      const listed = await svc.call('GET', '/v1/webhooks', { key });
      assert.ok(listed.body.webhooks.some((w: { id: string }) => w.id === created.id));
      const bad = await svc.call('POST', '/v1/webhooks', { key, body: { url: 'http://example.com/hook', eventTypes: ['user.*'] } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'webhook.invalid_url');
      const badTypes = await svc.call('POST', '/v1/webhooks', { key, body: { url: `${rx.url}/x`, eventTypes: ['user.*.x'] } });
      assert.equal(badTypes.status, 400);
      assert.equal((await svc.call('GET', '/v1/webhooks/not-a-uuid', { key })).status, 400);
      assert.equal((await svc.call('DELETE', `/v1/webhooks/${created.id}`, { key })).status, 204);
      const gone = await svc.call('GET', `/v1/webhooks/${created.id}`, { key });
      assert.equal(gone.status, 404);
      assert.equal(gone.body.error.code, 'webhook.not_found');
      const audit = await svc.call('GET', '/v1/audit-events?type=webhook.*', { key });
      assert.deepEqual(audit.body.events.map((e: { type: string }) => e.type), ['webhook.deleted', 'webhook.updated', 'webhook.created']);
      assert.equal(JSON.stringify(audit.body).includes(created.secret.slice(6)), false, 'no secret in the audit trail');
    });

    it('1000 users created: per-user endpoints get 1000 user.created in order, batch endpoints one users.batch_created', async () => {
      const perUser = await createEndpoint('/per-user', { eventTypes: ['user.created'], perUserEvents: true });
      const batched = await createEndpoint('/batched', { eventTypes: ['user.*'] });
      const other = await createEndpoint('/other', { eventTypes: ['group.*'] });
      const users = Array.from({ length: 1000 }, (_, i) => ({ username: `hook${i}`, email: `hook${i}@example.com` }));
      const created = await svc.call('POST', '/v1/directories/default/users/batch', { key, body: { users } });
      assert.equal(created.status, 200, created.text);
      const ids: string[] = created.body.results.map((r: { user: { id: string } }) => r.user.id);
      assert.equal(new Set(ids).size, 1000);

      await waitFor('1000 per-user deliveries', () => hooksTo('/per-user').length >= 1000 && hooksTo('/batched').length >= 1, 300_000);
      const perUserMessages = verified(hooksTo('/per-user'), perUser.secret);
      assert.equal(perUserMessages.length, 1000);
      assert.ok(perUserMessages.every((m) => m.type === 'user.created'));
      assert.deepEqual(perUserMessages.map((m) => m.data.subject.id), ids, 'in the order the events were committed');
      assert.equal(new Set(hooksTo('/per-user').map((h) => h.headers['webhook-id'])).size, 1000, 'one webhook-id per message');

      const [batch] = verified(hooksTo('/batched'), batched.secret);
      assert.equal(hooksTo('/batched').length, 1);
      assert.equal(batch!.type, 'users.batch_created');
      assert.equal(batch!.data.count, 1000);
      assert.deepEqual(batch!.data.users.map((u: { id: string }) => u.id), ids);
      assert.equal(hooksTo('/other').length, 0, 'an endpoint subscribed to other events gets nothing');
      assert.throws(() => verified(hooksTo('/batched'), perUser.secret), 'another endpoint\'s secret does not verify');
      const deliveries = await svc.call('GET', `/v1/webhooks/${batched.id}/deliveries`, { key });
      assert.equal(deliveries.body.deliveries[0].type, 'users.batch_created');
      assert.equal(deliveries.body.deliveries[0].status, 'done');
      await Promise.all([perUser, batched, other].map((e) => svc.call('DELETE', `/v1/webhooks/${e.id}`, { key })));
    });

    it('an import job: import.started and import.completed with the summary and the most frequent failures; its chunk as one users.batch_created', async () => {
      const imports = await createEndpoint('/imports', { eventTypes: ['import.*'] });
      const batched = await createEndpoint('/import-users', { eventTypes: ['users.batch_created'] });
      const rows = ['username,email', ...Array.from({ length: 30 }, (_, i) => (i % 10 === 9 ? `imp${i},not-an-email` : `imp${i},imp${i}@example.com`))];
      const started = await svc.request({
        method: 'POST',
        url: '/v1/directories/default/imports',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
        payload: rows.join('\n'),
      });
      assert.equal(started.status, 202, started.text);
      await waitFor('import.completed', () => hooksTo('/imports').some((h) => h.body.includes('"import.completed"')), 60_000);
      const messages = verified(hooksTo('/imports'), imports.secret);
      assert.deepEqual(messages.map((m) => m.type), ['import.started', 'import.completed']);
      const completed = messages[1]!.data;
      assert.equal(completed.subject.id, started.body.id);
      assert.deepEqual(completed.totals, { rows: 30, processed: 30, created: 27, updated: 0, skipped: 0, failed: 3 });
      assert.deepEqual(completed.failures, [{ code: 'user.invalid_email', count: 3 }]);
      await waitFor('the chunk\'s users.batch_created', () => hooksTo('/import-users').length >= 1, 60_000);
      const [batch] = verified(hooksTo('/import-users'), batched.secret);
      assert.equal(batch!.data.count, 27);
      await Promise.all([imports, batched].map((e) => svc.call('DELETE', `/v1/webhooks/${e.id}`, { key })));
    });

    it('a receiver failing for a while then recovering gets every event exactly once by id, in commit order', async () => {
      const endpoint = await createEndpoint('/flaky', { eventTypes: ['user.created'], perUserEvents: true });
      let failuresLeft = 7;
      rx.answer = ({ path }) => (path === '/flaky' && failuresLeft-- > 0 ? 503 : 204);
      try {
        const ids: string[] = [];
        for (let i = 0; i < 5; i += 1) {
          const batch = await svc.call('POST', '/v1/directories/default/users/batch', { key, body: { users: [0, 1, 2, 3].map((j) => ({ username: `flaky${i}-${j}` })) } });
          ids.push(...batch.body.results.map((r: { user: { id: string } }) => r.user.id));
        }
        await waitFor('20 accepted deliveries', () => hooksTo('/flaky').filter((h) => h.status === 204).length >= 20, 60_000);
        const accepted = hooksTo('/flaky').filter((h) => h.status === 204);
        const messages = verified(accepted, endpoint.secret);
        assert.deepEqual(messages.map((m) => m.data.subject.id), ids, 'every event once, in commit order');
        assert.equal(new Set(accepted.map((h) => h.headers['webhook-id'])).size, 20, 'exactly once by id');
        const failed = hooksTo('/flaky').filter((h) => h.status === 503);
        assert.equal(failed.length, 7);
        assert.ok(failed.every((h) => h.headers['webhook-id'] === failed[0]!.headers['webhook-id']), 'the head of the line is retried; the rest wait behind it');
        const log = await svc.call('GET', `/v1/webhooks/${endpoint.id}/deliveries?limit=200`, { key });
        const first = log.body.deliveries.at(-1);
        assert.equal(first.attempts, 8);
        assert.deepEqual(first.attemptLog.map((a: { outcome: string }) => a.outcome), [...Array<string>(7).fill('failed'), 'done']);
        assert.match(first.attemptLog[0].error, /^HTTP 503/);
        const shown = await svc.call('GET', `/v1/webhooks/${endpoint.id}`, { key });
        assert.equal(shown.body.failingSince, null, 'a success ends the failure streak');
      } finally {
        rx.answer = () => 204;
        await svc.call('DELETE', `/v1/webhooks/${endpoint.id}`, { key });
      }
    });

    it('a 410 Gone disables the endpoint, with the reason shown', async () => {
      const endpoint = await createEndpoint('/gone', { eventTypes: ['group.*'] });
      rx.answer = ({ path }) => (path === '/gone' ? 410 : 204);
      try {
        await svc.call('POST', '/v1/directories/default/groups', { key, body: { name: 'gone-1' } });
        await waitFor('the endpoint disabled', async () => (await svc.call('GET', `/v1/webhooks/${endpoint.id}`, { key })).body.enabled === false);
        const shown = await svc.call('GET', `/v1/webhooks/${endpoint.id}`, { key });
        assert.match(shown.body.disabledReason, /410 Gone/);
        // The worker disables the endpoint, then records the delivery dead: wait for the second.
        const delivery = await waitFor('the delivery dead', async () => {
          const [shownDelivery] = (await svc.call('GET', `/v1/webhooks/${endpoint.id}/deliveries`, { key })).body.deliveries;
          return shownDelivery.status === 'dead' && shownDelivery;
        });
        assert.equal(delivery.attempts, 1, 'a 410 is not retried');
        await svc.call('POST', '/v1/directories/default/groups', { key, body: { name: 'gone-2' } });
        const ping = await svc.call('POST', `/v1/webhooks/${endpoint.id}/test`, { key });
        assert.equal(ping.status, 409);
        assert.equal(ping.body.error.code, 'webhook.disabled');
        assert.equal((await svc.call('GET', `/v1/webhooks/${endpoint.id}/deliveries`, { key })).body.deliveries.length, 1, 'a disabled endpoint is sent nothing new');
        const enabled = await svc.call('PATCH', `/v1/webhooks/${endpoint.id}`, { key, body: { enabled: true } });
        assert.equal(enabled.body.disabledReason, null);
      } finally {
        rx.answer = () => 204;
        await svc.call('DELETE', `/v1/webhooks/${endpoint.id}`, { key });
      }
    });

    it('an endpoint failing for WEBHOOK_DISABLE_AFTER_HOURS (120) is disabled, with the reason shown', async () => {
      const endpoint = await createEndpoint('/failing', { eventTypes: ['group.*'] });
      rx.answer = ({ path }) => (path === '/failing' ? 500 : 204);
      try {
        await svc.call('POST', '/v1/directories/default/groups', { key, body: { name: 'failing-1' } });
        const streak = await waitFor('a failure streak', async () => {
          const shown = await svc.call('GET', `/v1/webhooks/${endpoint.id}`, { key });
          return shown.body.failingSince !== null && shown.body;
        });
        assert.equal(streak.enabled, true, 'one failure does not disable');
        // The streak began five days and an hour ago (the clock is the database's; moving the streak is the honest way to age it).
        await svc.db.query("UPDATE webhook_endpoints SET failing_since = now() - interval '121 hours' WHERE id = $1", [endpoint.id]);
        // Another delivery, in case the first ran out of (fast) retries before the streak was aged.
        await svc.call('POST', '/v1/directories/default/groups', { key, body: { name: 'failing-2' } });
        const disabled = await waitFor('the endpoint disabled', async () => {
          const shown = await svc.call('GET', `/v1/webhooks/${endpoint.id}`, { key });
          return shown.body.enabled === false && shown.body;
        });
        assert.match(disabled.disabledReason, /every delivery attempt failed for 120 hours/);
        await waitFor('both deliveries over', async () => (await svc.call('GET', `/v1/webhooks/${endpoint.id}/deliveries`, { key })).body.deliveries.every((d: { status: string }) => d.status === 'dead'));
        const { deliveries } = (await svc.call('GET', `/v1/webhooks/${endpoint.id}/deliveries`, { key })).body;
        assert.ok(deliveries.some((d: { lastError: string }) => /^HTTP 500: refused with 500; the endpoint is disabled after failing for 120 hours$/.test(d.lastError)), JSON.stringify(deliveries));
      } finally {
        rx.answer = () => 204;
        await svc.call('DELETE', `/v1/webhooks/${endpoint.id}`, { key });
      }
    });

    it('a redelivered dead delivery gets the whole retry schedule again; the listing keeps every attempt ever made', async () => {
      const endpoint = await createEndpoint('/dead', { eventTypes: ['webhook.ping'] });
      const scheduled = FAST_RETRIES.split(',').length;
      rx.answer = ({ path }) => (path === '/dead' ? 503 : 204);
      try {
        const ping = await svc.call('POST', `/v1/webhooks/${endpoint.id}/test`, { key });
        const delivery = async () => (await svc.call('GET', `/v1/webhooks/${endpoint.id}/deliveries`, { key })).body.deliveries[0];
        const dead = await waitFor('the delivery dead', async () => {
          const shown = await delivery();
          return shown.status === 'dead' && shown;
        });
        assert.equal(dead.attempts, scheduled, 'the schedule ran out');
        const again = await svc.call('POST', `/v1/webhooks/${endpoint.id}/deliveries/${ping.body.id}/redeliver`, { key });
        assert.equal(again.status, 202, again.text);
        const deadAgain = await waitFor('the redelivery dead', async () => {
          const shown = await delivery();
          return shown.status === 'dead' && shown.attempts > scheduled && shown;
        });
        assert.equal(deadAgain.attempts, 2 * scheduled, 'the redelivery ran the whole schedule again');
        assert.deepEqual(deadAgain.attemptLog.map((a: { attempt: number }) => a.attempt), Array.from({ length: 2 * scheduled }, (_, i) => i + 1), 'every attempt of both runs, numbered on');
        assert.ok(deadAgain.attemptLog.every((a: { outcome: string; error: string }) => a.outcome === 'failed' && /^HTTP 503/.test(a.error)));
        assert.equal(hooksTo('/dead').length, 2 * scheduled, 'each attempt was a call');
        assert.equal(new Set(hooksTo('/dead').map((h) => h.headers['webhook-id'])).size, 1, 'under one webhook-id');
      } finally {
        rx.answer = () => 204;
        await svc.call('DELETE', `/v1/webhooks/${endpoint.id}`, { key });
      }
    });

    it('test ping and redelivery: the redelivered message keeps its webhook-id; a rotated secret signs alongside the old one', async () => {
      const endpoint = await createEndpoint('/ping', { eventTypes: ['settings.*'] });
      const ping = await svc.call('POST', `/v1/webhooks/${endpoint.id}/test`, { key });
      assert.equal(ping.status, 202, ping.text);
      assert.equal(ping.body.type, 'webhook.ping');
      await waitFor('the ping', () => hooksTo('/ping').length >= 1);
      const [pinged] = verified(hooksTo('/ping'), endpoint.secret);
      assert.equal(pinged!.type, 'webhook.ping');
      assert.equal(hooksTo('/ping')[0]!.headers['webhook-id'], ping.body.messageId);
      await waitFor('the ping recorded done', async () => (await svc.call('GET', `/v1/webhooks/${endpoint.id}/deliveries`, { key })).body.deliveries[0].status === 'done');

      const rotated = await svc.call('POST', `/v1/webhooks/${endpoint.id}/rotate-secret?overlapSeconds=3600`, { key });
      assert.equal(rotated.status, 200);
      assert.notEqual(rotated.body.secret, endpoint.secret);
      const again = await svc.call('POST', `/v1/webhooks/${endpoint.id}/deliveries/${ping.body.id}/redeliver`, { key });
      assert.equal(again.status, 202, again.text);
      await waitFor('the redelivery', () => hooksTo('/ping').length >= 2);
      const redelivered = hooksTo('/ping')[1]!;
      assert.equal(redelivered.headers['webhook-id'], ping.body.messageId, 'the same webhook-id');
      assert.equal(redelivered.headers['webhook-signature']!.split(' ').length, 2, 'both secrets sign during the overlap');
      verified([redelivered], endpoint.secret);
      verified([redelivered], rotated.body.secret);

      const unknown = await svc.call('POST', `/v1/webhooks/${endpoint.id}/deliveries/01900000-0000-7000-8000-000000000000/redeliver`, { key });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'webhook.delivery_not_found');
      await svc.call('DELETE', `/v1/webhooks/${endpoint.id}`, { key });
    });
  });

  describe(`webhooks without WEBHOOK_ALLOW_PRIVATE_ADDRESSES (${kind})`, () => {
    let svc: TestService;
    let key: string;

    before(async () => {
      svc = await startTestService(kind, {});
      key = (await svc.newTenant()).adminKey;
    });
    after(() => svc.close());

    it('refuses endpoints on loopback, private, link-local and metadata addresses', async () => {
      for (const url of ['https://127.0.0.1/hook', 'https://localhost:8443/hook', 'https://10.1.2.3/', 'https://192.168.1.1/', 'https://169.254.169.254/latest', 'https://[::1]/', 'https://[fd00:ec2::254]/', 'https://[::ffff:127.0.0.1]/']) {
        const refused = await svc.call('POST', '/v1/webhooks', { key, body: { url, eventTypes: ['user.*'] } });
        assert.equal(refused.status, 400, url);
        assert.equal(refused.body.error.code, 'webhook.address_not_allowed', url);
      }
      assert.equal((await svc.call('GET', '/v1/webhooks', { key })).body.webhooks.length, 0);
    });
  });
}
