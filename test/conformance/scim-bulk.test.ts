/**
 * SCIM Bulk (RFC 7644 §3.7) on both stores: forward and circular bulkId
 * references (§3.7.1, §3.7.2), failOnErrors (§3.7.3), an unknown bulkId,
 * per-operation versions, the limits (413, §3.7.4), and a run of 1000 creates
 * going through createUsers as one batch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

for (const kind of STORE_KINDS) {
  describe(`scim bulk: ${kind}`, () => {
    let svc: TestService;
    let key: string;
    let n = 0;
    const bulk = (Operations: unknown[], extra: Record<string, unknown> = {}) =>
      svc.call('POST', '/scim/v2/Bulk', { key, headers: { 'content-type': 'application/scim+json' }, body: { schemas: [BULK], Operations, ...extra } });
    const postUser = (bulkId: string, userName: string, data: Record<string, unknown> = {}) => ({ method: 'POST', path: '/Users', bulkId, data: { schemas: [USER_SCHEMA], userName, ...data } });

    before(async () => {
      svc = await startTestService(kind, { SCIM_BULK_MAX_OPERATIONS: '1000', SCIM_BULK_MAX_PAYLOAD_BYTES: String(1024 * 1024) });
      key = (await svc.newTenant()).adminKey;
    });
    after(() => svc.close());

    it('RFC 7644 §3.7.2: a forward bulkId reference is resolved by running its POST first', async () => {
      const tag = ++n;
      const response = await bulk([
        { method: 'POST', path: '/Groups', bulkId: 'ytrewq', data: { schemas: [GROUP_SCHEMA], displayName: `Tour Guides ${tag}`, members: [{ type: 'User', value: 'bulkId:qwerty' }] } },
        postUser('qwerty', `alice-${tag}`),
      ]);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:BulkResponse']);
      const [group, user] = response.body.Operations;
      assert.equal(group.bulkId, 'ytrewq');
      assert.equal(group.status, '201');
      assert.equal(user.status, '201');
      const userId = user.location.split('/').pop();
      const fetched = await svc.call('GET', new URL(group.location).pathname, { key });
      assert.deepEqual(fetched.body.members.map((m: { value: string }) => m.value), [userId]);
      assert.equal(fetched.body.meta.version, group.version);
    });

    it('a path may reference a bulkId: a group created, then patched and deleted by its bulkId', async () => {
      const tag = ++n;
      const response = await bulk([
        { method: 'POST', path: '/Groups', bulkId: 'g', data: { schemas: [GROUP_SCHEMA], displayName: `By path ${tag}` } },
        { method: 'PATCH', path: '/Groups/bulkId:g', data: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: `Renamed by path ${tag}` }] } },
        { method: 'DELETE', path: '/Groups/bulkId:g', version: 'W/"2"' },
      ]);
      assert.deepEqual(response.body.Operations.map((o: { status: string }) => o.status), ['201', '200', '204'], response.text);
      assert.equal(response.body.Operations[1].version, 'W/"2"');
      assert.equal((await svc.call('GET', new URL(response.body.Operations[0].location).pathname, { key })).status, 404);
    });

    it('RFC 7644 §3.7.1: circular bulkId references answer 409 for each operation in the cycle', async () => {
      const tag = ++n;
      const response = await bulk([
        postUser('a', `circ-a-${tag}`, { [ENTERPRISE]: { manager: { value: 'bulkId:b' } } }),
        postUser('b', `circ-b-${tag}`, { [ENTERPRISE]: { manager: { value: 'bulkId:a' } } }),
        postUser('c', `circ-c-${tag}`, { [ENTERPRISE]: { manager: { value: 'bulkId:d' } } }),
        postUser('d', `circ-d-${tag}`),
      ]);
      assert.equal(response.status, 200);
      const byId = Object.fromEntries(response.body.Operations.map((o: { bulkId: string }) => [o.bulkId, o]));
      assert.equal(byId.a.status, '409');
      assert.equal(byId.b.status, '409');
      assert.equal(byId.a.response.schemas[0], 'urn:ietf:params:scim:api:messages:2.0:Error');
      assert.equal(byId.c.status, '201', 'a forward reference outside the cycle resolves');
      const c = await svc.call('GET', new URL(byId.c.location).pathname, { key });
      assert.equal(c.body[ENTERPRISE].manager.value, byId.d.location.split('/').pop());
    });

    it('an unknown bulkId is 409 for that operation; the others run', async () => {
      const tag = ++n;
      const response = await bulk([postUser('x', `unk-${tag}`, { [ENTERPRISE]: { manager: { value: 'bulkId:nowhere' } } }), postUser('y', `known-${tag}`)]);
      assert.deepEqual(response.body.Operations.map((o: { status: string }) => o.status), ['409', '201']);
      assert.match(response.body.Operations[0].response.detail, /nowhere/);
    });

    it('RFC 7644 §3.7.3: failOnErrors stops after that many errors; 200 with the results that ran', async () => {
      const tag = ++n;
      const seeded = await bulk([postUser('s', `dup-${tag}`)]);
      const userId = seeded.body.Operations[0].location.split('/').pop();
      const response = await bulk(
        [
          { method: 'PATCH', path: `/Users/${userId}`, version: 'W/"999"', data: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'x' }] } },
          { method: 'DELETE', path: '/Users/00000000-0000-0000-0000-000000000000' },
          { method: 'PUT', path: `/Users/${userId}`, data: { schemas: [USER_SCHEMA], userName: `dup-${tag}`, title: 'never' } },
        ],
        { failOnErrors: 2 },
      );
      assert.equal(response.status, 200);
      assert.deepEqual(response.body.Operations.map((o: { method: string; status: string }) => [o.method, o.status]), [
        ['PATCH', '412'],
        ['DELETE', '404'],
      ]);
      assert.equal((await svc.call('GET', `/scim/v2/Users/${userId}`, { key })).body.title, undefined);
      const duplicate = await bulk([postUser('d1', `dup-${tag}`), postUser('d2', `fresh-${tag}`)], { failOnErrors: 1 });
      assert.deepEqual(duplicate.body.Operations.map((o: { status: string }) => o.status), ['409', '201'], 'one batch of creates reports all its results');
      assert.equal(duplicate.body.Operations[0].response.scimType, 'uniqueness');
    });

    it('RFC 7644 §3.7.4: over maxOperations or maxPayloadSize is 413 naming the limit', async () => {
      const many = Array.from({ length: 1001 }, (_, i) => postUser(`m${i}`, `m${i}`));
      const response = await bulk(many);
      assert.equal(response.status, 413);
      assert.equal(response.body.status, '413');
      assert.match(response.body.detail, /maxOperations is 1000/);
      const big = await svc.call('POST', '/scim/v2/Bulk', { key, headers: { 'content-type': 'application/scim+json' }, rawBody: ' '.repeat(1024 * 1024 + 1) });
      assert.equal(big.status, 413);
      assert.match(big.body.detail, /maxPayloadSize, 1048576 bytes/);
      const config = await svc.call('GET', '/scim/v2/ServiceProviderConfig', { key });
      assert.deepEqual(config.body.bulk, { supported: true, maxOperations: 1000, maxPayloadSize: 1024 * 1024 });
    });

    it('1000 POST /Users run through createUsers as one batch (one insert: one creation time)', async () => {
      const tag = ++n;
      const operations = Array.from({ length: 1000 }, (_, i) => postUser(`u${i}`, `batch-${tag}-${i}`, { emails: [{ value: `batch-${tag}-${i}@example.com`, primary: true }] }));
      const response = await bulk(operations);
      assert.equal(response.status, 200);
      assert.equal(response.body.Operations.length, 1000);
      assert.ok(response.body.Operations.every((o: { status: string }) => o.status === '201'));
      const page = await svc.call('GET', `/scim/v2/Users?filter=${encodeURIComponent(`userName sw "batch-${tag}-"`)}&count=1000&attributes=meta.created`, { key });
      assert.equal(page.body.totalResults, 1000);
      assert.equal(new Set(page.body.Resources.map((r: { meta: { created: string } }) => r.meta.created)).size, 1);
    });
  });
}
