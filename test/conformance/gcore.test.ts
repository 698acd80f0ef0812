/**
 * Conformance with Gcore's registry users API (seeds 000 and 001) and the wire
 * facts of its SDKs, on both stores and over both transports (inject and a real
 * socket). Every answer a seed specifies is checked against the seed's own
 * response schema, `required` honoured, as Gcore's generated SDKs check it.
 */
import { cliActor } from '../../src/domain/actor.ts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { assertSeedResponse } from '../helpers/seedSchemas.ts';
import { startTestService, TRANSPORTS, type CallResult, type TestService } from '../helpers/service.ts';

for (const kind of STORE_KINDS) for (const transport of TRANSPORTS) {
  describe(`gcore dialect: ${kind}, ${transport}`, () => {
    let svc: TestService;
    let key: string;
    let tenantId: string;
    const base = '/cloud/v1/registries/1/7';
    const gcore = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
      svc.call(method, url, { headers: { authorization: `APIKey ${key}`, ...headers }, ...(body !== undefined && { body }) });
    let registry: number;
    let n = 0;
    const newRegistry = async () => (await gcore('POST', base, { name: `reg-${++n}` })).body.id as number;
    const directoryOf = async (id: number) => (await svc.engine.registries.get(cliActor(tenantId), { projectId: 1, regionId: 7 }, id)).directoryId;
    const authenticate = async (registryId: number, username: string, secret: string) =>
      svc.call('POST', `/v1/directories/${await directoryOf(registryId)}/authenticate`, { key, body: { username, secret } });
    const assertGcoreError = (response: CallResult, status: number, exceptionClass: string) => {
      assert.equal(response.status, status, response.text);
      assert.equal(response.body.exception_class, exceptionClass);
      assert.equal(typeof response.body.message, 'string');
    };

    before(async () => {
      svc = await startTestService(kind, {}, { transport });
      ({ adminKey: key, tenantId } = await svc.newTenant());
      registry = await newRegistry();
    });
    after(() => svc.close());

    describe('registries', () => {
      it('creates, gets, lists with limit/offset, resizes and deletes, with integer ids', async () => {
        const created = await gcore('POST', base, { name: 'images', storage_limit: 20 });
        assert.equal(created.status, 201);
        assert.ok(Number.isInteger(created.body.id));
        assert.deepEqual(Object.keys(created.body).sort(), ['created_at', 'id', 'name', 'repo_count', 'storage_limit', 'storage_used', 'updated_at', 'url']);
        assert.equal(created.body.storage_limit, 20);
        assert.deepEqual((await gcore('GET', `${base}/${created.body.id}`)).body, created.body);
        const page = await gcore('GET', `${base}?limit=1&offset=1`);
        assert.equal(page.body.count, 2, 'the registry made in before() and this one');
        assert.equal(page.body.results.length, 1);
        assert.equal((await gcore('PATCH', `${base}/${created.body.id}/resize`, { storage_limit: 50 })).body.storage_limit, 50);
        assertGcoreError(await gcore('POST', base, { name: 'images' }), 409, 'ConflictError');
        assert.equal((await gcore('GET', '/cloud/v1/registries/2/7')).body.count, 0, 'projects are namespaces');
        // The SDK sends DELETE with a JSON content type and no body.
        const deleted = await gcore('DELETE', `${base}/${created.body.id}`, undefined, { 'content-type': 'application/json' });
        assert.equal(deleted.status, 204);
        assertGcoreError(await gcore('GET', `${base}/${created.body.id}`), 404, 'NotFoundError');
      });

      it('keeps tenants apart', async () => {
        const other = await svc.newTenant();
        const response = await svc.call('GET', `${base}/${registry}`, { headers: { authorization: `APIKey ${other.adminKey}` } });
        assertGcoreError(response, 404, 'NotFoundError');
      });
    });

    describe('seed 001: create registry user', () => {
      it('creates a user with a generated secret that is a real credential', async () => {
        const response = await gcore('POST', `${base}/${registry}/users`, { name: 'user1', duration: 14 });
        assert.equal(response.status, 201);
        assertSeedResponse('001', response);
        const user = response.body;
        assert.ok(Number.isInteger(user.id));
        assert.equal(user.name, 'user1');
        assert.equal(user.read_only, false);
        assert.equal(user.duration, 14);
        assert.equal(Date.parse(user.expires_at) - Date.parse(user.created_at), 14 * 86_400_000);
        assert.ok(user.secret.length >= 32);
        const login = await authenticate(registry, 'user1', user.secret);
        assert.equal(login.status, 200);
        assert.deepEqual(login.body.attributes.gcore, { duration: 14, read_only: false });
        assert.equal((await authenticate(registry, 'user1', `${user.secret}x`)).status, 401);
      });

      it('uses a given secret, and -1 never expires (expires_at is still a date-time)', async () => {
        const response = await gcore('POST', `${base}/${registry}/users`, { name: 'ci', duration: -1, read_only: true, secret: 'my-chosen-secret' });
        assert.equal(response.status, 201);
        assertSeedResponse('001', response);
        assert.equal(response.body.secret, 'my-chosen-secret');
        assert.equal(response.body.expires_at, '9999-12-31T23:59:59Z');
        assert.equal(response.body.read_only, true);
        const login = await authenticate(registry, 'ci', 'my-chosen-secret');
        assert.equal(login.status, 200);
        assert.equal(login.body.attributes.gcore.read_only, true);
      });

      it('answers 409 for an existing user, identically on a retry, changing nothing', async () => {
        const first = await gcore('POST', `${base}/${registry}/users`, { name: 'user1', duration: 1 });
        assertGcoreError(first, 409, 'ConflictError');
        assert.equal(first.headers['x-should-retry'], 'false');
        const retry = await gcore('POST', `${base}/${registry}/users`, { name: 'user1', duration: 1 });
        assert.equal(retry.text, first.text);
        const list = await gcore('GET', `${base}/${registry}/users`);
        assert.equal(list.body.results.find((u: { name: string }) => u.name === 'user1').duration, 14);
      });

      it('answers 404 when the registry does not exist', async () => {
        assertGcoreError(await gcore('POST', `${base}/999999/users`, { name: 'x', duration: 1 }), 404, 'NotFoundError');
      });

      it('enforces the rules: name ^[a-z0-9]{0,16}$ and not empty, duration -1..365, naming Gcore\'s fields', async () => {
        const cases: [unknown, string][] = [
          [{ name: 'UPPER', duration: 1 }, 'name'],
          [{ name: 'x'.repeat(17), duration: 1 }, 'name'],
          [{ name: 'a-b', duration: 1 }, 'name'],
          [{ name: '', duration: 1 }, 'name'],
          [{ name: 'ok', duration: 366 }, 'duration'],
          [{ name: 'ok', duration: -2 }, 'duration'],
          [{ name: 'ok' }, 'duration'],
          [{ name: 'ok', duration: 1, secret: 'short' }, 'secret'],
        ];
        for (const [body, field] of cases) {
          const response = await gcore('POST', `${base}/${registry}/users`, body);
          assertGcoreError(response, 400, 'ValidationError');
          assert.deepEqual(Object.keys(response.body.invalid_fields), [field], JSON.stringify(body));
          assert.ok(!/username|password/.test(response.text), `muster's field names leak: ${response.text}`);
        }
        assert.match((await gcore('POST', `${base}/${registry}/users`, { name: 'ok', duration: 1, secret: 'short' })).body.message, /^secret /);
        assert.equal((await gcore('GET', `${base}/${registry}/users`)).body.results.filter((u: { name: string }) => u.name === '' || u.name === 'ok').length, 0);
      });

      it('accepts the APIKey scheme in any letter case, and refuses others in Gcore\'s shape', async () => {
        for (const scheme of ['apikey', 'APIKEY', 'ApiKey']) {
          const response = await svc.call('GET', `${base}/${registry}/users`, { headers: { authorization: `${scheme} ${key}` } });
          assert.equal(response.status, 200, scheme);
        }
        assertGcoreError(await svc.call('GET', `${base}/${registry}/users`, { headers: { authorization: `Bearer ${key}` } }), 401, 'AuthenticationError');
        assertGcoreError(await svc.call('GET', `${base}/${registry}/users`), 401, 'AuthenticationError');
      });
    });

    describe('seed 000: batch create registry users', () => {
      it('answers ONE RegistryUserCreated as the SDKs type it, and hands over every created user\'s secret', async () => {
        const reg = await newRegistry();
        const response = await gcore('POST', `${base}/${reg}/users/batch`, {
          users: [{ name: 'user1', duration: -1, read_only: false }, { name: 'user2', duration: 30, secret: 'given-secret-2' }, { name: 'user3', duration: 1, read_only: true }],
        });
        assert.equal(response.status, 201);
        assertSeedResponse('000', response);
        const { count, results, ...top } = response.body;
        assert.deepEqual(top, results[0], 'the top level is the first created user, secret included');
        assert.equal(count, 3);
        assert.deepEqual(results.map((u: { name: string }) => u.name), ['user1', 'user2', 'user3']);
        assert.equal(results[1].secret, 'given-secret-2');
        for (const user of results) {
          assertSeedResponse('000', { status: 201, body: user });
          assert.equal((await authenticate(reg, user.name, user.secret)).status, 200);
        }
      });

      it('answers a batch of one with the fields single create answers, plus count and results', async () => {
        const reg = await newRegistry();
        const single = await gcore('POST', `${base}/${reg}/users`, { name: 'single', duration: 14 });
        const response = await gcore('POST', `${base}/${reg}/users/batch`, { users: [{ name: 'solo', duration: 14 }] });
        assertSeedResponse('000', response);
        const { count, results, ...top } = response.body;
        assert.deepEqual(Object.keys(top).sort(), Object.keys(single.body).sort());
        assert.equal(count, 1);
        assert.deepEqual(results, [top]);
      });

      it('writes nothing and answers 409 when one user already exists, identically on a retry', async () => {
        const reg = await newRegistry();
        await gcore('POST', `${reg && base}/${reg}/users`, { name: 'taken', duration: 1 });
        const body = { users: [{ name: 'fresh1', duration: 1 }, { name: 'taken', duration: 1 }, { name: 'fresh2', duration: 1 }] };
        const first = await gcore('POST', `${base}/${reg}/users/batch`, body);
        assertGcoreError(first, 409, 'ConflictError');
        assert.match(first.body.message, /taken/);
        const retry = await gcore('POST', `${base}/${reg}/users/batch`, body);
        assert.equal(retry.text, first.text);
        assert.deepEqual((await gcore('GET', `${base}/${reg}/users`)).body.results.map((u: { name: string }) => u.name), ['taken']);
      });

      it('answers 409 for a name repeated inside the batch, writing nothing', async () => {
        const reg = await newRegistry();
        const response = await gcore('POST', `${base}/${reg}/users/batch`, { users: [{ name: 'twin', duration: 1 }, { name: 'twin', duration: 2 }] });
        assertGcoreError(response, 409, 'ConflictError');
        assert.equal((await gcore('GET', `${base}/${reg}/users`)).body.count, 0);
      });

      it('answers 400 naming every invalid field, writing nothing', async () => {
        const reg = await newRegistry();
        const response = await gcore('POST', `${base}/${reg}/users/batch`, {
          users: [{ name: 'ok', duration: 1 }, { name: 'BAD', duration: 1 }, { name: 'ok2', duration: 999 }, { name: '', duration: 1 }, { name: 'ok3', duration: 1, secret: 'short' }],
        });
        assertGcoreError(response, 400, 'ValidationError');
        assert.deepEqual(Object.keys(response.body.invalid_fields).sort(), ['users[1].name', 'users[2].duration', 'users[3].name', 'users[4].secret']);
        assert.equal((await gcore('GET', `${base}/${reg}/users`)).body.count, 0);
        assertGcoreError(await gcore('POST', `${base}/999999/users/batch`, { users: [{ name: 'x', duration: 1 }] }), 404, 'NotFoundError');
      });
    });

    describe('registry users', () => {
      it('lists with {count, results} and limit/offset, never with secrets', async () => {
        const list = await gcore('GET', `${base}/${registry}/users?limit=1&offset=0`);
        assert.equal(list.status, 200);
        assert.equal(list.body.count, 2);
        assert.equal(list.body.results.length, 1);
        assert.ok(!list.text.includes('secret'));
      });

      it('updates duration and read_only; the secret stops working after expires_at', async () => {
        const created = (await gcore('POST', `${base}/${registry}/users`, { name: 'temp', duration: 10 })).body;
        const updated = await gcore('PATCH', `${base}/${registry}/users/${created.id}`, { duration: 2, read_only: true });
        assert.equal(updated.status, 200);
        assert.equal(updated.body.read_only, true);
        assert.equal(Date.parse(updated.body.expires_at) - Date.parse(created.created_at), 2 * 86_400_000);
        assert.equal((await authenticate(registry, 'temp', created.secret)).status, 200);
        await gcore('PATCH', `${base}/${registry}/users/${created.id}`, { duration: 0 });
        const expired = await authenticate(registry, 'temp', created.secret);
        assert.equal(expired.status, 401);
        assert.equal(expired.body.error.code, 'credentials.user_expired');
        assertGcoreError(await gcore('PATCH', `${base}/${registry}/users/999999`, { duration: 1 }), 404, 'NotFoundError');
      });

      it('refreshes a secret (POST, JSON content type, empty body): the new one works, the old one not', async () => {
        const created = (await gcore('POST', `${base}/${registry}/users`, { name: 'rotate', duration: 5 })).body;
        const refreshed = await gcore('POST', `${base}/${registry}/users/${created.id}/refresh_secret`, undefined, { 'content-type': 'application/json' });
        assert.equal(refreshed.status, 200);
        assert.equal(refreshed.body.id, created.id);
        assert.notEqual(refreshed.body.secret, created.secret);
        assert.equal((await authenticate(registry, 'rotate', refreshed.body.secret)).status, 200);
        assert.equal((await authenticate(registry, 'rotate', created.secret)).status, 401);
      });

      it('deletes a user (DELETE with a JSON content type and no body)', async () => {
        const created = (await gcore('POST', `${base}/${registry}/users`, { name: 'gone', duration: 5 })).body;
        const deleted = await gcore('DELETE', `${base}/${registry}/users/${created.id}`, undefined, { 'content-type': 'application/json' });
        assert.equal(deleted.status, 204);
        assertGcoreError(await gcore('DELETE', `${base}/${registry}/users/${created.id}`, undefined, { 'content-type': 'application/json' }), 404, 'NotFoundError');
      });

      it('answers malformed JSON and unknown routes in Gcore\'s shape, never a 500', async () => {
        assertGcoreError(await svc.call('POST', `${base}/${registry}/users`, { headers: { authorization: `APIKey ${key}` }, rawBody: '{"name":' }), 400, 'ValidationError');
        assertGcoreError(await gcore('GET', `${base}/${registry}/nothing`), 404, 'NotFoundError');
        assertGcoreError(await gcore('GET', `${base}/not-a-number`), 400, 'ValidationError');
      });
    });
  });
}
