/**
 * Console sessions on the wire, on both stores: an API key exchanged for an
 * httpOnly SameSite cookie; the native API accepting that cookie with the
 * signing key's scopes; CSRF on every write; sign-out, revocation and expiry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type CallResult, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

interface Session {
  readonly cookie: string;
  readonly csrf: string;
  readonly response: CallResult;
}

async function signIn(svc: TestService, key: string): Promise<Session> {
  const response = await svc.call('POST', '/console/session', { body: { key } });
  assert.equal(response.status, 201, response.text);
  const setCookie = String(response.headers['set-cookie']);
  return { cookie: setCookie.split(';')[0]!, csrf: response.body.csrfToken, response };
}

/** A request as the console's page sends it: the cookie, and the CSRF token when given. */
function asBrowser(svc: TestService, session: Session, method: string, url: string, options: { body?: unknown; csrf?: string | null } = {}) {
  const csrf = options.csrf === undefined ? session.csrf : options.csrf;
  return svc.call(method, url, { headers: { cookie: session.cookie, ...(csrf !== null && { 'x-csrf-token': csrf }) }, ...(options.body !== undefined && { body: options.body }) });
}

for (const kind of STORE_KINDS) {
  describe(`console sessions: ${kind}`, () => {
    let svc: TestService;
    let tenant: { tenantId: string; adminKey: string };

    before(async () => {
      svc = await startTestService(kind);
      tenant = await svc.newTenant();
    });
    after(() => svc.close());

    it('signs in with an API key: an httpOnly SameSite=Strict cookie that holds no key', async () => {
      const session = await signIn(svc, tenant.adminKey);
      const setCookie = String(session.response.headers['set-cookie']);
      assert.match(setCookie, /^muster_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/, 'not Secure over plain http');
      assert.ok(!setCookie.includes(tenant.adminKey) && !session.response.text.includes(tenant.adminKey), 'the key is not echoed');
      assert.deepEqual(session.response.body.scopes, ['admin']);
      assert.equal(session.response.body.tenantId, tenant.tenantId);
      assert.equal(session.response.headers['cache-control'], 'no-store');
      const described = await svc.call('GET', '/console/session', { headers: { cookie: session.cookie } });
      assert.equal(described.status, 200);
      assert.equal(described.body.csrfToken, session.csrf, 'a reloaded page gets the same CSRF token');
    });

    it('sign-in from another site\'s page is refused (no login CSRF)', async () => {
      const response = await svc.call('POST', '/console/session', { body: { key: tenant.adminKey }, headers: { origin: 'https://evil.example' } });
      assert.equal(response.status, 403);
      assert.equal(response.body.error.code, 'auth.csrf_invalid');
      assert.equal(response.headers['set-cookie'], undefined);
      const form = await svc.call('POST', '/console/session', { rawBody: `key=${tenant.adminKey}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(form.status, 415, 'a form post is not a sign-in');
    });

    it('a wrong key is refused in the native error shape, and sets no cookie', async () => {
      const response = await svc.call('POST', '/console/session', { body: { key: 'mst_not-a-key-at-all-000000000000000000000' } });
      assert.equal(response.status, 401);
      assert.equal(response.body.error.code, 'auth.invalid_key');
      assert.equal(response.headers['set-cookie'], undefined);
    });

    it('the native API accepts the cookie: reads freely, writes with the CSRF token, recorded as the console', async () => {
      const session = await signIn(svc, tenant.adminKey);
      const list = await asBrowser(svc, session, 'GET', '/v1/directories', { csrf: null });
      assert.equal(list.status, 200, list.text);
      assert.ok(list.body.directories.some((d: { name: string }) => d.name === 'default'));
      const created = await asBrowser(svc, session, 'POST', '/v1/directories', { body: { name: 'via-console' } });
      assert.equal(created.status, 201, created.text);
      const audit = await svc.call('GET', '/v1/audit-events?type=directory.created', { key: tenant.adminKey });
      const event = audit.body.events.find((e: { subject: { id: string } }) => e.subject.id === created.body.id);
      assert.equal(event.actor.dialect, 'console');
      assert.equal(event.actor.kind, 'api_key');
      assert.equal(event.actor.label, session.response.body.keyPrefix);
    });

    it('CSRF: a write with the cookie and no token, or another session\'s token, is refused and changes nothing', async () => {
      const session = await signIn(svc, tenant.adminKey);
      const other = await signIn(svc, tenant.adminKey);
      for (const csrf of [null, '', other.csrf, `${session.csrf}x`]) {
        const refused = await asBrowser(svc, session, 'POST', '/v1/directories', { body: { name: 'forged' }, csrf });
        assert.equal(refused.status, 403, `csrf ${JSON.stringify(csrf)}: ${refused.text}`);
        assert.equal(refused.body.error.code, 'auth.csrf_invalid');
      }
      const deleted = await asBrowser(svc, session, 'DELETE', '/v1/directories/default', { csrf: null });
      assert.equal(deleted.body.error.code, 'auth.csrf_invalid');
      const list = await svc.call('GET', '/v1/directories', { key: tenant.adminKey });
      assert.ok(!list.body.directories.some((d: { name: string }) => d.name === 'forged'));
      assert.ok(list.body.directories.some((d: { name: string }) => d.name === 'default'));
    });

    it('a session has the scopes of the key that signed in', async () => {
      const readOnly = await svc.call('POST', '/v1/api-keys', { key: tenant.adminKey, body: { name: 'viewer', scopes: ['users:read'] } });
      const session = await signIn(svc, readOnly.body.key);
      assert.deepEqual(session.response.body.scopes, ['users:read']);
      assert.equal((await asBrowser(svc, session, 'GET', '/v1/directories/default/users')).status, 200);
      const write = await asBrowser(svc, session, 'POST', '/v1/directories/default/users', { body: { username: 'nope' } });
      assert.equal(write.status, 403);
      assert.equal(write.body.error.code, 'auth.insufficient_scope');
      assert.equal((await asBrowser(svc, session, 'GET', '/v1/api-keys')).body.error.code, 'auth.insufficient_scope');
    });

    it('an Authorization header decides over a cookie; operator routes never take a session', async () => {
      const session = await signIn(svc, tenant.adminKey);
      const bearer = await svc.call('GET', '/v1/directories', { headers: { cookie: session.cookie, authorization: 'Bearer mst_wrong-key-000000000000000000000000000000' } });
      assert.equal(bearer.body.error.code, 'auth.invalid_key');
      const operator = await asBrowser(svc, session, 'GET', '/v1/tenants');
      assert.equal(operator.status, 401, operator.text);
    });

    it('revoking the key ends its sessions at once', async () => {
      const key = await svc.call('POST', '/v1/api-keys', { key: tenant.adminKey, body: { name: 'short-lived', scopes: ['admin'] } });
      const session = await signIn(svc, key.body.key);
      assert.equal((await asBrowser(svc, session, 'GET', '/v1/directories')).status, 200);
      await svc.call('POST', `/v1/api-keys/${key.body.id}/revoke`, { key: tenant.adminKey });
      const after = await asBrowser(svc, session, 'GET', '/v1/directories');
      assert.equal(after.status, 401);
      assert.equal(after.body.error.code, 'auth.key_revoked');
    });

    it('signing out needs the CSRF token, clears the cookie and ends the session', async () => {
      const session = await signIn(svc, tenant.adminKey);
      const forged = await svc.call('DELETE', '/console/session', { headers: { cookie: session.cookie } });
      assert.equal(forged.status, 403);
      assert.equal(forged.body.error.code, 'auth.csrf_invalid');
      assert.equal((await asBrowser(svc, session, 'GET', '/v1/directories')).status, 200, 'a refused sign-out ends nothing');
      const out = await asBrowser(svc, session, 'DELETE', '/console/session');
      assert.equal(out.status, 204);
      assert.match(String(out.headers['set-cookie']), /^muster_session=; .*Max-Age=0/);
      const gone = await asBrowser(svc, session, 'GET', '/v1/directories');
      assert.equal(gone.status, 401);
      assert.equal(gone.body.error.code, 'auth.session_invalid');
      assert.equal((await asBrowser(svc, session, 'DELETE', '/console/session')).status, 204, 'signing out twice is fine');
    });

    it('a forged or malformed cookie is not a session', async () => {
      const session = await signIn(svc, tenant.adminKey);
      const [tenantId, id] = session.cookie.slice('muster_session='.length).split('.');
      for (const value of ['garbage', `${tenantId}.${id}.wrong-secret`, `${tenantId}.${id}`, '..', `${tenantId}.${id}.a.b`]) {
        const response = await svc.call('GET', '/v1/directories', { headers: { cookie: `muster_session=${value}` } });
        assert.equal(response.status, 401, value);
        assert.equal(response.body.error.code, 'auth.session_invalid', value);
      }
    });
  });
}

describe('console sessions: expiry and TLS', () => {
  let svc: TestService;
  after(() => svc?.close());

  it('a session idle longer than CONSOLE_SESSION_IDLE_SECONDS has expired; one kept busy has not, until CONSOLE_SESSION_MAX_SECONDS', async () => {
    svc = await startTestService('postgres', { CONSOLE_SESSION_IDLE_SECONDS: '2', CONSOLE_SESSION_MAX_SECONDS: '6', PUBLIC_URL: 'https://muster.example' });
    const { adminKey } = await svc.newTenant();
    const idle = await signIn(svc, adminKey);
    assert.match(String(idle.response.headers['set-cookie']), /; Secure$/, 'Secure behind TLS');
    const busy = await signIn(svc, adminKey);
    // The busy session is used every half second, so it outlives the idle one's expiry.
    const expired = await waitFor('the idle session to expire', async () => {
      assert.equal((await asBrowser(svc, busy, 'GET', '/v1/directories')).status, 200, 'the busy session is alive');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const response = await svc.call('GET', '/v1/directories', { headers: { cookie: idle.cookie } });
      return response.status === 401 ? response : undefined;
    }, 10_000);
    assert.equal(expired.body.error.code, 'auth.session_expired');
    const ended = await waitFor('the busy session to reach its absolute expiry', async () => {
      const response = await asBrowser(svc, busy, 'GET', '/v1/directories');
      if (response.status === 200) await new Promise((resolve) => setTimeout(resolve, 500));
      return response.status === 401 ? response : undefined;
    }, 15_000);
    assert.equal(ended.body.error.code, 'auth.session_expired');
  });
});
