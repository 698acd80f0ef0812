/**
 * Rate limits (RATE_LIMIT_*, issue 16): per key, per client address and users
 * per key through batch endpoints, counted in the database so two services on
 * one store agree; over a limit is 429 with Retry-After in every dialect's own
 * error shape. Windows slide (approximated: the previous window's count
 * weighted by its overlap), so a full previous window leaves room only for
 * the part of it that has slid out. On both stores, over a real socket (the
 * client address is 127.0.0.1).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cliActor } from '../../src/domain/actor.ts';
import { secondsUntilAdmitted, slidingHits } from '../../src/engine/rateLimits.ts';
import type { Database } from '../../src/store/ports.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type CallResult, type TestService } from '../helpers/service.ts';

const PROJECT = '0123456789abcdef0123456789abcdef';
const KEY_REQUESTS = 3;

/** A 429 with a whole-seconds Retry-After of at most `maxSeconds` (two windows: a sliding estimate may need the next one too). */
function assertLimitedWithin(response: CallResult, maxSeconds: number): void {
  assert.equal(response.status, 429, response.text);
  const retryAfter = Number(response.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= maxSeconds, `Retry-After ${String(response.headers['retry-after'])}`);
}

const assertLimited = (response: CallResult) => assertLimitedWithin(response, 120);

describe('the sliding-window estimate', () => {
  it('weighs the previous window by the part of it still inside the last window', () => {
    assert.equal(slidingHits({ hits: 4, previousHits: 10, remainingFraction: 0.5 }), 9);
    assert.equal(slidingHits({ hits: 4, previousHits: 0, remainingFraction: 0.5 }), 4);
    // A full window just before the boundary: fixed windows would admit a whole limit more at once; this refuses the first over.
    assert.ok(slidingHits({ hits: 1, previousHits: 10, remainingFraction: 0.99 }) > 10);
  });

  it('says when one more hit fits: within this window, or after the next one has run long enough', () => {
    // Held back by the previous window alone: wait until 4 + 10 r <= 9, r = 0.5: 0.25 of 60 s from r = 0.75.
    assert.equal(secondsUntilAdmitted({ hits: 4, previousHits: 10, remainingFraction: 0.75 }, 10, 60), 15);
    // Over within this window: the rest of it (0.5), then until 12 (1 - f) <= 9 in the next, f = 0.25.
    assert.equal(secondsUntilAdmitted({ hits: 12, previousHits: 0, remainingFraction: 0.5 }, 10, 60), 45);
    assert.equal(secondsUntilAdmitted({ hits: 10, previousHits: 10, remainingFraction: 0.001 }, 10, 60), Math.ceil((0.001 + 0.1) * 60));
    assert.equal(secondsUntilAdmitted({ hits: 1, previousHits: 100, remainingFraction: 0.08 }, 10, 60), 1, 'at least a second');
  });
});

for (const kind of STORE_KINDS) {
  describe(`rate limits: ${kind}`, () => {
    let svc: TestService;
    before(async () => {
      svc = await startTestService(
        kind,
        { RATE_LIMIT_WINDOW_SECONDS: '60', RATE_LIMIT_KEY_REQUESTS: String(KEY_REQUESTS), RATE_LIMIT_ADDRESS_REQUESTS: '0', RATE_LIMIT_KEY_USERS: '0' },
        { transport: 'socket' },
      );
    });
    after(() => svc.close());

    /** Sends `request` until the limit: the first KEY_REQUESTS pass, the next is refused. */
    async function exhaust(request: () => Promise<CallResult>): Promise<CallResult> {
      for (let i = 0; i < KEY_REQUESTS; i += 1) assert.notEqual((await request()).status, 429, `request ${i + 1} is within the limit`);
      return request();
    }

    it('native: the request over the key limit is 429 rate.limited with Retry-After; another key is not affected', async () => {
      const { adminKey } = await svc.newTenant();
      const refused = await exhaust(() => svc.call('GET', '/v1/directories/default/users', { key: adminKey }));
      assertLimited(refused);
      assert.equal(refused.body.error.code, 'rate.limited');
      assert.equal(refused.body.error.details.scope, 'key');
      assert.equal(refused.body.error.details.limit, KEY_REQUESTS);
      assert.equal(refused.body.error.details.retryAfterSeconds, Number(refused.headers['retry-after']));
      const { adminKey: other } = await svc.newTenant();
      assert.equal((await svc.call('GET', '/v1/directories/default/users', { key: other })).status, 200);
    });

    it('gcore: 429 in Gcore\'s shape, retryable (no x-should-retry: false)', async () => {
      const { adminKey } = await svc.newTenant();
      const refused = await exhaust(() => svc.call('GET', '/cloud/v1/registries/1/1', { headers: { authorization: `APIKey ${adminKey}` } }));
      assertLimited(refused);
      assert.equal(refused.body.exception_class, 'TooManyRequests');
      assert.equal(typeof refused.body.message, 'string');
      assert.equal(refused.headers['x-should-retry'], undefined);
    });

    it('huawei: 429 APIGW.0308 in Huawei\'s shape', async () => {
      const { adminKey, tenantId } = await svc.newTenant();
      await svc.call('POST', '/v1/directories', { key: adminKey, body: { name: PROJECT } });
      const { key } = await svc.engine.tenants.createKey(cliActor(tenantId), { name: 'sdk', scopes: ['users:read'] });
      const refused = await exhaust(() => svc.call('GET', `/v2/${PROJECT}/users`, { headers: { 'x-auth-token': key } }));
      assertLimited(refused);
      assert.deepEqual(Object.keys(refused.body).sort(), ['error_code', 'error_msg']);
      assert.equal(refused.body.error_code, 'APIGW.0308');
    });

    it('alloy: 429 {"message"}', async () => {
      const { adminKey } = await svc.newTenant();
      const refused = await exhaust(() => svc.call('GET', '/users/', { headers: { authorization: `Bearer ${adminKey}`, 'x-api-version': '2025-09' } }));
      assertLimited(refused);
      assert.deepEqual(Object.keys(refused.body), ['message']);
    });

    it('royalti: a token subject is limited like a key, in Royalti\'s error shape', async () => {
      const { adminKey } = await svc.newTenant();
      const issued = await svc.call('POST', '/v1/tokens', { key: adminKey });
      assert.equal(issued.status, 200, issued.text);
      let n = 0;
      const refused = await exhaust(() => {
        n += 1;
        return svc.call('POST', '/user/bulk', { headers: { authorization: `Bearer ${issued.body.token}` }, body: { users: [{ email: `r${n}@example.com` }], sendEmail: false } });
      });
      assertLimited(refused);
      assert.equal(refused.body.success, false);
      assert.equal(refused.body.error.code, 'TOO_MANY_REQUESTS');
      assert.deepEqual(refused.body.error.details, ['rate.limited']);
    });
  });

  describe(`rate limits shared by two services on one store, per address and per batch users: ${kind}`, () => {
    let first: TestService;
    let second: TestService;
    before(async () => {
      const env = { RATE_LIMIT_WINDOW_SECONDS: '60', RATE_LIMIT_KEY_REQUESTS: '0', RATE_LIMIT_ADDRESS_REQUESTS: '6', RATE_LIMIT_KEY_USERS: '10' };
      first = await startTestService(kind, env, { transport: 'socket' });
      // The second service shares the first's store; closing it must leave the store to the first.
      const shared = first.db;
      const borrowed: Database = {
        kind: shared.kind,
        query: (sql, params) => shared.query(sql, params),
        exec: (sql) => shared.exec(sql),
        transaction: (work) => shared.transaction(work),
        close: async () => {},
      };
      second = await startTestService(kind, env, { transport: 'socket', db: borrowed });
    });
    after(async () => {
      await second.close();
      await first.close();
    });

    it('batch endpoints count users, not requests, across both services', async () => {
      const { adminKey } = await first.newTenant();
      const batch = (svc: TestService, from: number) =>
        svc.call('POST', '/v1/directories/default/users/batch', { key: adminKey, body: { users: Array.from({ length: 6 }, (_, i) => ({ username: `u${from + i}` })) } });
      assert.equal((await batch(first, 0)).status, 200);
      const refused = await batch(second, 6);
      assertLimited(refused);
      assert.equal(refused.body.error.details.scope, 'users');
      const listed = await first.call('GET', '/v1/directories/default/users', { key: adminKey });
      assert.equal(listed.body.users.length, 6, 'the refused batch wrote nothing');
    });

    it('the client address is limited across keys and services', async () => {
      // The first case used 3 of the address's 6 requests (two batches, one list).
      const keys = [(await first.newTenant()).adminKey, (await first.newTenant()).adminKey];
      const statuses = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await (i % 2 ? second : first).call('GET', '/v1/directories/default/users', { key: keys[i % 2]! })).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
    });
  });

  describe(`rate limits slide: ${kind}`, () => {
    const LIMIT = 10;
    const WINDOW = 3600;
    let svc: TestService;
    before(async () => {
      svc = await startTestService(
        kind,
        { RATE_LIMIT_WINDOW_SECONDS: String(WINDOW), RATE_LIMIT_KEY_REQUESTS: String(LIMIT), RATE_LIMIT_ADDRESS_REQUESTS: '0', RATE_LIMIT_KEY_USERS: '0' },
        { transport: 'socket' },
      );
    });
    after(() => svc.close());

    /** The part of the current window still to come, by the database's clock (windows align to it). */
    const remaining = async () =>
      Number((await svc.db.query<{ r: number }>(`SELECT ((floor(extract(epoch FROM now()) / $1) + 1) * $1 - extract(epoch FROM now())) / $1 AS r`, [WINDOW])).rows[0]!.r);

    it('a full previous window admits only the part that has slid out, and Retry-After says when the next fits', async () => {
      // Keep clear of a window boundary (within 30 s of one, wait it out).
      if ((await remaining()) * WINDOW < 30) await sleep((await remaining()) * WINDOW * 1000 + 1000);
      const { tenantId } = await svc.newTenant();
      const { key, info } = await svc.engine.tenants.createKey(cliActor(tenantId), { name: 'slid', scopes: ['users:read'] });
      // The previous window was full: LIMIT requests of this key.
      await svc.db.query(
        `INSERT INTO rate_limit_hits (bucket, window_start, window_end, hits)
         SELECT $1, to_timestamp(start - $2), to_timestamp(start), $3 FROM (SELECT floor(extract(epoch FROM now()) / $2) * $2 AS start) w`,
        [`req:api_key:${info.id}`, WINDOW, LIMIT],
      );
      await svc.engine.rateLimits.sweep();
      const previous = await svc.db.query(`SELECT 1 FROM rate_limit_hits WHERE bucket = $1`, [`req:api_key:${info.id}`]);
      assert.equal(previous.rows.length, 1, 'the sweep keeps the window the estimate weighs');

      const before = await remaining();
      let admitted = 0;
      let refused: CallResult | undefined;
      while (!refused && admitted <= LIMIT) {
        const response = await svc.call('GET', '/v1/directories/default/users', { key });
        if (response.status === 429) refused = response;
        else admitted += 1;
      }
      const after = await remaining();
      // Request i passes while i + LIMIT * r <= LIMIT.
      const [fewest, most] = [Math.floor(LIMIT * (1 - before)), Math.floor(LIMIT * (1 - after))];
      assert.ok(admitted >= fewest && admitted <= most, `${admitted} admitted; expected ${fewest}..${most} (r ${before.toFixed(4)})`);
      if (before > 0.1) assert.ok(admitted < LIMIT, 'a fixed window would have admitted the whole limit');
      assert.ok(refused, 'the request over the estimate is refused');
      assertLimitedWithin(refused, WINDOW * 2);
      // Refused at hits = admitted + 1: the next fits when (admitted + 1) + LIMIT * r' <= LIMIT - 1.
      const hits = admitted + 1;
      const expected = hits <= LIMIT - 1 ? (after - (LIMIT - 1 - hits) / LIMIT) * WINDOW : (after + 1 - (LIMIT - 1) / hits) * WINDOW;
      const retryAfter = Number(refused.headers['retry-after']);
      assert.ok(Math.abs(retryAfter - expected) <= 3, `Retry-After ${retryAfter}, expected about ${expected.toFixed(1)}`);
    });
  });
}
