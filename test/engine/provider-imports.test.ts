/**
 * Users from each identity provider's export, on both stores: the format's
 * drafts (from the fixtures) go through createUsers, then every user with a
 * known password signs in with it through `authenticate`, and the imported
 * hash is replaced by argon2id at that first sign-in. Firebase's signer key
 * is stored sealed, never as given.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Actor } from '../../src/domain/actor.ts';
import type { UserDraft } from '../../src/domain/user.ts';
import { ARGON2ID_PARAMS } from '../../src/crypto/passwords.ts';
import { startTestEngine, type TestEngine } from '../helpers/engine.ts';
import { fixtureRows } from '../helpers/providerRows.ts';
import { FIREBASE_OPTIONS, PROVIDER_CASES as CASES, type ProviderCase as Case } from '../helpers/providerCases.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const CURRENT_ARGON2ID = `$argon2id$v=19$m=${ARGON2ID_PARAMS.memoryCost},t=${ARGON2ID_PARAMS.timeCost},p=${ARGON2ID_PARAMS.parallelism}$`;

function draftsOf(c: Case): UserDraft[] {
  const options = c.format.parseOptions(c.options ?? {});
  return fixtureRows(c.file, c.format.reader).flatMap((row) => {
    const mapped = c.format.map(row, options);
    return 'draft' in mapped ? [mapped.draft] : [];
  });
}

for (const kind of STORE_KINDS) {
  describe(`provider exports through createUsers and authenticate: ${kind}`, () => {
    let t: TestEngine;
    before(async () => {
      t = await startTestEngine(kind);
    });
    after(() => t.close());

    const storedHash = async (actor: Actor, username: string) =>
      (await t.db.query<{ password_hash: string | null }>('SELECT password_hash FROM users WHERE tenant_id = $1 AND username = $2', [actor.tenantId, username])).rows[0]
        ?.password_hash;

    for (const c of CASES) {
      it(`${c.format.name}: creates the users, signs each in with its password, upgrades the hash to argon2id`, async () => {
        const { actor } = await t.newTenant();
        const drafts = draftsOf(c);
        assert.equal(drafts.length, c.users);
        const outcome = await t.engine.provisioning.createUsers(actor, 'default', drafts.map((draft) => ({ draft })), { mode: 'atomic', onConflict: 'fail', dryRun: false });
        assert.deepEqual(
          outcome.results.map((r) => r.status),
          drafts.map(() => 'created'),
        );
        for (const [username, password] of Object.entries(c.passwords)) {
          const imported = await storedHash(actor, username);
          assert.ok(imported, `${username} has a password`);
          if (c.format.name.startsWith('firebase')) {
            assert.match(imported, /^\$firebase-scrypt\$r=8,m=14,k=sealed\$/);
            assert.ok(!imported.includes(FIREBASE_OPTIONS.signerKey.replace(/=+$/, '')), 'the signer key is stored sealed');
          }
          await assert.rejects(t.engine.users.authenticate(actor, 'default', { username, password: `${password} wrong` }, '127.0.0.1'), { code: 'credentials.invalid' });
          const signIn = t.engine.users.authenticate(actor, 'default', { username, password }, '127.0.0.1');
          if (c.disabled?.includes(username)) await assert.rejects(signIn, { code: 'credentials.user_disabled' });
          else assert.equal((await signIn).username, username);
          const upgraded = await storedHash(actor, username);
          assert.ok(upgraded?.startsWith(CURRENT_ARGON2ID), `${username}'s hash is argon2id with today's parameters`);
          if (!c.disabled?.includes(username)) assert.equal((await t.engine.users.authenticate(actor, 'default', { username, password }, '127.0.0.1')).username, username);
        }
        const withoutPassword = outcome.results.filter((r) => 'user' in r && r.user && !r.user.hasPassword).length;
        assert.equal(withoutPassword, c.users - Object.keys(c.passwords).length);
      });
    }

    it('firebase: a caller cannot hand in the sealed form muster stores, even a real one', async () => {
      const { actor } = await t.newTenant();
      const [draft] = draftsOf(CASES[1]!);
      await t.engine.provisioning.createUsers(actor, 'default', [{ draft: draft! }], { mode: 'atomic', onConflict: 'fail', dryRun: false });
      const sealed = await storedHash(actor, draft!.username);
      assert.match(sealed!, /,k=sealed\$/);
      const outcome = await t.engine.provisioning.createUsers(actor, 'default', [{ draft: { username: 'copycat', passwordHash: sealed! } }], {
        mode: 'partial',
        onConflict: 'fail',
        dryRun: false,
      });
      const [result] = outcome.results;
      assert.equal(result?.status === 'failed' && result.error.code, 'user.unsupported_password_hash');
    });
  });
}
