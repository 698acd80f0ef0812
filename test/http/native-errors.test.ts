/** Native API: every kind of bad request gets its own clear 4xx in the native shape, never a 500. */
import { cliActor } from '../../src/domain/actor.ts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type CallResult, type TestService } from '../helpers/service.ts';

function assertError(response: CallResult, status: number, code: string): void {
  assert.equal(response.status, status, `${code}: ${response.text}`);
  assert.equal(response.body.error.code, code);
  assert.equal(typeof response.body.error.message, 'string');
  assert.deepEqual(Object.keys(response.body), ['error']);
}

for (const kind of STORE_KINDS) {
  describe(`native errors: ${kind}`, () => {
    let svc: TestService;
    let key: string;
    let tenantId: string;
    const usersUrl = '/v1/directories/default/users';

    before(async () => {
      svc = await startTestService(kind, { BODY_LIMIT_BYTES: '4096' });
      ({ adminKey: key, tenantId } = await svc.newTenant());
    });
    after(() => svc.close());

    describe('API keys', () => {
      it('401 auth.missing without credentials', async () => {
        assertError(await svc.call('GET', usersUrl), 401, 'auth.missing');
      });

      it('401 auth.malformed for another scheme or a bare token', async () => {
        for (const authorization of [`Basic ${key}`, key, 'Bearer', `Bearer ${key} extra`]) {
          assertError(await svc.call('GET', usersUrl, { headers: { authorization } }), 401, 'auth.malformed');
        }
      });

      it('accepts the bearer scheme in any letter case', async () => {
        assert.equal((await svc.call('GET', usersUrl, { headers: { authorization: `bEaReR ${key}` } })).status, 200);
      });

      it('401 auth.invalid_key for an unknown key', async () => {
        assertError(await svc.call('GET', usersUrl, { key: `mst_${'A'.repeat(43)}` }), 401, 'auth.invalid_key');
      });

      it('401 auth.key_revoked once revoked (through the API), and the key never shows again', async () => {
        const created = await svc.call('POST', '/v1/api-keys', { key, body: { name: 'short-lived', scopes: ['users:read'] } });
        assert.equal(created.status, 201);
        assert.match(created.body.key, /^mst_/);
        assert.equal(created.body.prefix, created.body.key.slice(0, 12));
        assert.equal((await svc.call('GET', usersUrl, { key: created.body.key })).status, 200);
        const listed = await svc.call('GET', '/v1/api-keys', { key });
        assert.ok(!listed.text.includes(created.body.key), 'listing never shows a key');
        const revoked = await svc.call('POST', `/v1/api-keys/${created.body.prefix}/revoke`, { key });
        assert.equal(revoked.status, 200);
        assert.ok(revoked.body.revokedAt);
        assertError(await svc.call('GET', usersUrl, { key: created.body.key }), 401, 'auth.key_revoked');
      });

      it('403 auth.insufficient_scope names the scope needed', async () => {
        const reader = (await svc.engine.tenants.createKey(cliActor(tenantId), { name: 'reader', scopes: ['users:read'] })).key;
        const writer = (await svc.engine.tenants.createKey(cliActor(tenantId), { name: 'writer', scopes: ['users:write'] })).key;
        assert.equal((await svc.call('GET', usersUrl, { key: reader })).status, 200);
        const denied = await svc.call('POST', usersUrl, { key: reader, body: { username: 'x' } });
        assertError(denied, 403, 'auth.insufficient_scope');
        assert.equal(denied.body.error.details.requiredScope, 'users:write');
        assert.equal((await svc.call('POST', usersUrl, { key: writer, body: { username: 'by-writer' } })).status, 201);
        assertError(await svc.call('GET', usersUrl, { key: writer }), 403, 'auth.insufficient_scope');
        assertError(await svc.call('POST', '/v1/directories', { key: writer, body: { name: 'nope' } }), 403, 'auth.insufficient_scope');
        assertError(await svc.call('GET', '/v1/api-keys', { key: reader }), 403, 'auth.insufficient_scope');
      });

      it('checks the key before reading the body', async () => {
        assertError(await svc.call('POST', usersUrl, { rawBody: '{not json' }), 401, 'auth.missing');
      });

      it('refuses a key with unknown scopes', async () => {
        assertError(await svc.call('POST', '/v1/api-keys', { key, body: { name: 'x', scopes: ['root'] } }), 400, 'request.invalid');
      });
    });

    describe('bodies', () => {
      it('400 request.malformed_json', async () => {
        for (const rawBody of ['{"username":', '[1,2', 'nope', '{"username":"a",}']) {
          assertError(await svc.call('POST', usersUrl, { key, rawBody }), 400, 'request.malformed_json');
        }
      });

      it('400 request.malformed_json for prototype-poisoning keys', async () => {
        assertError(await svc.call('POST', usersUrl, { key, rawBody: '{"username":"x","__proto__":{"admin":true}}' }), 400, 'request.malformed_json');
      });

      it('400 request.body_required for an empty JSON body', async () => {
        assertError(await svc.call('POST', usersUrl, { key, rawBody: '' }), 400, 'request.body_required');
      });

      it('400 request.invalid naming each wrong field, without coercing types', async () => {
        const response = await svc.call('POST', usersUrl, { key, body: { username: 5, email: true, status: 'sleepy', extra: 1 } });
        assertError(response, 400, 'request.invalid');
        const fields = response.body.error.details.problems.map((p: { field: string }) => p.field).sort();
        assert.deepEqual(fields, ['email', 'extra', 'status', 'username']);
        assertError(await svc.call('POST', usersUrl, { key, body: { username: '5', generateSecret: 'true' } }), 400, 'request.invalid');
        assertError(await svc.call('POST', usersUrl, { key, body: {} }), 400, 'request.invalid');
        assertError(await svc.call('POST', usersUrl, { key, body: [] }), 400, 'request.invalid');
        assertError(await svc.call('POST', usersUrl, { key, body: { username: 'x', expiresAt: 'tomorrow' } }), 400, 'request.invalid');
      });

      it('415 for a body that is not JSON', async () => {
        assertError(await svc.call('POST', usersUrl, { key, rawBody: 'username=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'request.unsupported_media_type');
      });

      it('413 request.too_large naming the limit', async () => {
        const response = await svc.call('POST', usersUrl, { key, body: { username: 'big', attributes: { blob: 'x'.repeat(5000) } } });
        assertError(response, 413, 'request.too_large');
        assert.equal(response.body.error.details.limitBytes, 4096);
      });
    });

    describe('resources and routes', () => {
      it('404 directory.not_found for an unknown directory name or id, on every directory route', async () => {
        for (const dir of ['nowhere', '01a208ae-33c0-7000-a5ba-f37ffafbae70']) {
          assertError(await svc.call('GET', `/v1/directories/${dir}`, { key }), 404, 'directory.not_found');
          assertError(await svc.call('GET', `/v1/directories/${dir}/users`, { key }), 404, 'directory.not_found');
          assertError(await svc.call('POST', `/v1/directories/${dir}/users`, { key, body: { username: 'x' } }), 404, 'directory.not_found');
          assertError(await svc.call('POST', `/v1/directories/${dir}/authenticate`, { key, body: { username: 'x', password: 'whatever1' } }), 404, 'directory.not_found');
          assertError(await svc.call('DELETE', `/v1/directories/${dir}`, { key }), 404, 'directory.not_found');
        }
      });

      it('404 route.not_found for unknown routes and methods', async () => {
        assertError(await svc.call('GET', '/v1/nothing-here', { key }), 404, 'route.not_found');
        assertError(await svc.call('PUT', '/v1/directories', { key }), 404, 'route.not_found');
      });

      it('404 api_key.not_found when revoking an unknown key', async () => {
        assertError(await svc.call('POST', '/v1/api-keys/mst_nothing/revoke', { key }), 404, 'api_key.not_found');
      });

      it('400 for a malformed If-Match', async () => {
        const user = await svc.call('POST', usersUrl, { key, body: { username: 'ifmatch' } });
        assertError(await svc.call('PATCH', `${usersUrl}/${user.body.id}`, { key, body: {}, headers: { 'if-match': 'yesterday' } }), 400, 'request.invalid');
      });
    });

    describe('request ids', () => {
      it('echoes a given X-Request-Id, and makes one otherwise', async () => {
        const given = await svc.call('GET', '/healthz', { headers: { 'x-request-id': 'trace-123' } });
        assert.equal(given.headers['x-request-id'], 'trace-123');
        const made = await svc.call('GET', '/healthz');
        assert.match(String(made.headers['x-request-id']), /^[0-9a-f-]{36}$/);
        const unsafe = await svc.call('GET', '/healthz', { headers: { 'x-request-id': 'bad id\twith tab' } });
        assert.notEqual(unsafe.headers['x-request-id'], 'bad id\twith tab');
      });
    });
  });
}
