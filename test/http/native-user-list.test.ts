/**
 * GET /v1/directories/{directory}/users filters and orders the console's user
 * table needs: a username prefix, a group, and newest-first creation order
 * with cursors that continue in the order they were made in; and a user's
 * groups (GET .../users/{id}/groups) for the console's user page. Both stores.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

for (const kind of STORE_KINDS) {
  describe(`native user list filters and order: ${kind}`, () => {
    let svc: TestService;
    let key: string;
    const list = async (query: string) => {
      const response = await svc.call('GET', `/v1/directories/default/users?${query}`, { key });
      assert.equal(response.status, 200, response.text);
      return response.body as { users: { username: string }[]; nextCursor: string | null };
    };
    const names = (page: { users: { username: string }[] }) => page.users.map((u) => u.username);

    before(async () => {
      svc = await startTestService(kind);
      key = (await svc.newTenant()).adminKey;
      const group = await svc.call('POST', '/v1/directories/default/groups', { key, body: { name: 'ops' } });
      const users = ['Alice', 'alfred', 'bob', 'alvin', 'carol'].map((username, i) => ({ username, ...(i % 2 === 0 && { groupIds: [group.body.id] }) }));
      assert.equal((await svc.call('POST', '/v1/directories/default/users/batch', { key, body: { mode: 'atomic', users } })).status, 200);
    });
    after(() => svc.close());

    it('usernamePrefix matches case-insensitively', async () => {
      assert.deepEqual(names(await list('usernamePrefix=AL')), ['Alice', 'alfred', 'alvin']);
      assert.deepEqual(names(await list('usernamePrefix=alv')), ['alvin']);
      assert.deepEqual(names(await list('usernamePrefix=%25')), [], 'no pattern characters');
    });

    it('group selects the members of the group of that name; a user\'s groups are listed', async () => {
      assert.deepEqual(names(await list('group=ops')), ['Alice', 'bob', 'carol']);
      assert.deepEqual(names(await list('group=nobody')), []);
      const [bob, alfred] = [(await list('username=bob')).users[0] as unknown as { id: string }, (await list('username=alfred')).users[0] as unknown as { id: string }];
      const groupsOf = async (id: string) => (await svc.call('GET', `/v1/directories/default/users/${id}/groups`, { key })).body.groups.map((g: { name: string }) => g.name);
      assert.deepEqual(await groupsOf(bob.id), ['ops']);
      assert.deepEqual(await groupsOf(alfred.id), []);
      assert.equal((await svc.call('GET', '/v1/directories/default/users/00000000-0000-7000-8000-000000000000/groups', { key })).status, 404);
    });

    it('order=newest pages newest first, and its cursor continues that way', async () => {
      const first = await list('order=newest&limit=2');
      assert.deepEqual(names(first), ['carol', 'alvin']);
      const second = await list(`order=newest&limit=2&cursor=${first.nextCursor}`);
      assert.deepEqual(names(second), ['bob', 'alfred']);
      const third = await list(`order=newest&limit=2&cursor=${second.nextCursor}`);
      assert.deepEqual(names(third), ['Alice']);
      assert.equal(third.nextCursor, null);
      const mixed = await svc.call('GET', `/v1/directories/default/users?order=oldest&cursor=${first.nextCursor}`, { key });
      assert.equal(mixed.status, 400, 'a newest-first cursor is not an oldest-first one');
      assert.equal(mixed.body.error.code, 'request.invalid_cursor');
      assert.deepEqual(names(await list('order=newest&usernamePrefix=al&group=ops')), ['Alice']);
    });
  });
}
