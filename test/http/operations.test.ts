/** Operations, on both stores: health, readiness, the OpenAPI document and docs page, what logs may contain, and answers once the store is gone. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ERROR_CODES } from '../../src/domain/errors.ts';
import { openSeverableStore, STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

for (const kind of STORE_KINDS) {
  describe(`operations: ${kind}`, () => {
    let svc: TestService;
    let key: string;

    before(async () => {
      svc = await startTestService(kind, { LOG_LEVEL: 'trace' });
      ({ adminKey: key } = await svc.newTenant());
    });
    after(() => svc.close());

    it('answers /healthz and /readyz without a key', async () => {
      assert.deepEqual((await svc.call('GET', '/healthz')).body, { status: 'ok' });
      assert.deepEqual((await svc.call('GET', '/readyz')).body, { status: 'ready' });
    });

    it('generates an OpenAPI 3.1 document with every route described and every error code documented', async () => {
      const response = await svc.call('GET', '/openapi.json');
      assert.equal(response.status, 200);
      const spec = response.body;
      assert.equal(spec.openapi, '3.1.0');
      const operations = Object.entries(spec.paths as Record<string, Record<string, { summary?: string; responses?: object }>>).flatMap(
        ([path, methods]) => Object.entries(methods).map(([method, op]) => ({ route: `${method} ${path}`, op })),
      );
      assert.ok(operations.length >= 15);
      for (const { route, op } of operations) {
        assert.ok(op.summary, `${route} has a summary`);
        assert.ok(op.responses && Object.keys(op.responses).length > 0, `${route} documents its responses`);
      }
      for (const path of [
        '/cloud/v1/registries/{project_id}/{region_id}/{registry_id}/users/batch',
        '/cloud/v1/registries/{project_id}/{region_id}/{registry_id}/users',
        '/v2/{project_id}/users/batch-create',
        '/v2/{project_id}/users',
        '/users/batch',
        '/users/{userId}',
        '/user/bulk',
        '/v1/tokens',
        '/.well-known/jwks.json',
      ]) {
        assert.ok(spec.paths[path], `the OpenAPI document covers ${path}`);
      }
      const createUser = spec.paths['/v1/directories/{directory}/users'].post;
      assert.ok(createUser.requestBody.content['application/json'].schema.properties.username);
      assert.equal(createUser.requestBody.content['application/json'].schema.additionalProperties, false);
      for (const code of Object.keys(ERROR_CODES)) assert.ok(spec.info.description.includes(`\`${code}\``), `${code} is documented`);
      assert.deepEqual(spec.info['x-muster-limits'], { bodyLimitBytes: 4 * 1024 * 1024, batchMaxItems: 1000 });
      assert.match(spec.info.description, /batches up to 1000 users/);
    });

    it('serves the docs page', async () => {
      const response = await svc.call('GET', '/docs/');
      assert.equal(response.status, 200);
      assert.match(String(response.headers['content-type']), /text\/html/);
    });

    it('never writes keys, passwords or secrets to the log, even at trace level', async () => {
      const password = 'Tr0ub4dor&3-unique-password';
      const newPassword = 'correct-horse-unique-password';
      const issued = await svc.call('POST', '/v1/api-keys', { key, body: { name: 'logged?', scopes: ['users:write', 'users:read'] } });
      const writer = issued.body.key as string;
      const user = await svc.call('POST', '/v1/directories/default/users', { key: writer, body: { username: 'logcheck', password } });
      const robot = await svc.call('POST', '/v1/directories/default/users', { key: writer, body: { username: 'logrobot', generateSecret: true } });
      const secret = robot.body.secret as string;
      await svc.call('POST', '/v1/directories/default/authenticate', { key: writer, body: { username: 'logcheck', password } });
      await svc.call('POST', '/v1/directories/default/authenticate', { key: writer, body: { username: 'logcheck', password: `${password}x` } });
      await svc.call('POST', '/v1/directories/default/authenticate', { key: writer, body: { username: 'logrobot', secret } });
      await svc.call('PATCH', `/v1/directories/default/users/${user.body.id}`, { key: writer, body: { password: newPassword } });
      await svc.call('POST', '/v1/directories/default/users', { key: writer, rawBody: `{"username":"x","password":"${password}"` });
      await svc.call('POST', '/v1/directories/default/users', { key: writer, body: { username: 'y', password, unknown: secret } });
      await svc.call('GET', `/v1/directories/default/users?username=${encodeURIComponent(password)}`, { key: writer });
      await svc.call('GET', '/v1/directories/default/users', { key: `mst_${password}` });

      const log = svc.logs.join('\n');
      assert.ok(svc.logs.length > 20, 'requests were logged');
      for (const value of [key, writer, password, newPassword, secret, `${password}x`]) {
        assert.ok(!log.includes(value), `the log contains a secret value (${value.slice(0, 4)}…)`);
      }
      for (const line of svc.logs) JSON.parse(line); // structured: one JSON object a line
      assert.ok(svc.logs.some((line) => JSON.parse(line).requestId), 'request lines carry a request id');
    });

    // "Gone": the PGlite instance closed; the PostgreSQL server unreachable (its
    // connections reset, new ones refused). Either is a retryable 503
    // service.unavailable (src/http/errors.ts, engine/failures.ts).
    const requestAnswer = { status: 503, code: 'service.unavailable' };
    it(`answers 503 from /readyz once the store is gone, and a clean ${requestAnswer.status} (logged with the request id) for requests`, async () => {
      const store = await openSeverableStore(kind);
      const doomed = await startTestService(kind, {}, { db: store.db });
      try {
        const { adminKey } = await doomed.newTenant();
        assert.equal((await doomed.call('GET', '/v1/directories', { key: adminKey })).status, 200, 'the store answered before');
        assert.equal((await doomed.call('GET', '/readyz')).status, 200);
        await store.sever();
        const ready = await doomed.call('GET', '/readyz');
        assert.equal(ready.status, 503);
        assert.equal(ready.body.error.code, 'service.unavailable');
        const failed = await doomed.call('GET', '/v1/directories', { key: adminKey, headers: { 'x-request-id': 'req-after-close' } });
        assert.equal(failed.status, requestAnswer.status);
        assert.equal(failed.body.error.code, requestAnswer.code);
        for (const internal of ['PGlite', 'ECONNREFUSED', 'ECONNRESET', 'Connection terminated', '127.0.0.1']) {
          assert.ok(!failed.text.includes(internal), `no internals in the response (${internal})`);
        }
        const logged = doomed.logs.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'unexpected error');
        assert.equal(logged?.requestId, 'req-after-close');
      } finally {
        await doomed.close();
      }
    });
  });
}
