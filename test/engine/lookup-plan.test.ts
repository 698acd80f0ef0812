/**
 * Plans that depend on statistics: after a bulk load through createUsers, the
 * pre-insert lookup of existing usernames and emails (findUsersByKeys) uses the
 * unique indexes, not a read of the whole directory, on both stores. Asserted
 * on EXPLAIN output, not on timing.
 */
import { cliActor } from '../../src/domain/actor.ts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BatchPolicy } from '../../src/domain/batch.ts';
import { analyzeUsersIfStale, FIND_USERS_BY_KEYS_SQL } from '../../src/store/repositories/users.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

const USERS = 30_000;
const BATCH = 1000;
const POLICY: BatchPolicy = { mode: 'atomic', onConflict: 'fail', dryRun: false };

for (const kind of STORE_KINDS) {
  describe(`lookup plans after a bulk load: ${kind}`, () => {
    let svc: TestService;
    let tenantId: string;
    let directoryId: string;

    const explainLookup = async (usernameKeys: string[], emailKeys: string[]) => {
      const { rows } = await svc.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${FIND_USERS_BY_KEYS_SQL}`, [tenantId, directoryId, usernameKeys, emailKeys]);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    };

    before(async () => {
      svc = await startTestService(kind);
      ({ tenantId } = await svc.newTenant());
      directoryId = (await svc.engine.directories.createDirectory(cliActor(tenantId), 'bulk')).id;
    });
    after(() => svc.close());

    it('a small table is not analyzed: below a few pages a plan cannot go far wrong', async () => {
      await svc.engine.provisioning.createUsers(cliActor(tenantId), 'bulk', [{ draft: { username: 'first', email: 'first@example.com' } }], POLICY);
      assert.equal(await analyzeUsersIfStale(svc.db), false);
    });

    it(`after ${USERS} users in batches of ${BATCH}, one-key lookups probe users_username_uq and users_email_uq`, async () => {
      for (let b = 0; b < USERS / BATCH; b++) {
        const items = Array.from({ length: BATCH }, (_, i) => ({ draft: { username: `bulk-${b}-${i}`, email: `bulk-${b}-${i}@example.com` } }));
        const outcome = await svc.engine.provisioning.createUsers(cliActor(tenantId), 'bulk', items, POLICY);
        assert.equal(outcome.summary.created, BATCH);
      }
      const plan = await explainLookup(['bulk-3-5'], ['bulk-3-5@example.com']);
      assert.match(plan, /users_username_uq/, plan);
      assert.match(plan, /users_email_uq/, plan);
      assert.doesNotMatch(plan, /users_directory_page_idx|Seq Scan/, plan);
      // The statistics are fresh, so nothing more to do until the table grows again.
      assert.equal(await analyzeUsersIfStale(svc.db), false);
    });

    it('without statistics the planner reads the directory (why the engine analyzes after bulk loads)', async () => {
      // A copy of the table with the same indexes, never analyzed (autovacuum off
      // for it), shows the plan the store had before the engine analyzed.
      await svc.db.exec(`CREATE TABLE users_unanalyzed (LIKE users INCLUDING INDEXES) WITH (autovacuum_enabled = false);
        INSERT INTO users_unanalyzed SELECT * FROM users;`);
      try {
        const { rows } = await svc.db.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN ${FIND_USERS_BY_KEYS_SQL.replace('FROM users', 'FROM users_unanalyzed')}`,
          [tenantId, directoryId, ['bulk-3-5'], ['bulk-3-5@example.com']],
        );
        const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
        // LIKE names the copy of the directory paging index (users_directory_id_uq) after its columns.
        assert.match(plan, /users_unanalyzed_tenant_id_directory_id_id_(idx|key)/, plan);
        assert.doesNotMatch(plan, /username_key_key|email_key_key/, plan);
      } finally {
        await svc.db.exec('DROP TABLE users_unanalyzed');
      }
    });
  });
}
