/**
 * createUsers phase by phase, called directly (no HTTP), on both stores:
 * validation (per item, before any I/O), hashing (the stored credential
 * works), conflicts (fail, skip, upsert; decided by the database), the retry
 * when a concurrent batch takes a row, dry runs, and the events each writes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Actor } from '../../src/domain/actor.ts';
import type { BatchPolicy } from '../../src/domain/batch.ts';
import { MusterError } from '../../src/domain/errors.ts';
import { importedHashes } from '../helpers/hashes.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestEngine, type TestEngine } from '../helpers/engine.ts';

const policy = (overrides: Partial<BatchPolicy> = {}): BatchPolicy => ({ mode: 'partial', onConflict: 'fail', dryRun: false, ...overrides });

for (const kind of STORE_KINDS) {
  describe(`createUsers phases: ${kind}`, () => {
    let t: TestEngine;
    let actor: Actor;
    const countEvents = async (type: string) =>
      (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE tenant_id = $1 AND type = $2', [actor.tenantId, type])).rows[0]!.n;

    before(async () => {
      t = await startTestEngine(kind);
      ({ actor } = await t.newTenant());
    });
    after(() => t.close());

    it('validation: a bad item fails alone with its code and field; a rejected wire item keeps its place', async () => {
      const outcome = await t.engine.provisioning.createUsers(
        actor,
        'default',
        [{ draft: { username: 'v-ok' } }, { draft: { username: ' v-space' } }, { rejected: new MusterError('request.invalid', 'x', { field: 'username' }) }, { draft: { username: 'v-ok2', email: 'not-an-email' } }],
        policy(),
      );
      assert.deepEqual(
        outcome.results.map((r) => (r.status === 'failed' ? r.error.code : r.status)),
        ['created', 'user.invalid_username', 'request.invalid', 'user.invalid_email'],
      );
      assert.deepEqual(outcome.summary, { ...outcome.summary, created: 1, failed: 3, committed: true });
    });

    it('validation: repeats inside a batch are caught before any I/O, naming the first index', async () => {
      const outcome = await t.engine.provisioning.createUsers(actor, 'default', [{ draft: { username: 'Rep' } }, { draft: { username: 'rep' } }], policy());
      const second = outcome.results[1]!;
      assert.equal(second.status === 'failed' && second.error.code, 'batch.duplicate_in_batch');
      assert.equal(second.status === 'failed' && second.error.details?.firstIndex, 0);
    });

    it('hashing: a plain password and an imported bcrypt hash both authenticate', async () => {
      const bcrypt = importedHashes('bcrypt password').bcrypt2b!;
      const outcome = await t.engine.provisioning.createUsers(
        actor,
        'default',
        [{ draft: { username: 'h-plain', password: 'plain password' } }, { draft: { username: 'h-bcrypt', passwordHash: bcrypt } }],
        policy(),
      );
      assert.equal(outcome.summary.created, 2);
      assert.equal((await t.engine.users.authenticate(actor, 'default', { username: 'h-plain', password: 'plain password' }, '127.0.0.1')).username, 'h-plain');
      assert.equal((await t.engine.users.authenticate(actor, 'default', { username: 'h-bcrypt', password: 'bcrypt password' }, '127.0.0.1')).username, 'h-bcrypt');
      await assert.rejects(t.engine.users.authenticate(actor, 'default', { username: 'h-plain', password: 'wrong password' }, '127.0.0.1'), { code: 'credentials.invalid' });
    });

    it('conflicts: fail reports the existing id, skip reports the user, upsert updates only given fields', async () => {
      const first = await t.engine.users.createUser(actor, 'default', { username: 'c-1', displayName: 'One', locale: 'en' });
      const failed = await t.engine.provisioning.createUsers(actor, 'default', [{ draft: { username: 'C-1' } }], policy());
      assert.equal(failed.results[0]!.status === 'failed' && failed.results[0]!.error.details?.existingId, first.user.id);
      const skipped = await t.engine.provisioning.createUsers(actor, 'default', [{ draft: { username: 'c-1' } }], policy({ onConflict: 'skip' }));
      assert.equal(skipped.results[0]!.status, 'skipped');
      const upserted = await t.engine.provisioning.createUsers(actor, 'default', [{ draft: { username: 'c-1', displayName: 'Uno' } }], policy({ onConflict: 'upsert' }));
      const result = upserted.results[0]!;
      assert.equal(result.status, 'updated');
      assert.deepEqual(result.status === 'updated' && [result.user.displayName, result.user.locale], ['Uno', 'en']);
    });

    it('dry run: verdicts against the store, nothing written, no event', async () => {
      const eventsBefore = await countEvents('user.created');
      const outcome = await t.engine.provisioning.createUsers(actor, 'default', [{ draft: { username: 'dry-new' } }, { draft: { username: 'c-1' } }], policy({ dryRun: true }));
      assert.deepEqual(outcome.results.map((r) => (r.status === 'failed' ? r.error.code : r.status)), ['created', 'user.username_taken']);
      assert.equal(outcome.summary.committed, false);
      await assert.rejects(t.engine.users.getUser(actor, 'default', { username: 'dry-new' }), { code: 'user.not_found' });
      assert.equal(await countEvents('user.created'), eventsBefore);
    });

    it('racing batches over the same usernames: no duplicate, every item accounted for, one event per created user', async () => {
      const names = Array.from({ length: 200 }, (_, i) => `race-${String(i).padStart(3, '0')}`);
      const eventsBefore = await countEvents('user.created');
      const [a, b] = await Promise.all([
        t.engine.provisioning.createUsers(actor, 'default', names.map((username) => ({ draft: { username } })), policy()),
        t.engine.provisioning.createUsers(actor, 'default', [...names].reverse().map((username) => ({ draft: { username } })), policy()),
      ]);
      assert.equal(a.summary.created + b.summary.created, names.length);
      assert.equal(a.summary.failed + b.summary.failed, names.length);
      for (const outcome of [a, b]) {
        for (const r of outcome.results) assert.ok(r.status === 'created' || (r.status === 'failed' && r.error.code === 'user.username_taken'), JSON.stringify(r));
      }
      const { rows } = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE tenant_id = $1 AND username LIKE 'race-%'", [actor.tenantId]);
      assert.equal(rows[0]!.n, names.length);
      assert.equal((await countEvents('user.created')) - eventsBefore, names.length);
    });
  });
}
