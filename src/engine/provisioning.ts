/**
 * The provisioning engine: one function creates users, whatever the dialect.
 *
 *   createUsers(actor, directory, items[], policy) -> one result per item, in input order
 *
 * Order of work, so that a batch costs one round of I/O and not one per user:
 * 1. validate and normalise every item, and catch repeats inside the batch
 *    (pure, no I/O);
 * 2. when CPU-heavy hashing is ahead (or for a dry run, or an atomic batch
 *    already failing), read which usernames and emails exist, so that no
 *    password is hashed for an item that cannot be written; this read only
 *    plans, it never decides;
 * 3. hash passwords on the worker pool and generate secrets, before any
 *    transaction opens;
 * 4. one unit of work: lock the groups items name (missing ones fail their
 *    items), insert every new row in one statement whose conflicts the
 *    database's unique constraints decide (also against concurrent batches:
 *    a loser gets a per-item conflict, never a duplicate or a 500), update the
 *    upserts in one statement, the invitations of created users and their mail
 *    (queue), the memberships, the events (one statement), then the recorded
 *    idempotent response.
 *    A batch with no known conflicts tries a plain INSERT first and falls back
 *    to one that skips taken rows only if a constraint objects (or the database
 *    picked it as a deadlock victim; such transactions are retried).
 *
 * Atomic mode is all or nothing: if any item fails, the transaction rolls back
 * (or never opens) and every item gets a verdict: its own error, or
 * `batch.aborted` when it was valid. It never degrades to best effort.
 */
import type { Actor } from '../domain/actor.ts';
import { summarise, validateBatch, type BatchItem, type BatchOutcome, type BatchPolicy, type Candidate, type ItemResult } from '../domain/batch.ts';
import { isUuid } from '../domain/directory.ts';
import { MusterError } from '../domain/errors.ts';
import { changedUserFields, userCreated, userEvent, type DomainEvent } from '../domain/events.ts';
import type { User } from '../domain/user.ts';
import { newId } from '../crypto/ids.ts';
import { randomToken } from '../crypto/secrets.ts';
import { constraintError } from '../store/constraints.ts';
import { databaseErrorInfo, retryingAbortedTransactions, type Queryable } from '../store/ports.ts';
import * as groupsRepo from '../store/repositories/groups.ts';
import * as repo from '../store/repositories/users.ts';
import type { EngineContext } from './context.ts';
import { resolveDirectory } from './directories.ts';
import type { IdempotencyService, ResponseRecording } from './idempotency.ts';
import type { InvitationService } from './invitations.ts';
import { inUnitOfWork } from './unitOfWork.ts';

/** Users created between two checks of the planner's statistics (see refreshStatistics). */
const STATISTICS_CHECK_ROWS = 256;

export interface CreateUsersOptions {
  /**
   * Records the rendered outcome under an owned idempotency key, in the write's
   * own transaction just before COMMIT, so response and writes commit
   * together. Not used when nothing is written.
   */
  readonly record?: ResponseRecording<BatchOutcome>;
  /**
   * Work that must commit with the batch's writes or not at all (an import
   * chunk's report rows and checkpoint): run as a before-commit participant of
   * the write's unit of work, with the outcome. Not called when nothing is
   * written in a transaction (a dry run, an atomic batch that failed); a throw
   * rolls the whole batch back and is rethrown.
   */
  readonly commitWith?: (tx: Queryable, outcome: BatchOutcome) => Promise<void>;
  /**
   * The write's transaction begins only once this settles, and not at all if
   * it rejects (createUsers then rejects with its reason). Validation, the
   * plan and hashing run before: an import's next chunk does them while the
   * chunk before it commits, and no transaction is held while waiting.
   */
  readonly writeAfter?: Promise<unknown>;
}

/** A candidate with its credentials computed, ready to insert or to update an existing user. */
interface Prepared extends Candidate {
  readonly row: repo.NewUserRow;
  readonly secret?: string;
}

type Plan = { readonly kind: 'write' } | { readonly kind: 'done'; readonly result: ItemResult };

/** Thrown inside the transaction to roll an atomic batch back; carries the verdicts. */
class AtomicRollback extends Error {
  readonly results: (ItemResult | undefined)[];
  constructor(results: (ItemResult | undefined)[]) {
    super('atomic batch rolled back');
    this.results = results;
  }
}

/** What an existing user with the same username or email means for a candidate. */
function conflictVerdict(
  candidate: Candidate,
  byUsername: ReadonlyMap<string, repo.KeyedUser>,
  byEmail: ReadonlyMap<string, repo.KeyedUser>,
  policy: BatchPolicy,
): Plan | { readonly kind: 'update'; readonly existing: User } {
  const { index, usernameKey, emailKey } = candidate;
  const sameName = byUsername.get(usernameKey);
  const sameEmail = emailKey === null ? undefined : byEmail.get(emailKey);
  const emailTaken = () =>
    ({
      kind: 'done',
      result: { index, status: 'failed', error: new MusterError('user.email_taken', undefined, { field: 'email', existingId: sameEmail!.user.id }) },
    }) as const;
  if (sameName) {
    if (policy.onConflict === 'skip') return { kind: 'done', result: { index, status: 'skipped', user: sameName.user } };
    if (policy.onConflict === 'upsert') {
      return sameEmail && sameEmail.user.id !== sameName.user.id ? emailTaken() : { kind: 'update', existing: sameName.user };
    }
    return {
      kind: 'done',
      result: { index, status: 'failed', error: new MusterError('user.username_taken', undefined, { field: 'username', existingId: sameName.user.id }) },
    };
  }
  return sameEmail ? emailTaken() : { kind: 'write' };
}

/** The columns an upsert changes: exactly the fields the item gave. */
function updateColumns(prepared: Prepared): repo.BatchUpdateColumns {
  const { draft, row } = prepared;
  const set: repo.BatchUpdateColumns = {};
  if (draft.email !== undefined) Object.assign(set, { email: row.email, email_key: row.emailKey });
  if (draft.displayName !== undefined) set.display_name = row.displayName;
  if (draft.givenName !== undefined) set.given_name = row.givenName;
  if (draft.familyName !== undefined) set.family_name = row.familyName;
  if (draft.phone !== undefined) set.phone = row.phone;
  if (draft.locale !== undefined) set.locale = row.locale;
  if (draft.externalId !== undefined) set.external_id = row.externalId;
  if (draft.status !== undefined) set.status = row.status;
  if (draft.expiresAt !== undefined) set.expires_at = row.expiresAt?.toISOString() ?? null;
  if (draft.attributes !== undefined) set.attributes = row.attributes;
  if (row.passwordHash !== null) set.password_hash = row.passwordHash;
  if (row.secretHash !== null) set.secret_hash = row.secretHash.toString('hex');
  return set;
}

/** The directory's users that share a username or email key with any candidate, indexed by each key. */
async function existingFor(q: Queryable, tenantId: string, directoryId: string, candidates: readonly Candidate[]) {
  const existing = await repo.findUsersByKeys(
    q,
    tenantId,
    directoryId,
    candidates.map((c) => c.usernameKey),
    candidates.flatMap((c) => (c.emailKey === null ? [] : [c.emailKey])),
  );
  const byUsername = new Map(existing.map((e) => [e.usernameKey, e]));
  const byEmail = new Map(existing.filter((e) => e.emailKey !== null).map((e) => [e.emailKey!, e]));
  return { byUsername, byEmail };
}

/** Items naming a group that is not among `known` (the directory's groups), with their errors. */
function missingGroupFailures(candidates: readonly Candidate[], known: ReadonlySet<string>): Map<number, MusterError> {
  const failures = new Map<number, MusterError>();
  for (const candidate of candidates) {
    const missing = candidate.draft.groupIds?.find((id) => !known.has(id));
    if (missing !== undefined) failures.set(candidate.index, new MusterError('group.not_found', `No group ${missing} in this directory.`, { field: 'groupIds', groupId: missing }));
  }
  return failures;
}

/**
 * The verdicts of a failed atomic batch: failures and skips stand; every other
 * item was valid, and whatever was written for it was rolled back, so it gets
 * `batch.aborted`.
 */
function aborted(results: readonly (ItemResult | undefined)[], dryRun: boolean): BatchOutcome {
  // Array.from, not map: map skips the holes of a sparse array.
  const complete = Array.from(results, (r, index): ItemResult =>
    r?.status === 'failed' || r?.status === 'skipped' ? r : { index, status: 'failed', error: new MusterError('batch.aborted') },
  );
  return { results: complete, summary: summarise(complete, false, dryRun) };
}

/** The events of a written batch: one per created or updated user, in one list (one statement). */
function batchEvents(outcome: readonly ItemResult[], before: ReadonlyMap<string, User>): DomainEvent[] {
  const events: DomainEvent[] = [];
  for (const result of outcome) {
    if (result.status === 'created' && result.user) events.push(userCreated(result.user));
    else if (result.status === 'updated') {
      const previous = before.get(result.user.id);
      events.push(userEvent('user.updated', result.user, previous ? changedUserFields(previous, result.user) : {}));
    }
  }
  return events;
}

export function provisioningService(ctx: EngineContext, invitations: InvitationService, idempotency: IdempotencyService) {
  async function prepare(candidate: Candidate, now: Date): Promise<Prepared> {
    const { draft } = candidate;
    const expiresAt = draft.lifetimeSeconds !== undefined ? new Date(now.getTime() + draft.lifetimeSeconds * 1000) : (draft.expiresAt ?? null);
    const secret = draft.generateSecret ? randomToken() : undefined;
    const passwordHash = draft.password !== undefined ? await ctx.passwords.hash(draft.password) : (draft.passwordHash === undefined ? null : ctx.passwords.storable(draft.passwordHash));
    const row: repo.NewUserRow = {
      id: newId(),
      username: draft.username,
      usernameKey: candidate.usernameKey,
      email: draft.email ?? null,
      emailKey: candidate.emailKey,
      displayName: draft.displayName ?? null,
      givenName: draft.givenName ?? null,
      familyName: draft.familyName ?? null,
      phone: draft.phone ?? null,
      locale: draft.locale ?? null,
      externalId: draft.externalId ?? null,
      status: draft.status ?? 'active',
      expiresAt,
      attributes: draft.attributes ?? {},
      passwordHash,
      secretHash: secret === undefined ? null : ctx.secrets.hash(secret),
    };
    return secret === undefined ? { ...candidate, row } : { ...candidate, row, secret };
  }

  /**
   * Updates in one statement. If a new email is taken (a race the plan could
   * not see), the statement is undone to a savepoint and the updates are
   * retried one by one, each in its own savepoint, so the offender is named.
   */
  async function updateIsolatingConflicts(
    tx: Queryable,
    tenantId: string,
    directoryId: string,
    updates: readonly repo.BatchUpdate[],
  ): Promise<{ updated: repo.KeyedUser[]; failed: Map<string, MusterError> }> {
    const failed = new Map<string, MusterError>();
    if (updates.length === 0) return { updated: [], failed };
    await tx.query('SAVEPOINT batch_update');
    try {
      const updated = await repo.updateUsersByUsername(tx, tenantId, directoryId, updates);
      await tx.query('RELEASE SAVEPOINT batch_update');
      return { updated, failed };
    } catch (error) {
      if (!constraintError(error)) throw error;
      await tx.query('ROLLBACK TO SAVEPOINT batch_update');
    }
    const updated: repo.KeyedUser[] = [];
    for (const update of updates) {
      await tx.query('SAVEPOINT batch_update_one');
      try {
        updated.push(...(await repo.updateUsersByUsername(tx, tenantId, directoryId, [update])));
        await tx.query('RELEASE SAVEPOINT batch_update_one');
      } catch (error) {
        const mapped = constraintError(error);
        if (!mapped) throw error;
        await tx.query('ROLLBACK TO SAVEPOINT batch_update_one');
        failed.set(update.usernameKey, mapped);
      }
    }
    return { updated, failed };
  }

  let createdSinceStatisticsCheck = 0;
  /**
   * After a write that added users: keeps the planner's statistics of `users`
   * fresh (see repo.analyzeUsersIfStale), so the lookups of the next requests
   * use the unique indexes rather than reading a freshly bulk-loaded directory.
   * The check (a catalog read: 0.4 ms on a server, 1.4 ms on PGlite, measured
   * here) runs once this process has created STATISTICS_CHECK_ROWS users since
   * the last one: every bulk batch, but not every single create.
   * Statistics only shape plans: a failure here must not turn a committed batch
   * into an error, so it is dropped and a later batch tries again.
   */
  async function refreshStatistics(created: number): Promise<void> {
    createdSinceStatisticsCheck += created;
    if (createdSinceStatisticsCheck < STATISTICS_CHECK_ROWS) return;
    createdSinceStatisticsCheck = 0;
    try {
      await repo.analyzeUsersIfStale(ctx.db);
    } catch {
      // see above
    }
  }

  return {
    /**
     * Creates users in one directory, for `actor`. Throws only for the request
     * as a whole (`batch.empty`, `batch.too_large`, `directory.not_found`);
     * everything about an item is in its result. A written batch emits one
     * `user.created` / `user.updated` per user and `invitation.sent` per
     * invitation, in one statement of the same transaction; nothing is emitted
     * when nothing is written.
     */
    async createUsers(
      actor: Actor,
      directoryRef: string,
      items: readonly BatchItem[],
      policy: BatchPolicy,
      options: CreateUsersOptions = {},
    ): Promise<BatchOutcome> {
      const { tenantId } = actor;
      const limit = Math.min(policy.maxItems ?? Infinity, ctx.limits.batchMaxItems);
      if (items.length === 0) throw new MusterError('batch.empty');
      if (items.length > limit) {
        throw new MusterError('batch.too_large', `A batch holds at most ${limit} users; this one has ${items.length}.`, { limit, received: items.length });
      }
      const results: (ItemResult | undefined)[] = new Array<ItemResult | undefined>(items.length);
      const failed = (index: number, error: MusterError) => (results[index] = { index, status: 'failed', error });

      const invite = policy.invite && (await invitations.checkInviteOptions(actor, policy.invite));

      // The directory's confusables policy decides the uniqueness keys.
      const directory = await resolveDirectory(ctx.db, tenantId, directoryRef);

      // 1. Validate, normalise, catch repeats. Pure.
      const { candidates, failures } = validateBatch(items, invite !== undefined, directory.confusables);
      for (const [index, error] of failures) failed(index, error);

      const atomic = policy.mode === 'atomic';
      const anyFailed = () => results.some((r) => r?.status === 'failed');
      const groupIds = [...new Set(candidates.flatMap((c) => c.draft.groupIds ?? []))];

      // 2. Plan against what exists, when it saves hashing or is the whole answer.
      const planned = new Map<number, { kind: 'write' } | { kind: 'update'; existing: User }>();
      const mustPlan = policy.dryRun || (atomic && anyFailed()) || candidates.some((c) => c.draft.password !== undefined);
      if (mustPlan && candidates.length > 0) {
        const { byUsername, byEmail } = await existingFor(ctx.db, tenantId, directory.id, candidates);
        for (const candidate of candidates) {
          const verdict = conflictVerdict(candidate, byUsername, byEmail, policy);
          if (verdict.kind === 'done') results[candidate.index] = verdict.result;
          else planned.set(candidate.index, verdict);
        }
      } else {
        for (const candidate of candidates) planned.set(candidate.index, { kind: 'write' });
      }
      if (policy.dryRun && groupIds.length > 0) {
        const known = await groupsRepo.existingGroupIds(ctx.db, tenantId, directory.id, groupIds.filter(isUuid), false);
        for (const [index, error] of missingGroupFailures(candidates, known)) {
          planned.delete(index);
          failed(index, error);
        }
      }
      if (atomic && anyFailed()) return aborted(results, policy.dryRun);
      if (policy.dryRun) {
        for (const [index, plan] of planned) {
          results[index] = plan.kind === 'update' ? { index, status: 'updated', user: plan.existing } : { index, status: 'created', user: null };
        }
        const complete = results as ItemResult[];
        return { results: complete, summary: summarise(complete, false, true) };
      }

      // 3. Credentials, off the event loop and outside any transaction.
      // One clock reading for the batch: every user's creation time, and the base of lifetimes.
      const now = ctx.now();
      const prepared = await Promise.all(candidates.filter((c) => planned.has(c.index)).map((c) => prepare(c, now)));
      const byUsernameKey = new Map(prepared.map((p) => [p.usernameKey, p]));
      const byId = new Map(prepared.map((p) => [p.row.id, p]));

      // 4. Write, in one unit of work. The database decides every conflict. A
      // batch with no known conflicts first tries a plain insert; if a
      // constraint turns a row away after all (a race), that transaction rolls
      // back before anything else ran in it, and the batch is written again
      // skipping taken rows.
      const expectConflicts = [...planned.values()].some((p) => p.kind === 'update') || results.some((r) => r !== undefined);
      const write = (onTaken: repo.OnTaken) =>
        inUnitOfWork(ctx, actor, async (uow) => {
          const { tx } = uow;
          // A retried attempt starts clean: nothing of a rolled-back one stands.
          for (const p of prepared) results[p.index] = undefined;
          let writable = prepared;
          if (groupIds.length > 0) {
            // Groups named by items must be groups of this directory. They are
            // read under a key-share lock, so none can be deleted before this
            // transaction ends; the memberships' foreign keys back this up.
            const known = await groupsRepo.existingGroupIds(tx, tenantId, directory.id, groupIds.filter(isUuid), true);
            const missing = missingGroupFailures(prepared, known);
            for (const [index, error] of missing) failed(index, error);
            writable = prepared.filter((p) => !missing.has(p.index));
          }
          const toInsert = writable.filter((p) => planned.get(p.index)!.kind === 'write');
          const inserted = await repo.insertUsers(tx, tenantId, directory.id, toInsert.map((p) => p.row), onTaken, now);
          const invited = inserted.filter((user) => byId.get(user.id)!.draft.invite);
          const invitationEvents = invited.length > 0 ? await invitations.inviteUsers(tx, tenantId, directory.id, invited, invite ?? {}) : [];
          await groupsRepo.insertMemberships(
            tx,
            tenantId,
            directory.id,
            inserted.flatMap((user) => (byId.get(user.id)!.draft.groupIds ?? []).map((groupId) => ({ groupId, userId: user.id }))),
          );
          const insertedIds = new Set(inserted.map((u) => u.id));
          for (const user of inserted) {
            const p = byId.get(user.id)!;
            results[p.index] = p.secret === undefined ? { index: p.index, status: 'created', user } : { index: p.index, status: 'created', user, secret: p.secret };
          }

          // Rows the constraints turned away: existing users the plan did not know of.
          const turnedAway = toInsert.filter((p) => !insertedIds.has(p.row.id));
          const toUpdate = writable.filter((p) => planned.get(p.index)!.kind === 'update');
          const before = new Map<string, User>();
          for (const p of toUpdate) {
            const plan = planned.get(p.index)!;
            if (plan.kind === 'update') before.set(plan.existing.id, plan.existing);
          }
          if (turnedAway.length > 0) {
            const { byUsername, byEmail } = await existingFor(tx, tenantId, directory.id, turnedAway);
            for (const p of turnedAway) {
              const verdict = conflictVerdict(p, byUsername, byEmail, policy);
              if (verdict.kind === 'update') {
                toUpdate.push(p);
                before.set(verdict.existing.id, verdict.existing);
              } else if (verdict.kind === 'done') results[p.index] = verdict.result;
              // Neither key matches any more: the conflicting row was deleted meanwhile. Report, do not retry blindly.
              else failed(p.index, new MusterError('user.username_taken', 'The username or email was taken by a concurrent change; retry.', { field: 'username' }));
            }
          }

          const { updated, failed: updateFailures } = await updateIsolatingConflicts(
            tx,
            tenantId,
            directory.id,
            toUpdate.map((p) => ({ usernameKey: p.usernameKey, set: updateColumns(p) })),
          );
          for (const { user, usernameKey } of updated) {
            const p = byUsernameKey.get(usernameKey)!;
            results[p.index] = p.secret === undefined ? { index: p.index, status: 'updated', user } : { index: p.index, status: 'updated', user, secret: p.secret };
          }
          for (const p of toUpdate) {
            const error = updateFailures.get(p.usernameKey);
            if (error) failed(p.index, error);
            else if (!results[p.index]) failed(p.index, new MusterError('user.not_found', 'The user to update was deleted by a concurrent change.'));
          }

          if (atomic && anyFailed()) throw new AtomicRollback(results);
          const complete = results as ItemResult[];
          const outcome: BatchOutcome = { results: complete, summary: summarise(complete, true, false) };
          // A user's creation precedes its invitation in the trail.
          uow.emit(...batchEvents(complete, before), ...invitationEvents);
          if (invited.length > 0) uow.afterCommit(ctx.notifyOutbox);
          if (options.record) {
            const { record } = options;
            uow.beforeCommit((participantTx) => idempotency.record(participantTx, record, outcome));
          }
          if (options.commitWith) {
            const { commitWith } = options;
            uow.beforeCommit((participantTx) => commitWith(participantTx, outcome));
          }
          return outcome;
        });
      const writeOnce = async (): Promise<BatchOutcome> => {
        if (expectConflicts) return retryingAbortedTransactions(() => write('skip'));
        try {
          return await write('raise');
        } catch (error) {
          const taken = constraintError(error)?.code;
          const deadlocked = databaseErrorInfo(error)?.sqlState === '40P01';
          if (taken !== 'user.username_taken' && taken !== 'user.email_taken' && !deadlocked) throw error;
          return retryingAbortedTransactions(() => write('skip'));
        }
      };
      if (options.writeAfter) await options.writeAfter;
      try {
        const outcome = await writeOnce();
        if (outcome.summary.created > 0) await refreshStatistics(outcome.summary.created);
        return outcome;
      } catch (error) {
        if (error instanceof AtomicRollback) return aborted(error.results, false);
        throw constraintError(error) ?? error; // e.g. the directory deleted meanwhile
      }
    },
  };
}

export type ProvisioningService = ReturnType<typeof provisioningService>;
