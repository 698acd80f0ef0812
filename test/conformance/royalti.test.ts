/**
 * Conformance with Royalti's bulk user API (seed 004), on both stores and over
 * both transports (inject and a real socket): the partial-success answer in the
 * seed's words, invitations to a real SMTP server (resent ones too), JWT
 * bearer tokens (muster's own, and an external issuer's) with expired, tampered
 * and wrong-audience ones refused. Every answer is checked against the seed's
 * schemas: the 201 body, and errors against its `Error`.
 */
import { cliActor } from '../../src/domain/actor.ts';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createJwtAuthority } from '../../src/crypto/jwt.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { assertSeedComponent, assertSeedResponse } from '../helpers/seedSchemas.ts';
import { startTestService, TRANSPORTS, type CallResult, type TestService } from '../helpers/service.ts';
import { inviteToken, startTestSmtp, type TestSmtp } from '../helpers/smtp.ts';
import { waitFor } from '../helpers/wait.ts';

const SERVER_KEY = randomBytes(32);

/** A Royalti error: seed 004's `Error` (the seed gives it for 401, 404 and 500; muster answers every error so). */
function assertRoyaltiError(response: CallResult, status: number, code: string, musterCode: string) {
  assert.equal(response.status, status, response.text);
  assertSeedComponent('004', 'Error', response.body);
  assert.equal(response.body.success, false);
  assert.equal(response.body.error.code, code);
  assert.equal(response.body.error.details[0], musterCode);
}

for (const kind of STORE_KINDS) for (const transport of TRANSPORTS) {
  describe(`royalti dialect: ${kind}, ${transport}`, () => {
    let smtp: TestSmtp;
    let svc: TestService;
    let key: string;
    let tenantId: string;
    let token: string;
    const tag = `${kind}-${transport}`;
    const bulk = async (body: unknown, bearer = token) => {
      const response = await svc.call('POST', '/user/bulk', { headers: { authorization: `Bearer ${bearer}` }, body });
      if (response.status === 201 || response.status === 401) assertSeedResponse('004', response);
      return response;
    };
    const accept = (mail: Parameters<typeof inviteToken>[0], password: string) =>
      svc.request({
        method: 'POST',
        url: `/invite/${inviteToken(mail)}`,
        payload: new URLSearchParams({ password, confirm: password }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });

    before(async () => {
      smtp = await startTestSmtp();
      svc = await startTestService(kind, { SMTP_URL: smtp.url, OUTBOX_POLL_MS: '20', MUSTER_SERVER_KEY: SERVER_KEY.toString('base64'), PUBLIC_URL: 'https://muster.example' }, { transport });
      ({ adminKey: key, tenantId } = await svc.newTenant());
      await svc.call('PUT', '/v1/settings/redirect-allowlist', { key, body: { allowed: ['https://app.royalti.io/'] } });
      const issued = await svc.call('POST', '/v1/tokens', { key });
      assert.equal(issued.status, 200);
      token = issued.body.token;
    });
    after(async () => {
      await svc.close();
      await smtp.close();
    });

    it('issues JWTs for API keys and publishes their keys', async () => {
      const issued = await svc.call('POST', '/v1/tokens', { key, body: { scopes: ['users:read'] } });
      assert.equal(issued.status, 200);
      assert.ok(Date.parse(issued.body.expiresAt) > Date.now());
      const jwks = await svc.call('GET', '/.well-known/jwks.json');
      assert.equal(jwks.body.keys.length, 1);
      assert.equal(jwks.body.keys[0].alg, 'EdDSA');
      assert.ok(!('d' in jwks.body.keys[0]), 'only the public key is published');
      const reader = await svc.call('POST', '/v1/tokens', { key: (await svc.engine.tenants.createKey(cliActor(tenantId), { name: 'r', scopes: ['users:read'] })).key, body: { scopes: ['admin'] } });
      assert.equal(reader.status, 403, 'a token never carries more than its key');
    });

    describe('seed 004: create bulk user', () => {
      it('creates the valid users and reports the others in the seed\'s words', async () => {
        await bulk({ users: [{ firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' }], sendEmail: false });
        const response = await bulk({
          users: [
            { firstName: 'John', lastName: 'Doe', email: 'john@example.com', role: 'user', ipi: '123', country: 'NG', nickName: 'JD', userType: 'artist' },
            { firstName: 'Jane', lastName: 'Doe', email: 'JANE@example.com' },
            { firstName: 'Jacob', lastName: 'Doe', email: 'jacob-at-example' },
            { firstName: 'Jericho', lastName: 'Doe', email: 'jericho@example.com' },
            { firstName: 'John', lastName: 'Again', email: 'john@example.com' },
          ],
          sendEmail: false,
        });
        assert.equal(response.status, 201);
        assert.deepEqual(response.body, {
          message: 'Done.',
          createdUsers: ['John Doe', 'Jericho Doe'],
          processedCount: 5,
          errors: ['User Jane Doe already associated with workspace!', 'Invalid email format for Jacob Doe', 'User John Again already associated with workspace!'],
        });
        const directory = await svc.engine.directories.getDirectory(cliActor(tenantId), 'royalti');
        const john = (await svc.engine.users.listUsers(cliActor(tenantId), directory.id, { email: 'john@example.com', limit: 1 })).users[0]!;
        assert.equal(john.givenName, 'John');
        assert.deepEqual(john.attributes.royalti, { nickName: 'JD', userType: 'artist', ipi: '123', role: 'user', country: 'NG' });
      });

      it('sends one invitation per created user, with the message, redirecting where asked after acceptance', async () => {
        const users = [
          { firstName: 'Ada', lastName: 'L', email: `ada-${tag}@example.com` },
          { firstName: 'Bo', lastName: 'K', email: `bo-${tag}@example.com` },
          { firstName: 'Bad', lastName: 'Mail', email: 'nope' },
        ];
        const response = await bulk({ users, redirect_url: 'https://app.royalti.io/welcome', message: 'Welcome to the label!' });
        assert.deepEqual(response.body.createdUsers, ['Ada L', 'Bo K']);
        // Every message of the tenant is sent or dead: nothing more can arrive.
        await waitFor('the outbox to have nothing pending', async () => (await svc.call('GET', '/v1/outbox', { key })).body.pending === 0);
        const ours = smtp.received.filter((m) => m.to.endsWith(`-${tag}@example.com`));
        assert.deepEqual(ours.map((m) => m.to).sort(), [`ada-${tag}@example.com`, `bo-${tag}@example.com`]);
        for (const mail of ours) assert.match(mail.raw.replace(/=\r?\n/g, ''), /Welcome to the label!/);
        const accepted = await accept(ours[0]!, 'royalties 4 all');
        assert.equal(accepted.status, 303);
        assert.equal(accepted.headers.location, 'https://app.royalti.io/welcome');
      });

      it('a resent invitation keeps the redirect and the message', async () => {
        const email = `resent-${tag}@example.com`;
        const response = await bulk({ users: [{ firstName: 'Re', lastName: 'Sent', email }], redirect_url: 'https://app.royalti.io/welcome', message: 'Your label awaits.' });
        assert.deepEqual(response.body.createdUsers, ['Re Sent']);
        await smtp.waitFor((received) => received.some((m) => m.to === email));
        const directory = await svc.engine.directories.getDirectory(cliActor(tenantId), 'royalti');
        const user = (await svc.engine.users.listUsers(cliActor(tenantId), directory.id, { email, limit: 1 })).users[0]!;
        const resent = await svc.call('POST', `/v1/directories/royalti/users/${user.id}/invitation/resend`, { key });
        assert.equal(resent.status, 202, resent.text);
        assert.equal(resent.body.redirectUrl, 'https://app.royalti.io/welcome');
        await smtp.waitFor((received) => received.filter((m) => m.to === email).length === 2);
        const second = smtp.received.filter((m) => m.to === email)[1]!;
        assert.match(second.raw.replace(/=\r?\n/g, ''), /Your label awaits\./);
        const accepted = await accept(second, 'royalties 4 all');
        assert.equal(accepted.status, 303);
        assert.equal(accepted.headers.location, 'https://app.royalti.io/welcome');
      });

      it('refuses a redirect that is not on the allow-list, in Royalti\'s error shape', async () => {
        const response = await bulk({ users: [{ email: 'x@example.com' }], redirect_url: 'https://evil.example/' });
        assertRoyaltiError(response, 400, 'VALIDATION_ERROR', 'invitation.redirect_not_allowed');
      });

      it('lists every invalid field in details, as strings', async () => {
        const response = await bulk({ users: [{ email: 7 }, { firstName: ['x'] }] });
        assertRoyaltiError(response, 400, 'VALIDATION_ERROR', 'request.invalid');
        assert.deepEqual(response.body.error.details.slice(1).map((d: string) => d.split(':')[0]).sort(), ['users[0].email', 'users[1].firstName']);
      });

      it('names a malformed email as one, whatever makes it so', async () => {
        const users = [
          { firstName: 'Rosa', email: 'rosa-at-example' },
          { firstName: 'Lead', email: ' lead@example.com' },
          { firstName: 'Long', email: `${'l'.repeat(300)}@example.com` },
          { firstName: 'Ctrl', email: 'ctrl@example.com\u0007' },
          { firstName: 'None' },
          { firstName: 'Empty', email: '' },
        ];
        const response = await bulk({ users, sendEmail: false });
        assert.deepEqual(response.body.errors, [
          'Invalid email format for Rosa',
          'Invalid email format for Lead',
          'Invalid email format for Long',
          'Invalid email format for Ctrl',
          'Email is required for None',
          'Email is required for Empty',
        ]);
      });
    });

    describe('JWT bearer tokens', () => {
      const refused = async (bearer: string, reason: RegExp) => {
        const response = await bulk({ users: [{ email: 'never@example.com' }], sendEmail: false }, bearer);
        assertRoyaltiError(response, 401, 'UNAUTHORIZED', 'auth.invalid_token');
        assert.match(response.body.error.message, reason);
      };

      it('refuses expired, tampered, wrong-audience, foreign and malformed tokens', async () => {
        const settings = { issuer: 'https://muster.example', audience: 'muster', ttlSeconds: 900 };
        const grant = { tenantId, subject: 'test', scopes: ['users:write'] as const };
        const expired = await (await createJwtAuthority(SERVER_KEY, { ...settings, ttlSeconds: -60 })).issue({ ...grant, scopes: [...grant.scopes] });
        await refused(expired.token, /expired/);
        const wrongAudience = await (await createJwtAuthority(SERVER_KEY, { ...settings, audience: 'someone-else' })).issue({ ...grant, scopes: [...grant.scopes] });
        await refused(wrongAudience.token, /aud/);
        const foreign = await (await createJwtAuthority(randomBytes(32), settings)).issue({ ...grant, scopes: [...grant.scopes] });
        await refused(foreign.token, /trusted issuer/);
        const [header, payload, sig] = token.split('.') as [string, string, string];
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
        const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, tid: randomBytes(16).toString('hex') })).toString('base64url')}.${sig}`;
        assert.notEqual(tampered, token, 'the payload really changed');
        await refused(tampered, /signature/);
        await refused('not.a.jwt', /malformed|not valid/);
        assertRoyaltiError(await svc.call('POST', '/user/bulk', { body: { users: [] } }), 401, 'UNAUTHORIZED', 'auth.missing');
      });

      it('answers unknown routes in Royalti\'s shape', async () => {
        const response = await svc.call('GET', '/user/nothing', { headers: { authorization: `Bearer ${token}` } });
        assertRoyaltiError(response, 404, 'NOT_FOUND', 'route.not_found');
        assertSeedResponse('004', response);
      });
    });
  });
}

describe('royalti dialect: an external issuer', () => {
  for (const kind of STORE_KINDS) it(`accepts tokens from a trusted external JWKS, and only those: ${kind}`, async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'external-1', alg: 'ES256' };
    const jwksServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    jwksServer.listen(0, '127.0.0.1');
    await once(jwksServer, 'listening');
    const { port } = jwksServer.address() as { port: number };
    const svc = await startTestService(kind, { JWT_EXTERNAL_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`, JWT_EXTERNAL_ISSUER: 'https://idp.example' });
    try {
      const { tenantId } = await svc.newTenant();
      const sign = (issuer: string) =>
        new SignJWT({ tid: tenantId, scope: 'users:write' })
          .setProtectedHeader({ alg: 'ES256', kid: 'external-1' })
          .setIssuer(issuer)
          .setAudience('muster')
          .setSubject('idp-client')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey);
      const ok = await svc.call('POST', '/user/bulk', { headers: { authorization: `Bearer ${await sign('https://idp.example')}` }, body: { users: [{ firstName: 'Ext', email: 'ext@example.com' }], sendEmail: false } });
      assert.equal(ok.status, 201, ok.text);
      assert.deepEqual(ok.body.createdUsers, ['Ext']);
      const wrongIssuer = await svc.call('POST', '/user/bulk', { headers: { authorization: `Bearer ${await sign('https://other.example')}` }, body: { users: [{ email: 'no@example.com' }] } });
      assert.equal(wrongIssuer.status, 401);
    } finally {
      await svc.close();
      jwksServer.close();
    }
  });
});
