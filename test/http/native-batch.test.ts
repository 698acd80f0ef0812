/** The batch engine through the native batch API, on both stores. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fastJsonStringify from 'fast-json-stringify';
import { BatchResultBody } from '../../src/http/native/schemas.ts';
import { importedHashes } from '../helpers/hashes.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type CallResult, type TestService } from '../helpers/service.ts';

interface Result {
  index: number;
  status: string;
  user?: { id: string; username: string; displayName: string | null; email: string | null; version: number } | null;
  secret?: string;
  error?: { code: string; field?: string; details?: Record<string, unknown> };
}

for (const kind of STORE_KINDS) {
  describe(`native batch: ${kind}`, () => {
    let svc: TestService;
    let key: string;
    let dirCount = 0;

    before(async () => {
      svc = await startTestService(kind);
      ({ adminKey: key } = await svc.newTenant());
    });
    after(() => svc.close());

    /** A fresh directory per test, so tests do not see each other's users. */
    async function directory(): Promise<string> {
      const name = `batch${++dirCount}`;
      await svc.call('POST', '/v1/directories', { key, body: { name } });
      return name;
    }
    const batch = (dir: string, body: object, headers?: Record<string, string>): Promise<CallResult> =>
      svc.call('POST', `/v1/directories/${dir}/users/batch`, { key, body, ...(headers && { headers }) });
    const usernames = async (dir: string): Promise<string[]> =>
      (await svc.call('GET', `/v1/directories/${dir}/users?limit=200`, { key })).body.users.map((u: { username: string }) => u.username);
    const results = (response: CallResult) => response.body.results as Result[];

    describe('atomic mode', () => {
      it('creates every user, answers in input order with a summary', async () => {
        const dir = await directory();
        const response = await batch(dir, { users: [{ username: 'a1' }, { username: 'a2', email: 'a2@example.com' }, { username: 'a3', generateSecret: true }] });
        assert.equal(response.status, 200);
        assert.deepEqual(results(response).map((r) => [r.index, r.status, r.user?.username]), [
          [0, 'created', 'a1'],
          [1, 'created', 'a2'],
          [2, 'created', 'a3'],
        ]);
        assert.match(results(response)[2]!.secret!, /^[A-Za-z0-9_-]{43}$/);
        assert.deepEqual(response.body.summary, { total: 3, created: 3, updated: 0, skipped: 0, failed: 0, committed: true, dryRun: false });
        assert.deepEqual(await usernames(dir), ['a1', 'a2', 'a3']);
      });

      it('writes nothing when the last item fails, and gives every item its verdict', async () => {
        const dir = await directory();
        const users = Array.from({ length: 9 }, (_, i) => ({ username: `ok${i}`, password: 'long enough password' }));
        const response = await batch(dir, { users: [...users, { username: 'bad', email: 'not-an-email' }] });
        assert.equal(response.status, 422);
        const verdicts = results(response);
        assert.equal(verdicts.length, 10);
        for (const r of verdicts.slice(0, 9)) assert.equal(r.error?.code, 'batch.aborted');
        assert.equal(verdicts[9]!.error?.code, 'user.invalid_email');
        assert.equal(verdicts[9]!.error?.field, 'email');
        assert.deepEqual(response.body.summary, { total: 10, created: 0, updated: 0, skipped: 0, failed: 10, committed: false, dryRun: false });
        assert.deepEqual(await usernames(dir), []);
      });

      it('writes nothing when the last item conflicts with a stored user, reporting the conflict', async () => {
        const dir = await directory();
        const existing = await svc.call('POST', `/v1/directories/${dir}/users`, { key, body: { username: 'Taken' } });
        const response = await batch(dir, { users: [{ username: 'free1' }, { username: 'free2' }, { username: 'TAKEN' }] });
        assert.equal(response.status, 422);
        assert.deepEqual(results(response).map((r) => r.error?.code), ['batch.aborted', 'batch.aborted', 'user.username_taken']);
        assert.equal(results(response)[2]!.error?.details?.existingId, existing.body.id);
        assert.deepEqual(await usernames(dir), ['Taken']);
      });

      it('reports every bad item at once, not only the first', async () => {
        const dir = await directory();
        const response = await batch(dir, { users: [{ username: '' }, { username: 'fine' }, { username: 'x', email: 'nope' }, { username: 5 }] });
        assert.deepEqual(results(response).map((r) => r.error?.code), ['request.invalid', 'batch.aborted', 'user.invalid_email', 'request.invalid']);
        assert.equal(results(response)[0]!.error?.field, 'username');
        assert.equal(results(response)[3]!.error?.field, 'username');
      });
    });

    it('serves exactly the fields of its schema: the body is what the schema\'s serialiser makes of it', async () => {
      // The route serialises with JSON.stringify (http/serialization.ts), so nothing would filter a stray field.
      const serialise = fastJsonStringify(BatchResultBody);
      const dir = await directory();
      await svc.call('POST', `/v1/directories/${dir}/users`, { key, body: { username: 'taken' } });
      const users = [{ username: 'p1', email: 'p1@example.com', attributes: { team: 'a' } }, { username: 'p2', generateSecret: true }, { username: 'TAKEN' }, { username: 'p4', email: 'bad' }];
      for (const mode of ['partial', 'atomic']) {
        const response = await batch(dir, { mode, users: users.map((u) => (u.username === 'TAKEN' ? u : { ...u, username: `${u.username}${mode}` })) });
        assert.ok(response.status === 200 || response.status === 422, response.text);
        assert.equal(response.text, serialise(JSON.parse(response.text)));
      }
    });

    describe('partial mode', () => {
      it('writes the valid items and reports each failure with its index', async () => {
        const dir = await directory();
        await svc.call('POST', `/v1/directories/${dir}/users`, { key, body: { username: 'exists', email: 'exists@example.com' } });
        const response = await batch(dir, {
          mode: 'partial',
          users: [
            { username: 'p0' },
            { username: 'exists' },
            { username: 'p2', email: 'bad' },
            { username: 'P0' },
            { username: 'p4', email: 'EXISTS@example.com' },
            { username: 'p5', displayName: 7 },
            'not an object',
            { username: 'p7', emal: 'typo@example.com' },
            { username: 'p8' },
          ],
        });
        assert.equal(response.status, 200);
        assert.deepEqual(results(response).map((r) => r.status + (r.error ? `:${r.error.code}` : '')), [
          'created',
          'failed:user.username_taken',
          'failed:user.invalid_email',
          'failed:batch.duplicate_in_batch',
          'failed:user.email_taken',
          'failed:request.invalid',
          'failed:request.invalid',
          'failed:request.invalid',
          'created',
        ]);
        assert.equal(results(response)[3]!.error?.details?.firstIndex, 0);
        assert.equal(results(response)[7]!.error?.field, 'emal');
        assert.equal(response.body.summary.created, 2);
        assert.equal(response.body.summary.failed, 7);
        assert.deepEqual((await usernames(dir)).sort(), ['exists', 'p0', 'p8']);
      });

      it('catches a repeated email inside the batch, naming the first occurrence', async () => {
        const dir = await directory();
        const response = await batch(dir, { mode: 'partial', users: [{ username: 'e1', email: 'same@example.com' }, { username: 'e2', email: 'SAME@example.com' }] });
        assert.equal(results(response)[1]!.error?.code, 'batch.duplicate_in_batch');
        assert.deepEqual(results(response)[1]!.error?.details, { field: 'email', firstIndex: 0 });
      });
    });

    describe('conflicts', () => {
      it('skip: reports the existing user and creates the rest', async () => {
        const dir = await directory();
        const existing = await svc.call('POST', `/v1/directories/${dir}/users`, { key, body: { username: 'old', displayName: 'Old' } });
        const response = await batch(dir, { onConflict: 'skip', users: [{ username: 'OLD', displayName: 'New' }, { username: 'new' }] });
        assert.equal(response.status, 200);
        assert.deepEqual(results(response).map((r) => r.status), ['skipped', 'created']);
        assert.equal(results(response)[0]!.user?.id, existing.body.id);
        assert.equal(results(response)[0]!.user?.displayName, 'Old', 'a skipped user is left as it was');
      });

      it('upsert: updates only the given fields of existing users, bumping their version', async () => {
        const dir = await directory();
        const existing = await svc.call('POST', `/v1/directories/${dir}/users`, {
          key,
          body: { username: 'keep', email: 'keep@example.com', displayName: 'Before', locale: 'fr' },
        });
        await svc.call('POST', `/v1/directories/${dir}/users`, { key, body: { username: 'other', email: 'other@example.com' } });
        const response = await batch(dir, {
          mode: 'partial',
          onConflict: 'upsert',
          users: [
            { username: 'Keep', displayName: 'After', password: 'brand new password' },
            { username: 'fresh', email: 'fresh@example.com' },
            { username: 'other', email: 'keep@example.com' },
          ],
        });
        assert.equal(response.status, 200);
        assert.deepEqual(results(response).map((r) => r.status + (r.error ? `:${r.error.code}` : '')), ['updated', 'created', 'failed:user.email_taken']);
        const updated = (await svc.call('GET', `/v1/directories/${dir}/users/${existing.body.id}`, { key })).body;
        assert.equal(updated.displayName, 'After');
        assert.equal(updated.email, 'keep@example.com');
        assert.equal(updated.locale, 'fr');
        assert.equal(updated.username, 'keep');
        assert.equal(updated.version, 2);
        const login = await svc.call('POST', `/v1/directories/${dir}/authenticate`, { key, body: { username: 'keep', password: 'brand new password' } });
        assert.equal(login.status, 200);
      });
    });

    describe('dryRun', () => {
      it('validates and checks conflicts, answers in the same shape, writes nothing', async () => {
        const dir = await directory();
        const existing = await svc.call('POST', `/v1/directories/${dir}/users`, { key, body: { username: 'here' } });
        const response = await batch(dir, {
          dryRun: true,
          mode: 'partial',
          onConflict: 'upsert',
          users: [{ username: 'would', password: 'long enough password' }, { username: 'here', displayName: 'x' }, { username: 'bad', email: 'x' }],
        });
        assert.equal(response.status, 200);
        assert.deepEqual(results(response).map((r) => r.status), ['created', 'updated', 'failed']);
        assert.equal(results(response)[0]!.user, null);
        assert.equal(results(response)[1]!.user?.id, existing.body.id);
        assert.deepEqual(response.body.summary, { total: 3, created: 1, updated: 1, skipped: 0, failed: 1, committed: false, dryRun: true });
        assert.deepEqual(await usernames(dir), ['here']);
        const unchanged = await svc.call('GET', `/v1/directories/${dir}/users/${existing.body.id}`, { key });
        assert.equal(unchanged.body.version, 1);
      });
    });

    describe('limits', () => {
      it('refuses an empty batch with a 400 and more than 1000 users with a 413 naming the limit', async () => {
        const dir = await directory();
        const empty = await batch(dir, { users: [] });
        assert.equal(empty.status, 400);
        assert.equal(empty.body.error.code, 'batch.empty');
        const tooMany = await batch(dir, { users: Array.from({ length: 1001 }, (_, i) => ({ username: `u${i}` })) });
        assert.equal(tooMany.status, 413);
        assert.equal(tooMany.body.error.code, 'batch.too_large');
        assert.equal(tooMany.body.error.details.limit, 1000);
        assert.deepEqual(await usernames(dir), []);
        const thousand = await batch(dir, { users: Array.from({ length: 1000 }, (_, i) => ({ username: `u${i}` })) });
        assert.equal(thousand.body.summary.created, 1000);
      });

      it('refuses a malformed envelope as a whole', async () => {
        const dir = await directory();
        for (const body of [{ users: 'x' }, { users: [{ username: 'a' }], mode: 'sometimes' }, { users: [{ username: 'a' }], extra: true }, {}]) {
          const response = await batch(dir, body);
          assert.equal(response.status, 400, JSON.stringify(body));
          assert.equal(response.body.error.code, 'request.invalid');
        }
      });
    });

    describe('credentials', () => {
      it('hashes plain passwords so that each user authenticates', async () => {
        const dir = await directory();
        const users = Array.from({ length: 6 }, (_, i) => ({ username: `pw${i}`, password: `password number ${i}` }));
        const response = await batch(dir, { users });
        assert.equal(response.body.summary.created, 6);
        assert.ok(!response.text.includes('password number'));
        for (const [i, user] of users.entries()) {
          const ok = await svc.call('POST', `/v1/directories/${dir}/authenticate`, { key, body: user });
          assert.equal(ok.status, 200, user.username);
          const wrong = await svc.call('POST', `/v1/directories/${dir}/authenticate`, { key, body: { ...user, password: `password number ${i + 1}` } });
          assert.equal(wrong.status, 401);
        }
      });

      it('imports bcrypt, argon2id, argon2i, scrypt and pbkdf2-sha256 hashes, accepts them, and re-hashes to argon2id at first sign-in', async () => {
        const dir = await directory();
        const password = 'imported secret words';
        const hashes = importedHashes(password);
        const response = await batch(dir, { users: Object.entries(hashes).map(([name, passwordHash]) => ({ username: name, passwordHash })) });
        assert.equal(response.status, 200, response.text);
        assert.equal(response.body.summary.created, Object.keys(hashes).length);
        const stored = async (username: string) =>
          (await svc.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE username = $1', [username])).rows[0]!.password_hash;
        for (const [name, original] of Object.entries(hashes)) {
          assert.equal(await stored(name), original, `${name} is stored as imported`);
          const wrong = await svc.call('POST', `/v1/directories/${dir}/authenticate`, { key, body: { username: name, password: 'wrong words' } });
          assert.equal(wrong.status, 401, name);
          assert.equal(await stored(name), original, `${name} is not re-hashed after a failed check`);
          const right = await svc.call('POST', `/v1/directories/${dir}/authenticate`, { key, body: { username: name, password } });
          assert.equal(right.status, 200, name);
          assert.match(await stored(name), /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/, `${name} was upgraded`);
          const again = await svc.call('POST', `/v1/directories/${dir}/authenticate`, { key, body: { username: name, password } });
          assert.equal(again.status, 200, `${name} after the upgrade`);
        }
      });

      it('refuses unsupported hash formats per item, naming the supported ones', async () => {
        const dir = await directory();
        const response = await batch(dir, {
          mode: 'partial',
          users: [
            { username: 'md5', passwordHash: '$1$saltsalt$qjXMvbEw8oaL.CzflDugX/' },
            { username: 'plain', passwordHash: 'hunter2' },
            { username: 'costly', passwordHash: `$2b$31$${'a'.repeat(53)}` },
            { username: 'both', passwordHash: importedHashes('x').bcrypt2b, password: 'also a password' },
          ],
        });
        assert.deepEqual(results(response).map((r) => r.error?.code), [
          'user.unsupported_password_hash',
          'user.unsupported_password_hash',
          'user.unsupported_password_hash',
          'user.credential_conflict',
        ]);
        assert.match(response.body.results[0].error.message, /argon2id.*scrypt.*pbkdf2-sha256.*bcrypt/);
      });
    });

    describe('groups', () => {
      it('adds users to existing groups, and fails an item naming a group that does not exist', async () => {
        const dir = await directory();
        const group = await svc.call('POST', `/v1/directories/${dir}/groups`, { key, body: { name: 'ops', description: 'operators' } });
        assert.equal(group.status, 201);
        assert.equal((await svc.call('POST', `/v1/directories/${dir}/groups`, { key, body: { name: 'ops' } })).body.error.code, 'group.name_taken');
        const response = await batch(dir, {
          mode: 'partial',
          users: [{ username: 'member', groupIds: [group.body.id] }, { username: 'orphan', groupIds: ['01a208ae-33c0-7000-a5ba-f37ffafbae70'] }],
        });
        assert.deepEqual(results(response).map((r) => r.status + (r.error ? `:${r.error.code}` : '')), ['created', 'failed:group.not_found']);
        const { rows } = await svc.db.query<{ n: number }>('SELECT count(*)::int AS n FROM group_members WHERE group_id = $1', [group.body.id]);
        assert.equal(rows[0]!.n, 1);
        assert.deepEqual((await svc.call('GET', `/v1/directories/${dir}/groups`, { key })).body.groups.map((g: { name: string }) => g.name), ['ops']);
        assert.equal((await svc.call('DELETE', `/v1/directories/${dir}/groups/${group.body.id}`, { key })).status, 204);
        assert.deepEqual(await usernames(dir), ['member'], 'deleting a group keeps its users');
        assert.equal((await svc.call('DELETE', `/v1/directories/${dir}/groups/${group.body.id}`, { key })).body.error.code, 'group.not_found');
      });
    });

    describe('concurrency', () => {
      it('two partial batches racing for the same usernames: no duplicates, every item accounted for', async () => {
        const dir = await directory();
        const a = Array.from({ length: 300 }, (_, i) => ({ username: `race${i}` }));
        const b = Array.from({ length: 300 }, (_, i) => ({ username: `race${i + 150}` }));
        const [ra, rb] = await Promise.all([batch(dir, { mode: 'partial', users: a }), batch(dir, { mode: 'partial', users: b })]);
        assert.equal(ra.status, 200);
        assert.equal(rb.status, 200);
        for (const r of [...results(ra), ...results(rb)]) {
          assert.ok(r.status === 'created' || r.error?.code === 'user.username_taken', JSON.stringify(r));
        }
        assert.equal(ra.body.summary.created + rb.body.summary.created, 450);
        assert.equal(ra.body.summary.failed + rb.body.summary.failed, 150);
        const { rows } = await svc.db.query<{ n: number; distinct_names: number }>(
          `SELECT count(*)::int AS n, count(DISTINCT username_key)::int AS distinct_names FROM users u
           JOIN directories d ON d.tenant_id = u.tenant_id AND d.id = u.directory_id WHERE d.name = $1`,
          [dir],
        );
        assert.deepEqual(rows[0], { n: 450, distinct_names: 450 });
      });

      it('two atomic batches racing for the same usernames: exactly one commits', async () => {
        const dir = await directory();
        const users = Array.from({ length: 200 }, (_, i) => ({ username: `atom${i}` }));
        const responses = await Promise.all([batch(dir, { users }), batch(dir, { users: [...users].reverse() })]);
        assert.deepEqual(responses.map((r) => r.status).sort(), [200, 422]);
        const loser = responses.find((r) => r.status === 422)!;
        assert.ok(results(loser).every((r) => r.error?.code === 'user.username_taken' || r.error?.code === 'batch.aborted'));
        assert.ok(results(loser).some((r) => r.error?.code === 'user.username_taken'));
        assert.equal((await usernames(dir)).length, 200);
      });
    });
  });
}

describe('batch limit is configurable', () => {
  for (const kind of STORE_KINDS) it(`BATCH_MAX_ITEMS=3 refuses a fourth user with 413: ${kind}`, async () => {
    const svc = await startTestService(kind, { BATCH_MAX_ITEMS: '3' });
    try {
      const { adminKey } = await svc.newTenant();
      const response = await svc.call('POST', '/v1/directories/default/users/batch', {
        key: adminKey,
        body: { users: [{ username: 'a' }, { username: 'b' }, { username: 'c' }, { username: 'd' }] },
      });
      assert.equal(response.status, 413);
      assert.equal(response.body.error.details.limit, 3);
    } finally {
      await svc.close();
    }
  });
});
