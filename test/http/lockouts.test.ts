/**
 * Credential-stuffing defence (LOCKOUT_*, issue 16): POST .../authenticate and
 * the invitation page lock out repeated failures per username and per client
 * address, answer alike whether or not a username exists, and an admin lifts a
 * user's or an address's lockout with an audit event (an address's only in the
 * admin's tenant, whose counts are its own). On both stores. (Failures are also
 * slowed down; durations are not asserted here, the delay schedule is.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { failureDelayMs } from '../../src/engine/lockouts.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type CallResult, type TestService } from '../helpers/service.ts';

const USER_FAILURES = 3;

describe('the failure delay schedule', () => {
  it('is 0 up to slowAfter, then doubles from 250 ms, capped at 4 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 50].map((n) => failureDelayMs(n, 3)), [0, 0, 0, 250, 500, 1000, 2000, 4000, 4000, 4000]);
  });
});

/** A 429 `credentials.locked` with a Retry-After within the window. */
function assertLocked(response: CallResult): void {
  assert.equal(response.status, 429, response.text);
  assert.equal(response.body.error.code, 'credentials.locked');
  const retryAfter = Number(response.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 600);
}

/** The parts of an answer that must not tell one username from another. */
const shapeOf = (response: CallResult) => ({ status: response.status, code: response.body?.error?.code, message: response.body?.error?.message });

for (const kind of STORE_KINDS) {
  describe(`lockouts per username: ${kind}`, () => {
    let svc: TestService;
    let key: string;
    const authenticate = (username: string, password: string) =>
      svc.call('POST', '/v1/directories/default/authenticate', { key, body: { username, password } });

    before(async () => {
      svc = await startTestService(kind, {
        LOCKOUT_WINDOW_SECONDS: '600',
        LOCKOUT_USER_FAILURES: String(USER_FAILURES),
        LOCKOUT_ADDRESS_FAILURES: '0',
        LOCKOUT_USER_SLOW_AFTER: '100',
      });
      ({ adminKey: key } = await svc.newTenant());
      for (const username of ['ada', 'grace', 'linus']) {
        const created = await svc.call('POST', '/v1/directories/default/users', { key, body: { username, password: `${username} correct horse` } });
        assert.equal(created.status, 201, created.text);
      }
    });
    after(() => svc.close());

    it('locks a username after its failures, even for the right password, and a stranger\'s name alike', async () => {
      const existing: CallResult[] = [];
      const unknown: CallResult[] = [];
      for (let i = 0; i < USER_FAILURES; i += 1) {
        existing.push(await authenticate('ada', 'wrong password'));
        unknown.push(await authenticate('nobody-here', 'wrong password'));
      }
      for (const r of [...existing, ...unknown]) assert.equal(r.status, 401);
      const lockedExisting = await authenticate('ada', 'ada correct horse');
      const lockedUnknown = await authenticate('nobody-here', 'wrong password');
      assertLocked(lockedExisting);
      assertLocked(lockedUnknown);
      assert.deepEqual(shapeOf(lockedExisting), shapeOf(lockedUnknown), 'a locked-out answer does not tell whether the user exists');
      assert.deepEqual(shapeOf(existing[0]!), shapeOf(unknown[0]!));
      // The lock is the username's: another user signs in.
      assert.equal((await authenticate('grace', 'grace correct horse')).status, 200);
    });

    it('an admin unlocks the user: it signs in again, and the audit trail records user.unlocked', async () => {
      const users = await svc.call('GET', '/v1/directories/default/users?username=ada', { key });
      const ada = users.body.users[0];
      const unlocked = await svc.call('POST', `/v1/directories/default/users/${ada.id}/unlock`, { key });
      assert.equal(unlocked.status, 200, unlocked.text);
      assert.equal(unlocked.body.hadFailures, true);
      assert.equal((await authenticate('ada', 'ada correct horse')).status, 200);
      const audit = await svc.call('GET', `/v1/audit-events?type=user.unlocked&user=${ada.id}`, { key });
      assert.equal(audit.status, 200, audit.text);
      assert.equal(audit.body.events.length, 1);
      assert.deepEqual(audit.body.events[0].data, { hadFailures: true });
      assert.doesNotMatch(JSON.stringify(audit.body), /correct horse/);
    });

    it('a success clears the username\'s failures', async () => {
      for (let round = 0; round < 2; round += 1) {
        for (let i = 0; i < USER_FAILURES - 1; i += 1) assert.equal((await authenticate('linus', 'wrong password')).status, 401);
        assert.equal((await authenticate('linus', 'linus correct horse')).status, 200);
      }
    });

    it('unlock needs the admin scope and a user', async () => {
      const reader = await svc.call('POST', '/v1/api-keys', { key, body: { name: 'reader', scopes: ['users:read'] } });
      const users = await svc.call('GET', '/v1/directories/default/users?username=ada', { key });
      assert.equal((await svc.call('POST', `/v1/directories/default/users/${users.body.users[0].id}/unlock`, { key: reader.body.key })).status, 403);
      assert.equal((await svc.call('POST', '/v1/directories/default/users/00000000-0000-7000-8000-000000000000/unlock', { key })).status, 404);
    });
  });

  describe(`lockouts per client address: ${kind}`, () => {
    let svc: TestService;
    let key: string;
    before(async () => {
      svc = await startTestService(kind, {
        LOCKOUT_WINDOW_SECONDS: '600',
        LOCKOUT_USER_FAILURES: '0',
        LOCKOUT_ADDRESS_FAILURES: '4',
        LOCKOUT_ADDRESS_SLOW_AFTER: '100',
      });
      ({ adminKey: key } = await svc.newTenant());
    });
    after(() => svc.close());

    it('authenticate: failures across many usernames lock the address', async () => {
      const statuses = [];
      for (let i = 0; i < 5; i += 1) {
        statuses.push((await svc.call('POST', '/v1/directories/default/authenticate', { key, body: { username: `guess-${i}`, password: 'wrong password' } })).status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 429]);
    });

    it('the invitation page: unknown links lock the address out of the page, with Retry-After', async () => {
      const statuses = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await svc.call('GET', `/invite/${String(i).padStart(43, 'x')}`)).status);
      assert.deepEqual(statuses, [404, 404, 404, 404]);
      const locked = await svc.call('GET', `/invite/${'y'.repeat(43)}`);
      assert.equal(locked.status, 429);
      assert.match(String(locked.headers['content-type']), /text\/html/);
      assert.match(locked.text, /Too many attempts/);
      assert.ok(Number(locked.headers['retry-after']) >= 1);
      const posted = await svc.call('POST', `/invite/${'z'.repeat(43)}`, { rawBody: 'password=a&confirm=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(posted.status, 429);
    });

    it('an admin lifts the address\'s authenticate lockout in its tenant, audited; other tenants count their own', async () => {
      const authenticate = (as: string) => svc.call('POST', '/v1/directories/default/authenticate', { key: as, body: { username: 'guess', password: 'wrong password' } });
      assert.equal((await authenticate(key)).status, 429, 'locked by the first case');
      // Another tenant's callers from the same address are not locked by this tenant's failures, and its admin lifts nothing here.
      const { adminKey: otherKey } = await svc.newTenant();
      assert.equal((await authenticate(otherKey)).status, 401);
      assert.equal((await svc.call('GET', `/invite/${'y'.repeat(43)}`)).status, 429, 'the invitation page, locked by the case before');
      const elsewhere = await svc.call('POST', '/v1/lockouts/addresses/unlock', { key: otherKey, body: { address: '127.0.0.1' } });
      assert.deepEqual(elsewhere.body, { address: '127.0.0.1', hadFailures: true, hadInvitationPageFailures: true }, 'its own one failure, and the page\'s');
      // The invitation page's lockout names no tenant: that admin's unlock lifted it.
      assert.equal((await svc.call('GET', `/invite/${'y'.repeat(43)}`)).status, 404);
      assert.equal((await authenticate(key)).status, 429, 'another tenant\'s unlock left this one locked');

      // The address as a dual-stack socket reports it names the same address.
      const unlocked = await svc.call('POST', '/v1/lockouts/addresses/unlock', { key, body: { address: '::FFFF:127.0.0.1' } });
      assert.equal(unlocked.status, 200, unlocked.text);
      assert.deepEqual(unlocked.body, { address: '127.0.0.1', hadFailures: true, hadInvitationPageFailures: true }, 'the one unknown link since');
      assert.equal((await authenticate(key)).status, 401, 'failures count afresh');
      const again = await svc.call('POST', '/v1/lockouts/addresses/unlock', { key, body: { address: '127.0.0.1' } });
      assert.equal(again.body.hadFailures, true, 'the failure since');
      const audit = await svc.call('GET', '/v1/audit-events?type=address.unlocked&user=127.0.0.1', { key });
      assert.equal(audit.status, 200, audit.text);
      assert.deepEqual(audit.body.events.map((e: { data: unknown }) => e.data), [
        { address: '127.0.0.1', hadFailures: true, hadInvitationPageFailures: false },
        { address: '127.0.0.1', hadFailures: true, hadInvitationPageFailures: true },
      ]);
      assert.deepEqual(audit.body.events[0].subject, { type: 'address', id: '127.0.0.1' });
    });

    it('address unlock needs the admin scope and an IP address', async () => {
      const reader = await svc.call('POST', '/v1/api-keys', { key, body: { name: 'reader', scopes: ['users:read'] } });
      assert.equal((await svc.call('POST', '/v1/lockouts/addresses/unlock', { key: reader.body.key, body: { address: '127.0.0.1' } })).status, 403);
      for (const address of ['localhost', '999.1.1.1', '127.0.0.1/8']) {
        const refused = await svc.call('POST', '/v1/lockouts/addresses/unlock', { key, body: { address } });
        assert.equal(refused.status, 400, address);
        assert.equal(refused.body.error.code, 'request.invalid');
      }
      assert.equal((await svc.call('POST', '/v1/lockouts/addresses/unlock', { key, body: {} })).status, 400);
    });
  });
}
