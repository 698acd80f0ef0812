/**
 * Conformance of the SCIM 2.0 dialect (RFC 7643/7644) on both stores: Okta's
 * SCIM 2.0 spec test steps and user push requests, Entra ID's documented
 * requests as sent, RFC 7644's own rules (ETags, projection, listing), and
 * discovery generated from the attribute registry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cliActor } from '../../src/domain/actor.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, TRANSPORTS, type CallResult, type TestService } from '../helpers/service.ts';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

for (const kind of STORE_KINDS) for (const transport of TRANSPORTS) {
  describe(`scim dialect: ${kind}, ${transport}`, () => {
    let svc: TestService;
    let key: string;
    let tenantId: string;
    let n = 0;
    const scim = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
      svc.call(method, `/scim/v2${url}`, { key, headers: { 'content-type': 'application/scim+json', ...headers }, ...(body !== undefined && { body }) });
    const assertScimError = (response: CallResult, status: number, scimType?: string) => {
      assert.equal(response.status, status, response.text);
      assert.deepEqual(response.body.schemas, [ERROR]);
      assert.equal(response.body.status, String(status));
      assert.equal(typeof response.body.detail, 'string');
      if (scimType !== undefined) assert.equal(response.body.scimType, scimType);
    };
    /** Okta's create-user request (Okta SCIM 2.0 guide, "Create the user"). */
    const oktaUser = (userName: string) => ({
      schemas: [USER_SCHEMA],
      userName,
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ primary: true, value: userName, type: 'work' }],
      displayName: 'Test User',
      locale: 'en-US',
      externalId: `00u${++n}`,
      groups: [],
      password: 'correct horse battery',
      active: true,
    });
    const create = async (userName: string, extra: Record<string, unknown> = {}) => {
      const response = await scim('POST', '/Users', { ...oktaUser(userName), ...extra });
      assert.equal(response.status, 201, response.text);
      return response.body;
    };
    const authenticate = (username: string, password: string) =>
      svc.call('POST', '/v1/directories/scim/authenticate', { key, body: { username, password } });

    before(async () => {
      svc = await startTestService(kind, {}, { transport });
      ({ adminKey: key, tenantId } = await svc.newTenant());
    });
    after(() => svc.close());

    describe('Okta SCIM 2.0 spec test steps', () => {
      it('Required Test: Test Users endpoint - list with numeric counters and startIndex/count', async () => {
        await create(`list-${n}@example.com`);
        const response = await scim('GET', '/Users?startIndex=1&count=100');
        assert.equal(response.status, 200);
        assert.match(String(response.headers['content-type']), /^application\/scim\+json/);
        assert.deepEqual(response.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
        assert.equal(typeof response.body.totalResults, 'number');
        assert.equal(typeof response.body.itemsPerPage, 'number');
        assert.equal(response.body.startIndex, 1);
        assert.ok(response.body.Resources.length >= 1);
      });

      it('Required Test: Get User by ID', async () => {
        const user = await create(`byid-${n}@example.com`);
        const response = await scim('GET', `/Users/${user.id}`);
        assert.equal(response.status, 200);
        assert.equal(response.body.userName, user.userName);
        assert.equal(response.body.id, user.id);
      });

      it('Required Test: Expect failure when recreating user with same values (409 uniqueness)', async () => {
        const user = await create(`dup-${n}@example.com`);
        assertScimError(await scim('POST', '/Users', oktaUser(user.userName)), 409, 'uniqueness');
      });

      it('Required Test: Username Case Sensitivity Check (filter with an upper-cased userName)', async () => {
        const user = await create(`case-${n}@example.com`);
        const response = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${user.userName.toUpperCase()}"`)}`);
        assert.equal(response.body.totalResults, 1);
        assert.equal(response.body.Resources[0].id, user.id);
      });

      it('Required Test: Filter for an unknown userName answers an empty list', async () => {
        const response = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "nobody-at-all@example.com"')}&startIndex=1&count=100`);
        assert.equal(response.status, 200);
        assert.equal(response.body.totalResults, 0);
        assert.deepEqual(response.body.Resources, []);
      });

      it('Required Test: Get a user that does not exist: 404 with detail', async () => {
        assertScimError(await scim('GET', '/Users/010101001010101010'), 404);
      });

      it('a JWT from POST /v1/tokens is a bearer token too', async () => {
        const token = await svc.call('POST', '/v1/tokens', { key });
        assert.equal(token.status, 200, token.text);
        const response = await svc.call('GET', '/scim/v2/Users?count=1', { key: token.body.token });
        assert.equal(response.status, 200, response.text);
        assertScimError(await svc.call('GET', '/scim/v2/Users', { key: `${token.body.token}x` }), 401);
      });

      it('Required Test: a bad token is 401 with status "401"', async () => {
        const response = await svc.call('GET', '/scim/v2/Users', { key: 'mst_not-a-key' });
        assertScimError(response, 401);
        assertScimError(await svc.call('GET', '/scim/v2/Users'), 401);
      });

      it('Create the user: 201 with Location and ETag, password never returned, usable to sign in', async () => {
        const response = await scim('POST', '/Users', oktaUser(`create-${n}@example.com`));
        assert.equal(response.status, 201);
        assert.equal(response.headers.location, `http://localhost:8080/scim/v2/Users/${response.body.id}`);
        assert.equal(response.headers.etag, response.body.meta.version);
        assert.match(response.headers.etag as string, /^W\/"\d+"$/);
        assert.equal(response.body.password, undefined);
        assert.ok(!response.text.includes('correct horse'));
        assert.deepEqual(response.body.emails, [{ primary: true, value: response.body.userName, type: 'work' }]);
        assert.equal((await authenticate(response.body.userName, 'correct horse battery')).status, 200);
      });
    });

    describe('Okta user push requests', () => {
      it('PUT profile update replaces readWrite attributes and ignores readOnly input', async () => {
        const user = await create(`put-${n}@example.com`);
        const replaced = await scim('PUT', `/Users/${user.id}`, {
          ...oktaUser(user.userName),
          id: 'ignored',
          meta: { created: '2000-01-01T00:00:00Z' },
          externalId: user.externalId,
          name: { givenName: 'Changed', familyName: 'User' },
          title: 'Engineer',
        });
        assert.equal(replaced.status, 200, replaced.text);
        assert.equal(replaced.body.id, user.id);
        assert.equal(replaced.body.name.givenName, 'Changed');
        assert.equal(replaced.body.title, 'Engineer');
        assert.equal(replaced.body.meta.created, user.meta.created);
        assert.notEqual(replaced.body.meta.version, user.meta.version);
        const again = await scim('PUT', `/Users/${user.id}`, { schemas: [USER_SCHEMA], userName: user.userName });
        assert.equal(again.body.title, undefined, 'PUT clears what it does not send');
        assert.equal(again.body.displayName, undefined);
      });

      it('PATCH {"op":"replace","value":{"active":false}} disables: sign-in refused, still readable and filterable', async () => {
        const user = await create(`deact-${n}@example.com`);
        const patched = await scim('PATCH', `/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
        assert.equal(patched.status, 200, patched.text);
        assert.equal(patched.body.active, false);
        const login = await authenticate(user.userName, 'correct horse battery');
        assert.equal(login.status, 401);
        assert.equal(login.body.error.code, 'credentials.user_disabled');
        const found = await scim('GET', `/Users?filter=${encodeURIComponent(`active eq false and userName eq "${user.userName}"`)}`);
        assert.equal(found.body.totalResults, 1);
        assert.equal((await scim('GET', `/Users/${user.id}`)).body.active, false);
      });
    });

    describe("Entra ID's documented requests, as sent", () => {
      it('PATCH with capitalised ops and "False" as a string', async () => {
        const user = await create(`entra-${n}@example.com`);
        const response = await scim('PATCH', `/Users/${user.id}`, {
          schemas: [PATCH_OP],
          Operations: [
            { op: 'Replace', path: 'active', value: 'False' },
            { op: 'Add', path: 'title', value: 'Manager' },
            { op: 'Replace', path: 'emails[type eq "work"].value', value: 'new@example.com' },
            { op: 'Add', path: `${ENTERPRISE}:department`, value: 'Sales' },
          ],
        });
        assert.equal(response.status, 200, response.text);
        assert.equal(response.body.active, false);
        assert.equal(response.body.title, 'Manager');
        assert.equal(response.body.emails[0].value, 'new@example.com');
        assert.equal(response.body[ENTERPRISE].department, 'Sales');
        assert.ok(response.body.schemas.includes(ENTERPRISE));
      });

      it('a filtered replace with no match creates the element', async () => {
        const user = await create(`nomatch-${n}@example.com`);
        const response = await scim('PATCH', `/Users/${user.id}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'replace', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' }],
        });
        assert.equal(response.status, 200, response.text);
        assert.deepEqual(response.body.phoneNumbers, [{ type: 'mobile', value: '+1 555 0100' }]);
      });

      it('a path-less replace with dotted keys', async () => {
        const user = await create(`dotted-${n}@example.com`);
        const response = await scim('PATCH', `/Users/${user.id}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'replace', value: { 'name.givenName': 'Barbara', 'name.familyName': 'Jensen', [`${ENTERPRISE}:employeeNumber`]: '701984' } }],
        });
        assert.equal(response.status, 200, response.text);
        assert.equal(response.body.name.givenName, 'Barbara');
        assert.equal(response.body.name.familyName, 'Jensen');
        assert.equal(response.body[ENTERPRISE].employeeNumber, '701984');
      });

      it('a PATCH that fails changes nothing (atomic), with invalidPath, noTarget and mutability', async () => {
        const user = await create(`atomic-${n}@example.com`);
        const bad = await scim('PATCH', `/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'X' }, { op: 'replace', path: 'nosuch', value: 1 }] });
        assertScimError(bad, 400, 'invalidPath');
        assert.equal((await scim('GET', `/Users/${user.id}`)).body.title, undefined);
        assertScimError(await scim('PATCH', `/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'emails[type eq "home"]' }] }), 400, 'noTarget');
        assertScimError(await scim('PATCH', `/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'id', value: 'x' }] }), 400, 'mutability');
        assert.equal((await scim('GET', `/Users/${user.id}`)).body.meta.version, user.meta.version);
      });

      it('accepts application/json as well as application/scim+json', async () => {
        const response = await svc.call('POST', '/scim/v2/Users', { key, body: oktaUser(`json-${n}@example.com`) });
        assert.equal(response.status, 201);
        assert.match(String(response.headers['content-type']), /^application\/scim\+json/);
      });
    });

    describe('RFC 7644: ETags, projection, listing, errors', () => {
      it('attribute names match in any case (RFC 7643 §2.1) and come back in the registry\'s spelling', async () => {
        const userName = `case-${++n}@example.com`;
        const response = await scim('POST', '/Users', {
          schemas: [USER_SCHEMA],
          USERNAME: userName,
          Name: { GIVENNAME: 'Ada', familyname: 'Lovelace' },
          emails: [{ VALUE: userName, Primary: true, TYPE: 'work' }],
          [ENTERPRISE.toUpperCase()]: { EmployeeNumber: '1815' },
        });
        assert.equal(response.status, 201, response.text);
        const read = await scim('GET', `/Users/${response.body.id}`);
        assert.equal(read.body.userName, userName);
        assert.deepEqual(read.body.name, { givenName: 'Ada', familyName: 'Lovelace' });
        assert.deepEqual(read.body.emails, [{ value: userName, primary: true, type: 'work' }]);
        assert.deepEqual(read.body[ENTERPRISE], { employeeNumber: '1815' });
      });

      it('If-Match mismatch is 412, If-None-Match of the current version 304', async () => {
        const user = await create(`etag-${n}@example.com`);
        assert.equal((await scim('GET', `/Users/${user.id}`, undefined, { 'if-none-match': user.meta.version })).status, 304);
        const stale = await scim('PATCH', `/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'A' }] }, { 'if-match': 'W/"999"' });
        assertScimError(stale, 412);
        const fresh = await scim('PATCH', `/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'A' }] }, { 'if-match': user.meta.version });
        assert.equal(fresh.status, 200);
        assert.equal((await scim('GET', `/Users/${user.id}`, undefined, { 'if-none-match': user.meta.version })).status, 200);
      });

      it('attributes and excludedAttributes on GET, POST and lists', async () => {
        const user = await create(`proj-${n}@example.com`, { [ENTERPRISE]: { department: 'R&D' } });
        const only = await scim('GET', `/Users/${user.id}?attributes=userName,name.givenName,${ENTERPRISE}:department`);
        assert.deepEqual(only.body, { schemas: user.schemas, id: user.id, userName: user.userName, name: { givenName: 'Test' }, [ENTERPRISE]: { department: 'R&D' } });
        const without = await scim('GET', `/Users/${user.id}?excludedAttributes=emails,meta,id`);
        assert.equal(without.body.emails, undefined);
        assert.equal(without.body.meta, undefined);
        assert.equal(without.body.id, user.id, 'id is returned always');
        const created = await scim('POST', '/Users?attributes=userName', oktaUser(`proj2-${n}@example.com`));
        assert.deepEqual(Object.keys(created.body).sort(), ['id', 'schemas', 'userName']);
      });

      it('count is capped at maxResults, sortBy/sortOrder order the page, POST /.search on the root and on Users', async () => {
        const prefix = `sort${n}-`;
        for (const name of ['c', 'a', 'b']) await create(`${prefix}${name}@example.com`);
        const filter = `userName sw "${prefix}"`;
        const page = await scim('GET', `/Users?filter=${encodeURIComponent(filter)}&sortBy=userName&sortOrder=descending&count=2&startIndex=1`);
        assert.equal(page.body.totalResults, 3);
        assert.deepEqual(page.body.Resources.map((r: { userName: string }) => r.userName[prefix.length]), ['c', 'b']);
        const search = { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter, sortBy: 'userName', startIndex: 2, count: 5, attributes: ['userName'] };
        for (const path of ['/.search', '/Users/.search']) {
          const found = await scim('POST', path, search);
          assert.equal(found.status, 200, found.text);
          assert.equal(found.body.startIndex, 2);
          assert.deepEqual(found.body.Resources.map((r: { userName: string }) => r.userName[prefix.length]), ['b', 'c']);
        }
        const capped = await startTestService(kind, { SCIM_MAX_RESULTS: '2' });
        try {
          const cappedKey = (await capped.newTenant()).adminKey;
          for (const name of ['x', 'y', 'z']) assert.equal((await capped.call('POST', '/scim/v2/Users', { key: cappedKey, body: { schemas: [USER_SCHEMA], userName: name } })).status, 201);
          const response = await capped.call('GET', '/scim/v2/Users?count=50', { key: cappedKey });
          assert.equal(response.body.totalResults, 3);
          assert.equal(response.body.itemsPerPage, 2);
          assert.equal(response.body.Resources.length, 2);
          const config = await capped.call('GET', '/scim/v2/ServiceProviderConfig', { key: cappedKey });
          assert.equal(config.body.filter.maxResults, 2);
        } finally {
          await capped.close();
        }
      });

      it('a bad filter is 400 invalidFilter, unknown routes are SCIM errors', async () => {
        assertScimError(await scim('GET', `/Users?filter=${encodeURIComponent('userName eq')}`), 400, 'invalidFilter');
        assertScimError(await scim('GET', `/Users?filter=${encodeURIComponent('password eq "x"')}`), 400, 'invalidFilter');
        assertScimError(await scim('GET', '/Nothing'), 404);
      });

      it('/scim/v2/{directory} addresses a directory by name; other tenants see 404', async () => {
        await svc.engine.directories.createDirectory(cliActor(tenantId), 'okta-prod');
        const created = await svc.call('POST', '/scim/v2/okta-prod/Users', { key, body: oktaUser(`dir-${n}@example.com`) });
        assert.equal(created.status, 201, created.text);
        assert.equal(created.headers.location, `http://localhost:8080/scim/v2/okta-prod/Users/${created.body.id}`);
        assertScimError(await scim('GET', `/Users/${created.body.id}`), 404);
        assertScimError(await svc.call('GET', '/scim/v2/no-such-dir/Users', { key }), 404);
        const other = await svc.newTenant();
        assertScimError(await svc.call('GET', `/scim/v2/okta-prod/Users/${created.body.id}`, { key: other.adminKey }), 404);
      });

      it('DELETE is 204, then 404; with a stale If-Match 412 and nothing deleted', async () => {
        const user = await create(`del-${n}@example.com`);
        assertScimError(await scim('DELETE', `/Users/${user.id}`, undefined, { 'if-match': 'W/"999"' }), 412);
        assert.equal((await scim('GET', `/Users/${user.id}`)).status, 200);
        assert.equal((await scim('DELETE', `/Users/${user.id}`, undefined, { 'if-match': user.meta.version })).status, 204);
        assertScimError(await scim('GET', `/Users/${user.id}`), 404);
      });
    });

    describe('Okta group push requests', () => {
      const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
      it('create a group with members, rename it (same id), add and remove members; users\' groups follow', async () => {
        const alice = await create(`gp-a-${n}@example.com`);
        const bob = await create(`gp-b-${n}@example.com`);
        const created = await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: `Test SCIMv2 ${n}`, members: [{ value: alice.id, display: alice.userName }] });
        assert.equal(created.status, 201, created.text);
        assert.equal(created.headers.location, `http://localhost:8080/scim/v2/Groups/${created.body.id}`);
        assert.deepEqual(created.body.members.map((m: { value: string }) => m.value), [alice.id]);
        const id = created.body.id;
        // Okta's rename sends the group's id in the value.
        const renamed = await scim('PATCH', `/Groups/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { id, displayName: `Renamed ${n}` } }] });
        assert.equal(renamed.status, 204, renamed.text);
        const fetched = await scim('GET', `/Groups/${id}`);
        assert.equal(fetched.body.id, id);
        assert.equal(fetched.body.displayName, `Renamed ${n}`);
        assert.equal(fetched.headers.etag, fetched.body.meta.version);
        const added = await scim('PATCH', `/Groups/${id}?attributes=members`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: bob.id, display: bob.userName }] }] });
        assert.equal(added.status, 200, added.text);
        assert.deepEqual(added.body.members.map((m: { value: string }) => m.value).sort(), [alice.id, bob.id].sort());
        assert.deepEqual((await scim('GET', `/Users/${bob.id}`)).body.groups.map((g: { value: string; display: string }) => [g.value, g.display]), [[id, `Renamed ${n}`]]);
        const removed = await scim('PATCH', `/Groups/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${alice.id}"]` }] });
        assert.equal(removed.status, 204, removed.text);
        assert.deepEqual((await scim('GET', `/Groups/${id}`)).body.members.map((m: { value: string }) => m.value), [bob.id]);
        assert.equal((await scim('GET', `/Users/${alice.id}`)).body.groups, undefined);
        const found = await scim('GET', `/Groups?filter=${encodeURIComponent(`displayName eq "Renamed ${n}"`)}`);
        assert.equal(found.body.totalResults, 1);
        assertScimError(await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: `Renamed ${n}` }), 409, 'uniqueness');
        assertScimError(await scim('PATCH', `/Groups/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: 'not-a-user' }] }] }), 400, 'invalidValue');
        assert.equal((await scim('DELETE', `/Groups/${id}`)).status, 204);
        assertScimError(await scim('GET', `/Groups/${id}`), 404);
        assert.equal((await scim('GET', `/Users/${bob.id}`)).status, 200, 'deleting a group keeps its members');
      });

      it("Entra ID: members removal by value list removes only those; excludedAttributes=members; PATCH is 204", async () => {
        const users = [await create(`ge-1-${n}@example.com`), await create(`ge-2-${n}@example.com`), await create(`ge-3-${n}@example.com`)];
        const created = await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], externalId: `ext-${n}`, displayName: `Group ${n}`, members: users.map((u) => ({ value: u.id })) });
        assert.equal(created.status, 201, created.text);
        const id = created.body.id;
        const removal = await scim('PATCH', `/Groups/${id}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'Remove', path: 'members', value: [{ value: users[0].id }, { value: users[1].id }] }],
        });
        assert.equal(removal.status, 204, removal.text);
        assert.deepEqual((await scim('GET', `/Groups/${id}`)).body.members.map((m: { value: string }) => m.value), [users[2].id]);
        const listed = await scim('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent(`externalId eq "ext-${n}"`)}`);
        assert.equal(listed.body.totalResults, 1);
        assert.equal(listed.body.Resources[0].members, undefined);
        assert.equal(listed.body.Resources[0].displayName, `Group ${n}`);
        const single = await scim('GET', `/Groups/${id}?excludedAttributes=members`);
        assert.equal(single.body.members, undefined);
        const replaced = await scim('PATCH', `/Groups/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'members', value: [{ value: users[0].id }] }, { op: 'Replace', path: 'displayName', value: `Group ${n} b` }] });
        assert.equal(replaced.status, 204);
        const after = await scim('GET', `/Groups/${id}`);
        assert.deepEqual(after.body.members.map((m: { value: string }) => m.value), [users[0].id]);
        assert.equal(after.body.displayName, `Group ${n} b`);
        assertScimError(await scim('PATCH', `/Groups/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'x' }] }, { 'if-match': 'W/"1"' }), 412);
        // Entra ID asks whether a user is (still) a member: `id eq G and members eq U`, with attributes=id.
        const ids = async (filter: string) => (await scim('GET', `/Groups?attributes=id&filter=${encodeURIComponent(filter)}`)).body.Resources.map((g: { id: string }) => g.id);
        assert.deepEqual(await ids(`id eq "${id}" and members eq "${users[0].id}"`), [id]);
        assert.deepEqual(await ids(`id eq "${id}" and members eq "${users[1].id}"`), [], 'a removed member');
        assert.deepEqual(await ids(`members[value eq "${users[0].id}"]`), [id]);
        assert.deepEqual(await ids(`members.value eq "${users[0].id}" and displayName eq "Group ${n} b"`), [id]);
        assert.deepEqual(await ids(`id eq "${id}" and not (members eq "${users[2].id}")`), [id]);
        assert.deepEqual(await ids(`id eq "${id}" and members pr`), [id]);
        assert.deepEqual(await ids(`members eq "not-a-uuid"`), [], 'any text compares, none matches');
        assertScimError(await scim('GET', `/Groups?filter=${encodeURIComponent('members[display eq "x"]')}`), 400, 'invalidFilter');
      });
    });

    describe('discovery from the attribute registry', () => {
      it('ServiceProviderConfig, ResourceTypes and Schemas, with every characteristic and no nulls', async () => {
        const config = await scim('GET', '/ServiceProviderConfig');
        assert.equal(config.body.patch.supported, true);
        assert.equal(config.body.filter.supported, true);
        assert.ok(!config.text.includes('null'));
        const types = await scim('GET', '/ResourceTypes');
        assert.deepEqual(types.body.Resources.map((t: { name: string }) => t.name), ['User', 'Group']);
        assert.equal((await scim('GET', '/ResourceTypes/User')).body.schemaExtensions[0].schema, ENTERPRISE);
        const schemas = await scim('GET', '/Schemas');
        assert.equal(schemas.body.totalResults, 3);
        const user = await scim('GET', `/Schemas/${USER_SCHEMA}`);
        const userName = user.body.attributes.find((a: { name: string }) => a.name === 'userName');
        assert.deepEqual(
          { ...userName, description: undefined },
          { name: 'userName', type: 'string', multiValued: false, description: undefined, required: true, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'server' },
        );
        const password = user.body.attributes.find((a: { name: string }) => a.name === 'password');
        assert.equal(password.returned, 'never');
        assert.ok(!schemas.text.includes('null'));
        assertScimError(await scim('GET', '/Schemas/urn:nothing'), 404);
      });
    });
  });
}
