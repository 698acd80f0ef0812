/**
 * Users: create, read, list, update, delete, and checking a user's credentials.
 * Every operation is scoped to one tenant and one of its directories.
 *
 * Cost model: passwords are hashed (argon2id, worker pool) before any
 * transaction opens, so a transaction never waits on CPU-bound work.
 */
import type { Actor } from '../domain/actor.ts';
import { keyedComparisons } from '../domain/filter.ts';
import { MusterError } from '../domain/errors.ts';
import { changedUserFields, userEvent } from '../domain/events.ts';
import { isUuid, type Directory } from '../domain/directory.ts';
import {
  comparisonKey,
  signInBlocker,
  type ConfusablesPolicy,
  validatePatch,
  type User,
  type UserDraft,
  type UserPatch,
  type UserSort,
  type UserStatus,
} from '../domain/user.ts';
import type { BatchOutcome, BatchPolicy } from '../domain/batch.ts';
import type { InviteOptions } from '../domain/invitation.ts';
import { needsRehash } from '../crypto/passwords.ts';
import { randomToken } from '../crypto/secrets.ts';
import { mappingConstraints } from '../store/constraints.ts';
import type { Queryable } from '../store/ports.ts';
import * as repo from '../store/repositories/users.ts';
import { groupsOfUsers } from '../store/repositories/groups.ts';
import type { Group } from '../domain/group.ts';
import type { EngineContext } from './context.ts';
import { decodeSortCursor, encodeSortCursor } from './cursors.ts';
import { resolveDirectory } from './directories.ts';
import type { CreateUsersOptions, ProvisioningService } from './provisioning.ts';
import { canonicalAddress, usernameBucket, type LockoutService } from './lockouts.ts';
import { inUnitOfWork } from './unitOfWork.ts';

const SINGLE_CREATE: BatchPolicy = { mode: 'atomic', onConflict: 'fail', dryRun: false };

/** A created user; `secret` is present only when one was generated, and only here. */
export interface CreatedUser {
  readonly user: User;
  readonly secret?: string;
}

export interface UserListRequest {
  readonly username?: string;
  readonly email?: string;
  readonly status?: UserStatus;
  /** Usernames starting with this (compared as the directory compares usernames). */
  readonly usernamePrefix?: string;
  /** Members of the directory's group of this name. */
  readonly group?: string;
  /** The order (default `createdAt`: creation order, by id). */
  readonly sort?: UserSort;
  /** Ascending (default) or descending; `oldest` and `newest` are the earlier names of `asc` and `desc`. */
  readonly order?: 'asc' | 'desc' | 'oldest' | 'newest';
  readonly cursor?: string;
  readonly limit: number;
}

export interface UserPage {
  readonly users: User[];
  /** Opaque; pass as `cursor` for the next page. Null on the last page. */
  readonly nextCursor: string | null;
}

/** How a caller names a user: by id, by integer id (Gcore), or by username (compared case-insensitively). */
export type UserRef = string | { readonly id: string } | { readonly seq: number } | { readonly username: string };

/** The repository's locator for a reference, or undefined when it cannot name any user (a malformed id). */
function locatorOf(ref: UserRef, confusables: ConfusablesPolicy): repo.UserLocator | undefined {
  if (typeof ref === 'string') return isUuid(ref) ? { id: ref } : undefined;
  if ('id' in ref) return isUuid(ref.id) ? { id: ref.id } : undefined;
  if ('seq' in ref) return Number.isSafeInteger(ref.seq) && ref.seq > 0 && ref.seq < 2 ** 63 ? { seq: ref.seq } : undefined;
  return { usernameKey: comparisonKey(ref.username, confusables) };
}

/**
 * What a read-modify-write derives from the current user: the changes to make
 * (validated like any patch). It runs inside the transaction against the
 * locked row, so concurrent modifications of different fields both survive.
 * It may not set a password (hashing never happens inside a transaction).
 */
export type Modification = (current: User, now: Date) => Omit<UserPatch, 'password'>;

export type { AttributeCondition } from '../store/repositories/users.ts';

/** An offset page's filters, as `listUsersByOffset` takes them: the query layer's, by names rather than comparison keys. */
export type OffsetListRequest = Omit<repo.OffsetUserQuery, 'usernameKey' | 'usernameKeys' | 'emailKey'> & {
  readonly username?: string;
  readonly usernames?: readonly string[];
  readonly email?: string;
};

/** What a caller presents to authenticate a user: a password or a generated secret. */
export type UserCredentials = { readonly username: string } & ({ readonly password: string } | { readonly secret: string });


/** The created user of a single-item create; throws the item's error if it failed. */
export function createdUserOf(outcome: BatchOutcome): CreatedUser {
  const result = outcome.results[0]!;
  if (result.status === 'failed') throw result.error;
  if (result.status !== 'created' || result.user === null) throw new Error(`a single create ended as ${result.status}`);
  return 'secret' in result && result.secret !== undefined ? { user: result.user, secret: result.secret } : { user: result.user };
}

/** Users read per query of an export. */
const EXPORT_PAGE_SIZE = 1000;

export function userService(ctx: EngineContext, provisioning: ProvisioningService, lockouts: LockoutService) {
  /** The user, or `user.not_found`; with `lock`, locked for the rest of the transaction. */
  async function find(q: Queryable, tenantId: string, directory: Directory, ref: UserRef, lock = false): Promise<User> {
    const locator = locatorOf(ref, directory.confusables);
    const user = locator && (await repo.findUserBy(q, tenantId, directory.id, locator, lock));
    if (!user) throw new MusterError('user.not_found');
    return user;
  }

  /** The column changes of a validated patch, keys under the directory's policy; the password comes already hashed. */
  function changesOf(valid: Omit<UserPatch, 'password'>, directory: Directory, passwordHash: string | undefined): repo.UserChanges {
    const { username, email, ...rest } = valid;
    const changes: repo.UserChanges = { ...rest };
    const key = (value: string) => comparisonKey(value, directory.confusables);
    if (username !== undefined) Object.assign(changes, { username, usernameKey: key(username) });
    if (email !== undefined) Object.assign(changes, { email, emailKey: email === null ? null : key(email) });
    if (passwordHash !== undefined) changes.passwordHash = passwordHash;
    return changes;
  }

  /**
   * One read-modify-write in a unit of work: locks the user, checks
   * `expectedVersion`, applies what `derive` asks, emits `user.updated` with
   * the fields that changed. Uniqueness as on create (decided by the database).
   */
  function modify(actor: Actor, directoryRef: string, ref: UserRef, derive: Modification, expectedVersion?: number, passwordHash?: string): Promise<User> {
    return mappingConstraints(() =>
      inUnitOfWork(ctx, actor, async (uow) => {
        const directory = await resolveDirectory(uow.tx, actor.tenantId, directoryRef);
        const current = await find(uow.tx, actor.tenantId, directory, ref, true);
        if (expectedVersion !== undefined && current.version !== expectedVersion) throw new MusterError('user.version_mismatch');
        const derived = derive(current, uow.now);
        if ('password' in derived) throw new Error('a modification may not set a password');
        const changes = changesOf(validatePatch(derived), directory, passwordHash);
        const outcome = await repo.updateUser(uow.tx, actor.tenantId, directory.id, current.id, changes, undefined);
        if (outcome.kind !== 'updated') throw new MusterError('user.not_found');
        const changed = changedUserFields(current, outcome.user);
        uow.emit(userEvent('user.updated', outcome.user, passwordHash === undefined ? changed : { ...changed, signIn: 'password' }));
        return outcome.user;
      }),
    );
  }

  return {
    /**
     * Creates one user: a batch of one, atomic. Throws `directory.not_found`, a
     * validation code, or `user.username_taken` / `user.email_taken` (decided by
     * the database).
     */
    async createUser(
      actor: Actor,
      directoryRef: string,
      draft: UserDraft,
      options: CreateUsersOptions & { readonly invite?: InviteOptions } = {},
    ): Promise<CreatedUser> {
      const { invite, ...rest } = options;
      const policy: BatchPolicy = invite ? { ...SINGLE_CREATE, invite } : SINGLE_CREATE;
      return createdUserOf(await provisioning.createUsers(actor, directoryRef, [{ draft }], policy, rest));
    },

    /** By id, integer id or username; throws `user.not_found`. */
    async getUser(actor: Actor, directoryRef: string, ref: UserRef): Promise<User> {
      const directory = await resolveDirectory(ctx.db, actor.tenantId, directoryRef);
      return find(ctx.db, actor.tenantId, directory, ref);
    },

    /** The groups the user belongs to, by name. Throws `directory.not_found`, `user.not_found`. */
    async groupsOfUser(actor: Actor, directoryRef: string, ref: UserRef): Promise<Group[]> {
      const directory = await resolveDirectory(ctx.db, actor.tenantId, directoryRef);
      const user = await find(ctx.db, actor.tenantId, directory, ref);
      return (await groupsOfUsers(ctx.db, actor.tenantId, [user.id])).get(user.id) ?? [];
    },

    /**
     * A page of users in `sort` order (then by id), optionally filtered
     * (username and email match case-insensitively); keyset paging, so a page
     * costs an index range whatever its depth. Users without the sort's key
     * (email, display name) come after all others, in either direction. Throws
     * `directory.not_found`, and `request.invalid_cursor` for a cursor not made
     * for this sort and direction.
     */
    async listUsers(actor: Actor, directoryRef: string, request: UserListRequest): Promise<UserPage> {
      const sort = request.sort ?? 'createdAt';
      const descending = request.order === 'desc' || request.order === 'newest';
      const after = request.cursor === undefined ? undefined : decodeSortCursor(request.cursor, sort, descending, (key) => repo.isSortKey(sort, key));
      const directory = await resolveDirectory(ctx.db, actor.tenantId, directoryRef);
      const rows = await repo.listUsers(ctx.db, actor.tenantId, directory.id, {
        ...(request.username !== undefined && { usernameKey: comparisonKey(request.username, directory.confusables) }),
        ...(request.email !== undefined && { emailKey: comparisonKey(request.email, directory.confusables) }),
        ...(request.status !== undefined && { status: request.status }),
        ...(request.usernamePrefix !== undefined && { usernameKeyPrefix: comparisonKey(request.usernamePrefix, directory.confusables) }),
        ...(request.group !== undefined && { groupName: request.group }),
        ...(after !== undefined && { after }),
        sort,
        descending,
        limit: request.limit,
      });
      const shown = rows.slice(0, request.limit);
      const last = shown[shown.length - 1];
      const more = rows.length > request.limit && last !== undefined;
      return { users: shown.map((row) => row.user), nextCursor: more ? encodeSortCursor({ sort, descending, key: last.key, id: last.user.id }) : null };
    },

    /**
     * Changes the given fields. With `expectedVersion`, throws
     * `user.version_mismatch` if the user changed since. Uniqueness as on create.
     * A new password is hashed before the transaction opens.
     */
    async updateUser(actor: Actor, directoryRef: string, ref: UserRef, patch: UserPatch, expectedVersion?: number): Promise<User> {
      const { password, ...rest } = validatePatch(patch);
      const passwordHash = password === undefined ? undefined : await ctx.passwords.hash(password);
      return modify(actor, directoryRef, ref, () => rest, expectedVersion, passwordHash);
    },

    /**
     * Read-modify-write: `derive` computes the changes from the user as it is
     * now, under a row lock (merging attributes, an expiry relative to the
     * creation time). Two concurrent modifications of different fields both
     * survive.
     */
    async modifyUser(actor: Actor, directoryRef: string, ref: UserRef, derive: Modification, expectedVersion?: number, password?: string): Promise<User> {
      const passwordHash = password === undefined ? undefined : await ctx.passwords.hash(validatePatch({ password }).password!);
      return modify(actor, directoryRef, ref, derive, expectedVersion, passwordHash);
    },

    /**
     * A page by offset of the users matching `filter` (compiled to SQL, never
     * evaluated in memory), in `sort` order then by id, with the total that
     * match. A case-insensitive equality on the username compares comparison
     * keys under the directory's policy (exact, and served by the unique index).
     * Throws `directory.not_found`.
     */
    async listUsersMatching(actor: Actor, directoryRef: string, query: repo.FilteredUserQuery): Promise<{ count: number; users: User[] }> {
      const directory = await resolveDirectory(ctx.db, actor.tenantId, directoryRef);
      const filter = query.filter && keyedComparisons(query.filter, directory.confusables);
      return repo.listUsersMatching(ctx.db, actor.tenantId, directory.id, { ...query, ...(filter && { filter }) });
    },

    /**
     * A page by offset with the total of matching users, in creation order, for
     * dialects that page by offset. Every given filter must hold: username or
     * email (case-insensitive), any of `usernames` (an empty list matches no
     * one), any of `statuses`, membership of the group named `groupName`, and
     * conditions on `attributes`. Throws `directory.not_found`.
     */
    async listUsersByOffset(actor: Actor, directoryRef: string, page: OffsetListRequest): Promise<{ count: number; users: User[] }> {
      const directory = await resolveDirectory(ctx.db, actor.tenantId, directoryRef);
      const { username, usernames, email, ...rest } = page;
      return repo.listUsersByOffset(ctx.db, actor.tenantId, directory.id, {
        ...rest,
        ...(username !== undefined && { usernameKey: comparisonKey(username, directory.confusables) }),
        ...(usernames !== undefined && { usernameKeys: usernames.map((u) => comparisonKey(u, directory.confusables)) }),
        ...(email !== undefined && { emailKey: comparisonKey(email, directory.confusables) }),
      });
    },

    /** Gives the user a new generated secret, shown once; the old credential stops working. Emits `user.secret_rotated`. */
    rotateSecret(actor: Actor, directoryRef: string, ref: UserRef): Promise<CreatedUser & { secret: string }> {
      const secret = randomToken();
      return inUnitOfWork(ctx, actor, async (uow) => {
        const directory = await resolveDirectory(uow.tx, actor.tenantId, directoryRef);
        const current = await find(uow.tx, actor.tenantId, directory, ref);
        const user = await repo.replaceWithSecret(uow.tx, actor.tenantId, directory.id, current.id, ctx.secrets.hash(secret));
        if (!user) throw new MusterError('user.not_found');
        uow.emit(userEvent('user.secret_rotated', user, { signIn: 'generated' }));
        return { user, secret };
      });
    },

    /** Deletes the user; emits `user.deleted`. Throws `user.not_found`, and with `expectedVersion` `user.version_mismatch` (nothing deleted). */
    deleteUser: (actor: Actor, directoryRef: string, ref: UserRef, expectedVersion?: number): Promise<void> =>
      inUnitOfWork(ctx, actor, async (uow) => {
        const directory = await resolveDirectory(uow.tx, actor.tenantId, directoryRef);
        const locator = locatorOf(ref, directory.confusables);
        const target = locator && ('id' in locator ? locator.id : (await repo.findUserBy(uow.tx, actor.tenantId, directory.id, locator))?.id);
        const deleted = target === undefined ? undefined : await repo.deleteUser(uow.tx, actor.tenantId, directory.id, target);
        if (!deleted) throw new MusterError('user.not_found');
        // The delete holds the row; a version that does not match rolls it back.
        if (expectedVersion !== undefined && deleted.version !== expectedVersion) throw new MusterError('user.version_mismatch');
        uow.emit(userEvent('user.deleted', deleted, { username: deleted.username }));
      }),

    /**
     * Every user of the directory in id order, in pages of EXPORT_PAGE_SIZE: a
     * time (a cursor over the key, one short query per page, so memory stays
     * flat whatever the directory's size and no transaction is held open):
     * a user created meanwhile appears if its id sorts after the cursor.
     * Password hashes only with `passwordHashes` (the caller checks it may);
     * generated secrets never (they are keyed under this server's key).
     * Throws `directory.not_found` before the first page.
     */
    async exportUsers(actor: Actor, directoryRef: string, options: { passwordHashes: boolean }): Promise<AsyncIterable<readonly repo.ExportedUser[]>> {
      const directory = await resolveDirectory(ctx.db, actor.tenantId, directoryRef);
      async function* pages(): AsyncGenerator<readonly repo.ExportedUser[]> {
        let after: string | null = null;
        for (;;) {
          const page = await repo.exportPage(ctx.db, actor.tenantId, directory.id, after, EXPORT_PAGE_SIZE, options.passwordHashes);
          if (page.length > 0) yield page;
          if (page.length < EXPORT_PAGE_SIZE) return;
          after = page[page.length - 1]!.user.id;
        }
      }
      return pages();
    },

    /**
     * Lifts the user's sign-in lockout (failed authentications counted against
     * the username); emits `user.unlocked` with whether any failures were
     * counted. Address lockouts are not a tenant's to lift: they end with their
     * window. Throws `user.not_found`.
     */
    unlock: (actor: Actor, directoryRef: string, ref: UserRef): Promise<{ user: User; hadFailures: boolean }> =>
      inUnitOfWork(ctx, actor, async (uow) => {
        const directory = await resolveDirectory(uow.tx, actor.tenantId, directoryRef);
        const user = await find(uow.tx, actor.tenantId, directory, ref);
        const hadFailures = await lockouts.clear(uow.tx, usernameBucket(actor.tenantId, directory.id, comparisonKey(user.username, directory.confusables)));
        uow.emit(userEvent('user.unlocked', user, { hadFailures }));
        return { user, hadFailures };
      }),

    /**
     * Lifts the `authenticate` lockout of a client address in the actor's
     * tenant (the failures counted against it there) and its invitation-page
     * lockout (which names no tenant: see engine/lockouts.ts); emits
     * `address.unlocked` with the address and whether failures were counted
     * in each. Other tenants' `authenticate` counts are left alone.
     * Throws `request.invalid` when `address` is not an IP address.
     */
    async unlockAddress(actor: Actor, address: string): Promise<{ address: string; hadFailures: boolean; hadInvitationPageFailures: boolean }> {
      const canonical = canonicalAddress(address);
      if (canonical === undefined) throw new MusterError('request.invalid', 'address must be an IPv4 or IPv6 address.', { field: 'address' });
      return inUnitOfWork(ctx, actor, async (uow) => {
        const cleared = await lockouts.clearAddress(uow.tx, actor.tenantId, canonical);
        const unlocked = { address: canonical, hadFailures: cleared.authenticate, hadInvitationPageFailures: cleared.invitationPage };
        uow.emit({ type: 'address.unlocked', subject: { type: 'address', id: canonical }, directoryId: null, data: unlocked });
        return unlocked;
      });
    },

    /**
     * Checks a user's password or secret and returns the user. A password stored
     * in an imported format, or with older argon2id parameters, is re-hashed
     * with argon2id on its first successful check. Throws
     * `credentials.invalid` for an unknown user, a missing credential or a wrong
     * one (each costing one argon2id verification, so timing does not tell them
     * apart); after a correct credential, `credentials.user_pending`,
     * `credentials.user_disabled` or `credentials.user_expired` when the user
     * may not sign in. Failures count against the username and the caller's
     * `address` (engine/lockouts.ts): repeated ones are answered slower, then
     * `credentials.locked` (before any credential is checked).
     */
    async authenticate(actor: Actor, directoryRef: string, credentials: UserCredentials, address: string): Promise<User> {
      const { tenantId } = actor;
      const directory = await resolveDirectory(ctx.db, tenantId, directoryRef);
      const usernameKey = comparisonKey(credentials.username, directory.confusables);
      const bucket = usernameBucket(tenantId, directory.id, usernameKey);
      await lockouts.guard({ flow: 'authenticate', tenantId }, address, bucket);
      const found = await repo.findUserCredentials(ctx.db, tenantId, directory.id, usernameKey);
      // The presented value is checked against whichever credential the user
      // has: a generated secret (HMAC) or a chosen password or secret (argon2id
      // or an imported hash). Both fields name the same thing on the wire.
      const presented = 'password' in credentials ? credentials.password : credentials.secret;
      let valid = false;
      let viaPassword = false;
      if (found?.secretHash && ctx.secrets.verify(presented, found.secretHash)) valid = true;
      else if (found?.passwordHash) valid = viaPassword = await ctx.passwords.verify(found.passwordHash, presented);
      else await ctx.passwords.verifyNothing(presented);
      if (!found || !valid) {
        await lockouts.failed({ flow: 'authenticate', tenantId }, address, bucket);
        throw new MusterError('credentials.invalid');
      }
      await lockouts.clear(ctx.db, bucket);
      if (viaPassword && needsRehash(found.passwordHash!)) {
        // An imported or older hash: upgrade it now that the password is known.
        // Compare-and-set, so a concurrent password change wins. Not an event:
        // the credential is the same, only its storage changes.
        const upgraded = await ctx.passwords.hash(presented);
        await repo.replacePasswordHash(ctx.db, tenantId, directory.id, found.user.id, found.passwordHash!, upgraded);
      }
      const blocker = signInBlocker(found.user, ctx.now());
      if (blocker) throw new MusterError(blocker);
      return found.user;
    },
  };
}

export type UserService = ReturnType<typeof userService>;
