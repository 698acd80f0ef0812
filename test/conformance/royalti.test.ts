/**
 * Conformance with Royalti's bulk user API (seed 004), over HTTP, on both
 * stores: the partial-success answer in the seed's words, invitations to a
 * real SMTP server, and JWT bearer tokens (muster's own, and an external
 * issuer's) with expired, tampered and wrong-audience ones refused.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createJwtAuthority } from '../../src/crypto/jwt.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { inviteToken, startTestSmtp, type TestSmtp } from '../helpers/smtp.ts';
import { waitFor } from '../helpers/wait.ts';

const SERVER_KEY = randomBytes(32);

for (const kind of STORE_KINDS) {
  describe(`royalti dialect: ${kind}`, () => {
    let smtp: TestSmtp;
    let svc: TestService;
    let key: string;
    let tenantId: string;
    let token: string;
    const bulk = (body: unknown, bearer = token) => svc.call('POST', '/user/bulk', { headers: { authorization: `Bearer ${bearer}` }, body });

    before(async () => {
      smtp = await startTestSmtp();
      svc = await startTestService(kind, { SMTP_URL: smtp.url, OUTBOX_POLL_MS: '20', MUSTER_SERVER_KEY: SERVER_KEY.toString('base64'), PUBLIC_URL: 'https://muster.example' });
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
      const reader = await svc.call('POST', '/v1/tokens', { key: (await svc.engine.tenants.createKey(tenantId, { name: 'r', scopes: ['users:read'] })).key, body: { scopes: ['admin'] } });
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
        const directory = await svc.engine.directories.getDirectory(tenantId, 'royalti');
        const john = (await svc.engine.users.listUsers(tenantId, directory.id, { email: 'john@example.com', limit: 1 })).users[0]!;
        assert.equal(john.givenName, 'John');
        assert.deepEqual(john.attributes.royalti, { nickName: 'JD', userType: 'artist', ipi: '123', role: 'user', country: 'NG' });
      });

      it('sends one invitation per created user, with the message, redirecting where asked after acceptance', async () => {
        const users = [
          { firstName: 'Ada', lastName: 'L', email: `ada-${kind}@example.com` },
          { firstName: 'Bo', lastName: 'K', email: `bo-${kind}@example.com` },
          { firstName: 'Bad', lastName: 'Mail', email: 'nope' },
        ];
        const response = await bulk({ users, redirect_url: 'https://app.royalti.io/welcome', message: 'Welcome to the label!' });
        assert.deepEqual(response.body.createdUsers, ['Ada L', 'Bo K']);
        // Every message of the tenant is sent or dead: nothing more can arrive.
        await waitFor('the outbox to have nothing pending', async () => (await svc.call('GET', '/v1/outbox', { key })).body.pending === 0);
        const ours = smtp.received.filter((m) => m.to.endsWith(`-${kind}@example.com`));
        assert.deepEqual(ours.map((m) => m.to).sort(), [`ada-${kind}@example.com`, `bo-${kind}@example.com`]);
        for (const mail of ours) assert.match(mail.raw.replace(/=\r?\n/g, ''), /Welcome to the label!/);
        const accepted = await svc.app.inject({
          method: 'POST',
          url: `/invite/${inviteToken(ours[0]!)}`,
          payload: new URLSearchParams({ password: 'royalties 4 all', confirm: 'royalties 4 all' }).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
        assert.equal(accepted.statusCode, 303);
        assert.equal(accepted.headers.location, 'https://app.royalti.io/welcome');
      });

      it('refuses a redirect that is not on the allow-list, in Royalti\'s error shape', async () => {
        const response = await bulk({ users: [{ email: 'x@example.com' }], redirect_url: 'https://evil.example/' });
        assert.equal(response.status, 400);
        assert.equal(response.body.success, false);
        assert.equal(response.body.error.code, 'VALIDATION_ERROR');
        assert.equal(response.body.error.details.code, 'invitation.redirect_not_allowed');
      });
    });

    describe('JWT bearer tokens', () => {
      const refused = async (bearer: string, reason: RegExp) => {
        const response = await bulk({ users: [{ email: 'never@example.com' }], sendEmail: false }, bearer);
        assert.equal(response.status, 401, response.text);
        assert.equal(response.body.success, false);
        assert.equal(response.body.error.code, 'UNAUTHORIZED');
        assert.match(response.body.error.message, reason);
        assert.ok('details' in response.body.error);
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
        const missing = await svc.call('POST', '/user/bulk', { body: { users: [] } });
        assert.equal(missing.status, 401);
        assert.equal(missing.body.error.code, 'UNAUTHORIZED');
      });

      it('answers unknown routes in Royalti\'s shape', async () => {
        const response = await svc.call('GET', '/user/nothing', { headers: { authorization: `Bearer ${token}` } });
        assert.equal(response.status, 404);
        assert.equal(response.body.error.code, 'NOT_FOUND');
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
