/**
 * Identifiers people can trust, over HTTP, on both stores: characters refused in
 * usernames and emails whichever dialect they come from (each answering in its
 * own error shape), lengths in code points, and directories whose uniqueness
 * makes confusable look-alikes collide.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

const PROJECT = '0123456789abcdef0123456789abcdef';
const CYRILLIC_ADMIN = '\u0430dmin'; // Cyrillic а (U+0430), then Latin "dmin"

for (const kind of STORE_KINDS) {
  describe(`identifiers: ${kind}`, () => {
    let svc: TestService;
    let key: string;

    before(async () => {
      svc = await startTestService(kind);
      ({ adminKey: key } = await svc.newTenant());
    });
    after(() => svc.close());

    describe('native', () => {
      it('refuses a bidi override in a username with a per-field error naming the character', async () => {
        const response = await svc.call('POST', '/v1/directories/default/users', { key, body: { username: 'admin\u202Egpj.exe' } });
        assert.equal(response.status, 400, response.text);
        assert.equal(response.body.error.code, 'user.invalid_username');
        assert.match(response.body.error.message, /U\+202E \(a bidirectional control character\) at character 6/);
        assert.equal(response.body.error.details.field, 'username');
      });

      it('refuses a line separator in an email, per item in a partial batch', async () => {
        const response = await svc.call('POST', '/v1/directories/default/users/batch', {
          key,
          body: { mode: 'partial', users: [{ username: 'fine-1' }, { username: 'sep-1', email: 'a\u2028b@example.com' }] },
        });
        assert.equal(response.status, 200, response.text);
        assert.equal(response.body.results[0].status, 'created');
        assert.equal(response.body.results[1].status, 'failed');
        assert.equal(response.body.results[1].error.code, 'user.invalid_email');
        assert.match(response.body.results[1].error.message, /U\+2028/);
      });

      it('counts the schema limit and the domain limit in code points', async () => {
        const astral = '\u{1D49C}'; // MATHEMATICAL SCRIPT CAPITAL A: two UTF-16 units, one code point
        const ok = await svc.call('POST', '/v1/directories/default/users', { key, body: { username: astral.repeat(256) } });
        assert.equal(ok.status, 201, ok.text);
        const tooLong = await svc.call('POST', '/v1/directories/default/users', { key, body: { username: astral.repeat(257) } });
        assert.equal(tooLong.status, 400);
      });

      it('creates Cyrillic "аdmin" next to "admin" by default, and refuses it where confusables collide', async () => {
        const plain = await svc.call('POST', '/v1/directories', { key, body: { name: 'plain' } });
        assert.equal(plain.status, 201, plain.text);
        assert.equal(plain.body.confusables, 'distinct');
        const strict = await svc.call('POST', '/v1/directories', { key, body: { name: 'strict', confusables: 'collide' } });
        assert.equal(strict.status, 201, strict.text);
        assert.equal(strict.body.confusables, 'collide');
        assert.equal((await svc.call('GET', '/v1/directories/strict', { key })).body.confusables, 'collide');

        for (const dir of ['plain', 'strict']) {
          const first = await svc.call('POST', `/v1/directories/${dir}/users`, { key, body: { username: 'admin', email: 'admin@example.com' } });
          assert.equal(first.status, 201, first.text);
        }
        assert.equal((await svc.call('POST', '/v1/directories/plain/users', { key, body: { username: CYRILLIC_ADMIN } })).status, 201);
        const lookalike = await svc.call('POST', '/v1/directories/strict/users', { key, body: { username: CYRILLIC_ADMIN } });
        assert.equal(lookalike.status, 409, lookalike.text);
        assert.equal(lookalike.body.error.code, 'user.username_taken');
        const email = await svc.call('POST', '/v1/directories/strict/users', { key, body: { username: 'other', email: `${CYRILLIC_ADMIN}@example.com` } });
        assert.equal(email.status, 409, email.text);
        assert.equal(email.body.error.code, 'user.email_taken');
        // Inside one batch, as the store would compare them.
        const batch = await svc.call('POST', '/v1/directories/strict/users/batch', {
          key,
          body: { mode: 'partial', users: [{ username: 'paypal' }, { username: '\u0440\u0430\u0443\u0440\u0430l' }] },
        });
        assert.equal(batch.body.results[1].error.code, 'batch.duplicate_in_batch');
        // Sign-in and lookups use the same key.
        const listed = await svc.call('GET', `/v1/directories/strict/users?username=${encodeURIComponent(CYRILLIC_ADMIN)}`, { key });
        assert.deepEqual(listed.body.users.map((u: { username: string }) => u.username), ['admin']);
      });

      it('refuses an unknown confusables policy', async () => {
        const response = await svc.call('POST', '/v1/directories', { key, body: { name: 'odd', confusables: 'maybe' } });
        assert.equal(response.status, 400);
        assert.equal(response.body.error.code, 'request.invalid');
      });
    });

    describe('dialects go through the same rules', () => {
      it('Huawei: a bidi override in user_email is a WKS.00170101 error in Huawei\'s shape', async () => {
        assert.equal((await svc.call('POST', '/v1/directories', { key, body: { name: PROJECT } })).status, 201); // the project's workspace
        const response = await svc.call('POST', `/v2/${PROJECT}/users/batch-create`, {
          headers: { 'x-auth-token': key },
          body: { users: [{ user_name: 'huawei1', user_email: 'ad\u202Emin@example.com' }] },
        });
        assert.equal(response.status, 400, response.text);
        assert.equal(response.body.error_code, 'WKS.00170101');
        assert.match(response.body.error_msg, /U\+202E/);
        assert.equal(response.body.error, undefined, 'not the native shape');
      });

      it('Alloy: a username with U+202E is listed in invalidUsers and not created', async () => {
        const alloy = (method: string, url: string, body?: unknown) =>
          svc.call(method, url, { headers: { authorization: `bearer ${key}`, 'x-api-version': '2025-09' }, ...(body !== undefined && { body }) });
        const submitted = [{ username: 'alloy-ok' }, { username: 'alloy\u202Eevil' }];
        const response = await alloy('POST', '/users/batch', { users: submitted });
        assert.equal(response.status, 200, response.text);
        assert.deepEqual(response.body, { message: 'success', invalidUsers: [submitted[1]] });
        const single = await alloy('POST', '/users', { username: 'alloy\u2066x' });
        assert.equal(single.status, 400, single.text);
        assert.equal(single.body.error, undefined, 'not the native shape');
      });
    });
  });
}
