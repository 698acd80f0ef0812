/**
 * Body-less requests with `Content-Type: application/json`, as the README's curl
 * lines and Gcore's SDKs send them, over a real socket (node:http, so the bytes
 * on the wire are exactly a header and no body): routes that take no body
 * accept them, in every dialect; routes that need one answer
 * `request.body_required` in the dialect's own error shape.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

interface WireAnswer {
  readonly status: number;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- arbitrary JSON
}

/** One request with `Content-Type: application/json`, `Content-Length: 0` and no body. */
function bodyless(base: string, method: string, path: string, headers: Record<string, string>): Promise<WireAnswer> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(new URL(path, base), { method, headers: { 'content-type': 'application/json', 'content-length': '0', ...headers } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: text ? JSON.parse(text) : undefined }));
    });
    sent.on('error', reject);
    sent.end();
  });
}

for (const kind of STORE_KINDS) {
  describe(`body-less JSON requests over a socket (${kind})`, () => {
    let svc: TestService;
    let key: string;
    let base: string;
    const auth = () => ({ authorization: `Bearer ${key}` });

    before(async () => {
      svc = await startTestService(kind);
      ({ adminKey: key } = await svc.newTenant());
      base = await svc.app.listen({ port: 0, host: '127.0.0.1' });
    });
    after(() => svc.close());

    it('native: DELETE of a user and POST .../revoke of a key succeed', async () => {
      assert.equal((await svc.call('POST', '/v1/directories', { key, body: { name: 'staff' } })).status, 201);
      const user = await svc.call('POST', '/v1/directories/staff/users', { key, body: { username: 'ada', generateSecret: true } });
      assert.equal(user.status, 201);
      assert.equal((await bodyless(base, 'DELETE', `/v1/directories/staff/users/${user.body.id}`, auth())).status, 204);

      const issued = await svc.call('POST', '/v1/api-keys', { key, body: { name: 'ci', scopes: ['users:read'] } });
      const revoked = await bodyless(base, 'POST', `/v1/api-keys/${issued.body.id}/revoke`, auth());
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
      assert.ok(revoked.body.revokedAt);
    });

    it('native: a route that needs a body answers 400 request.body_required', async () => {
      const answer = await bodyless(base, 'POST', '/v1/directories', auth());
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error.code, 'request.body_required');
    });

    it('alloy: DELETE succeeds; PUT without a body is 400 in Alloy\'s shape', async () => {
      const alloy = { ...auth(), 'x-api-version': '2025-09' };
      const created = await svc.call('POST', '/users', { key, body: { username: 'grace' }, headers: { 'x-api-version': '2025-09' } });
      assert.equal(created.status, 200, created.text);
      const id = created.body.userId as string;
      const deleted = await bodyless(base, 'DELETE', `/users/${id}`, alloy);
      assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
      assert.deepEqual(deleted.body, { success: true });

      const put = await bodyless(base, 'PUT', `/users/${id}`, alloy);
      assert.equal(put.status, 400);
      assert.deepEqual(Object.keys(put.body), ['message']);
      assert.match(put.body.message, /body is empty/);
    });
  });
}
