/**
 * Export (issue 16): GET /v1/directories/{directory}/export streams every
 * user in the native shape as NDJSON or CSV, never a password or secret, and
 * password hashes only with passwordHashes=true and the admin scope, and each
 * user's group names (`groups`), which the native import reads back by name.
 * Shape and a CSV round trip on both stores; 100,000 users on PostgreSQL
 * (inserted in SQL, for speed), exported with their hashes and imported into
 * a fresh directory with groups of the same names: the same users, the same
 * memberships, and their passwords still work there.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hash as argon2Hash } from '@node-rs/argon2';
import { ARGON2ID_PARAMS } from '../../src/crypto/passwords.ts';
import { cliActor } from '../../src/domain/actor.ts';
import { finished, reportLines, upload } from '../imports/helpers.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

/** A group name that any separator or quoting would break, unless the export writes JSON. */
const TRICKY_GROUP = 'R&D | EU, "west"; \u00e9quipe';
const GROUP_NAMES = ['ops', TRICKY_GROUP];

/** Makes `directory` with groups named `groups` and uploads `file` into it as an import job; the job's id. */
async function importIntoNew(svc: TestService, key: string, directory: string, groups: readonly string[], file: string, contentType: string): Promise<string> {
  assert.equal((await svc.call('POST', '/v1/directories', { key, body: { name: directory } })).status, 201);
  for (const name of groups) assert.equal((await svc.call('POST', `/v1/directories/${directory}/groups`, { key, body: { name } })).status, 201);
  const started = await upload({ svc, key }, directory, file, contentType);
  assert.equal(started.status, 202, started.text);
  return started.body.id as string;
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

for (const kind of STORE_KINDS) {
  describe(`export: ${kind}`, () => {
    let svc: TestService;
    let key: string;
    let tenantId: string;
    before(async () => {
      svc = await startTestService(kind, {}, { transport: 'socket' });
      ({ adminKey: key, tenantId } = await svc.newTenant());
      await svc.call('POST', '/v1/directories', { key, body: { name: 'people' } });
      const groupIds: string[] = [];
      for (const name of GROUP_NAMES) {
        const group = await svc.call('POST', '/v1/directories/people/groups', { key, body: { name } });
        assert.equal(group.status, 201, group.text);
        groupIds.push(group.body.id as string);
      }
      const created = await svc.call('POST', '/v1/directories/people/users/batch', {
        key,
        body: {
          users: [
            { username: 'ada', email: 'ada@example.com', password: 'ada has a long password', displayName: 'Lovelace, Ada "the first"', groupIds },
            { username: 'bot', generateSecret: true, attributes: { team: 'ci' }, groupIds: [groupIds[0]] },
            { username: 'plain' },
          ],
        },
      });
      assert.equal(created.status, 200, created.text);
    });
    after(() => svc.close());

    it('NDJSON: every user in the native shape with its group names, no credential, in id order', async () => {
      const response = await svc.call('GET', '/v1/directories/people/export', { key });
      assert.equal(response.status, 200, response.text);
      assert.match(String(response.headers['content-type']), /^application\/x-ndjson/);
      const users = lines(response.text);
      assert.deepEqual(users.map((u) => u.username).sort(), ['ada', 'bot', 'plain']);
      assert.deepEqual(users.map((u) => String(u.id)), users.map((u) => String(u.id)).sort(), 'id order');
      for (const { groups, ...user } of users) {
        const one = await svc.call('GET', `/v1/directories/people/users/${String(user.id)}`, { key });
        assert.deepEqual(user, one.body, 'the same shape as GET .../users/{id}');
        const memberOf = (await svc.call('GET', `/v1/directories/people/users/${String(user.id)}/groups`, { key })).body.groups as { name: string }[];
        assert.deepEqual(groups, memberOf.map((g) => g.name).sort(), `${String(user.username)}: its groups' names`);
      }
      const byName = new Map(users.map((u) => [u.username, u.groups]));
      assert.deepEqual(byName.get('ada'), [TRICKY_GROUP, 'ops'], 'code-point order');
      assert.deepEqual(byName.get('bot'), ['ops']);
      assert.deepEqual(byName.get('plain'), []);
      for (const user of users) for (const field of ['password', 'secret', 'passwordHash', 'secretHash']) assert.ok(!(field in user), field);
      assert.doesNotMatch(response.text, /argon2/);
      assert.equal(users.find((u) => u.username === 'bot')!.hasSecret, true);
    });

    it('password hashes only with passwordHashes=true and the admin scope', async () => {
      const withHashes = new Map(lines((await svc.call('GET', '/v1/directories/people/export?passwordHashes=true', { key })).text).map((u) => [u.username, u]));
      assert.match(String(withHashes.get('ada')!.passwordHash), /^\$argon2id\$/);
      assert.equal(withHashes.get('bot')!.passwordHash, null, 'a generated secret is never exported');
      assert.equal(withHashes.get('plain')!.passwordHash, null);
      const { key: reader } = await svc.engine.tenants.createKey(cliActor(tenantId), { name: 'reader', scopes: ['users:read'] });
      const refused = await svc.call('GET', '/v1/directories/people/export?passwordHashes=true', { key: reader });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'auth.insufficient_scope');
      assert.equal((await svc.call('GET', '/v1/directories/people/export', { key: reader })).status, 200);
    });

    it('CSV: a header, one quoted row per user, attributes as JSON', async () => {
      const response = await svc.call('GET', '/v1/directories/people/export?format=csv&passwordHashes=true', { key });
      assert.equal(response.status, 200);
      assert.match(String(response.headers['content-type']), /^text\/csv/);
      const rows = response.text.trimEnd().split('\n');
      assert.equal(rows.length, 4);
      assert.equal(rows[0], 'id,directoryId,username,email,displayName,givenName,familyName,phone,locale,externalId,status,expiresAt,attributes,groups,hasPassword,hasSecret,createdAt,updatedAt,version,passwordHash');
      const ada = rows.find((r) => r.includes(',ada,'))!;
      assert.match(ada, /,ada,ada@example\.com,"Lovelace, Ada ""the first""",/);
      assert.match(ada, /,"?\$argon2id\$/);
      assert.match(rows.find((r) => r.includes(',bot,'))!, /,"\{""team"":""ci""\}","\[""ops""\]",false,true,.*,$/);
      assert.match(rows.find((r) => r.includes(',plain,'))!, /,\{\},\[\],false,false,/);
    });

    it('CSV re-imports into a directory with groups of the same names: the same memberships', async () => {
      const exported = await svc.call('GET', '/v1/directories/people/export?format=csv', { key });
      const id = await importIntoNew(svc, key, 'people-copy', GROUP_NAMES, exported.text, 'text/csv');
      const job = await finished({ svc, key }, id);
      assert.deepEqual(job.totals, { rows: 3, processed: 3, created: 3, updated: 0, skipped: 0, failed: 0 }, JSON.stringify(await reportLines({ svc, key }, id)));
      // Everything but identity, times and credentials (no hashes in this export) comes back, memberships included.
      const comparable = async (directory: string) =>
        new Map(
          lines((await svc.call('GET', `/v1/directories/${directory}/export`, { key })).text).map(
            ({ id: _id, directoryId: _d, createdAt: _c, updatedAt: _u, version: _v, hasPassword: _p, hasSecret: _s, ...user }) => [user.username, user],
          ),
        );
      const copy = await comparable('people-copy');
      assert.deepEqual(copy, await comparable('people'));
      assert.deepEqual(copy.get('ada')!.groups, [TRICKY_GROUP, 'ops']);
    });

    it('a group name the target directory lacks fails its row with group.not_found', async () => {
      const exported = await svc.call('GET', '/v1/directories/people/export', { key });
      const id = await importIntoNew(svc, key, 'no-groups', [], exported.text, 'application/x-ndjson');
      const job = await finished({ svc, key }, id);
      assert.deepEqual(job.totals, { rows: 3, processed: 3, created: 1, updated: 0, skipped: 0, failed: 2 });
      const failed = await reportLines({ svc, key }, id, 'format=ndjson&status=failed');
      assert.deepEqual(failed.map((r) => [r.username, r.code]).sort(), [['ada', 'group.not_found'], ['bot', 'group.not_found']]);
    });

    it('an unknown directory or format is a 4xx before any byte', async () => {
      assert.equal((await svc.call('GET', '/v1/directories/nope/export', { key })).status, 404);
      assert.equal((await svc.call('GET', '/v1/directories/people/export?format=xml', { key })).status, 400);
    });
  });
}

describe('export of 100,000 users: postgres', () => {
  let svc: TestService;
  let key: string;
  const COUNT = 100_000;
  const PASSWORD = 'exported and imported';
  const MANY_GROUPS = ['threes', 'fours'];
  before(async () => {
    svc = await startTestService('postgres', {}, { transport: 'socket' });
    let tenantId: string;
    ({ adminKey: key, tenantId } = await svc.newTenant());
    const { id: directoryId } = await svc.engine.directories.createDirectory(cliActor(tenantId), 'many');
    // One argon2id hash for everyone (hashing 100,000 passwords would take minutes); every 7th user has none.
    const passwordHash = await argon2Hash(PASSWORD, { algorithm: 2, ...ARGON2ID_PARAMS });
    await svc.db.query(
      `INSERT INTO users (tenant_id, directory_id, id, username, username_key, email, email_key, display_name, status, attributes, password_hash)
       SELECT $1, $2, gen_random_uuid(), 'user' || n, 'user' || n, 'user' || n || '@example.com', 'user' || n || '@example.com',
              'User, "' || n || '"', CASE WHEN n % 11 = 0 THEN 'disabled' ELSE 'active' END,
              jsonb_build_object('n', n, 'team', 'team ' || (n % 5)), CASE WHEN n % 7 = 0 THEN NULL ELSE $4 END
       FROM generate_series(1, $3) AS n`,
      [tenantId, directoryId, COUNT, passwordHash],
    );
    // Memberships: every 3rd user in "threes", every 4th in "fours" (every 12th in both), the rest in none.
    await svc.db.query(
      `INSERT INTO groups (tenant_id, id, directory_id, name) SELECT $1, gen_random_uuid(), $2, name FROM unnest($3::text[]) AS t(name)`,
      [tenantId, directoryId, MANY_GROUPS],
    );
    await svc.db.query(
      `INSERT INTO group_members (tenant_id, directory_id, group_id, user_id)
       SELECT u.tenant_id, u.directory_id, g.id, u.id FROM users u JOIN groups g ON g.tenant_id = u.tenant_id AND g.directory_id = u.directory_id
       WHERE u.tenant_id = $1 AND u.directory_id = $2
         AND ((g.name = 'threes' AND substr(u.username, 5)::int % 3 = 0) OR (g.name = 'fours' AND substr(u.username, 5)::int % 4 = 0))`,
      [tenantId, directoryId],
    );
  });
  after(() => svc.close());

  it('streams every user once, in id order, chunked', async () => {
    const response = await svc.call('GET', '/v1/directories/many/export', { key });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-length'], undefined);
    assert.equal(response.headers['transfer-encoding'], 'chunked');
    const users = lines(response.text);
    assert.equal(users.length, COUNT);
    const ids = users.map((u) => String(u.id));
    assert.equal(new Set(ids).size, COUNT);
    assert.ok(ids.every((id, i) => i === 0 || ids[i - 1]! < id), 'id order');
    assert.equal(new Set(users.map((u) => u.username)).size, COUNT);
  });

  it('re-imports into a fresh directory with the same groups: identical users and memberships, working credentials (hashes exported)', async () => {
    const exported = await svc.call('GET', '/v1/directories/many/export?passwordHashes=true', { key });
    assert.equal(exported.status, 200);
    const memberships = lines(exported.text).reduce((n, u) => n + (u.groups as string[]).length, 0);
    assert.equal(memberships, Math.floor(COUNT / 3) + Math.floor(COUNT / 4), 'every membership exported');
    const id = await importIntoNew(svc, key, 'copy', MANY_GROUPS, exported.text, 'application/x-ndjson');
    const job = await finished({ svc, key }, id, 600_000);
    assert.deepEqual(job.totals, { rows: COUNT, processed: COUNT, created: COUNT, updated: 0, skipped: 0, failed: 0 });

    const again = await svc.call('GET', '/v1/directories/copy/export?passwordHashes=true', { key });
    const comparable = (text: string) =>
      new Map(
        lines(text).map(({ id: _id, directoryId: _directory, createdAt: _created, updatedAt: _updated, version: _version, ...user }) => [String(user.username), JSON.stringify(user)]),
      );
    const before = comparable(exported.text);
    const after = comparable(again.text);
    assert.equal(after.size, COUNT);
    for (const [username, user] of before) assert.equal(after.get(username), user, username);
    assert.deepEqual(JSON.parse(after.get('user12')!).groups, ['fours', 'threes'], 'memberships survive (compared for every user above)');

    for (const username of ['user1', 'user50000', 'user99999']) {
      const signIn = await svc.call('POST', '/v1/directories/copy/authenticate', { key, body: { username, password: PASSWORD } });
      assert.equal(signIn.status, 200, `${username}: ${signIn.text}`);
    }
    assert.equal((await svc.call('POST', '/v1/directories/copy/authenticate', { key, body: { username: 'user14', password: PASSWORD } })).status, 401, 'no password, none imported');
    assert.equal((await svc.call('POST', '/v1/directories/copy/authenticate', { key, body: { username: 'user11', password: PASSWORD } })).status, 401, 'disabled stays disabled');
  });
});
