/** Native API: directories, users and authenticate, over HTTP, on both stores. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

for (const kind of STORE_KINDS) {
  describe(`native API: ${kind}`, () => {
    let svc: TestService;
    let key: string;
    const users = (dir = 'default') => `/v1/directories/${dir}/users`;

    before(async () => {
      svc = await startTestService(kind);
      ({ adminKey: key } = await svc.newTenant());
    });
    after(() => svc.close());

    describe('directories', () => {
      it('creates, gets by name and id, lists, and refuses a duplicate', async () => {
        const created = await svc.call('POST', '/v1/directories', { key, body: { name: 'staff' } });
        assert.equal(created.status, 201);
        assert.equal(created.body.name, 'staff');
        assert.equal(created.headers.location, `/v1/directories/${created.body.id}`);
        assert.deepEqual((await svc.call('GET', '/v1/directories/staff', { key })).body, created.body);
        assert.deepEqual((await svc.call('GET', `/v1/directories/${created.body.id}`, { key })).body, created.body);
        const list = await svc.call('GET', '/v1/directories', { key });
        assert.deepEqual(list.body.directories.map((d: { name: string }) => d.name), ['default', 'staff']);
        const again = await svc.call('POST', '/v1/directories', { key, body: { name: 'staff' } });
        assert.equal(again.status, 409);
        assert.equal(again.body.error.code, 'directory.name_taken');
      });

      it('refuses malformed names', async () => {
        for (const name of ['Staff', '', 'a b', 'x'.repeat(64), '01a208ae-33c0-7000-a5ba-f37ffafbae70']) {
          const response = await svc.call('POST', '/v1/directories', { key, body: { name } });
          assert.equal(response.status, 400, name);
          assert.equal(response.body.error.code, 'request.invalid');
        }
      });

      it('deletes an empty directory, and a non-empty one only with force=true (with its users)', async () => {
        await svc.call('POST', '/v1/directories', { key, body: { name: 'temp' } });
        await svc.call('POST', users('temp'), { key, body: { username: 'temp-user' } });
        const refused = await svc.call('DELETE', '/v1/directories/temp', { key });
        assert.equal(refused.status, 409);
        assert.equal(refused.body.error.code, 'directory.not_empty');
        assert.equal((await svc.call('DELETE', '/v1/directories/temp?force=true', { key })).status, 204);
        assert.equal((await svc.call('GET', '/v1/directories/temp', { key })).status, 404);
        await svc.call('POST', '/v1/directories', { key, body: { name: 'temp' } });
        assert.deepEqual((await svc.call('GET', users('temp'), { key })).body.users, [], 'the old users went with the directory');
        assert.equal((await svc.call('DELETE', '/v1/directories/temp', { key })).status, 204);
      });
    });

    describe('users', () => {
      it('creates a user with a password: 201, Location, never the password', async () => {
        const response = await svc.call('POST', users(), {
          key,
          body: { username: 'Alice', email: 'Alice@Example.com', displayName: 'Alice A.', password: 'correct horse', attributes: { team: 'core' } },
        });
        assert.equal(response.status, 201);
        assert.equal(response.headers.location, `${users()}/${response.body.id}`);
        assert.equal(response.body.username, 'Alice');
        assert.equal(response.body.email, 'Alice@Example.com');
        assert.equal(response.body.status, 'active');
        assert.equal(response.body.hasPassword, true);
        assert.equal(response.body.version, 1);
        assert.deepEqual(response.body.attributes, { team: 'core' });
        assert.equal(response.body.secret, undefined);
        assert.ok(!response.text.includes('correct horse'));
        assert.ok(!response.text.includes('argon2'));
      });

      it('refuses a username or email that differs only in case, by the database constraint', async () => {
        const sameName = await svc.call('POST', users(), { key, body: { username: 'ALICE' } });
        assert.equal(sameName.status, 409);
        assert.equal(sameName.body.error.code, 'user.username_taken');
        assert.equal(sameName.body.error.details.field, 'username');
        const sameEmail = await svc.call('POST', users(), { key, body: { username: 'alice2', email: 'alice@EXAMPLE.com' } });
        assert.equal(sameEmail.status, 409);
        assert.equal(sameEmail.body.error.code, 'user.email_taken');
      });

      it('allows the same username in another directory', async () => {
        await svc.call('POST', '/v1/directories', { key, body: { name: 'partners' } });
        assert.equal((await svc.call('POST', users('partners'), { key, body: { username: 'alice' } })).status, 201);
      });

      it('generates a secret, returns it once, and the secret authenticates', async () => {
        const created = await svc.call('POST', users(), { key, body: { username: 'robot', generateSecret: true } });
        assert.equal(created.status, 201);
        assert.match(created.body.secret, /^[A-Za-z0-9_-]{43}$/);
        assert.equal(created.body.hasSecret, true);
        const fetched = await svc.call('GET', `${users()}/${created.body.id}`, { key });
        assert.equal(fetched.body.secret, undefined);
        const ok = await svc.call('POST', '/v1/directories/default/authenticate', { key, body: { username: 'robot', secret: created.body.secret } });
        assert.equal(ok.status, 200);
        assert.equal(ok.body.id, created.body.id);
        const bad = await svc.call('POST', '/v1/directories/default/authenticate', { key, body: { username: 'robot', secret: 'x'.repeat(43) } });
        assert.equal(bad.status, 401);
        assert.equal(bad.body.error.code, 'credentials.invalid');
      });

      it('refuses a password and generateSecret together', async () => {
        const response = await svc.call('POST', users(), { key, body: { username: 'both', password: 'long enough', generateSecret: true } });
        assert.equal(response.status, 400);
        assert.equal(response.body.error.code, 'user.credential_conflict');
      });

      it('gets a user by id with its version as ETag; unknown and malformed ids are 404', async () => {
        const created = await svc.call('POST', users(), { key, body: { username: 'getme' } });
        const fetched = await svc.call('GET', `${users()}/${created.body.id}`, { key });
        assert.equal(fetched.status, 200);
        assert.equal(fetched.headers.etag, '"1"');
        assert.deepEqual(fetched.body, created.body);
        for (const id of ['01a208ae-33c0-7000-a5ba-f37ffafbae70', 'not-a-uuid']) {
          const missing = await svc.call('GET', `${users()}/${id}`, { key });
          assert.equal(missing.status, 404);
          assert.equal(missing.body.error.code, 'user.not_found');
        }
      });

      it('lists in creation order with cursor pagination', async () => {
        await svc.call('POST', '/v1/directories', { key, body: { name: 'paged' } });
        const created: string[] = [];
        for (let i = 0; i < 5; i++) created.push((await svc.call('POST', users('paged'), { key, body: { username: `p${i}` } })).body.id);
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const url: string = `${users('paged')}?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
          const page = await svc.call('GET', url, { key });
          assert.equal(page.status, 200);
          assert.ok(page.body.users.length <= 2);
          seen.push(...page.body.users.map((u: { id: string }) => u.id));
          cursor = page.body.nextCursor;
          pages += 1;
        } while (cursor);
        assert.deepEqual(seen, created);
        assert.equal(pages, 3);
      });

      it('filters by username and email (case-insensitively) and by status', async () => {
        await svc.call('POST', '/v1/directories', { key, body: { name: 'filtered' } });
        await svc.call('POST', users('filtered'), { key, body: { username: 'Carol', email: 'carol@example.com' } });
        await svc.call('POST', users('filtered'), { key, body: { username: 'dave', status: 'disabled' } });
        await svc.call('POST', users('filtered'), { key, body: { username: 'erin', status: 'pending' } });
        const names = async (query: string) =>
          (await svc.call('GET', `${users('filtered')}?${query}`, { key })).body.users.map((u: { username: string }) => u.username);
        assert.deepEqual(await names('username=CAROL'), ['Carol']);
        assert.deepEqual(await names('email=Carol%40Example.COM'), ['Carol']);
        assert.deepEqual(await names('status=disabled'), ['dave']);
        assert.deepEqual(await names('status=pending'), ['erin']);
        assert.deepEqual(await names('username=nobody'), []);
      });

      it('refuses a bad cursor, limit or status with a 400', async () => {
        const cases: [string, string][] = [
          ['cursor=garbage', 'request.invalid_cursor'],
          ['limit=0', 'request.invalid'],
          ['limit=201', 'request.invalid'],
          ['limit=ten', 'request.invalid'],
          ['status=asleep', 'request.invalid'],
          ['unknown=1', 'request.invalid'],
        ];
        for (const [query, code] of cases) {
          const response = await svc.call('GET', `${users()}?${query}`, { key });
          assert.equal(response.status, 400, query);
          assert.equal(response.body.error.code, code, query);
        }
      });

      it('updates given fields, clears nulls, bumps the version, and honours If-Match', async () => {
        const created = await svc.call('POST', users(), { key, body: { username: 'frank', email: 'frank@example.com', displayName: 'F' } });
        const url = `${users()}/${created.body.id}`;
        const patched = await svc.call('PATCH', url, { key, body: { displayName: 'Frank', email: null }, headers: { 'if-match': '"1"' } });
        assert.equal(patched.status, 200);
        assert.equal(patched.body.displayName, 'Frank');
        assert.equal(patched.body.email, null);
        assert.equal(patched.body.username, 'frank');
        assert.equal(patched.body.version, 2);
        assert.equal(patched.headers.etag, '"2"');
        const stale = await svc.call('PATCH', url, { key, body: { displayName: 'Stale' }, headers: { 'if-match': '"1"' } });
        assert.equal(stale.status, 412);
        assert.equal(stale.body.error.code, 'user.version_mismatch');
        const taken = await svc.call('PATCH', url, { key, body: { username: 'alice' } });
        assert.equal(taken.status, 409);
        assert.equal(taken.body.error.code, 'user.username_taken');
        const missing = await svc.call('PATCH', `${users()}/01a208ae-33c0-7000-a5ba-f37ffafbae70`, { key, body: { displayName: 'x' } });
        assert.equal(missing.status, 404);
        const noUsername = await svc.call('PATCH', url, { key, body: { username: null } });
        assert.equal(noUsername.status, 400);
      });

      it('changes a password so that only the new one authenticates', async () => {
        const created = await svc.call('POST', users(), { key, body: { username: 'grace', password: 'first password' } });
        await svc.call('PATCH', `${users()}/${created.body.id}`, { key, body: { password: 'second password' } });
        const auth = (password: string) => svc.call('POST', '/v1/directories/default/authenticate', { key, body: { username: 'grace', password } });
        assert.equal((await auth('first password')).status, 401);
        assert.equal((await auth('second password')).status, 200);
      });

      it('deletes a user', async () => {
        const created = await svc.call('POST', users(), { key, body: { username: 'heidi' } });
        const url = `${users()}/${created.body.id}`;
        assert.equal((await svc.call('DELETE', url, { key })).status, 204);
        assert.equal((await svc.call('GET', url, { key })).status, 404);
        assert.equal((await svc.call('DELETE', url, { key })).status, 404);
      });
    });

    describe('authenticate', () => {
      const authenticate = (body: object) => svc.call('POST', '/v1/directories/default/authenticate', { key, body });

      it('accepts the right password, case-insensitively on the username', async () => {
        const response = await authenticate({ username: 'alice', password: 'correct horse' });
        assert.equal(response.status, 200);
        assert.equal(response.body.username, 'Alice');
      });

      it('answers one code for a wrong password, an unknown user and a user without a password', async () => {
        for (const body of [
          { username: 'alice', password: 'wrong horse' },
          { username: 'nobody', password: 'correct horse' },
          { username: 'getme', password: 'correct horse' },
        ]) {
          const response = await authenticate(body);
          assert.equal(response.status, 401);
          assert.equal(response.body.error.code, 'credentials.invalid');
        }
      });

      it('refuses pending, disabled and expired users, but only after a right password', async () => {
        const cases: [object, string][] = [
          [{ status: 'pending' }, 'credentials.user_pending'],
          [{ status: 'disabled' }, 'credentials.user_disabled'],
          [{ expiresAt: new Date(Date.now() - 1000).toISOString() }, 'credentials.user_expired'],
        ];
        for (const [i, [fields, code]] of cases.entries()) {
          await svc.call('POST', users(), { key, body: { username: `blocked${i}`, password: 'right password', ...fields } });
          const right = await authenticate({ username: `blocked${i}`, password: 'right password' });
          assert.equal(right.status, 401);
          assert.equal(right.body.error.code, code);
          const wrong = await authenticate({ username: `blocked${i}`, password: 'wrong password' });
          assert.equal(wrong.body.error.code, 'credentials.invalid');
        }
      });

      it('lets a user with a future expiry in, and out once it passes', async () => {
        const created = await svc.call('POST', users(), {
          key,
          body: { username: 'soon', password: 'right password', expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
        });
        assert.equal((await authenticate({ username: 'soon', password: 'right password' })).status, 200);
        await svc.call('PATCH', `${users()}/${created.body.id}`, { key, body: { expiresAt: new Date(Date.now() - 1).toISOString() } });
        assert.equal((await authenticate({ username: 'soon', password: 'right password' })).body.error.code, 'credentials.user_expired');
        await svc.call('PATCH', `${users()}/${created.body.id}`, { key, body: { expiresAt: null } });
        assert.equal((await authenticate({ username: 'soon', password: 'right password' })).status, 200);
      });

      it('needs exactly one of password or secret', async () => {
        assert.equal((await authenticate({ username: 'alice' })).status, 400);
        assert.equal((await authenticate({ username: 'alice', password: 'correct horse', secret: 'x' })).status, 400);
      });
    });
  });
}
