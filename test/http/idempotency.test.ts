/** Idempotency-Key on single and batch create, on both stores. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

/** A short lease, so that the crash cases below take seconds. */
const LEASE_SECONDS = 2;

for (const kind of STORE_KINDS) {
  describe(`idempotency: ${kind}`, () => {
    let svc: TestService;
    let key: string;
    let tenantId: string;
    let n = 0;
    const fresh = () => `idem-${kind}-${++n}`;
    const batchUrl = '/v1/directories/default/users/batch';
    const count = async (prefix: string) =>
      (await svc.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE tenant_id = $1 AND username LIKE $2', [tenantId, `${prefix}%`])).rows[0]!.n;

    before(async () => {
      svc = await startTestService(kind, { IDEMPOTENCY_LEASE_SECONDS: String(LEASE_SECONDS) });
      ({ adminKey: key, tenantId } = await svc.newTenant());
    });
    after(() => svc.close());

    it('replays a batch exactly, secrets included, and writes once', async () => {
      const idem = fresh();
      const body = { users: [{ username: `${idem}-a`, generateSecret: true }, { username: `${idem}-b` }] };
      const first = await svc.call('POST', batchUrl, { key, body, headers: { 'idempotency-key': idem } });
      assert.equal(first.status, 200);
      assert.equal(first.headers['idempotent-replayed'], undefined);
      const again = await svc.call('POST', batchUrl, { key, body, headers: { 'idempotency-key': idem } });
      assert.equal(again.status, 200);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal(again.text, first.text);
      assert.ok(first.body.results[0].secret);
      assert.equal(await count(idem), 2);
    });

    it('treats the same body with its keys in another order as the same request', async () => {
      const idem = fresh();
      const first = await svc.call('POST', batchUrl, { key, rawBody: `{"users":[{"username":"${idem}"}],"mode":"partial"}`, headers: { 'idempotency-key': idem } });
      const again = await svc.call('POST', batchUrl, { key, rawBody: `{"mode":"partial","users":[{"username":"${idem}"}]}`, headers: { 'idempotency-key': idem } });
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal(again.text, first.text);
    });

    it('replays a single create with its status, Location and secret', async () => {
      const idem = fresh();
      const body = { username: idem, generateSecret: true };
      const first = await svc.call('POST', '/v1/directories/default/users', { key, body, headers: { 'idempotency-key': idem } });
      const again = await svc.call('POST', '/v1/directories/default/users', { key, body, headers: { 'idempotency-key': idem } });
      assert.equal(first.status, 201);
      assert.equal(again.status, 201);
      assert.equal(again.headers.location, first.headers.location);
      assert.equal(again.body.secret, first.body.secret);
      assert.equal(again.headers['idempotent-replayed'], 'true');
    });

    it('replays a failed atomic batch and a request-level error the same way', async () => {
      const idem = fresh();
      const body = { users: [{ username: `${idem}-ok` }, { username: `${idem}-bad`, email: 'nope' }] };
      const first = await svc.call('POST', batchUrl, { key, body, headers: { 'idempotency-key': idem } });
      assert.equal(first.status, 422);
      const again = await svc.call('POST', batchUrl, { key, body, headers: { 'idempotency-key': idem } });
      assert.equal(again.status, 422);
      assert.equal(again.text, first.text);
      const missing = fresh();
      const notFound = await svc.call('POST', '/v1/directories/nowhere/users/batch', { key, body, headers: { 'idempotency-key': missing } });
      assert.equal(notFound.status, 404);
      const notFoundAgain = await svc.call('POST', '/v1/directories/nowhere/users/batch', { key, body, headers: { 'idempotency-key': missing } });
      assert.equal(notFoundAgain.headers['idempotent-replayed'], 'true');
    });

    it('refuses the same key with a different body (422) or another route', async () => {
      const idem = fresh();
      await svc.call('POST', batchUrl, { key, body: { users: [{ username: `${idem}-1` }] }, headers: { 'idempotency-key': idem } });
      const reused = await svc.call('POST', batchUrl, { key, body: { users: [{ username: `${idem}-2` }] }, headers: { 'idempotency-key': idem } });
      assert.equal(reused.status, 422);
      assert.equal(reused.body.error.code, 'idempotency.key_reused');
      const otherRoute = await svc.call('POST', '/v1/directories/default/users', { key, body: { username: `${idem}-1` }, headers: { 'idempotency-key': idem } });
      assert.equal(otherRoute.body.error.code, 'idempotency.key_reused');
      assert.equal(await count(`${idem}-2`), 0);
    });

    it('answers 409 to a second request while the first with that key runs, then replays', async () => {
      const idem = fresh();
      const body = { users: Array.from({ length: 60 }, (_, i) => ({ username: `${idem}-${i}`, password: 'slow to hash on purpose' })) };
      const first = svc.call('POST', batchUrl, { key, body, headers: { 'idempotency-key': idem } });
      // Wait until the first request holds the key (its row exists), then collide with it.
      await waitFor('the first request to hold the key', async () =>
        (await svc.db.query('SELECT 1 FROM idempotency_keys WHERE tenant_id = $1 AND key = $2', [tenantId, idem])).rowCount > 0,
      );
      const second = await svc.call('POST', batchUrl, { key, body, headers: { 'idempotency-key': idem } });
      assert.equal(second.status, 409);
      assert.equal(second.body.error.code, 'idempotency.in_progress');
      const retryAfter = Number(second.headers['retry-after']);
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= LEASE_SECONDS, `Retry-After: ${second.headers['retry-after']}`);
      assert.equal(second.body.error.details.retryAfterSeconds, retryAfter);
      const done = await first;
      assert.equal(done.status, 200);
      const third = await svc.call('POST', batchUrl, { key, body, headers: { 'idempotency-key': idem } });
      assert.equal(third.text, done.text);
      assert.equal(await count(`${idem}-`), 60);
    });

    it('scopes keys per tenant', async () => {
      const idem = fresh();
      const other = await svc.newTenant();
      const mine = await svc.call('POST', batchUrl, { key, body: { users: [{ username: `${idem}-mine` }] }, headers: { 'idempotency-key': idem } });
      const theirs = await svc.call('POST', batchUrl, { key: other.adminKey, body: { users: [{ username: `${idem}-theirs` }] }, headers: { 'idempotency-key': idem } });
      assert.equal(mine.status, 200);
      assert.equal(theirs.status, 200);
      assert.equal(theirs.headers['idempotent-replayed'], undefined);
      assert.equal(theirs.body.results[0].user.username, `${idem}-theirs`);
    });

    it('stores responses encrypted at rest', async () => {
      const idem = fresh();
      const response = await svc.call('POST', batchUrl, { key, body: { users: [{ username: `${idem}-sealed`, generateSecret: true }] }, headers: { 'idempotency-key': idem } });
      const secret = response.body.results[0].secret as string;
      const { rows } = await svc.db.query<{ response: Uint8Array }>('SELECT response FROM idempotency_keys WHERE tenant_id = $1 AND key = $2', [tenantId, idem]);
      const stored = Buffer.from(rows[0]!.response).toString('latin1');
      assert.ok(!stored.includes(secret) && !stored.includes(`${idem}-sealed`), 'the stored response is not plaintext');
      await svc.db.query('UPDATE idempotency_keys SET response = set_byte(response, 40, (get_byte(response, 40) + 1) % 256) WHERE tenant_id = $1 AND key = $2', [tenantId, idem]);
      const tampered = await svc.call('POST', batchUrl, { key, body: { users: [{ username: `${idem}-sealed`, generateSecret: true }] }, headers: { 'idempotency-key': idem } });
      assert.equal(tampered.status, 500, 'a tampered record is refused, not replayed');
    });

    it('forgets a key once it expires', async () => {
      const idem = fresh();
      await svc.call('POST', batchUrl, { key, body: { users: [{ username: `${idem}-old` }] }, headers: { 'idempotency-key': idem } });
      await svc.db.query("UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND key = $2", [tenantId, idem]);
      const reuse = await svc.call('POST', batchUrl, { key, body: { users: [{ username: `${idem}-new` }] }, headers: { 'idempotency-key': idem } });
      assert.equal(reuse.status, 200);
      assert.equal(reuse.headers['idempotent-replayed'], undefined);
      assert.equal(await count(`${idem}-new`), 1);
      await svc.db.query("UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND key = $2", [tenantId, idem]);
      assert.ok((await svc.engine.idempotency.sweep()) >= 1);
    });

    it('lets a retry take over a key whose request died (lease expired)', async () => {
      const idem = fresh();
      const body = { users: [{ username: `${idem}-orphan` }] };
      // A request that claimed the key and then died: its row is running, its lease over.
      await svc.db.query(
        `INSERT INTO idempotency_keys (tenant_id, key, fingerprint, state, locked_until, expires_at)
         VALUES ($1, $2, '\\x00', 'running', now() - interval '1 second', now() + interval '1 hour')`,
        [tenantId, idem],
      );
      const mismatch = await svc.call('POST', batchUrl, { key, body, headers: { 'idempotency-key': idem } });
      assert.equal(mismatch.body.error.code, 'idempotency.key_reused', 'the fingerprint still has to match');
      await svc.db.query('DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2', [tenantId, idem]);
      const owner = await svc.engine.idempotency.claim(tenantId, idem, Buffer.from('fp'));
      assert.equal(owner.kind, 'owner');
      assert.equal((await svc.engine.idempotency.claim(tenantId, idem, Buffer.from('fp'))).kind, 'running');
      await svc.db.query("UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE tenant_id = $1 AND key = $2", [tenantId, idem]);
      assert.equal((await svc.engine.idempotency.claim(tenantId, idem, Buffer.from('fp'))).kind, 'owner');
    });

    it('after a crash, a retry is told when to come back and then takes the key over within one lease', async () => {
      const idem = fresh();
      const body = { users: [{ username: `${idem}-a` }, { username: `${idem}-b` }] };
      const headers = { 'idempotency-key': idem };
      assert.equal((await svc.call('POST', batchUrl, { key, body, headers })).status, 200);
      // Turn that into what a crash leaves: the holder had just renewed its lease and died
      // before its write transaction committed (no users, no response), so nobody renews it.
      await svc.db.query('DELETE FROM users WHERE tenant_id = $1 AND username LIKE $2', [tenantId, `${idem}-%`]);
      await svc.db.query(
        `UPDATE idempotency_keys SET state = 'running', response = NULL, locked_until = now() + make_interval(secs => $3)
         WHERE tenant_id = $1 AND key = $2`,
        [tenantId, idem, LEASE_SECONDS],
      );
      const refused = await svc.call('POST', batchUrl, { key, body, headers });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, 'idempotency.in_progress');
      const retryAfter = Number(refused.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= LEASE_SECONDS, `Retry-After: ${refused.headers['retry-after']}`);

      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000)); // as the client is told to
      const retried = await svc.call('POST', batchUrl, { key, body, headers });
      assert.equal(retried.status, 200, retried.text);
      assert.equal(retried.headers['idempotent-replayed'], undefined, 'the retry ran the request itself');
      assert.deepEqual(retried.body.results.map((r: { status: string }) => r.status), ['created', 'created']);
      assert.equal(await count(`${idem}-`), 2);
      assert.equal((await svc.call('POST', batchUrl, { key, body, headers })).headers['idempotent-replayed'], 'true');
    });

    it('a live request renews its lease, so it keeps its key past the lease', async () => {
      const idem = fresh();
      const fp = Buffer.from('fingerprint');
      assert.equal((await svc.engine.idempotency.claim(tenantId, idem, fp)).kind, 'owner');
      const lockedUntil = async () =>
        (await svc.db.query<{ t: Date }>('SELECT locked_until AS t FROM idempotency_keys WHERE tenant_id = $1 AND key = $2', [tenantId, idem])).rows[0]!.t.getTime();
      const claimedUntil = await lockedUntil();
      await svc.engine.idempotency.hold(tenantId, idem, async () => {
        // Wait (on the row, not the clock) until the lease was renewed past its first end.
        for (let i = 0; i < 200 && (await lockedUntil()) <= claimedUntil + 1000; i++) await new Promise((resolve) => setTimeout(resolve, 50));
        assert.ok((await lockedUntil()) > claimedUntil + 1000, 'the lease was renewed');
        assert.ok(Date.now() > claimedUntil - 1000, 'the work ran into what was the first lease\'s end');
        const other = await svc.engine.idempotency.claim(tenantId, idem, fp);
        assert.equal(other.kind, 'running');
      });
    });

    it('refuses a malformed key', async () => {
      const response = await svc.call('POST', batchUrl, { key, body: { users: [{ username: 'x' }] }, headers: { 'idempotency-key': 'has space' } });
      assert.equal(response.status, 400);
      assert.equal(response.body.error.code, 'idempotency.invalid_key');
    });
  });
}
