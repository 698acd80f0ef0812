/**
 * SCIM filters (RFC 7644 §3.4.2.2) compiled to SQL, on both stores: every
 * operator, `and`/`or`/`not` with parentheses, value filters, URN paths,
 * caseExact per attribute, and injection-shaped values, which must match as
 * plain text (values are bound parameters, never part of the statement).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cliActor } from '../../src/domain/actor.ts';
import { keyedComparisons } from '../../src/domain/filter.ts';
import { filterSql } from '../../src/store/repositories/recordFilter.ts';
import { userFilter } from '../../src/http/scim/filter.ts';
import { resourceType } from '../../src/http/scim/registry.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** Users of the directory whose plans are checked. */
const PLAN_USERS = 4000;
const INJECTIONS = [`x' OR '1'='1`, `'); DROP TABLE users; --`, '%', '_', '\\', '$1', '"quoted"', `a'||'b`];

const PEOPLE = [
  {
    userName: 'alice@example.com',
    externalId: 'EXT-1',
    name: { familyName: "O'Neil", givenName: 'Alice' },
    title: 'Engineer',
    emails: [
      { value: 'alice@example.com', type: 'work', primary: true },
      { value: 'alice@home.org', type: 'home' },
    ],
    [ENTERPRISE]: { employeeNumber: '100', department: 'R&D' },
  },
  { userName: 'bob', externalId: 'EXT-2', title: 'Manager', userType: 'Employee', active: false, emails: [{ value: 'bob@x.org', type: 'work' }] },
  { userName: 'Carol', externalId: 'ext-2', [ENTERPRISE]: { employeeNumber: '20' } },
  // Injection-shaped values stored as data: a filter for one matches it and nothing else.
  { userName: 'mallory', title: `x' OR '1'='1`, nickName: '%_\\' },
];

for (const kind of STORE_KINDS) {
  describe(`scim filters to SQL: ${kind}`, () => {
    let svc: TestService;
    let key: string;
    let place: [string, string];
    const names = async (filter: string): Promise<string[]> => {
      const response = await svc.call('GET', `/scim/v2/filters/Users?filter=${encodeURIComponent(filter)}&sortBy=userName`, { key });
      assert.equal(response.status, 200, `${filter}: ${response.text}`);
      assert.equal(response.body.totalResults, response.body.Resources.length);
      return response.body.Resources.map((r: { userName: string }) => r.userName).sort();
    };

    before(async () => {
      svc = await startTestService(kind);
      const tenant = await svc.newTenant();
      key = tenant.adminKey;
      const directory = await svc.engine.directories.createDirectory(cliActor(tenant.tenantId), 'filters');
      place = [tenant.tenantId, directory.id];
      for (const person of PEOPLE) {
        const response = await svc.call('POST', '/scim/v2/filters/Users', { key, body: { schemas: [USER_SCHEMA], ...person } });
        assert.equal(response.status, 201, response.text);
      }
    });
    after(() => svc.close());

    it('eq: userName case-insensitively (caseExact false), externalId exactly (caseExact true)', async () => {
      assert.deepEqual(await names('userName eq "ALICE@example.COM"'), ['alice@example.com']);
      assert.deepEqual(await names('userName eq "carol"'), ['Carol']);
      assert.deepEqual(await names('externalId eq "ext-2"'), ['Carol']);
      assert.deepEqual(await names('externalId eq "EXT-2"'), ['bob']);
    });

    it('ne: includes users without the attribute', async () => {
      assert.deepEqual(await names('title ne "engineer"'), ['Carol', 'bob', 'mallory']);
    });

    it('co, sw, ew', async () => {
      assert.deepEqual(await names('title co "GINE"'), ['alice@example.com']);
      assert.deepEqual(await names('userName sw "AL"'), ['alice@example.com']);
      assert.deepEqual(await names('emails.value ew ".ORG"'), ['alice@example.com', 'bob']);
    });

    it('gt, ge, lt, le on strings and on dateTime', async () => {
      assert.deepEqual(await names(`${ENTERPRISE}:employeeNumber gt "100"`), ['Carol']);
      assert.deepEqual(await names(`${ENTERPRISE}:employeeNumber ge "100"`), ['Carol', 'alice@example.com']);
      assert.deepEqual(await names(`${ENTERPRISE}:employeeNumber lt "20"`), ['alice@example.com']);
      assert.deepEqual(await names(`${ENTERPRISE}:employeeNumber le "20"`), ['Carol', 'alice@example.com']);
      assert.deepEqual(await names('meta.created gt "2000-01-01T00:00:00Z"'), ['Carol', 'alice@example.com', 'bob', 'mallory']);
      assert.deepEqual(await names('meta.lastModified lt "2000-01-01T00:00:00Z"'), []);
    });

    it('pr, not, and, or, parentheses', async () => {
      assert.deepEqual(await names('title pr'), ['alice@example.com', 'bob', 'mallory']);
      assert.deepEqual(await names('not (title pr)'), ['Carol']);
      assert.deepEqual(await names('title pr and not (userType eq "Employee")'), ['alice@example.com', 'mallory']);
      assert.deepEqual(await names('(userName eq "bob" or userName eq "carol") and active eq true'), ['Carol']);
      assert.deepEqual(await names('active eq false'), ['bob']);
    });

    it('value filters and multi-valued attributes', async () => {
      assert.deepEqual(await names('emails[type eq "home" and value co "HOME"]'), ['alice@example.com']);
      assert.deepEqual(await names('emails[type eq "work"]'), ['alice@example.com', 'bob']);
      assert.deepEqual(await names('emails eq "bob@x.org"'), ['bob']);
      assert.deepEqual(await names('emails[not (type eq "work")]'), ['alice@example.com']);
    });

    it('URN-qualified paths, and operators and attribute names in any case', async () => {
      assert.deepEqual(await names(`${ENTERPRISE}:department eq "r&d"`), ['alice@example.com']);
      assert.deepEqual(await names(`${USER_SCHEMA}:name.familyName EQ "o'neil"`), ['alice@example.com']);
      assert.deepEqual(await names('USERNAME Eq "BOB"'), ['bob']);
    });

    it('lookups IdPs make are served by indexes: userName, externalId, emails.value', async () => {
      // A directory big enough for plans to matter: half its users hold SCIM emails, half only the email column.
      const [tenantId] = place;
      const bulk = await svc.engine.directories.createDirectory(cliActor(tenantId), 'filter-plans');
      const items = Array.from({ length: PLAN_USERS }, (_, i) => ({
        draft: {
          username: `plan${i}`,
          email: `plan${i}@example.com`,
          ...(i % 2 === 0 && { attributes: { scim: { emails: [{ value: `plan${i}@example.com`, primary: true }, { value: `plan${i}@home.example`, type: 'home' }] } } }),
        },
      }));
      for (let at = 0; at < PLAN_USERS; at += 1000) {
        const outcome = await svc.engine.provisioning.createUsers(cliActor(tenantId), 'filter-plans', items.slice(at, at + 1000), { mode: 'atomic', onConflict: 'fail', dryRun: false });
        assert.equal(outcome.summary.created, 1000);
      }
      const plan = async (filter: string, rewrite: (f: ReturnType<typeof userFilter>) => ReturnType<typeof userFilter>) =>
        svc.db.transaction(async (tx) => {
          // As after a bulk load (analyzeUsersIfStale).
          await tx.query('ANALYZE users');
          const params: unknown[] = [tenantId, bulk.id];
          const where = filterSql(rewrite(userFilter(resourceType('User'), filter)), (value, type) => {
            params.push(value);
            return `$${params.length}::${type}`;
          });
          const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT u.id FROM users u WHERE u.tenant_id = $1 AND u.directory_id = $2 AND ${where}`, params);
          return rows.map((r) => r['QUERY PLAN']).join('\n');
        });
      // The engine turns case-insensitive userName and email equalities into key equalities.
      const keyed = (f: ReturnType<typeof userFilter>) => keyedComparisons(f, 'distinct');
      assert.match(await plan('userName eq "Plan17"', keyed), /users_username_uq/);
      assert.match(await plan('externalId eq "EXT-1"', keyed), /users_external_id_idx/);
      // emails.value: the primary email's column by its key, the stored emails by their GIN index, no element scan.
      const byEmail = await plan('emails.value eq "Plan18@Home.example"', keyed);
      assert.match(byEmail, /users_email_uq/, byEmail);
      assert.match(byEmail, /users_scim_email_values_idx/, byEmail);
      assert.doesNotMatch(byEmail, /jsonb_array_elements|Seq Scan/, byEmail);
      // A value filter with more conditions is narrowed by the index, then checked element by element.
      const typed = await plan('emails[type eq "home" and value eq "plan18@home.example"]', keyed);
      assert.match(typed, /users_scim_email_values_idx/, typed);
      assert.match(typed, /jsonb_array_elements/, typed);
    });

    it('emails.value matches the primary email and every stored email, case-insensitively, whoever wrote the user', async () => {
      assert.deepEqual(await names('emails.value eq "ALICE@HOME.ORG"'), ['alice@example.com']);
      assert.deepEqual(await names('emails.value eq "alice@example.com"'), ['alice@example.com']);
      assert.deepEqual(await names('emails[value eq "Bob@X.org"]'), ['bob']);
      assert.deepEqual(await names('emails[type eq "home" and value eq "bob@x.org"]'), []);
      // A user created through the native API has only the email column.
      const native = await svc.call('POST', '/v1/directories/filters/users', { key, body: { username: 'dora', email: 'Dora@Native.example' } });
      assert.equal(native.status, 201, native.text);
      try {
        assert.deepEqual(await names('emails.value eq "dora@native.example"'), ['dora']);
        assert.deepEqual(await names('emails[value eq "DORA@native.example"]'), ['dora']);
      } finally {
        assert.equal((await svc.call('DELETE', `/v1/directories/filters/users/${native.body.id}`, { key })).status, 204);
      }
    });

    it('injection-shaped values match as text and nothing else', async () => {
      for (const value of INJECTIONS) {
        const quoted = JSON.stringify(value);
        assert.deepEqual(await names(`userName eq ${quoted}`), [], value);
        assert.deepEqual(await names(`title co ${quoted}`), value === `x' OR '1'='1` ? ['mallory'] : [], value);
      }
      assert.deepEqual(await names('nickName eq "%_\\\\"'), ['mallory']);
      assert.deepEqual(await names('nickName sw "%"'), ['mallory']);
      assert.deepEqual(await names('title sw "_"'), []);
      assert.deepEqual(await names('userName co "%"'), [], 'a % is not a wildcard');
      assert.equal((await names('userName pr')).length, PEOPLE.length, 'the table survived');
    });

  });
}

describe('scim filters to SQL: the statement', () => {
  it('binds every value as a parameter; none is spliced into the SQL', () => {
    const params: unknown[] = [];
    const filter = INJECTIONS.map((v) => `(title co ${JSON.stringify(v)} or emails[value sw ${JSON.stringify(v)}])`).join(' and ');
    const sql = filterSql(userFilter(resourceType('User'), filter), (value, type) => {
      params.push(value);
      return `$${params.length}::${type}`;
    });
    for (const value of INJECTIONS) {
      // Bound for title, for the stored emails and for the primary email's column.
      assert.equal(params.filter((p) => p === value).length, 3, value);
      // '$1' is also a placeholder's text; every other value must be absent from the statement.
      if (value.length > 1 && value !== '$1') assert.ok(!sql.includes(value), `${value} is in the SQL`);
    }
  });
});
