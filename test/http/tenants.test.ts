/**
 * The operator API (`/v1/tenants`), on both stores: only the operator key
 * reaches it (a tenant's admin cannot create or see other tenants, and the
 * operator key reaches no tenant's data); a disabled tenant's keys stop working.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { MusterError } from '../../src/domain/errors.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

const OPERATOR_KEY = `op-${randomBytes(24).toString('hex')}`;

for (const kind of STORE_KINDS) {
  describe(`operator tenants API: ${kind}`, () => {
    let svc: TestService;
    let n = 0;
    const name = () => `acme-${kind}-${process.pid}-${++n}`;
    const operator = { key: OPERATOR_KEY };

    before(async () => {
      svc = await startTestService(kind, { MUSTER_OPERATOR_KEY: OPERATOR_KEY });
    });
    after(() => svc.close());

    it('creates a tenant whose admin key works in it, lists it, and refuses a taken name', async () => {
      const tenantName = name();
      const created = await svc.call('POST', '/v1/tenants', { ...operator, body: { name: tenantName } });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.tenant.name, tenantName);
      assert.equal(created.body.tenant.disabledAt, null);
      assert.deepEqual(created.body.adminKey.scopes, ['admin']);
      const directories = await svc.call('GET', '/v1/directories', { key: created.body.adminKey.key });
      assert.deepEqual(directories.body.directories.map((d: { name: string }) => d.name), ['default']);

      const listed = await svc.call('GET', '/v1/tenants', operator);
      assert.equal(listed.status, 200);
      assert.ok(listed.body.tenants.some((t: { id: string }) => t.id === created.body.tenant.id));
      assert.ok(!listed.text.includes(created.body.adminKey.key), 'keys are never listed');

      const taken = await svc.call('POST', '/v1/tenants', { ...operator, body: { name: tenantName } });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.error.code, 'tenant.name_taken');
    });

    it('refuses tenant keys (403), unknown keys and no key (401); the operator key reaches no tenant data', async () => {
      const { adminKey } = await svc.newTenant();
      for (const [method, url, body] of [['POST', '/v1/tenants', { name: name() }], ['GET', '/v1/tenants', undefined], ['POST', '/v1/tenants/default/disable', undefined]] as const) {
        const asAdmin = await svc.call(method, url, { key: adminKey, ...(body && { body }) });
        assert.equal(asAdmin.status, 403, `${method} ${url}`);
        assert.equal(asAdmin.body.error.code, 'auth.insufficient_scope');
        assert.equal(asAdmin.body.error.details.requiredScope, 'operator');
        assert.equal((await svc.call(method, url, { key: `mst_${'x'.repeat(43)}`, ...(body && { body }) })).body.error.code, 'auth.invalid_key');
        assert.equal((await svc.call(method, url, body ? { body } : {})).status, 401);
      }
      const intoTenant = await svc.call('GET', '/v1/directories', operator);
      assert.equal(intoTenant.status, 401);
      assert.equal(intoTenant.body.error.code, 'auth.invalid_key');
      const operatorScoped = await svc.call('POST', '/v1/api-keys', { key: adminKey, body: { name: 'escalate', scopes: ['operator'] } });
      assert.equal(operatorScoped.status, 400, 'no tenant key can be given the operator scope');
    });

    it('disables a tenant: its API keys and access keys stop, others keep working, and it stays disabled', async () => {
      const victim = (await svc.call('POST', '/v1/tenants', { ...operator, body: { name: name() } })).body;
      const bystander = await svc.newTenant();
      const accessKey = await svc.call('POST', '/v1/access-keys', { key: victim.adminKey.key, body: { name: 'ak', scopes: ['users:read'] } });
      assert.equal(accessKey.status, 201);

      const disabled = await svc.call('POST', `/v1/tenants/${victim.tenant.name}/disable`, operator);
      assert.equal(disabled.status, 200, disabled.text);
      assert.ok(disabled.body.disabledAt);
      const refused = await svc.call('GET', '/v1/directories', { key: victim.adminKey.key });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'auth.tenant_disabled');
      await assert.rejects(svc.engine.accessKeys.secretFor(accessKey.body.accessKeyId), (error: unknown) => error instanceof MusterError && error.code === 'auth.tenant_disabled');
      assert.equal((await svc.call('GET', '/v1/directories', { key: bystander.adminKey })).status, 200);

      const again = await svc.call('POST', `/v1/tenants/${victim.tenant.id}/disable`, operator);
      assert.equal(again.body.disabledAt, disabled.body.disabledAt, 'disabling twice keeps the first time');
      assert.equal((await svc.call('POST', '/v1/tenants/no-such-tenant/disable', operator)).body.error.code, 'tenant.not_found');
    });

    it('manages a tenant\'s API keys', async () => {
      const tenant = (await svc.call('POST', '/v1/tenants', { ...operator, body: { name: name() } })).body.tenant;
      const issued = await svc.call('POST', `/v1/tenants/${tenant.name}/api-keys`, { ...operator, body: { name: 'ci', scopes: ['users:read'] } });
      assert.equal(issued.status, 201, issued.text);
      assert.equal((await svc.call('GET', '/v1/directories', { key: issued.body.key })).status, 200);
      const listed = await svc.call('GET', `/v1/tenants/${tenant.id}/api-keys`, operator);
      assert.deepEqual(listed.body.keys.map((k: { name: string }) => k.name), ['admin', 'ci']);
      const revoked = await svc.call('POST', `/v1/tenants/${tenant.id}/api-keys/${issued.body.prefix}/revoke`, operator);
      assert.equal(revoked.status, 200);
      assert.equal((await svc.call('GET', '/v1/directories', { key: issued.body.key })).body.error.code, 'auth.key_revoked');
      assert.equal((await svc.call('GET', '/v1/tenants/nope/api-keys', operator)).status, 404);
    });
  });
}
