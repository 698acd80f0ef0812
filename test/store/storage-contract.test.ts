/**
 * The storage contract: what the engine relies on from a store, checked on the
 * PostgreSQL server and on embedded PGlite alike. Both must answer identically.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '../../src/crypto/ids.ts';
import { comparisonKey, USER_SORTS } from '../../src/domain/user.ts';
import { isMusterError } from '../../src/domain/errors.ts';
import { constraintError, mappingConstraints } from '../../src/store/constraints.ts';
import { arrayLiteral } from '../../src/store/arrayLiteral.ts';
import { loadMigrations, migrate } from '../../src/store/migrate.ts';
import { databaseErrorInfo, type Database } from '../../src/store/ports.ts';
import { deleteDirectory, insertDirectory, findDirectory } from '../../src/store/repositories/directories.ts';
import { deleteJob, deleteJobsBefore, insertJob, insertReportRows } from '../../src/store/repositories/imports.ts';
import { cliActor } from '../../src/domain/actor.ts';
import { insertTenant } from '../../src/store/repositories/tenants.ts';
import { insertUsers, listUsers, type NewUserRow } from '../../src/store/repositories/users.ts';
import { claimDue, insertItems, markDone, markFailed, requeueItem } from '../../src/store/repositories/queue.ts';
import { deleteEventsBefore, insertEvents, listEvents, smallestIdAt } from '../../src/store/repositories/events.ts';
import { openTestStore, STORE_KINDS } from '../helpers/stores.ts';

function userRow(username: string, extra: Partial<NewUserRow> = {}): NewUserRow {
  return {
    id: newId(),
    username,
    usernameKey: comparisonKey(username),
    email: null,
    emailKey: null,
    displayName: null,
    givenName: null,
    familyName: null,
    phone: null,
    locale: null,
    externalId: null,
    status: 'active',
    expiresAt: null,
    attributes: {},
    passwordHash: null,
    secretHash: null,
    ...extra,
  };
}

/** A promise and the function that resolves it: lets a test hold a transaction open. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

for (const kind of STORE_KINDS) {
  describe(`storage contract: ${kind}`, () => {
    let db: Database;
    let tenantId: string;
    let directoryId: string;

    before(async () => {
      db = await openTestStore(kind);
      tenantId = (await insertTenant(db, { id: newId(), name: `contract-${kind}` })).id;
      directoryId = (await insertDirectory(db, tenantId, { id: newId(), name: 'people' })).id;
    });
    after(() => db.close());

    it('applies migrations once: a second run applies nothing', async () => {
      assert.deepEqual(await migrate(db), []);
      const { rows } = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => r.version), loadMigrations().map((m) => m.version));
      assert.deepEqual(loadMigrations().map((m) => m.version), Array.from({ length: loadMigrations().length }, (_, i) => i + 1), 'numbered 1, 2, 3, ... without gaps');
    });

    it('names every constraint by the convention <table>_<what>_{pk,uq,fk,ck}', async () => {
      const { rows } = await db.query<{ conname: string }>(
        `SELECT c.conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
         WHERE t.relnamespace = current_schema()::regnamespace AND c.contype IN ('p', 'u', 'f', 'c')`,
      );
      assert.ok(rows.length >= 10, 'expected the schema\'s constraints');
      for (const { conname } of rows) assert.match(conname, /^[a-z_]+_(pk|uq|fk|ck)$/, `constraint ${conname} is not named by convention`);
    });

    it('reports rowCount as pg does: rows returned by SELECT, rows changed by writes', async () => {
      assert.equal((await db.query('SELECT 1 UNION ALL SELECT 2')).rowCount, 2);
      assert.equal((await db.query('SELECT 1 WHERE false')).rowCount, 0);
      assert.equal((await db.query('UPDATE tenants SET name = name WHERE id = $1', [newId()])).rowCount, 0);
      assert.equal((await db.query('UPDATE tenants SET name = name WHERE id = $1', [tenantId])).rowCount, 1);
    });

    it('round-trips every column type the schema uses', async () => {
      const expiresAt = new Date('2030-01-02T03:04:05.678Z');
      const secretHash = Buffer.from('00ff10ab', 'hex');
      const [user] = await insertUsers(db, tenantId, directoryId, [
        userRow('types', { expiresAt, secretHash, attributes: { nested: { a: [1, 'two', null] } } }),
      ]);
      assert.ok(user);
      assert.deepEqual(user.expiresAt, expiresAt);
      assert.deepEqual(user.attributes, { nested: { a: [1, 'two', null] } });
      assert.equal(user.hasSecret, true);
      assert.equal(typeof user.version, 'number');
      const { rows } = await db.query<{ secret_hash: Uint8Array; n: number; scopes: string[] }>(
        `SELECT secret_hash, (SELECT count(*)::int FROM users) AS n, ARRAY['a','b']::text[] AS scopes FROM users WHERE id = $1`,
        [user.id],
      );
      assert.deepEqual(Buffer.from(rows[0]!.secret_hash), secretHash);
      assert.equal(typeof rows[0]!.n, 'number');
      assert.deepEqual(rows[0]!.scopes, ['a', 'b']);
    });

    it('reads array literals (store/arrayLiteral.ts) back element for element, whatever the text', async () => {
      const texts = ['plain', 'a "quoted" word', 'back\\slash \\"', 'comma, {braces}', '  spaces  ', '', 'NULL', null, 'ünïcødé 😀', 'line\nbreak'];
      const { rows } = await db.query<{ v: string | null }>('SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n', [arrayLiteral(texts)]);
      assert.deepEqual(rows.map((r) => r.v), texts);
      const id = newId();
      const typed = await db.query<{ n: number | null; id: string | null }>('SELECT n, id FROM unnest($1::int[], $2::uuid[]) AS t(n, id)', [arrayLiteral([1, null, -7]), arrayLiteral([id, null, id])]);
      assert.deepEqual(typed.rows, [{ n: 1, id }, { n: null, id: null }, { n: -7, id }]);
    });

    it('commits a transaction that resolves', async () => {
      const id = newId();
      const result = await db.transaction(async (tx) => {
        await insertUsers(tx, tenantId, directoryId, [userRow('committed', { id })]);
        return 'done';
      });
      assert.equal(result, 'done');
      assert.equal((await db.query('SELECT 1 FROM users WHERE id = $1', [id])).rowCount, 1);
    });

    it('rolls back every write of a transaction that throws, and rethrows', async () => {
      const ids = [newId(), newId()];
      await assert.rejects(
        db.transaction(async (tx) => {
          await insertUsers(tx, tenantId, directoryId, [userRow('rolled-back-1', { id: ids[0]! })]);
          await insertUsers(tx, tenantId, directoryId, [userRow('rolled-back-2', { id: ids[1]! })]);
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal((await db.query('SELECT 1 FROM users WHERE id = ANY($1::uuid[])', [ids])).rowCount, 0);
      // The store is usable afterwards.
      assert.equal((await db.query('SELECT 1')).rowCount, 1);
    });

    it('rolls back a transaction whose statement failed', async () => {
      const id = newId();
      await assert.rejects(
        db.transaction(async (tx) => {
          await insertUsers(tx, tenantId, directoryId, [userRow('before-failure', { id })]);
          await tx.query('SELECT 1/0');
        }),
        (error: unknown) => databaseErrorInfo(error)?.sqlState === '22012',
      );
      assert.equal((await db.query('SELECT 1 FROM users WHERE id = $1', [id])).rowCount, 0);
    });

    it('refuses a transaction handle used after its transaction ended', async () => {
      let leaked: Parameters<Parameters<Database['transaction']>[0]>[0] | undefined;
      await db.transaction(async (tx) => {
        leaked = tx;
      });
      await assert.rejects(leaked!.query('SELECT 1'), /after its transaction ended/);
    });

    it('names the violated constraint, which maps to a registered code', async () => {
      const username = `raw-${kind}`;
      const rawInsert = () =>
        db.query(`INSERT INTO users (tenant_id, directory_id, id, username, username_key, status) VALUES ($1, $2, $3, $4, $5, 'active')`, [
          tenantId,
          directoryId,
          newId(),
          username,
          comparisonKey(username),
        ]);
      await rawInsert();
      const error = await rawInsert().catch((e: unknown) => e);
      assert.equal(databaseErrorInfo(error)?.sqlState, '23505');
      assert.equal(databaseErrorInfo(error)?.constraint, 'users_username_uq');
      assert.equal(constraintError(error)?.code, 'user.username_taken');
    });

    it('turns away rows whose username or email is taken, case-insensitively and across NFKC forms', async () => {
      await insertUsers(db, tenantId, directoryId, [userRow('Unique.Person', { email: 'P@Example.com', emailKey: comparisonKey('P@Example.com') })]);
      const fresh = userRow('fresh-one');
      const inserted = await insertUsers(db, tenantId, directoryId, [
        userRow('ｕｎｉｑｕｅ.person'),
        userRow('other', { email: 'p@example.COM', emailKey: comparisonKey('p@example.COM') }),
        fresh,
      ]);
      assert.deepEqual(inserted.map((u) => u.id), [fresh.id]);
      const error = await mappingConstraints(() =>
        db.query("UPDATE users SET email = 'x', email_key = $1 WHERE id = $2", [comparisonKey('P@example.com'), fresh.id]),
      ).catch((e: unknown) => e);
      assert.ok(isMusterError(error));
      assert.equal(error.code, 'user.email_taken');
    });

    it('raises the named violation instead, when asked to (the fast path)', async () => {
      const error = await insertUsers(db, tenantId, directoryId, [userRow('UNIQUE.person')], 'raise').catch((e: unknown) => e);
      assert.equal(databaseErrorInfo(error)?.constraint, 'users_username_uq');
      const fresh = userRow('raise-fresh');
      assert.deepEqual((await insertUsers(db, tenantId, directoryId, [fresh], 'raise')).map((u) => u.id), [fresh.id]);
    });

    it('lets exactly one of two concurrent transactions create the same username', async () => {
      const attempt = (label: string) =>
        db.transaction(async (tx) => {
          await tx.query('SELECT 1'); // both transactions are open before either inserts
          return insertUsers(tx, tenantId, directoryId, [userRow('Racer', { displayName: label })]);
        });
      const outcomes = await Promise.all([attempt('a'), attempt('b')]);
      assert.deepEqual(outcomes.map((rows) => rows.length).sort(), [0, 1]);
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE username_key = $1', ['racer']);
      assert.equal(rows[0]!.n, 1);
    });

    it('commits concurrent transactions that do not conflict, each whole', async () => {
      const names = Array.from({ length: 8 }, (_, i) => `parallel-${i}`);
      await Promise.all(
        names.map((name) =>
          db.transaction(async (tx) => {
            await insertUsers(tx, tenantId, directoryId, [userRow(`${name}-a`)]);
            await insertUsers(tx, tenantId, directoryId, [userRow(`${name}-b`)]);
          }),
        ),
      );
      const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE username LIKE 'parallel-%'");
      assert.equal(rows[0]!.n, 16);
    });

    it('never shows a transaction\'s uncommitted writes to a query outside it', async () => {
      const held = gate();
      const inserted = gate();
      const id = newId();
      let committed = false;
      const transaction = db.transaction(async (tx) => {
        await insertUsers(tx, tenantId, directoryId, [userRow('uncommitted', { id })]);
        inserted.open();
        await held.opened;
      }).then(() => {
        committed = true;
      });
      await inserted.opened;
      // On PostgreSQL this answers at once from the last committed state; on PGlite
      // (one connection) it waits for the transaction. Either way it must not see
      // the row before the commit.
      const outside = db.query('SELECT 1 FROM users WHERE id = $1', [id]).then((r) => ({ rowCount: r.rowCount, afterCommit: committed }));
      setTimeout(held.open, 50);
      const seen = await outside;
      await transaction;
      if (!seen.afterCommit) assert.equal(seen.rowCount, 0);
      else assert.equal(seen.rowCount, 1);
    });

    it('scopes queries by tenant: another tenant finds nothing', async () => {
      const otherTenant = (await insertTenant(db, { id: newId(), name: `other-${kind}` })).id;
      assert.equal(await findDirectory(db, otherTenant, directoryId, true), undefined);
      assert.equal(await findDirectory(db, otherTenant, 'people', false), undefined);
      for (const sort of USER_SORTS) {
        assert.deepEqual(await listUsers(db, otherTenant, directoryId, { sort, descending: false, limit: 10 }), [], sort);
      }
    });

    it('refuses a user in a directory of another tenant (composite foreign key)', async () => {
      const otherTenant = (await insertTenant(db, { id: newId(), name: `fk-${kind}` })).id;
      const error = await insertUsers(db, otherTenant, directoryId, [userRow('cross')]).catch((e: unknown) => e);
      assert.equal(databaseErrorInfo(error)?.constraint, 'users_directory_fk');
      assert.equal(constraintError(error)?.code, 'directory.not_found');
    });

    it('queue: a dedupe key is queued once; racing claims never share an item; a lapsed lease is claimed again', async () => {
      const item = (key: string) => ({ id: newId(), kind: 'mail' as const, dedupeKey: key, target: `${key}@example.com`, invitationId: null, payload: Buffer.from('x') });
      await insertItems(db, tenantId, Array.from({ length: 20 }, (_, i) => item(`q-${kind}-${i}`)));
      await insertItems(db, tenantId, [item(`q-${kind}-0`)]);
      const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM queue WHERE tenant_id = $1 AND dedupe_key LIKE $2", [tenantId, `q-${kind}-%`]);
      assert.equal(rows[0]!.n, 20);
      const claims = await Promise.all([1, 2, 3, 4].map(() => db.transaction((tx) => claimDue(tx, 'mail', 8, 60_000))));
      const claimed = claims.flat().map((c) => c.dedupeKey);
      assert.equal(claimed.length, 20);
      assert.equal(new Set(claimed).size, 20, 'no item was claimed twice');
      assert.deepEqual(await claimDue(db, 'mail', 10, 60_000), [], 'leased items are not claimable');
      const [first] = claims.flat();
      await markFailed(db, first!, 'refused', 0);
      const again = await claimDue(db, 'mail', 10, 1);
      assert.deepEqual(again.map((c) => [c.dedupeKey, c.attempt]), [[first!.dedupeKey, 2]]);
      await new Promise((resolve) => setTimeout(resolve, 20)); // the 1 ms lease lapses (a wall-clock lease: a real wait)
      const afterLease = await claimDue(db, 'mail', 10, 60_000);
      assert.deepEqual(afterLease.map((c) => [c.dedupeKey, c.attempt]), [[first!.dedupeKey, 3]]);
      // The worker of attempt 2 fails late: its attempt is recorded, the new claim is left alone.
      assert.equal(await markFailed(db, again[0]!, 'late', null), false);
      assert.deepEqual(await claimDue(db, 'mail', 10, 60_000), [], 'still leased to attempt 3, and not dead');
      await markDone(db, afterLease[0]!);
      const done = await db.query<{ status: string; payload: Uint8Array }>('SELECT status, payload FROM queue WHERE tenant_id = $1 AND id = $2', [tenantId, first!.id]);
      assert.equal(done.rows[0]!.status, 'done');
      assert.equal(Buffer.from(done.rows[0]!.payload).length, 0, 'the payload is wiped');
    });

    it('queue lanes: one item of a lane in flight at a time, in seq order; a retry waiting blocks its lane only', async () => {
      const item = (lane: string, seq: number) => ({ id: newId(), kind: 'webhook' as const, dedupeKey: `lane-${kind}-${lane}-${seq}`, target: lane, invitationId: null, lane, laneSeq: seq, payload: Buffer.from('x') });
      await insertItems(db, tenantId, [item('b', 1), item('a', 3), item('a', 1), item('a', 2), item('b', 2)]);
      const claims = await Promise.all([1, 2, 3].map(() => db.transaction((tx) => claimDue(tx, 'webhook', 10, 60_000))));
      const heads = claims.flat().map((c) => c.dedupeKey).sort();
      assert.deepEqual(heads, [`lane-${kind}-a-1`, `lane-${kind}-b-1`], 'only each lane\'s head, once');
      const a1 = claims.flat().find((c) => c.dedupeKey.endsWith('a-1'))!;
      const b1 = claims.flat().find((c) => c.dedupeKey.endsWith('b-1'))!;
      await markFailed(db, a1, 'refused', 60_000);
      await markDone(db, b1);
      const next = await claimDue(db, 'webhook', 10, 60_000);
      assert.deepEqual(next.map((c) => c.dedupeKey), [`lane-${kind}-b-2`], 'lane a waits for its head\'s retry; lane b moves on');
      const kept = await db.query<{ payload: Uint8Array }>('SELECT payload FROM queue WHERE tenant_id = $1 AND id = $2', [tenantId, b1.id]);
      assert.equal(Buffer.from(kept.rows[0]!.payload).toString(), 'x', 'a webhook payload is kept for redelivery');
      await markDone(db, next[0]!);
      await insertItems(db, tenantId, [item('b', 3)]);
      const b3 = await claimDue(db, 'webhook', 10, 60_000);
      assert.deepEqual(b3.map((c) => c.dedupeKey), [`lane-${kind}-b-3`], 'an item enqueued into a lane without a head is its head');
      await markDone(db, b3[0]!);
    });

    it('queue lanes: the head ending (done, dead) promotes the next in seq order; a requeued item runs last, its schedule restarted, its attempts counting on', async () => {
      const lane = `heads-${kind}`;
      const item = (seq: number) => ({ id: newId(), kind: 'webhook' as const, dedupeKey: `${lane}-${seq}`, target: lane, invitationId: null, lane, laneSeq: seq, payload: Buffer.from('x') });
      await insertItems(db, tenantId, [4, 2, 1, 3].map(item));
      const ran: string[] = [];
      const claimOne = async () => {
        const claimed = await Promise.all([1, 2, 3].map(() => db.transaction((tx) => claimDue(tx, 'webhook', 10, 60_000))));
        const mine = claimed.flat().filter((c) => c.target === lane);
        assert.equal(mine.length, 1, 'one item of the lane in flight');
        ran.push(mine[0]!.dedupeKey);
        return mine[0]!;
      };
      const done = async (claimed: Promise<Awaited<ReturnType<typeof claimOne>>>) => {
        const c = await claimed;
        await db.transaction((tx) => markDone(tx, c));
      };
      const first = await claimOne();
      await db.transaction((tx) => markFailed(tx, first, 'refused', 0));
      const retried = await claimOne();
      assert.equal(retried.id, first.id, 'a failed head is retried before the rest');
      assert.deepEqual([retried.attempt, retried.scheduleAttempt], [2, 2]);
      await db.transaction((tx) => markFailed(tx, retried, 'refused for good', null));
      await done(claimOne());
      await db.transaction((tx) => requeueItem(tx, tenantId, 'webhook', first.id, { key: lane, seq: 5 }));
      await done(claimOne());
      await done(claimOne());
      const again = await claimOne();
      assert.equal(again.id, first.id);
      assert.deepEqual([again.attempt, again.scheduleAttempt], [3, 1], 'attempt 3 of its life, the first of its new run');
      await db.transaction((tx) => markDone(tx, again));
      assert.deepEqual(ran, [1, 1, 2, 3, 4, 1].map((seq) => `${lane}-${seq}`), 'seq order; the dead head let the lane go on; the requeued item ran last');
      assert.equal((await claimDue(db, 'webhook', 10, 60_000)).filter((c) => c.target === lane).length, 0);
      const attempts = await db.query<{ attempt: number }>('SELECT attempt FROM queue_attempts WHERE tenant_id = $1 AND queue_id = $2 ORDER BY attempt', [tenantId, first.id]);
      assert.deepEqual(attempts.rows.map((r) => r.attempt), [1, 2, 3], 'every attempt ever made is recorded');
    });

    it('queue lanes: a head ending while an item is enqueued never leaves the lane without a head', async () => {
      const lane = `race-${kind}`;
      const item = (seq: number) => ({ id: newId(), kind: 'webhook' as const, dedupeKey: `${lane}-${seq}`, target: lane, invitationId: null, lane, laneSeq: seq, payload: Buffer.from('x') });
      await insertItems(db, tenantId, [item(1)]);
      for (let seq = 2; seq <= 30; seq += 1) {
        const [head] = (await claimDue(db, 'webhook', 10, 60_000)).filter((c) => c.target === lane);
        assert.ok(head, `the lane has a claimable head before seq ${seq}`);
        await Promise.all([db.transaction((tx) => markDone(tx, head)), db.transaction((tx) => insertItems(tx, tenantId, [item(seq)]))]);
      }
      const [last] = (await claimDue(db, 'webhook', 10, 60_000)).filter((c) => c.target === lane);
      assert.equal(last?.dedupeKey, `${lane}-30`);
      await markDone(db, last);
    });

    it('events: written in one statement, listed newest first, only the tenant\'s own', async () => {
      const actor = { tenantId, principal: { kind: 'cli' as const }, dialect: 'cli' as const, requestId: null };
      await db.transaction((tx) =>
        insertEvents(tx, actor, new Date(), [
          { type: 'directory.created', subject: { type: 'directory', id: directoryId }, directoryId, data: { name: 'people' } },
          { type: 'directory.deleted', subject: { type: 'directory', id: directoryId }, directoryId, data: { name: 'people' } },
        ]),
      );
      const listed = await listEvents(db, tenantId, { types: ['directory.*'], limit: 10 });
      assert.deepEqual(listed.map((e) => e.type), ['directory.deleted', 'directory.created']);
      assert.deepEqual(listed[0]!.data, { name: 'people' });
      const otherTenant = (await insertTenant(db, { id: newId(), name: `events-${kind}` })).id;
      assert.deepEqual(await listEvents(db, otherTenant, { limit: 10 }), []);
    });

    it('events: the retention sweep deletes a tenant\'s events older than the cutoff, down the primary key', async () => {
      const old = new Date('2020-01-01T00:00:00Z');
      const oldId = smallestIdAt(old).replace(/0000$/, '0001');
      await db.query(
        `INSERT INTO events (tenant_id, id, type, occurred_at, actor_kind, dialect, subject_type, subject_id)
         VALUES ($1, $2, 'user.deleted', $3, 'system', 'system', 'user', 'x')`,
        [tenantId, oldId, old],
      );
      const before = (await listEvents(db, tenantId, { limit: 100 })).length;
      assert.equal(await deleteEventsBefore(db, tenantId, new Date('2021-01-01T00:00:00Z'), 100), 1);
      assert.equal((await listEvents(db, tenantId, { limit: 100 })).length, before - 1);
      assert.equal(await deleteEventsBefore(db, tenantId, new Date('2021-01-01T00:00:00Z'), 100), 0, 'newer events stay');
    });
    it('import reports go with their job: deleted with it, by the retention sweep, and with its directory', async () => {
      const dir = (await insertDirectory(db, tenantId, { id: newId(), name: 'imports-cascade' })).id;
      const other = (await insertDirectory(db, tenantId, { id: newId(), name: 'imports-cascade-other' })).id;
      const options = { mode: 'partial', onConflict: 'fail', dryRun: false, invite: false } as const;
      const job = async (directory: string) => {
        const id = newId();
        await insertJob(db, tenantId, { id, directoryId: directory, format: 'csv', options, formatOptions: Buffer.alloc(0), actor: cliActor(tenantId), idempotencyKey: null });
        const rows = [1, 2, 3].map((row) => ({ row, line: row + 1, status: 'created' as const, userId: newId(), username: `r${row}`, code: null, message: null, field: null, source: null }));
        await insertReportRows(db, tenantId, id, rows);
        return id;
      };
      const reportRows = async (jobId: string) =>
        (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM import_report WHERE tenant_id = $1 AND job_id = $2', [tenantId, jobId])).rows[0]!.n;
      const [deleted, swept, withDirectory, kept] = [await job(dir), await job(dir), await job(other), await job(dir)];
      assert.equal(await reportRows(deleted), 3);
      assert.equal(await deleteJob(db, tenantId, deleted), true);
      await db.query("UPDATE import_jobs SET status = 'completed', finished_at = '2020-01-01T00:00:00Z' WHERE tenant_id = $1 AND id = $2", [tenantId, swept]);
      assert.equal(await deleteJobsBefore(db, new Date('2021-01-01T00:00:00Z'), 10), 1);
      assert.equal(await deleteDirectory(db, tenantId, other), true);
      assert.deepEqual(
        [await reportRows(deleted), await reportRows(swept), await reportRows(withDirectory), await reportRows(kept)],
        [0, 0, 0, 3],
        'only the job that stays keeps its report',
      );
    });
  });
}
