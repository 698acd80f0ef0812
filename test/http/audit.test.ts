/**
 * The audit trail over HTTP: `GET /v1/audit-events` shows who did what for
 * writes through every dialect (native, Gcore, Huawei, Alloy, Royalti), is
 * for admins only, pages by cursor, filters, and shows only the caller's
 * tenant. Both stores.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

interface WireEvent {
  id: string;
  type: string;
  actor: { kind: string; id: string | null; label: string | null; dialect: string; requestId: string | null };
  subject: { type: string; id: string };
  data: Record<string, unknown>;
}

for (const kind of STORE_KINDS) {
  describe(`audit trail: ${kind}`, () => {
    let svc: TestService;
    let key: string;
    let keyPrefix: string;
    const events = async (query = ''): Promise<WireEvent[]> => {
      const response = await svc.call('GET', `/v1/audit-events${query}`, { key });
      assert.equal(response.status, 200, response.text);
      return response.body.events as WireEvent[];
    };

    before(async () => {
      svc = await startTestService(kind);
      key = (await svc.newTenant()).adminKey;
      keyPrefix = (await svc.call('GET', '/v1/api-keys', { key })).body.keys[0].prefix;
    });
    after(() => svc.close());

    it('records native writes with the key, the dialect and the request id', async () => {
      await svc.call('POST', '/v1/directories', { key, body: { name: 'staff' } });
      const created = await svc.call('POST', '/v1/directories/staff/users', { key, body: { username: 'ada', password: 'analytical engine' }, headers: { 'x-request-id': 'req-ada-1' } });
      await svc.call('PATCH', `/v1/directories/staff/users/${created.body.id}`, { key, body: { displayName: 'Ada' } });
      const [updated, made] = await events(`?user=${created.body.id}`);
      assert.equal(made!.type, 'user.created');
      assert.deepEqual({ kind: made!.actor.kind, label: made!.actor.label, dialect: made!.actor.dialect, requestId: made!.actor.requestId }, { kind: 'api_key', label: keyPrefix, dialect: 'native', requestId: 'req-ada-1' });
      assert.equal(made!.data.username, 'ada');
      assert.ok(!JSON.stringify(made).includes('analytical engine'));
      assert.deepEqual([updated!.type, updated!.data], ['user.updated', { displayName: 'Ada' }]);
    });

    it('records Gcore writes, and a registry delete as user.deleted per user', async () => {
      const gcore = (method: string, url: string, body?: object) => svc.call(method, url, { headers: { authorization: `APIKey ${key}` }, ...(body && { body }) });
      const registry = (await gcore('POST', '/cloud/v1/registries/1/7', { name: 'reg' })).body.id as number;
      const batch = await gcore('POST', `/cloud/v1/registries/1/7/${registry}/users/batch`, { users: [{ name: 'bot1', duration: 30 }, { name: 'bot2', duration: 30 }] });
      assert.equal(batch.status, 201, batch.text);
      await gcore('DELETE', `/cloud/v1/registries/1/7/${registry}`);
      const gcoreEvents = (await events('?type=user.*')).filter((e) => e.actor.dialect === 'gcore');
      assert.deepEqual(gcoreEvents.map((e) => [e.type, e.data.username]).sort(), [
        ['user.created', 'bot1'],
        ['user.created', 'bot2'],
        ['user.deleted', 'bot1'],
        ['user.deleted', 'bot2'],
      ]);
    });

    it('records Huawei, Alloy and Royalti writes under their dialects', async () => {
      const huawei = await svc.call('POST', '/v2/staff/users', { headers: { 'x-auth-token': key }, body: { user_name: 'hwuser', user_email: 'hw@example.com' } });
      assert.equal(huawei.status, 201, huawei.text);
      const alloy = await svc.call('POST', '/users', { headers: { authorization: `bearer ${key}`, 'x-api-version': '2025-09' }, body: { username: 'alloyuser' } });
      assert.equal(alloy.status, 200, alloy.text);
      const token = (await svc.call('POST', '/v1/tokens', { key, body: {} })).body.token as string;
      const royalti = await svc.call('POST', '/user/bulk', {
        headers: { authorization: `Bearer ${token}` },
        body: { users: [{ email: 'roy@example.com', firstName: 'Roy', lastName: 'Alty' }], sendEmail: false },
      });
      assert.equal(royalti.status, 201, royalti.text);
      const created = (await events('?type=user.created&limit=20')).filter((e) => ['huawei', 'alloy', 'royalti'].includes(e.actor.dialect));
      const byDialect = Object.fromEntries(created.map((e) => [e.actor.dialect, e]));
      assert.equal(byDialect.huawei?.data.username, 'hwuser');
      assert.equal(byDialect.huawei?.actor.label, keyPrefix);
      assert.equal(byDialect.alloy?.data.username, 'alloyuser');
      assert.equal(byDialect.royalti?.actor.kind, 'jwt');
      // The token's subject is the key it was issued for.
      assert.equal(byDialect.royalti?.actor.id, (await svc.call('GET', '/v1/api-keys', { key })).body.keys[0].id);
      // Royalti and Alloy accounts map to directories made on first use: that is audited too.
      const directories = await events('?type=directory.created');
      assert.ok(directories.some((e) => e.actor.dialect === 'alloy') && directories.some((e) => e.actor.dialect === 'royalti'));
    });

    it('pages newest first by cursor, and refuses a cursor it did not make', async () => {
      const first = await svc.call('GET', '/v1/audit-events?limit=3', { key });
      const second = await svc.call('GET', `/v1/audit-events?limit=3&cursor=${first.body.nextCursor}`, { key });
      const ids = [...first.body.events, ...second.body.events].map((e: WireEvent) => e.id);
      assert.equal(ids.length, 6);
      assert.deepEqual(ids, [...ids].sort().reverse());
      const bad = await svc.call('GET', '/v1/audit-events?cursor=nonsense', { key });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'request.invalid_cursor');
    });

    it('is for admins, and shows another tenant nothing', async () => {
      const reader = (await svc.call('POST', '/v1/api-keys', { key, body: { name: 'reader', scopes: ['users:read'] } })).body.key as string;
      assert.equal((await svc.call('GET', '/v1/audit-events', { key: reader })).status, 403);
      const mine = await events('?limit=1');
      const other = (await svc.newTenant()).adminKey;
      const theirs = await svc.call('GET', `/v1/audit-events?user=${mine[0]!.subject.id}`, { key: other });
      assert.equal(theirs.status, 200);
      assert.deepEqual(theirs.body.events, []);
    });
  });
}
