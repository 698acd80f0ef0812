/**
 * GET /v1/directories/{directory}/users?sort=&order=: every sort, both ways,
 * paged with a small page size through a directory of a few hundred users
 * whose sort values repeat and are missing (no email, no display name), yields
 * exactly the directory in the order a sort in the test computes; a cursor is
 * refused with another sort or order; sorts combine with the filters. Both
 * stores.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { USER_SORTS, type UserSort } from '../../src/domain/user.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

const USERS = 300;
const PAGE = 7;
const STATUSES = ['pending', 'active', 'disabled'] as const;
const DISPLAY_NAMES = ['Ada', 'ada', 'Bob', null, 'bob', 'Zed', null, 'Ada'];

interface WireUser {
  id: string;
  username: string;
  email: string | null;
  displayName: string | null;
  status: string;
  updatedAt: string;
}

/** Code-point order (the stores' collation here), then the id; a missing value after every value, whichever the direction. */
function expectedOrder(users: readonly WireUser[], key: (u: WireUser) => string | null, descending: boolean): string[] {
  const sign = descending ? -1 : 1;
  const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...users]
    .sort((a, b) => {
      const [ka, kb] = [key(a), key(b)];
      if (ka === null || kb === null) {
        if (ka !== kb) return ka === null ? 1 : -1;
      } else if (ka !== kb) return sign * compare(ka, kb);
      return sign * compare(a.id, b.id);
    })
    .map((u) => u.id);
}

for (const kind of STORE_KINDS) {
  describe(`native user list sorted by a column: ${kind}`, () => {
    let svc: TestService;
    let key: string;
    let users: WireUser[];
    /** updated_at to the microsecond (the wire shows milliseconds), by user id. */
    let updatedMicros: Map<string, string>;
    let opsMembers: Set<string>;

    const get = (query: string) => svc.call('GET', `/v1/directories/sorted/users?${query}`, { key });
    /** Every page of `query`, `PAGE` at a time; the ids in the order shown. */
    const pageThrough = async (query: string): Promise<string[]> => {
      const ids: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages <= USERS; pages++) {
        const response = await get(`${query}&limit=${PAGE}${cursor === null ? '' : `&cursor=${cursor}`}`);
        assert.equal(response.status, 200, response.text);
        ids.push(...response.body.users.map((u: WireUser) => u.id));
        cursor = response.body.nextCursor;
        if (cursor === null) return ids;
        assert.equal(response.body.users.length, PAGE, 'a page with a next one is full');
      }
      throw new Error(`${query} did not end`);
    };

    const keys: Record<UserSort, (u: WireUser) => string | null> = {
      createdAt: (u) => u.id,
      username: (u) => u.username.toLowerCase(),
      email: (u) => u.email?.toLowerCase() ?? null,
      displayName: (u) => u.displayName,
      updatedAt: (u) => updatedMicros.get(u.id)!.padStart(20, '0'),
      status: (u) => u.status,
    };

    before(async () => {
      svc = await startTestService(kind);
      key = (await svc.newTenant()).adminKey;
      assert.equal((await svc.call('POST', '/v1/directories', { key, body: { name: 'sorted' } })).status, 201);
      const group = await svc.call('POST', '/v1/directories/sorted/groups', { key, body: { name: 'ops' } });
      const drafts = Array.from({ length: USERS }, (_, i) => {
        // Username order is not creation order; case differs where the key does not.
        const n = String((i * 37) % USERS).padStart(3, '0');
        return {
          username: `${i % 2 ? 'User' : 'user'}-${n}`,
          ...(i % 4 !== 0 && { email: `${i % 3 ? 'Mail' : 'mail'}${n}@example.com` }),
          ...(DISPLAY_NAMES[i % DISPLAY_NAMES.length] !== null && { displayName: DISPLAY_NAMES[i % DISPLAY_NAMES.length] }),
          status: STATUSES[i % 3],
          ...(i % 5 === 0 && { groupIds: [group.body.id] }),
        };
      });
      // Two batches: each one's users share one updated_at (their transaction's clock).
      for (const half of [drafts.slice(0, USERS / 2), drafts.slice(USERS / 2)]) {
        const created = await svc.call('POST', '/v1/directories/sorted/users/batch', { key, body: { mode: 'atomic', users: half } });
        assert.equal(created.status, 200, created.text);
      }
      users = [];
      for (let cursor: string | null = null, first = true; first || cursor !== null; first = false) {
        const page = await get(`limit=200${cursor === null ? '' : `&cursor=${cursor}`}`);
        users.push(...page.body.users);
        cursor = page.body.nextCursor;
      }
      assert.equal(users.length, USERS);
      // A few updated one at a time: distinct, later update times.
      for (const user of users.filter((_, i) => i % 23 === 0)) {
        assert.equal((await svc.call('PATCH', `/v1/directories/sorted/users/${user.id}`, { key, body: { phone: '+15550100' } })).status, 200);
      }
      const { rows } = await svc.db.query<{ id: string; micros: string }>(
        `SELECT id::text AS id, (extract(epoch FROM updated_at) * 1000000)::bigint::text AS micros FROM users WHERE id = ANY($1::uuid[])`,
        [users.map((u) => u.id)],
      );
      updatedMicros = new Map(rows.map((r) => [r.id, r.micros]));
      assert.ok(new Set(updatedMicros.values()).size > 2 && new Set(updatedMicros.values()).size < USERS, 'update times repeat and differ');
      const members = await svc.call('GET', `/v1/directories/sorted/users?group=ops&limit=200`, { key });
      opsMembers = new Set(members.body.users.map((u: WireUser) => u.id));
      assert.equal(opsMembers.size, USERS / 5);
    });
    after(() => svc.close());

    for (const sort of USER_SORTS) {
      for (const order of ['asc', 'desc'] as const) {
        it(`sort=${sort}&order=${order} pages through every user once, in order`, async () => {
          const shown = await pageThrough(`sort=${sort}&order=${order}`);
          assert.equal(new Set(shown).size, USERS, 'no user repeated or lost');
          assert.deepEqual(shown, expectedOrder(users, keys[sort], order === 'desc'));
        });
      }
    }

    it('the default is creation order, ascending; oldest and newest still mean asc and desc', async () => {
      const ascending = expectedOrder(users, keys.createdAt, false);
      assert.deepEqual(await pageThrough('order=oldest'), ascending);
      assert.deepEqual(await pageThrough('sort=createdAt'), ascending);
      assert.deepEqual(await pageThrough('order=newest'), [...ascending].reverse());
    });

    it('a cursor is refused with another sort or order, and a forged one is a 400', async () => {
      const first = await get(`sort=displayName&order=desc&limit=${PAGE}`);
      const cursor = first.body.nextCursor as string;
      for (const other of ['sort=displayName&order=asc', 'sort=email&order=desc', 'order=desc', '']) {
        const refused = await get(`${other}&cursor=${cursor}`);
        assert.equal(refused.status, 400, other);
        assert.equal(refused.body.error.code, 'request.invalid_cursor', other);
        assert.match(refused.body.error.message, /sort=displayName&order=desc/);
      }
      const creation = (await get(`order=newest&limit=${PAGE}`)).body.nextCursor as string;
      assert.equal((await get(`sort=username&order=desc&cursor=${creation}`)).status, 400, 'a creation-order cursor is not a username one');
      const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const id = users[0]!.id;
      for (const [sort, forged] of [
        ['updatedAt', forge({ sort: 'updatedAt', order: 'asc', key: 'yesterday', id })],
        ['updatedAt', forge({ sort: 'updatedAt', order: 'asc', key: null, id })],
        ['username', forge({ sort: 'username', order: 'asc', key: 'a\u0000b', id })],
        ['username', forge({ sort: 'username', order: 'asc', key: 'a', id: 'not-a-uuid' })],
        ['username', forge([1, 2])],
      ]) {
        const response = await get(`sort=${sort}&cursor=${forged}`);
        assert.equal(response.status, 400, response.text);
        assert.equal(response.body.error.code, 'request.invalid_cursor', response.text);
      }
    });

    it('sorts combine with the filters: status, group, username prefix, exact username and email', async () => {
      const match = (where: (u: WireUser) => boolean, sort: UserSort, descending: boolean) => expectedOrder(users.filter(where), keys[sort], descending);
      assert.deepEqual(
        await pageThrough('sort=displayName&order=desc&status=active&group=ops'),
        match((u) => u.status === 'active' && opsMembers.has(u.id), 'displayName', true),
      );
      assert.deepEqual(await pageThrough('sort=email&usernamePrefix=USER-1'), match((u) => u.username.toLowerCase().startsWith('user-1'), 'email', false));
      assert.deepEqual(await pageThrough('sort=status&order=desc&group=ops'), match((u) => opsMembers.has(u.id), 'status', true));
      assert.deepEqual(await pageThrough('sort=updatedAt&order=desc&status=pending'), match((u) => u.status === 'pending', 'updatedAt', true));
      const one = users.find((u) => u.email !== null)!;
      assert.deepEqual(await pageThrough(`sort=username&order=desc&username=${one.username.toUpperCase()}`), [one.id]);
      assert.deepEqual(await pageThrough(`sort=displayName&email=${encodeURIComponent(one.email!.toUpperCase())}`), [one.id]);
    });

    it('an unknown sort or order is a 400 naming the field', async () => {
      for (const query of ['sort=password', 'order=up']) {
        const response = await get(query);
        assert.equal(response.status, 400, query);
        assert.equal(response.body.error.code, 'request.invalid', query);
      }
    });
  });
}
