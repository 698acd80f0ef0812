/**
 * Plans of the sorted user list (GET .../users?sort=): after a bulk load, every
 * indexed sort, both ways, on the first page and deep in the directory, and
 * for the users without a key (email, display name), reads one index range in
 * the order asked: no Sort node, no sequential scan. Sorting by last update or
 * status has no index (migration 0015 says why): those pages sort the
 * directory, and only their results are tested (native-user-sort.test.ts).
 * Both stores; asserted on EXPLAIN output, not on timing.
 */
import { cliActor } from '../../src/domain/actor.ts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BatchPolicy } from '../../src/domain/batch.ts';
import { USER_SORTS, type UserSort } from '../../src/domain/user.ts';
import { listUsers, listUsersStatement, type SortSegment, type UserListQuery } from '../../src/store/repositories/users.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

const USERS = 6000;
const BATCH = 1000;
const POLICY: BatchPolicy = { mode: 'atomic', onConflict: 'fail', dryRun: false };

/**
 * The index each sort's segments page down (a pattern). Creation order is the
 * plan it always had: with one directory in the tenant the planner may take
 * the primary key, (tenant_id, id), filtering by directory.
 */
const INDEXES: Partial<Record<UserSort, Partial<Record<SortSegment, string>>>> = {
  createdAt: { values: 'users_directory_id_uq|users_pk' },
  username: { values: 'users_username_uq' },
  email: { values: 'users_email_uq', nulls: 'users_no_email_page_idx' },
  displayName: { values: 'users_display_name_page_idx', nulls: 'users_display_name_page_idx' },
};

for (const kind of STORE_KINDS) {
  describe(`sorted user list plans after a bulk load: ${kind}`, () => {
    let svc: TestService;
    let tenantId: string;
    let directoryId: string;

    const explain = async (query: UserListQuery, segment: SortSegment) => {
      const { sql, params } = listUsersStatement(tenantId, directoryId, query, segment, 51);
      const { rows } = await svc.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    };

    before(async () => {
      svc = await startTestService(kind);
      ({ tenantId } = await svc.newTenant());
      directoryId = (await svc.engine.directories.createDirectory(cliActor(tenantId), 'bulk')).id;
      for (let b = 0; b < USERS / BATCH; b++) {
        const items = Array.from({ length: BATCH }, (_, i) => ({
          draft: {
            username: `bulk-${b}-${i}`,
            ...(i % 3 !== 0 && { email: `bulk-${b}-${i}@example.com` }),
            ...(i % 4 !== 0 && { displayName: `Name ${i % 97}` }),
            status: (['pending', 'active', 'disabled'] as const)[i % 3]!,
          },
        }));
        assert.equal((await svc.engine.provisioning.createUsers(cliActor(tenantId), 'bulk', items, POLICY)).summary.created, BATCH);
      }
      await svc.db.exec('ANALYZE users');
    });
    after(() => svc.close());

    for (const sort of USER_SORTS.filter((s) => INDEXES[s] !== undefined)) {
      for (const descending of [false, true]) {
        it(`sort=${sort} ${descending ? 'desc' : 'asc'}: each segment, first page and deep, is one index range in order`, async () => {
          const first: UserListQuery = { sort, descending, limit: 50 };
          // A position deep in the directory: the last of a long first stretch.
          const deep = (await listUsers(svc.db, tenantId, directoryId, { ...first, limit: USERS / 2 })).at(-1)!;
          for (const [segment, index] of Object.entries(INDEXES[sort]!) as [SortSegment, string][]) {
            const nullPosition = { key: null, id: deep.user.id };
            for (const query of [first, { ...first, after: segment === 'nulls' ? nullPosition : { key: deep.key, id: deep.user.id } }]) {
              const plan = await explain(query, segment);
              assert.match(plan, new RegExp(index), plan);
              assert.doesNotMatch(plan, /Sort|Seq Scan/, plan);
            }
          }
        });
      }
    }
  });
}
