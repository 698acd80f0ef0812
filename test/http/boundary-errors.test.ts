/**
 * Issue 9, "Bad input must never be a 500": each class of input that used to
 * answer 500 (or in Fastify's own shape) is a 4xx in the dialect's shape, on
 * both stores. The fuzz test (test/fuzz/) searches for new ones; these pin the
 * known ones down.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type CallResult, type TestService } from '../helpers/service.ts';

const PROJECT = '0123456789abcdef0123456789abcdef';

/** One status line, headers and body over a real socket (Node's parser, not inject). */
function rawRequest(port: number, head: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [headers = '', body = ''] = data.split('\r\n\r\n', 2);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1]), headers, body });
    });
  });
}

for (const kind of STORE_KINDS) {
  describe(`bad input is a 4xx in the dialect's shape: ${kind}`, () => {
    let svc: TestService;
    let key: string;
    let port: number;

    const native = (method: string, url: string, body?: unknown) => svc.call(method, url, { key, ...(body !== undefined && { body }) });
    const gcore = (method: string, url: string) => svc.call(method, url, { headers: { authorization: `APIKey ${key}` } });
    const huawei = (method: string, url: string, body?: unknown) => svc.call(method, url, { headers: { 'x-auth-token': key }, ...(body !== undefined && { body }) });
    const alloy = (method: string, url: string) => svc.call(method, url, { headers: { authorization: `bearer ${key}`, 'x-api-version': '2025-09' } });

    function assertNative(response: CallResult, status: number, code: string, field?: string): void {
      assert.equal(response.status, status, response.text);
      assert.deepEqual(Object.keys(response.body), ['error']);
      assert.equal(response.body.error.code, code);
      if (field !== undefined) assert.equal(response.body.error.details.field, field, response.text);
    }

    before(async () => {
      svc = await startTestService(kind);
      ({ adminKey: key } = await svc.newTenant());
      assert.equal((await native('POST', '/v1/directories', { name: PROJECT })).status, 201);
      await svc.app.listen({ port: 0, host: '127.0.0.1' });
      port = (svc.app.server.address() as { port: number }).port;
    });
    after(() => svc.close());

    describe('text PostgreSQL cannot store', () => {
      it('NUL in a path parameter, a query filter, a group name: 400 naming the field', async () => {
        assertNative(await native('GET', '/v1/directories/a%00b'), 400, 'request.invalid', 'path.directory');
        assertNative(await native('GET', '/v1/directories/default/users?username=a%00b'), 400, 'request.invalid', 'query.username');
        assertNative(await native('POST', '/v1/directories/default/groups', { name: 'team\u0000' }), 400, 'request.invalid', 'name');
      });

      it('NUL or a lone surrogate in attributes values and keys: 400 naming the field', async () => {
        const create = (attributes: unknown) => native('POST', '/v1/directories/default/users', { username: `u${Math.random().toString(36).slice(2)}`, attributes });
        assertNative(await create({ note: 'a\u0000b' }), 400, 'request.invalid', 'attributes.note');
        assertNative(await create({ note: 'x\uD800y' }), 400, 'request.invalid', 'attributes.note');
        assertNative(await create({ list: ['ok', '\uDFFF'] }), 400, 'request.invalid', 'attributes.list[1]');
        const badKey = await create({ ['k\uDC00']: 1 });
        assertNative(badKey, 400, 'request.invalid');
        assert.match(badKey.body.error.message, /key/);
        assert.equal((await create({ pair: '😀 ok' })).status, 201, 'a surrogate pair is fine');
        const batch = await native('POST', '/v1/directories/default/users/batch', { users: [{ username: 'fine' }, { username: 'nul', attributes: { tags: ['a', { note: 'a\u0000b' }] } }] });
        assertNative(batch, 400, 'request.invalid', 'users[1].attributes.tags[1].note');
      });

      it('in the dialects too: Huawei and Alloy answer in their own shapes', async () => {
        const hw = await huawei('GET', `/v2/${PROJECT}/users?user_name=a%00b`);
        assert.equal(hw.status, 400, hw.text);
        assert.equal(hw.body.error_code, 'WKS.00170101');
        const al = await alloy('GET', '/users/a%00b');
        assert.equal(al.status, 400, al.text);
        assert.deepEqual(Object.keys(al.body), ['message']);
      });
    });

    it('JSON nested deep enough to overflow a stack: 400, not a 500', async () => {
      const deep = `${'{"k":'.repeat(20000)}1${'}'.repeat(20000)}`;
      const response = await svc.call('POST', '/v1/directories/default/users', { key, rawBody: `{"username":"deep","attributes":${deep}}` });
      assertNative(response, 400, 'request.invalid');
      assert.match(response.body.error.message, /deeper than 32/);
      assert.equal((await native('POST', '/v1/directories/default/users', { username: 'shallow', attributes: { a: { b: { c: [1, [2, [3]]] } } } })).status, 201);
    });

    it('integers beyond the database\'s range in path and query: 400 in the Gcore shape', async () => {
      for (const url of ['/cloud/v1/registries/1e999/1', '/cloud/v1/registries/99999999999999999999/1', '/cloud/v1/registries/1/1?offset=99999999999999999999', '/cloud/v1/registries/1/1?limit=1e999']) {
        const response = await gcore('GET', url);
        assert.equal(response.status, 400, `${url}: ${response.text}`);
        assert.equal(response.body.exception_class, 'ValidationError');
      }
      const hw = await huawei('GET', `/v2/${PROJECT}/users?offset=99999999999999999999`);
      assert.equal(hw.status, 400, hw.text);
    });

    it('dates the database cannot hold: 400', async () => {
      assertNative(await native('POST', '/v1/directories/default/users', { username: 'y0', expiresAt: '0000-01-01T00:00:00Z' }), 400, 'request.invalid', 'expiresAt');
      assertNative(await native('POST', '/v1/directories/default/users', { username: 'y0', expiresAt: '0001-01-01T00:00:00+01:00' }), 400, 'request.invalid', 'expiresAt');
      assert.equal((await native('POST', '/v1/directories/default/users', { username: 'y1', expiresAt: '0001-01-01T00:00:00Z' })).status, 201);
      // Past 9999 in UTC (found by the fuzz test: the embedded driver sends a six-digit year PostgreSQL refuses).
      assertNative(await native('POST', '/v1/directories/default/users', { username: 'y10k', expiresAt: '9999-12-31T23:59:59-23:59' }), 400, 'request.invalid', 'expiresAt');
      assertNative(await native('GET', `/v1/audit-events?until=${encodeURIComponent('9999-12-31T23:59:59-23:59')}`), 400, 'request.invalid', 'query.until');
      assert.equal((await native('POST', '/v1/directories/default/users', { username: 'y9999', expiresAt: '9999-12-31T23:59:59Z' })).status, 201);
      const hw = await huawei('POST', `/v2/${PROJECT}/users`, { user_name: 'year0', account_expires: '0000-01-01T00:00:00Z', active_type: 'ADMIN_ACTIVATE', password: 'Passw0rd-long' });
      assert.equal(hw.status, 400, hw.text);
      assert.equal(hw.body.error_code, 'WKS.00170101');
    });

    describe('errors before routing, in the shape of the dialect the URL belongs to', () => {
      it('malformed percent-encoding: 400', async () => {
        assertNative(await native('GET', '/v1/directories/%zz'), 400, 'request.invalid');
        const gc = await gcore('GET', '/cloud/v1/registries/%E0%A4%A/1');
        assert.equal(gc.status, 400, gc.text);
        assert.equal(gc.body.exception_class, 'ValidationError');
        const hw = await huawei('GET', `/v2/%zz/users`);
        assert.deepEqual([hw.status, Object.keys(hw.body).sort()], [400, ['error_code', 'error_msg']], hw.text);
        const al = await alloy('GET', '/users/%zz');
        assert.deepEqual([al.status, Object.keys(al.body)], [400, ['message']], al.text);
        const ro = await svc.call('POST', '/user/%zz');
        assert.equal(ro.status, 400, ro.text);
        assert.equal(ro.body.success, false);
      });

      it('an over-long path parameter: 414 request.uri_too_long', async () => {
        const long = 'x'.repeat(3000);
        assertNative(await native('GET', `/v1/directories/${long}`), 414, 'request.uri_too_long');
        const gc = await gcore('GET', `/cloud/v1/registries/1/1/${long}`);
        assert.deepEqual([gc.status, gc.body.exception_class], [414, 'RequestURITooLong'], gc.text);
        const hw = await huawei('GET', `/v2/${long}/users`);
        assert.deepEqual([hw.status, hw.body.error_code], [414, 'WKS.00170101'], hw.text);
        // Royalti has no path parameters: a long path there is just no route.
        const alloyName = 'a'.repeat(256);
        assert.equal((await alloy('GET', `/users/${alloyName}`)).status, 404, 'a 256-character Alloy username is a parameter, not a 414');
      });

      it('oversized headers (Node\'s parser, before Fastify): 431 in the dialect of the request line', async () => {
        const big = `X-Big: ${'a'.repeat(20000)}\r\n`;
        const expectations: [string, (body: any) => void][] = [ // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON bodies
          ['/v1/directories', (b) => assert.equal(b.error.code, 'request.headers_too_large')],
          ['/cloud/v1/registries/1/1', (b) => assert.equal(b.exception_class, 'RequestHeaderFieldsTooLarge')],
          [`/v2/${PROJECT}/users`, (b) => assert.deepEqual(Object.keys(b).sort(), ['error_code', 'error_msg'])],
          ['/users', (b) => assert.deepEqual(Object.keys(b), ['message'])],
          ['/user/bulk', (b) => assert.equal(b.error.code, 'REQUEST_HEADER_FIELDS_TOO_LARGE')],
        ];
        for (const [url, check] of expectations) {
          const response = await rawRequest(port, `GET ${url} HTTP/1.1\r\nHost: x\r\n${big}\r\n`);
          assert.equal(response.status, 431, `${url}: ${response.headers}`);
          assert.match(response.headers, /content-type: application\/json/i);
          check(JSON.parse(response.body));
        }
      });
    });
  });
}
