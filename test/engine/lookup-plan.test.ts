/**
 * The pre-insert lookup of existing usernames and emails (findUsersByKeys)
 * uses the unique indexes, not a read of the whole directory, on both stores:
 * after a bulk load through createUsers (which analyzes the table), and on a
 * copy that was never analyzed. Asserted on EXPLAIN output, not on timing.
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

    it('without statistics, too, the lookup probes the unique indexes (the shape the earlier one-scan lookup lacked)', async () => {
      // A copy of the table with the same indexes, never analyzed (autovacuum off
      // for it), shows the plans without statistics.
      await svc.db.exec(`CREATE TABLE users_unanalyzed (LIKE users INCLUDING INDEXES) WITH (autovacuum_enabled = false);
        INSERT INTO users_unanalyzed SELECT * FROM users;`);
      const unanalyzed = (sql: string) => sql.replaceAll('FROM users', 'FROM users_unanalyzed');
      const explain = async (sql: string, keys: number) => {
        const usernames = Array.from({ length: keys }, (_, i) => `bulk-3-${i}`);
        const { rows } = await svc.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${unanalyzed(sql)}`, [tenantId, directoryId, usernames, usernames.map((u) => `${u}@example.com`)]);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      };
      try {
        for (const keys of [1, 1000]) {
          const plan = await explain(FIND_USERS_BY_KEYS_SQL, keys);
          // LIKE names the copies of the unique indexes after their columns.
          assert.match(plan, /users_unanalyzed_tenant_id_directory_id_username_key_key/, plan);
          assert.match(plan, /users_unanalyzed_tenant_id_directory_id_email_key_key/, plan);
          assert.doesNotMatch(plan, /Seq Scan/, plan);
        }
        // The earlier shape, one OR over the directory, read the whole directory without statistics.
        const earlier = await explain(
          `SELECT id FROM users WHERE tenant_id = $1 AND directory_id = $2 AND (username_key = ANY($3::text[]) OR email_key = ANY($4::text[]))`,
          1,
        );
        assert.doesNotMatch(earlier, /username_key_key|email_key_key/, earlier);
      } finally {
        await svc.db.exec('DROP TABLE users_unanalyzed');
      }
    });
  });
}
