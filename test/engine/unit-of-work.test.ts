/**
 * The unit of work and its events, calling the engine's use cases directly
 * (no HTTP) on both stores: events are written in the same transaction as the
 * change (one statement for a batch), a rollback writes none, and every event
 * names its actor and never a credential.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Actor } from '../../src/domain/actor.ts';
import type { BatchItem, BatchPolicy } from '../../src/domain/batch.ts';
import { assertCredentialFree, CredentialInEventError } from '../../src/domain/events.ts';
import { inUnitOfWork } from '../../src/engine/unitOfWork.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestEngine, type TestEngine } from '../helpers/engine.ts';

const PARTIAL: BatchPolicy = { mode: 'partial', onConflict: 'fail', dryRun: false };
const ATOMIC: BatchPolicy = { mode: 'atomic', onConflict: 'fail', dryRun: false };

const drafts = (prefix: string, n: number): BatchItem[] => Array.from({ length: n }, (_, i) => ({ draft: { username: `${prefix}-${i}`, email: `${prefix}-${i}@example.com` } }));

for (const kind of STORE_KINDS) {
  describe(`unit of work and events: ${kind}`, () => {
    let t: TestEngine;
    let actor: Actor;
    let directoryId: string;

    /** The events of the actor's tenant of the given type, oldest first. */
    const eventsOf = async (type: string) => {
      const { rows } = await t.db.query<{ subject_id: string; data: Record<string, unknown>; actor_kind: string; actor_id: string; actor_label: string; dialect: string; request_id: string }>(
        'SELECT subject_id, data, actor_kind, actor_id, actor_label, dialect, request_id FROM events WHERE tenant_id = $1 AND type = $2 ORDER BY id',
        [actor.tenantId, type],
      );
      return rows;
    };

    before(async () => {
      t = await startTestEngine(kind);
      ({ actor } = await t.newTenant());
      directoryId = (await t.engine.directories.createDirectory(actor, 'staff')).id;
    });
    after(() => t.close());

    it('a batch of 1000 creates writes 1000 user.created events, each naming the actor', async () => {
      const outcome = await t.engine.provisioning.createUsers(actor, directoryId, drafts('k', 1000), PARTIAL);
      assert.equal(outcome.summary.created, 1000);
      const events = await eventsOf('user.created');
      assert.equal(events.length, 1000);
      const ids = new Set(outcome.results.map((r) => (r.status === 'created' ? r.user!.id : '')));
      assert.ok(events.every((e) => ids.has(e.subject_id)));
      assert.deepEqual(
        { kind: events[0]!.actor_kind, id: events[0]!.actor_id, label: events[0]!.actor_label, dialect: events[0]!.dialect, requestId: events[0]!.request_id },
        { kind: 'api_key', id: (actor.principal as { keyId: string }).keyId, label: (actor.principal as { prefix: string }).prefix, dialect: 'native', requestId: actor.requestId },
      );
      assert.equal(events[0]!.data.username, 'k-0');
    });

    it('an atomic batch that fails writes no event', async () => {
      const before = (await eventsOf('user.created')).length;
      const outcome = await t.engine.provisioning.createUsers(actor, directoryId, [...drafts('atomic', 5), { draft: { username: 'k-0' } }], ATOMIC);
      assert.equal(outcome.summary.committed, false);
      assert.equal((await eventsOf('user.created')).length, before);
    });

    it('a unit of work that throws writes neither its change nor its events', async () => {
      await assert.rejects(
        inUnitOfWork(
          // The unit of work needs only the store and the clock of the engine's context.
          { db: t.db, now: () => new Date() } as never,
          actor,
          async (uow) => {
            const renamed = await uow.tx.query("UPDATE directories SET name = 'renamed' WHERE tenant_id = $1 AND id = $2", [actor.tenantId, directoryId]);
            assert.equal(renamed.rowCount, 1, 'the change was made inside the unit of work');
            uow.emit({ type: 'directory.deleted', subject: { type: 'directory', id: directoryId }, directoryId, data: {} });
            throw new Error('boom');
          },
        ),
        /boom/,
      );
      assert.equal((await t.engine.directories.getDirectory(actor, directoryId)).name, 'staff');
      assert.equal((await eventsOf('directory.deleted')).length, 0);
    });

    it('upserts emit user.updated with only the fields that changed', async () => {
      await t.engine.provisioning.createUsers(actor, directoryId, [{ draft: { username: 'k-1', displayName: 'Kay One' } }], { ...PARTIAL, onConflict: 'upsert' });
      const updated = (await eventsOf('user.updated')).at(-1)!;
      assert.deepEqual(updated.data, { displayName: 'Kay One' });
    });

    it('passwords, hashes and secrets never reach an event', async () => {
      const outcome = await t.engine.provisioning.createUsers(
        actor,
        directoryId,
        [{ draft: { username: 'pw', password: 'correct horse battery' } }, { draft: { username: 'gen', generateSecret: true } }],
        PARTIAL,
      );
      const secret = outcome.results[1]!.status === 'created' ? (outcome.results[1] as { secret: string }).secret : '';
      const { rows } = await t.db.query<{ data: unknown }>('SELECT data FROM events WHERE tenant_id = $1', [actor.tenantId]);
      const all = JSON.stringify(rows);
      assert.ok(!all.includes('correct horse battery') && !all.includes(secret) && !all.includes('$argon2'));
      const created = await eventsOf('user.created');
      assert.deepEqual(created.filter((e) => ['pw', 'gen'].includes(e.data.username as string)).map((e) => e.data.signIn), ['password', 'generated']);
      assert.throws(
        () => assertCredentialFree({ type: 'user.updated', subject: { type: 'user', id: 'x' }, directoryId: null, data: { passwordHash: 'x' } }),
        CredentialInEventError,
      );
      const withData = (data: Record<string, unknown>) => ({ type: 'user.updated' as const, subject: { type: 'user' as const, id: 'x' }, directoryId: null, data });
      assert.throws(() => assertCredentialFree(withData({ profile: { apiToken: 'x' } })), /credential field \(profile\.apiToken\)/, 'at any depth');
      assert.doesNotThrow(() => assertCredentialFree(withData({ attributes: { passwordHint: 'x' }, displayName: 'y' })), 'free-form attributes are the caller\'s');
    });

    it('single updates, secret rotations and deletes emit their events', async () => {
      const created = await t.engine.users.createUser(actor, directoryId, { username: 'single' });
      await t.engine.users.updateUser(actor, directoryId, created.user.id, { displayName: 'Single' });
      await t.engine.users.rotateSecret(actor, directoryId, created.user.id);
      await t.engine.users.deleteUser(actor, directoryId, created.user.id);
      const history = await t.engine.audit.list(actor, { subjectId: created.user.id, limit: 10 });
      assert.deepEqual(history.events.map((e) => e.type), ['user.deleted', 'user.secret_rotated', 'user.updated', 'user.created']);
      assert.deepEqual(history.events[2]!.data, { displayName: 'Single' });
    });

    it('deleting a directory leaves a user.deleted event per user', async () => {
      const doomed = await t.engine.directories.createDirectory(actor, 'doomed');
      const outcome = await t.engine.provisioning.createUsers(actor, doomed.id, drafts('doomed', 50), PARTIAL);
      await t.engine.directories.deleteDirectory(actor, doomed.id, true);
      const deleted = (await eventsOf('user.deleted')).filter((e) => e.data.reason === 'directory deleted');
      assert.deepEqual(new Set(deleted.map((e) => e.subject_id)), new Set(outcome.results.map((r) => (r as { user: { id: string } }).user.id)));
      const page = await t.engine.audit.list(actor, { types: ['directory.*'], limit: 10 });
      assert.deepEqual(page.events.slice(0, 2).map((e) => e.type), ['directory.deleted', 'directory.created']);
    });

    it('two concurrent read-modify-writes of different attributes both survive', async () => {
      const { user } = await t.engine.users.createUser(actor, directoryId, { username: 'merge', attributes: { base: 1 } });
      await Promise.all(
        ['a', 'b', 'c', 'd'].map((key) =>
          t.engine.users.modifyUser(actor, directoryId, user.id, (current) => ({ attributes: { ...current.attributes, [key]: true } })),
        ),
      );
      const merged = await t.engine.users.getUser(actor, directoryId, user.id);
      assert.deepEqual(merged.attributes, { base: 1, a: true, b: true, c: true, d: true });
      assert.equal(merged.version, 5);
    });

    it('a group deleted while partial batches add members gives per-item errors, never a failure', async () => {
      for (let round = 0; round < 5; round++) {
        const group = await t.engine.groups.create(actor, directoryId, `race-${round}`, null);
        const items: BatchItem[] = Array.from({ length: 20 }, (_, i) => ({ draft: { username: `race-${round}-${i}`, groupIds: [group.id] } }));
        const [outcome] = await Promise.all([
          t.engine.provisioning.createUsers(actor, directoryId, items, PARTIAL),
          t.engine.groups.delete(actor, directoryId, group.id),
        ]);
        const statuses = new Set(outcome.results.map((r) => (r.status === 'failed' ? r.error.code : r.status)));
        // Either the batch saw the group (and the delete waited for it, then removed the memberships) or it did not.
        assert.ok(statuses.size === 1 && (statuses.has('created') || statuses.has('group.not_found')), [...statuses].join());
      }
      const { rows } = await t.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM group_members m WHERE m.tenant_id = $1 AND NOT EXISTS (SELECT 1 FROM groups g WHERE g.tenant_id = m.tenant_id AND g.id = m.group_id)',
        [actor.tenantId],
      );
      assert.equal(rows[0]!.n, 0);
    });

    it('memberships cannot join a user to another directory\'s group', async () => {
      const other = await t.engine.directories.createDirectory(actor, 'other');
      const foreignGroup = await t.engine.groups.create(actor, other.id, 'foreign', null);
      const outcome = await t.engine.provisioning.createUsers(actor, directoryId, [{ draft: { username: 'crosser', groupIds: [foreignGroup.id] } }], PARTIAL);
      assert.equal(outcome.results[0]!.status === 'failed' && outcome.results[0]!.error.code, 'group.not_found');
      const user = await t.engine.users.createUser(actor, directoryId, { username: 'crosser2' });
      await assert.rejects(
        t.db.query('INSERT INTO group_members (tenant_id, directory_id, group_id, user_id) VALUES ($1, $2, $3, $4)', [actor.tenantId, directoryId, foreignGroup.id, user.user.id]),
        (error: { constraint?: string }) => error.constraint === 'group_members_group_fk',
      );
    });

    it('lists the audit trail newest first with cursor paging and filters', async () => {
      const first = await t.engine.audit.list(actor, { types: ['user.created'], limit: 300 });
      assert.equal(first.events.length, 300);
      const second = await t.engine.audit.list(actor, { types: ['user.created'], limit: 300, cursor: first.nextCursor! });
      assert.ok(second.events[0]!.id < first.events.at(-1)!.id, 'the next page is older');
      const ids = [...first.events, ...second.events].map((e) => e.id);
      assert.deepEqual(ids, [...ids].sort().reverse());
      assert.equal(new Set(ids).size, ids.length);
      const byActor = await t.engine.audit.list(actor, { actor: (actor.principal as { prefix: string }).prefix, limit: 1 });
      assert.equal(byActor.events.length, 1);
      const none = await t.engine.audit.list(actor, { actor: 'nobody', limit: 1 });
      assert.equal(none.events.length, 0);
      const future = await t.engine.audit.list(actor, { since: new Date(Date.now() + 60_000), limit: 1 });
      assert.equal(future.events.length, 0);
    });

    it('invitations and keys emit their events: invitation.sent, invitation.accepted (by the invitee), key.created, key.revoked', async () => {
      const invited = await t.engine.users.createUser(actor, directoryId, { username: 'invitee', email: 'invitee@example.com' }, { invite: {} });
      // The mail's payload (opened by the queue) carries the token the invited person follows.
      const claimed = await t.engine.queue.claim<{ to: string; token: string }>('mail', 50);
      const mail = claimed.find((c) => c.payload.to === 'invitee@example.com')!;
      const accepted = await t.engine.invitations.accept(mail.payload.token, 'a long new password', 'req-accept', '127.0.0.1');
      assert.equal(accepted.kind, 'accepted');
      const history = await t.engine.audit.list(actor, { subjectId: invited.user.id, limit: 10 });
      assert.deepEqual(history.events.map((e) => [e.type, e.actor.kind]), [
        ['invitation.accepted', 'invitee'],
        ['invitation.sent', 'api_key'],
        ['user.created', 'api_key'],
      ]);
      assert.equal(history.events[0]!.actor.dialect, 'invite');
      assert.equal(history.events[0]!.actor.requestId, 'req-accept');
      assert.ok(!JSON.stringify(history.events).includes(mail.payload.token), 'the token is in no event');

      const issued = await t.engine.tenants.createKey(actor, { name: 'ci', scopes: ['users:read'] });
      await t.engine.tenants.revokeKey(actor, issued.info.id);
      await t.engine.tenants.revokeKey(actor, issued.info.id); // idempotent: one event
      const keyEvents = await t.engine.audit.list(actor, { subjectId: issued.info.id, limit: 10 });
      assert.deepEqual(keyEvents.events.map((e) => e.type), ['key.revoked', 'key.created']);
      assert.ok(!JSON.stringify(keyEvents.events).includes(issued.key), 'the key is in no event');
    });
  });
}
