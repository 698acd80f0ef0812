/**
 * Conformance with Huawei Cloud Workspace's user API (seed 002), on both stores
 * and over both transports (inject and a real socket, where the signed Host
 * header travels as the SDK sends it): X-Auth-Token and SDK-HMAC-SHA256 signed
 * requests, the field rules, all-or-nothing batches, the SDK's ListUsersRequest
 * filters, and Huawei's errors checked against the seed's response tables.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signature, stringToSign, canonicalRequest } from '../../src/http/auth/sdkHmac.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { assertSeedResponse, seedStatuses } from '../helpers/seedSchemas.ts';
import { startTestService, TRANSPORTS, type CallResult, type TestService } from '../helpers/service.ts';

const PROJECT = '0123456789abcdef0123456789abcdef';

/** X-Sdk-Date for a moment: yyyyMMddTHHmmssZ. */
const sdkDate = (at: Date) => at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

for (const kind of STORE_KINDS) for (const transport of TRANSPORTS) {
  describe(`huawei dialect: ${kind}, ${transport}`, () => {
    let svc: TestService;
    let key: string;
    let ak: string;
    let sk: string;

    /** A request signed as Huawei's SDK signs it. */
    async function signed(method: string, url: string, body?: unknown, options: { at?: Date; secret?: string; accessKey?: string; tamper?: boolean } = {}) {
      const payload = body === undefined ? '' : JSON.stringify(body);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        host: 'muster.test',
        'x-project-id': PROJECT,
        'x-sdk-date': sdkDate(options.at ?? new Date()),
      };
      const signedHeaders = ['content-type', 'host', 'x-project-id', 'x-sdk-date'];
      const [path, query = ''] = url.split('?', 2) as [string, string?];
      const canonical = canonicalRequest({ method, path, query, headers, body: Buffer.from(payload) }, signedHeaders);
      const sig = signature(options.secret ?? sk, stringToSign(headers['x-sdk-date']!, canonical));
      headers.authorization = `SDK-HMAC-SHA256 Access=${options.accessKey ?? ak}, SignedHeaders=${signedHeaders.join(';')}, Signature=${sig}`;
      const sent = options.tamper ? payload.replace('"', ' "') : payload;
      return svc.request({ method, url, headers, ...(sent !== '' && { payload: sent }) });
    }
    const token = (method: string, url: string, body?: unknown) =>
      svc.call(method, url, { headers: { 'x-auth-token': key }, ...(body !== undefined && { body }) });
    const assertHuaweiError = (response: CallResult, status: number, code: string) => {
      assert.equal(response.status, status, response.text);
      assert.equal(response.body.error_code, code);
      assert.equal(typeof response.body.error_msg, 'string');
      assert.ok(response.headers['x-request-id'], 'errors carry X-Request-Id');
      if (seedStatuses('002').includes(status)) assertSeedResponse('002', response);
    };
    const users = (q = '') => token('GET', `/v2/${PROJECT}/users${q}`);

    before(async () => {
      svc = await startTestService(kind, { OUTBOX_POLL_MS: '50' }, { transport });
      ({ adminKey: key } = await svc.newTenant());
      await svc.call('POST', '/v1/directories', { key, body: { name: PROJECT } });
      const created = await svc.call('POST', '/v1/access-keys', { key, body: { name: 'sdk', scopes: ['users:read', 'users:write'] } });
      assert.equal(created.status, 201);
      ({ accessKeyId: ak, secretAccessKey: sk } = created.body);
    });
    after(() => svc.close());

    describe('seed 002: creating users in batches', () => {
      it('creates the seed\'s example (USER_ACTIVATE: pending, invited by email) with X-Auth-Token', async () => {
        const response = await token('POST', `/v2/${PROJECT}/users/batch-create`, { users: [{ user_name: 'abc', user_email: 'xxx@mail.com' }] });
        assert.equal(response.status, 200);
        assert.deepEqual(response.body, {});
        const list = await users('?user_name=abc');
        assert.equal(list.body.total_count, 1);
        assert.equal(list.body.users[0].is_pre_user, true);
        assert.equal(list.body.users[0].active_type, 'USER_ACTIVATE');
        const { rows } = await svc.db.query<{ n: number }>("SELECT count(*)::int AS n FROM queue WHERE kind = 'mail' AND target = 'xxx@mail.com'");
        assert.equal(rows[0]!.n, 1, 'the invitation mail is queued');
      });

      it('accepts a request signed with SDK-HMAC-SHA256 by an access key', async () => {
        const response = await signed('POST', `/v2/${PROJECT}/users/batch-create`, {
          users: [
            { user_name: 'alice', user_email: 'alice@example.com', active_type: 'USER_ACTIVATE' },
            { user_name: 'bob', user_email: 'bob@example.com', active_type: 'USER_ACTIVATE' },
          ],
        });
        assert.equal(response.status, 200, response.text);
        assert.equal((await users('?user_name=bob')).body.total_count, 1);
      });

      it('writes nothing when one user already exists', async () => {
        const before = (await users()).body.total_count;
        const response = await token('POST', `/v2/${PROJECT}/users/batch-create`, {
          users: [{ user_name: 'carol', user_email: 'carol@example.com' }, { user_name: 'ALICE', user_email: 'alice2@example.com' }],
        });
        assertHuaweiError(response, 400, 'WKS.00170201');
        assert.match(response.body.error_msg, /users\[1\]/);
        assert.equal((await users()).body.total_count, before);
      });

      it('checks every field rule and names every problem, writing nothing', async () => {
        const response = await token('POST', `/v2/${PROJECT}/users/batch-create`, {
          users: [
            { user_name: 'dave', user_email: 'not-an-email' },
            { user_name: 'erin', user_email: 'erin@example.com', account_expires: '2026-13-45' },
            { user_name: 'fay', user_email: 'fay@example.com', description: 'x'.repeat(256) },
            { user_name: 'gus', active_type: 'ADMIN_ACTIVATE' },
            { user_name: 'hal', user_email: 'hal@example.com', user_phone: 'call me' },
            { user_name: 'ivy' },
            { user_email: 'noname@example.com' },
          ],
        });
        assertHuaweiError(response, 400, 'WKS.00170101');
        for (const field of ['users[0].user_email', 'users[1].account_expires', 'users[2].description', 'users[3].password', 'users[4].user_phone', 'users[5].user_email', 'users[6].user_name']) {
          assert.ok(response.body.error_msg.includes(field), `${field} in: ${response.body.error_msg}`);
        }
        assert.equal((await users('?user_name=dave')).body.total_count, 0);
      });

      it('ADMIN_ACTIVATE needs a password and makes the user active, with working credentials', async () => {
        const response = await token('POST', `/v2/${PROJECT}/users/batch-create`, {
          users: [{ user_name: 'admin1', active_type: 'ADMIN_ACTIVATE', password: 'Initial-Pass-1', enable_change_password: false, next_login_change_password: false, alias_name: 'Ada', description: 'first admin', account_expires: '0' }],
        });
        assert.equal(response.status, 200, response.text);
        const listed = (await users('?user_name=admin1')).body.users[0];
        assert.equal(listed.is_pre_user, false);
        assert.equal(listed.account_expires, '0');
        const detail = (await token('GET', `/v2/${PROJECT}/users/${listed.id}`)).body.user_detail;
        assert.equal(detail.full_name, 'Ada');
        assert.equal(detail.description, 'first admin');
        assert.equal(detail.enable_change_password, false);
        assert.equal(detail.next_login_change_password, false);
        assert.equal(detail.account_expires, 0);
        const login = await svc.call('POST', `/v1/directories/${PROJECT}/authenticate`, { key, body: { username: 'admin1', password: 'Initial-Pass-1' } });
        assert.equal(login.status, 200);
      });

      it('accepts both account_expires formats and reports the expiry', async () => {
        const response = await token('POST', `/v2/${PROJECT}/users/batch-create`, {
          users: [
            { user_name: 'exp1', active_type: 'ADMIN_ACTIVATE', password: 'Initial-Pass-1', account_expires: '2030-01-02T03:04:05Z' },
            { user_name: 'exp2', active_type: 'ADMIN_ACTIVATE', password: 'Initial-Pass-1', account_expires: '2030-01-02T03:04:05.678Z' },
          ],
        });
        assert.equal(response.status, 200, response.text);
        const listed = (await users('?user_name=exp2')).body.users[0];
        assert.equal(listed.account_expires, String(Date.parse('2030-01-02T03:04:05.678Z')));
        assert.equal(listed.account_expired, false);
      });

      it('group_ids must name existing groups; members are reported by group name', async () => {
        const group = await svc.call('POST', `/v1/directories/${PROJECT}/groups`, { key, body: { name: 'engineers' } });
        assert.equal(group.status, 201);
        const missing = await token('POST', `/v2/${PROJECT}/users/batch-create`, { users: [{ user_name: 'grp1', user_email: 'g1@example.com', group_ids: ['no-such-group'] }] });
        assertHuaweiError(missing, 400, 'WKS.00170208');
        const ok = await token('POST', `/v2/${PROJECT}/users/batch-create`, { users: [{ user_name: 'grp2', user_email: 'g2@example.com', group_ids: [group.body.id] }] });
        assert.equal(ok.status, 200, ok.text);
        assert.deepEqual((await users('?user_name=grp2')).body.users[0].group_names, ['engineers']);
      });
    });

    describe('users', () => {
      it('creates one (201 {id}), lists with limit/offset, shows, deletes', async () => {
        const created = await token('POST', `/v2/${PROJECT}/users`, { user_name: 'single', user_email: 'single@example.com', user_phone: '+86 138 0000 0000' });
        assert.equal(created.status, 201);
        assert.deepEqual(Object.keys(created.body), ['id']);
        const page = await users('?limit=2&offset=1');
        assert.equal(page.body.users.length, 2);
        assert.ok(page.body.total_count >= 5);
        const shown = await token('GET', `/v2/${PROJECT}/users/${created.body.id}`);
        assert.equal(shown.body.user_detail.user_name, 'single');
        assert.equal(shown.body.user_detail.user_phone, '+86 138 0000 0000');
        const deleted = await token('DELETE', `/v2/${PROJECT}/users/${created.body.id}`);
        assert.equal(deleted.status, 204);
        assertHuaweiError(await token('GET', `/v2/${PROJECT}/users/${created.body.id}`), 400, 'WKS.00170312');
        assertHuaweiError(await token('DELETE', `/v2/${PROJECT}/users/${created.body.id}`), 400, 'WKS.00170312');
      });

      it('answers an unknown project with 404, an unsupported filter and malformed JSON with 400', async () => {
        assertHuaweiError(await token('GET', '/v2/ffffffffffffffffffffffffffffffff/users'), 404, 'WKS.00170117');
        assertHuaweiError(await users('?domain=corp.example'), 400, 'WKS.00170101');
        const malformed = await svc.call('POST', `/v2/${PROJECT}/users`, { headers: { 'x-auth-token': key }, rawBody: '{"user_name":' });
        assertHuaweiError(malformed, 400, 'WKS.00170101');
        assertHuaweiError(await token('GET', `/v2/${PROJECT}/nothing`), 404, 'APIGW.0101');
      });
    });

    describe('ListUsersRequest filters', () => {
      const FILTERED = 'fedcba9876543210fedcba9876543210';
      const names = async (query: string, via: 'token' | 'signed' = 'token') => {
        const url = `/v2/${FILTERED}/users${query}`;
        const response = via === 'token' ? await token('GET', url) : await signed('GET', url);
        assert.equal(response.status, 200, response.text);
        const listed = response.body.users.map((u: { user_name: string }) => u.user_name).sort();
        assert.equal(response.body.total_count, listed.length, 'total_count counts the matching users');
        return listed;
      };

      before(async () => {
        await svc.call('POST', '/v1/directories', { key, body: { name: FILTERED } });
        const ops = (await svc.call('POST', `/v1/directories/${FILTERED}/groups`, { key, body: { name: 'ops' } })).body.id;
        const created = await token('POST', `/v2/${FILTERED}/users/batch-create`, {
          users: [
            { user_name: 'ann', active_type: 'ADMIN_ACTIVATE', password: 'Initial-Pass-1', description: 'night shift lead', group_ids: [ops] },
            { user_name: 'ben', user_email: 'ben@example.com', description: 'day shift' },
            { user_name: 'cy', active_type: 'ADMIN_ACTIVATE', password: 'Initial-Pass-1', description: 'Night Shift' },
          ],
        });
        assert.equal(created.status, 200, created.text);
        // A user made outside the dialect (no Huawei attributes), then disabled.
        const dee = await svc.call('POST', `/v1/directories/${FILTERED}/users`, { key, body: { username: 'dee', password: 'Initial-Pass-1' } });
        assert.equal((await svc.call('PATCH', `/v1/directories/${FILTERED}/users/${dee.body.id}`, { key, body: { status: 'disabled' } })).status, 200);
      });

      it('user_names: comma-separated (Python SDK) or repeated, exact and case-insensitive', async () => {
        assert.deepEqual(await names('?user_names=ann,CY'), ['ann', 'cy']);
        assert.deepEqual(await names('?user_names=ann&user_names=ben'), ['ann', 'ben']);
        assert.deepEqual(await names('?user_names=an'), []);
        assert.deepEqual(await names('?user_names=ann,cy,dee&user_name=cy'), ['cy'], 'every filter must hold');
        assert.deepEqual(await names('?user_names=ann,cy', 'signed'), ['ann', 'cy'], 'a signed query verifies');
      });

      it('disabled, active_type, description (contains, case-sensitive) and group_name', async () => {
        assert.deepEqual(await names('?disabled=true'), ['dee']);
        assert.deepEqual(await names('?disabled=false'), ['ann', 'ben', 'cy']);
        assert.deepEqual(await names('?active_type=USER_ACTIVATE'), ['ben']);
        assert.deepEqual(await names('?active_type=ADMIN_ACTIVATE'), ['ann', 'cy', 'dee'], 'a user without Huawei attributes is listed, and filtered, as ADMIN_ACTIVATE');
        assert.deepEqual(await names('?description=night'), ['ann']);
        assert.deepEqual(await names('?description=shift'), ['ann', 'ben'], 'case-sensitive: not "Night Shift"');
        assert.deepEqual(await names('?group_name=ops'), ['ann']);
        assert.deepEqual(await names('?group_name=OPS'), []);
        assert.deepEqual(await names('?active_type=ADMIN_ACTIVATE&disabled=false&description=Night'), ['cy']);
      });

      it('share-space flags: no muster user has one', async () => {
        assert.deepEqual(await names('?share_space_subscription=true'), []);
        assert.deepEqual(await names('?share_space_desktops=true&user_names=ann'), []);
        assert.deepEqual(await names('?share_space_subscription=false&share_space_desktops=false&is_query_total_desktops=true'), ['ann', 'ben', 'cy', 'dee']);
      });

      it('refuses filters muster cannot answer, and unknown parameters, with a 400 naming every one', async () => {
        const response = await token('GET', `/v2/${FILTERED}/users?domain=corp.example&platform_type=AD&enterprise_project_id=0&colour=blue&user_name=ann`);
        assertHuaweiError(response, 400, 'WKS.00170101');
        for (const name of ['domain', 'platform_type', 'enterprise_project_id', 'colour']) assert.match(response.body.error_msg, new RegExp(name));
        assertHuaweiError(await token('GET', `/v2/${FILTERED}/users?active_type=SOMETIMES`), 400, 'WKS.00170101');
        assertHuaweiError(await token('GET', `/v2/${FILTERED}/users?disabled=maybe`), 400, 'WKS.00170101');
      });
    });

    describe('authentication', () => {
      it('refuses a missing or wrong token', async () => {
        assertHuaweiError(await svc.call('GET', `/v2/${PROJECT}/users`), 401, 'APIGW.0301');
        assertHuaweiError(await svc.call('GET', `/v2/${PROJECT}/users`, { headers: { 'x-auth-token': 'mst_nope' } }), 401, 'APIGW.0301');
      });

      it('refuses signatures by the wrong secret, over a tampered body, or from an unknown key', async () => {
        const body = { users: [{ user_name: 'sig1', user_email: 'sig1@example.com' }] };
        assertHuaweiError(await signed('POST', `/v2/${PROJECT}/users/batch-create`, body, { secret: `${sk}x` }), 401, 'APIGW.0301');
        assertHuaweiError(await signed('POST', `/v2/${PROJECT}/users/batch-create`, body, { tamper: true }), 401, 'APIGW.0301');
        assertHuaweiError(await signed('POST', `/v2/${PROJECT}/users/batch-create`, body, { accessKey: 'AKNOTKNOWN000000000' }), 401, 'APIGW.0301');
        assert.equal((await users('?user_name=sig1')).body.total_count, 0);
      });

      it('refuses requests signed more than 15 minutes before or after now', async () => {
        const minutes = (n: number) => new Date(Date.now() + n * 60_000);
        assertHuaweiError(await signed('GET', `/v2/${PROJECT}/users`, undefined, { at: minutes(-16) }), 401, 'APIGW.0301');
        assertHuaweiError(await signed('GET', `/v2/${PROJECT}/users`, undefined, { at: minutes(16) }), 401, 'APIGW.0301');
        assert.equal((await signed('GET', `/v2/${PROJECT}/users?limit=1`, undefined, { at: minutes(-14) })).status, 200);
      });

      it('honours scopes and revocation of access keys', async () => {
        const reader = (await svc.call('POST', '/v1/access-keys', { key, body: { name: 'reader', scopes: ['users:read'] } })).body;
        const asReader = { accessKey: reader.accessKeyId, secret: reader.secretAccessKey };
        assert.equal((await signed('GET', `/v2/${PROJECT}/users`, undefined, asReader)).status, 200);
        assertHuaweiError(await signed('POST', `/v2/${PROJECT}/users`, { user_name: 'nope', user_email: 'n@example.com' }, asReader), 403, 'APIGW.0302');
        await svc.call('POST', `/v1/access-keys/${reader.accessKeyId}/revoke`, { key });
        assertHuaweiError(await signed('GET', `/v2/${PROJECT}/users`, undefined, asReader), 401, 'APIGW.0301');
      });

      it('keeps tenants apart: another tenant\'s token finds no such project', async () => {
        const other = await svc.newTenant();
        const response = await svc.call('GET', `/v2/${PROJECT}/users`, { headers: { 'x-auth-token': other.adminKey } });
        assertHuaweiError(response, 404, 'WKS.00170117');
      });

      it('keeps the access-key secret encrypted at rest', async () => {
        const { rows } = await svc.db.query<{ secret: Uint8Array }>('SELECT secret FROM access_keys WHERE id = $1', [ak]);
        assert.ok(!Buffer.from(rows[0]!.secret).toString('latin1').includes(sk));
      });
    });
  });
}
