/**
 * Tenant isolation across every route: another tenant's admin key, aimed at
 * this tenant's directory, user and key ids, finds nothing and changes nothing.
 * The routes come from the generated OpenAPI document, so a new route without
 * a case here fails this test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

/** For each route: a body to send, and what the other tenant must get. */
const ROUTES: Record<string, { body?: object | unknown[]; expect: 'not_found' | 'own_data_only' | 'operator_only' }> = {
  'POST /v1/directories': { body: { name: 'intruder' }, expect: 'own_data_only' },
  'GET /v1/directories': { expect: 'own_data_only' },
  'GET /v1/directories/{directory}': { expect: 'not_found' },
  'DELETE /v1/directories/{directory}': { expect: 'not_found' },
  'POST /v1/directories/{directory}/users': { body: { username: 'intruder' }, expect: 'not_found' },
  'POST /v1/directories/{directory}/users/batch': { body: { users: [{ username: 'intruder' }], mode: 'partial' }, expect: 'not_found' },
  'GET /v1/directories/{directory}/users': { expect: 'not_found' },
  'GET /v1/directories/{directory}/users/{userId}': { expect: 'not_found' },
  'PATCH /v1/directories/{directory}/users/{userId}': { body: { displayName: 'hacked' }, expect: 'not_found' },
  'DELETE /v1/directories/{directory}/users/{userId}': { expect: 'not_found' },
  'POST /v1/directories/{directory}/users/{userId}/secret': { expect: 'not_found' },
  'GET /v1/directories/{directory}/users/{userId}/groups': { expect: 'not_found' },
  'POST /v1/directories/{directory}/authenticate': { body: { username: 'victim', password: 'victim password' }, expect: 'not_found' },
  'POST /v1/api-keys': { body: { name: 'intruder', scopes: ['admin'] }, expect: 'own_data_only' },
  'GET /v1/api-keys': { expect: 'own_data_only' },
  'POST /v1/api-keys/{keyId}/revoke': { expect: 'not_found' },
  'POST /v1/access-keys': { body: { name: 'intruder', scopes: ['admin'] }, expect: 'own_data_only' },
  'POST /v1/tokens': { expect: 'own_data_only' },
  'POST /v1/directories/{directory}/groups': { body: { name: 'intruders' }, expect: 'not_found' },
  'GET /v1/directories/{directory}/groups': { expect: 'not_found' },
  'DELETE /v1/directories/{directory}/groups/{groupId}': { expect: 'not_found' },
  'GET /v1/access-keys': { expect: 'own_data_only' },
  'POST /v1/access-keys/{accessKeyId}/revoke': { expect: 'not_found' },
  'GET /v1/directories/{directory}/users/{userId}/invitation': { expect: 'not_found' },
  'POST /v1/directories/{directory}/users/{userId}/invitation/resend': { expect: 'not_found' },
  'POST /v1/directories/{directory}/users/{userId}/invitation/revoke': { expect: 'not_found' },
  'GET /v1/settings/redirect-allowlist': { expect: 'own_data_only' },
  'PUT /v1/settings/redirect-allowlist': { body: { allowed: ['https://intruder.example/'] }, expect: 'own_data_only' },
  'GET /v1/outbox': { expect: 'own_data_only' },
  'GET /v1/mail': { expect: 'own_data_only' },
  'GET /v1/mail/{file}': { expect: 'not_found' },
  'GET /v1/audit-events': { expect: 'own_data_only' },
  'POST /v1/directories/{directory}/users/{userId}/unlock': { expect: 'not_found' },
  // An address's counts are per tenant: the intruder lifts only its own (the lockouts test checks the victim stays locked).
  'POST /v1/lockouts/addresses/unlock': { body: { address: '127.0.0.1' }, expect: 'own_data_only' },
  'GET /v1/directories/{directory}/export': { expect: 'not_found' },
  'POST /v1/directories/{directory}/imports': { body: [{ username: 'intruder' }], expect: 'not_found' },
  'GET /v1/directories/{directory}/imports': { expect: 'not_found' },
  'GET /v1/imports': { expect: 'own_data_only' },
  'GET /v1/imports/{id}': { expect: 'not_found' },
  'GET /v1/imports/{id}/events': { expect: 'not_found' },
  'GET /v1/imports/{id}/report': { expect: 'not_found' },
  'POST /v1/imports/{id}/cancel': { expect: 'not_found' },
  'POST /v1/imports/{id}/undo': { expect: 'not_found' },
  'DELETE /v1/imports/{id}': { expect: 'not_found' },
  'POST /v1/webhooks': { body: { url: 'https://1.1.1.1/intruder', eventTypes: ['user.*'] }, expect: 'own_data_only' },
  'GET /v1/webhooks': { expect: 'own_data_only' },
  'GET /v1/webhooks/{webhookId}': { expect: 'not_found' },
  'PATCH /v1/webhooks/{webhookId}': { body: { description: 'hacked' }, expect: 'not_found' },
  'DELETE /v1/webhooks/{webhookId}': { expect: 'not_found' },
  'POST /v1/webhooks/{webhookId}/rotate-secret': { expect: 'not_found' },
  'POST /v1/webhooks/{webhookId}/test': { expect: 'not_found' },
  'GET /v1/webhooks/{webhookId}/deliveries': { expect: 'not_found' },
  'POST /v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver': { expect: 'not_found' },
  // Operator routes: a tenant's admin key is refused outright (403), whatever tenant it names.
  'POST /v1/tenants': { body: { name: 'intruder-tenant' }, expect: 'operator_only' },
  'GET /v1/tenants': { expect: 'operator_only' },
  'POST /v1/tenants/{tenant}/disable': { expect: 'operator_only' },
  'POST /v1/tenants/{tenant}/api-keys': { body: { name: 'intruder', scopes: ['admin'] }, expect: 'operator_only' },
  'GET /v1/tenants/{tenant}/api-keys': { expect: 'operator_only' },
  'POST /v1/tenants/{tenant}/api-keys/{keyId}/revoke': { expect: 'operator_only' },
};

for (const kind of STORE_KINDS) {
  describe(`tenant isolation: ${kind}`, () => {
    let svc: TestService;
    let victim: {
      key: string;
      tenantId: string;
      directoryId: string;
      userId: string;
      invitedId: string;
      keyId: string;
      keyPrefix: string;
      mailFile: string;
      accessKeyId: string;
      groupId: string;
      importId: string;
      webhookId: string;
      deliveryId: string;
    };
    let intruderKey: string;

    before(async () => {
      svc = await startTestService(kind, { OUTBOX_POLL_MS: '20' });
      const a = await svc.newTenant();
      const directory = await svc.call('POST', '/v1/directories', { key: a.adminKey, body: { name: 'alpha' } });
      const user = await svc.call('POST', '/v1/directories/alpha/users', {
        key: a.adminKey,
        body: { username: 'victim', password: 'victim password' },
      });
      const extraKey = await svc.call('POST', '/v1/api-keys', { key: a.adminKey, body: { name: 'victim-key', scopes: ['users:read'] } });
      await svc.call('PUT', '/v1/settings/redirect-allowlist', { key: a.adminKey, body: { allowed: ['https://victim.example/'] } });
      const invited = await svc.call('POST', '/v1/directories/alpha/users', {
        key: a.adminKey,
        body: { username: 'invitee', email: 'invitee@victim.example', invite: { redirectUrl: 'https://victim.example/welcome' } },
      });
      // The victim's invitation mail must exist before its file name is tried by
      // the intruder: a missing file would make the 404 below prove nothing.
      const mailFile = await waitFor('the victim\'s invitation mail file', async () =>
        (await svc.call('GET', '/v1/mail', { key: a.adminKey })).body.messages[0]?.file as string | undefined,
      );
      const own = await svc.call('GET', `/v1/mail/${mailFile}`, { key: a.adminKey });
      assert.equal(own.status, 200, 'the victim reads its own mail file');
      assert.match(own.text, /invitee@victim\.example/);
      const imported = await svc.request({
        method: 'POST',
        url: '/v1/directories/alpha/imports',
        headers: { authorization: `Bearer ${a.adminKey}`, 'content-type': 'text/csv' },
        payload: 'username\nimported-victim\n',
      });
      assert.equal(imported.status, 202, imported.text);
      // An IP literal needs no DNS; deliveries to it simply fail in the background.
      const webhook = await svc.call('POST', '/v1/webhooks', { key: a.adminKey, body: { url: 'https://1.1.1.1/victim-hook', eventTypes: ['user.*'] } });
      assert.equal(webhook.status, 201, webhook.text);
      assert.equal((await svc.call('POST', `/v1/webhooks/${webhook.body.id}/test`, { key: a.adminKey })).status < 300, true);
      const deliveryId = await waitFor('the victim\'s test delivery', async () =>
        (await svc.call('GET', `/v1/webhooks/${webhook.body.id}/deliveries`, { key: a.adminKey })).body.deliveries[0]?.id as string | undefined,
      );
      victim = {
        importId: imported.body.id,
        webhookId: webhook.body.id,
        deliveryId,
        key: a.adminKey,
        tenantId: a.tenantId,
        directoryId: directory.body.id,
        userId: user.body.id,
        invitedId: invited.body.id,
        keyId: extraKey.body.id,
        keyPrefix: extraKey.body.prefix,
        mailFile,
        accessKeyId: (await svc.call('POST', '/v1/access-keys', { key: a.adminKey, body: { name: 'victim-ak', scopes: ['users:read'] } })).body.accessKeyId,
        groupId: (await svc.call('POST', '/v1/directories/alpha/groups', { key: a.adminKey, body: { name: 'victims' } })).body.id,
      };
      intruderKey = (await svc.newTenant()).adminKey;
      // Every reference the intruder will try is real: a missing one would turn a
      // route's 404 into a test of nothing.
      for (const [name, value] of Object.entries(victim)) assert.ok(typeof value === 'string' && value.length > 0, `victim.${name} exists`);
    });
    after(() => svc.close());

    it('covers every /v1 route of the OpenAPI document', async () => {
      const spec = (await svc.call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
      const documented = Object.entries(spec.paths)
        .filter(([path]) => path.startsWith('/v1/'))
        .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
      assert.deepEqual(documented.sort(), Object.keys(ROUTES).sort());
    });

    const promise = { not_found: '404 for the other tenant\'s ids and names', own_data_only: 'only the caller\'s own data', operator_only: '403: operator key only' };
    for (const [route, { body, expect }] of Object.entries(ROUTES)) {
      it(`${route}: ${promise[expect]}`, async () => {
        const [method, template] = route.split(' ') as [string, string];
        const refs = template.includes('{directory}') ? [victim.directoryId, 'alpha'] : [undefined];
        for (const directoryRef of refs) {
          const url = template
            .replace('{directory}', directoryRef ?? '')
            .replace('{userId}', victim.userId)
            .replace('{keyId}', victim.keyPrefix)
            .replace('{file}', victim.mailFile)
            .replace('{accessKeyId}', victim.accessKeyId)
            .replace('{groupId}', victim.groupId)
            .replace('{tenant}', victim.tenantId)
            .replace('{id}', victim.importId)
            .replace('{webhookId}', victim.webhookId)
            .replace('{deliveryId}', victim.deliveryId);
          const response = await svc.call(method, url, { key: intruderKey, ...(body && { body }) });
          if (expect === 'not_found') {
            assert.equal(response.status, 404, `${method} ${url}: ${response.text}`);
          } else if (expect === 'operator_only') {
            assert.equal(response.status, 403, `${method} ${url}: ${response.text}`);
            assert.equal(response.body.error.code, 'auth.insufficient_scope');
          } else {
            assert.ok(response.status < 300, `${method} ${url}: ${response.text}`);
          }
          // Nothing of the victim's may come back, beyond what the caller itself sent.
          const sent = url + JSON.stringify(body ?? {});
          for (const ofVictim of [victim.tenantId, victim.directoryId, victim.userId, victim.invitedId, victim.keyId, victim.keyPrefix, victim.mailFile, victim.accessKeyId, victim.groupId, victim.importId, victim.webhookId, victim.deliveryId, 'victim.example']) {
            if (!sent.includes(ofVictim)) assert.ok(!response.text.includes(ofVictim), `${method} ${url} leaked ${ofVictim}`);
          }
        }
      });
    }

    it('left the victim\'s data untouched', async () => {
      const user = await svc.call('GET', `/v1/directories/alpha/users/${victim.userId}`, { key: victim.key });
      assert.equal(user.status, 200);
      assert.equal(user.body.version, 1);
      assert.equal(user.body.displayName, null);
      const users = await svc.call('GET', '/v1/directories/alpha/users', { key: victim.key });
      assert.deepEqual(users.body.users.map((u: { username: string }) => u.username), ['victim', 'invitee', 'imported-victim']);
      const job = await svc.call('GET', `/v1/imports/${victim.importId}`, { key: victim.key });
      assert.deepEqual([job.body.status, job.body.undo], ['completed', null], 'the import was neither cancelled, undone nor deleted');
      const webhook = await svc.call('GET', `/v1/webhooks/${victim.webhookId}`, { key: victim.key });
      assert.deepEqual([webhook.status, webhook.body.description], [200, ''], 'the webhook is there, unchanged');
      const invitation = await svc.call('GET', `/v1/directories/alpha/users/${victim.invitedId}/invitation`, { key: victim.key });
      assert.equal(invitation.body.status, 'pending');
      const allowlist = await svc.call('GET', '/v1/settings/redirect-allowlist', { key: victim.key });
      assert.deepEqual(allowlist.body.allowed, ['https://victim.example/']);
      const keys = await svc.call('GET', '/v1/api-keys', { key: victim.key });
      assert.deepEqual(keys.body.keys.map((k: { name: string; revokedAt: unknown }) => [k.name, k.revokedAt]), [
        ['admin', null],
        ['victim-key', null],
      ]);
      const directories = await svc.call('GET', '/v1/directories', { key: victim.key });
      assert.deepEqual(directories.body.directories.map((d: { name: string }) => d.name), ['alpha', 'default']);
    });
  });
}
