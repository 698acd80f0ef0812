/**
 * Webhook endpoint row locks are taken in one order (by id) on every path, so
 * PostgreSQL never aborts one of two racing writes as a deadlock victim
 * (40P01). The race: a tenant with several endpoints subscribed to `*`;
 * PATCHes and secret rotations of those endpoints (each locks its endpoint,
 * then its `webhook.updated` event fans out to every endpoint) run at the
 * same time as group creates, batch creates and a directory delete (whose
 * events fan out to the same endpoints; the delete's in two steps). PostgreSQL only: the embedded store runs one transaction
 * at a time, so nothing there can interleave.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestService, type CallResult, type TestService } from '../helpers/service.ts';

/** Endpoints: one of directory events, the others subscribed to `*`. */
const ENDPOINTS = 6;
const ROUNDS = 6;

describe('webhook endpoint locks under concurrent writes (postgres)', () => {
  let svc: TestService;
  let key: string;
  let endpointIds: string[];

  before(async () => {
    // Deliveries go nowhere (a closed port) and retry after an hour: only the fan-out in the requests matters here.
    svc = await startTestService('postgres', { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true', WEBHOOK_RETRY_SCHEDULE_MS: '0,3600000', DATABASE_POOL_SIZE: '20', LOG_LEVEL: 'error' });
    key = (await svc.newTenant()).adminKey;
    // First, so it has the lowest id: an endpoint of directory events only, which a directory delete's
    // user.deleted deliveries do not lock and its directory.deleted does, after the others.
    const directories = await svc.call('POST', '/v1/webhooks', { key, body: { url: 'https://127.0.0.1:1/directories', eventTypes: ['directory.*'] } });
    assert.equal(directories.status, 201, directories.text);
    endpointIds = [directories.body.id];
    for (let i = 1; i < ENDPOINTS; i += 1) {
      const created = await svc.call('POST', '/v1/webhooks', { key, body: { url: `https://127.0.0.1:1/hook-${i}`, eventTypes: ['*'] } });
      assert.equal(created.status, 201, created.text);
      endpointIds.push(created.body.id);
    }
  });
  after(() => svc.close());

  it('PATCHes, rotations, group creates and batch creates racing in a tenant subscribed to * all succeed', async () => {
    const failures: string[] = [];
    const expect = (what: string, status: number) => (answer: CallResult) => {
      if (answer.status !== status) failures.push(`${what}: ${answer.status} ${answer.text.slice(0, 200)}`);
    };
    for (let round = 0; round < ROUNDS; round += 1) {
      // A directory to delete in the race: its user.deleted deliveries are queued before its unit's own fan-out.
      const doomed = `doomed-${round}`;
      expect('directory create', 201)(await svc.call('POST', '/v1/directories', { key, body: { name: doomed } }));
      expect('users of the doomed directory', 200)(await svc.call('POST', `/v1/directories/${doomed}/users/batch`, { key, body: { users: [{ username: 'a' }, { username: 'b' }] } }));
      // Endpoints in reverse id order, so each PATCH holds a higher id than some endpoint its fan-out needs.
      const byIdDescending = [...endpointIds].sort().reverse();
      await Promise.all([
        svc.call('DELETE', `/v1/directories/${doomed}?force=true`, { key }).then(expect('directory delete', 204)),
        ...byIdDescending.map((id, i) =>
          i % 2 === 0
            ? svc.call('PATCH', `/v1/webhooks/${id}`, { key, body: { description: `round ${round}` } }).then(expect(`PATCH ${id}`, 200))
            : svc.call('POST', `/v1/webhooks/${id}/rotate-secret?overlapSeconds=60`, { key }).then(expect(`rotate ${id}`, 200)),
        ),
        ...[0, 1, 2].map((g) => svc.call('POST', '/v1/directories/default/groups', { key, body: { name: `g-${round}-${g}` } }).then(expect('group create', 201))),
        ...[0, 1].map((b) =>
          svc
            .call('POST', '/v1/directories/default/users/batch', { key, body: { users: [0, 1, 2].map((u) => ({ username: `u-${round}-${b}-${u}` })) } })
            .then(expect('batch create', 200)),
        ),
      ]);
    }
    assert.deepEqual(failures, [], 'no write was aborted');
    assert.deepEqual(svc.logs.filter((line) => /deadlock|40P01/.test(line)), [], 'no deadlock logged');
    // Every write's events reached the endpoints: the newest one (subscribed to *) got at least one delivery per write of every round.
    const deliveries = await svc.db.query<{ lane: string; n: number }>(`SELECT lane, count(*)::int AS n FROM queue WHERE kind = 'webhook' GROUP BY lane`);
    assert.equal(deliveries.rows.length, ENDPOINTS);
    const last = deliveries.rows.find((r) => r.lane === [...endpointIds].sort().at(-1))!;
    assert.ok(last.n >= ROUNDS * (ENDPOINTS + 3 + 2 + 1), `the newest endpoint got every round's messages (${last.n})`);
  });
});
