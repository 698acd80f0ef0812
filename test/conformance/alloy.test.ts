/**
 * Conformance with Alloy Embedded's users API (seed 003 and the user resource),
 * on both stores and over both transports (inject and a real socket). Every
 * batch answer is checked against the seed's response schema for its status.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { assertSeedResponse } from '../helpers/seedSchemas.ts';
import { startTestService, TRANSPORTS, type TestService } from '../helpers/service.ts';

for (const kind of STORE_KINDS) for (const transport of TRANSPORTS) {
  describe(`alloy dialect: ${kind}, ${transport}`, () => {
    let svc: TestService;
    let key: string;
    const alloy = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await svc.call(method, url, { headers: { authorization: `bearer ${key}`, 'x-api-version': '2025-09', ...headers }, ...(body !== undefined && { body }) });
      if (method === 'POST' && url === '/users/batch') assertSeedResponse('003', response);
      return response;
    };
    const usernames = async () => (await alloy('GET', '/users')).body.data.map((u: { username: string }) => u.username).sort();

    before(async () => {
      svc = await startTestService(kind, {}, { transport });
      ({ adminKey: key } = await svc.newTenant());
    });
    after(() => svc.close());

    describe('seed 003: create a new batch of users', () => {
      it('creates exactly the valid users and lists the rest, as submitted, in invalidUsers', async () => {
        await alloy('POST', '/users', { username: 'alreadyexists123' });
        const submitted = [
          { username: 'demo@runalloy.com', fullName: 'Gregg Mojica' },
          { fullName: 'Missing Username' },
          { username: 'alreadyexists123' },
          { username: 'second@runalloy.com' },
          { username: 'demo@runalloy.com', fullName: 'Again' },
        ];
        const response = await alloy('POST', '/users/batch', { users: submitted });
        assert.equal(response.status, 200);
        assert.deepEqual(response.body, { message: 'success', invalidUsers: [submitted[1], submitted[2], submitted[4]] });
        assert.deepEqual(await usernames(), ['alreadyexists123', 'demo@runalloy.com', 'second@runalloy.com']);
      });

      it('answers 400 "No valid users provided" when no user has a username', async () => {
        const response = await alloy('POST', '/users/batch', { users: [{ fullName: 'A' }, { fullName: 'B' }] });
        assert.equal(response.status, 400);
        assert.deepEqual(response.body, { message: 'No valid users provided' });
      });

      it('answers 400 "All users already exist" when every user exists', async () => {
        const response = await alloy('POST', '/users/batch', { users: [{ username: 'alreadyexists123' }, { username: 'demo@runalloy.com' }] });
        assert.equal(response.status, 400);
        assert.deepEqual(response.body, { message: 'All users already exist' });
      });

      it('refuses 1001 users and creates none', async () => {
        const before = (await usernames()).length;
        const response = await alloy('POST', '/users/batch', { users: Array.from({ length: 1001 }, (_, i) => ({ username: `bulk${i}` })) });
        assert.equal(response.status, 400);
        assert.match(response.body.message, /1000/);
        assert.equal((await usernames()).length, before);
        const thousand = await alloy('POST', '/users/batch', { users: Array.from({ length: 1000 }, (_, i) => ({ username: `bulk${i}` })) });
        assert.equal(thousand.status, 200);
        assert.equal((await usernames()).length, before + 1000);
      });

      it('answers 401 with {} without a valid key, and accepts the bearer scheme in any case', async () => {
        for (const headers of [{ authorization: '' }, { authorization: 'bearer mst_nope' }, { authorization: `Basic ${key}` }]) {
          const response = await svc.call('POST', '/users/batch', { headers: { 'x-api-version': '2025-09', ...headers }, body: { users: [{ username: 'x' }] } });
          assert.equal(response.status, 401);
          assert.deepEqual(response.body, {});
          assertSeedResponse('003', response);
        }
        const upper = await svc.call('GET', '/users', { headers: { authorization: `BEARER ${key}`, 'x-api-version': '2025-09' } });
        assert.equal(upper.status, 200);
      });

      it('refuses a missing or unsupported x-api-version clearly', async () => {
        const missing = await svc.call('GET', '/users', { headers: { authorization: `bearer ${key}` } });
        assert.equal(missing.status, 400);
        assert.match(missing.body.message, /x-api-version.*2025-09/);
        const old = await alloy('GET', '/users', undefined, { 'x-api-version': '2024-03' });
        assert.equal(old.status, 400);
        assert.match(old.body.message, /2024-03 is not supported/);
      });
    });

    describe('the user resource', () => {
      it('creates (returning userId), gets by id or username, updates, deletes', async () => {
        const created = await alloy('POST', '/users/', { username: 'crud@example.com', fullName: 'Crud User' });
        assert.equal(created.status, 200);
        assert.deepEqual(Object.keys(created.body), ['userId']);
        const { userId } = created.body;
        assert.deepEqual((await alloy('GET', `/users/${userId}`)).body, { userId, username: 'crud@example.com', fullName: 'Crud User' });
        assert.equal((await alloy('GET', '/users/crud@example.com')).body.userId, userId);
        const updated = await alloy('PUT', `/users/${userId}`, { fullName: 'Renamed' });
        assert.deepEqual(updated.body, { userId, username: 'crud@example.com', fullName: 'Renamed' });
        assert.deepEqual((await alloy('DELETE', `/users/${userId}`)).body, { success: true });
        const gone = await alloy('GET', `/users/${userId}`);
        assert.equal(gone.status, 404);
        assert.equal(typeof gone.body.message, 'string');
      });

      it('refuses a duplicate username with a 409 message', async () => {
        const response = await alloy('POST', '/users', { username: 'second@runalloy.com' });
        assert.equal(response.status, 409);
        assert.equal(typeof response.body.message, 'string');
      });

      it('keeps tenants apart', async () => {
        const other = await svc.newTenant();
        const list = await svc.call('GET', '/users', { headers: { authorization: `bearer ${other.adminKey}`, 'x-api-version': '2025-09' } });
        assert.deepEqual(list.body, { data: [] });
      });
    });
  });
}
