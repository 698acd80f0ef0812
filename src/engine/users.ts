/**
 * Users: create, read, list, update, delete, and checking a user's credentials.
 * Every operation is scoped to one tenant and one of its directories.
 *
 * Cost model: passwords are hashed (argon2id, worker pool) before any
 * transaction opens, so a transaction never waits on CPU-bound work.
 */
import { MusterError } from '../domain/errors.ts';
import { isUuid } from '../domain/directory.ts';
import {
  comparisonKey,
  signInBlocker,
  validatePatch,
  type User,
  type UserDraft,
  type UserPatch,
  type UserStatus,
} from '../domain/user.ts';
import type { BatchOutcome, BatchPolicy } from '../domain/batch.ts';
import type { InviteOptions } from '../domain/invitation.ts';
import { needsRehash } from '../crypto/passwords.ts';
import { randomToken } from '../crypto/secrets.ts';
import { mappingConstraints } from '../store/constraints.ts';
import * as repo from '../store/repositories/users.ts';
import type { EngineContext } from './context.ts';
import { resolveDirectory } from './directories.ts';
import type { CreateUsersOptions, ProvisioningService } from './provisioning.ts';

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
  readonly cursor?: string;
  readonly limit: number;
}

export interface UserPage {
  readonly users: User[];
  /** Opaque; pass as `cursor` for the next page. Null on the last page. */
  readonly nextCursor: string | null;
}

export type { AttributeCondition } from '../store/repositories/users.ts';

/** An offset page's filters, as `listUsersByOffset` takes them: the query layer's, by names rather than comparison keys. */
export type OffsetListRequest = Omit<repo.OffsetUserQuery, 'usernameKey' | 'usernameKeys' | 'emailKey'> & {
  readonly username?: string;
  readonly usernames?: readonly string[];
  readonly email?: string;
};

/** What a caller presents to authenticate a user: a password or a generated secret. */
export type UserCredentials = { readonly username: string } & ({ readonly password: string } | { readonly secret: string });

function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string' && isUuid(parsed.after)) return parsed.after;
  } catch {
    // fall through: anything unparseable is simply not a cursor of ours
  }
  throw new MusterError('request.invalid_cursor');
}

/** The created user of a single-item create; throws the item's error if it failed. */
export function createdUserOf(outcome: BatchOutcome): CreatedUser {
  const result = outcome.results[0]!;
  if (result.status === 'failed') throw result.error;
  if (result.status !== 'created' || result.user === null) throw new Error(`a single create ended as ${result.status}`);
  return 'secret' in result && result.secret !== undefined ? { user: result.user, secret: result.secret } : { user: result.user };
}

export function userService(ctx: EngineContext, provisioning: ProvisioningService) {
  return {
    /**
     * Creates one user: a batch of one, atomic. Throws `directory.not_found`, a
     * validation code, or `user.username_taken` / `user.email_taken` (decided by
     * the database).
     */
    async createUser(
      tenantId: string,
      directoryRef: string,
      draft: UserDraft,
      options: CreateUsersOptions & { readonly invite?: InviteOptions } = {},
    ): Promise<CreatedUser> {
      const { invite, ...rest } = options;
      const policy: BatchPolicy = invite ? { ...SINGLE_CREATE, invite } : SINGLE_CREATE;
      return createdUserOf(await provisioning.createUsers(tenantId, directoryRef, [{ draft }], policy, rest));
    },

    async getUser(tenantId: string, directoryRef: string, userId: string): Promise<User> {
      const directory = await resolveDirectory(ctx.db, tenantId, directoryRef);
      const user = isUuid(userId) ? await repo.findUser(ctx.db, tenantId, directory.id, userId) : undefined;
      if (!user) throw new MusterError('user.not_found');
      return user;
    },

    /** A page of users in creation order, optionally filtered (username and email match case-insensitively). */
    async listUsers(tenantId: string, directoryRef: string, request: UserListRequest): Promise<UserPage> {
      const afterId = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
      const directory = await resolveDirectory(ctx.db, tenantId, directoryRef);
      const rows = await repo.listUsers(ctx.db, tenantId, directory.id, {
        ...(request.username !== undefined && { usernameKey: comparisonKey(request.username, directory.confusables) }),
        ...(request.email !== undefined && { emailKey: comparisonKey(request.email, directory.confusables) }),
        ...(request.status !== undefined && { status: request.status }),
        ...(afterId !== undefined && { afterId }),
        limit: request.limit,
      });
      const users = rows.slice(0, request.limit);
      const more = rows.length > request.limit;
      return { users, nextCursor: more ? encodeCursor(users[users.length - 1]!.id) : null };
    },

    /**
     * Changes the given fields. With `expectedVersion`, throws
     * `user.version_mismatch` if the user changed since. Uniqueness as on create.
     */
    async updateUser(tenantId: string, directoryRef: string, userId: string, patch: UserPatch, expectedVersion?: number): Promise<User> {
      const valid = validatePatch(patch);
      const directory = await resolveDirectory(ctx.db, tenantId, directoryRef);
      const { username, email, password, ...rest } = valid;
      const changes: repo.UserChanges = { ...rest };
      const key = (value: string) => comparisonKey(value, directory.confusables);
      if (username !== undefined) Object.assign(changes, { username, usernameKey: key(username) });
      if (email !== undefined) Object.assign(changes, { email, emailKey: email === null ? null : key(email) });
      if (password !== undefined) changes.passwordHash = await ctx.passwords.hash(password);
      const outcome = await mappingConstraints(async () => {
        if (!isUuid(userId)) return { kind: 'not_found' } as const;
        return repo.updateUser(ctx.db, tenantId, directory.id, userId, changes, expectedVersion);
      });
      if (outcome.kind === 'not_found') throw new MusterError('user.not_found');
      if (outcome.kind === 'version_mismatch') throw new MusterError('user.version_mismatch');
      return outcome.user;
    },

    /** By the integer id of dialects that use them (Gcore); throws `user.not_found`. */
    async getUserBySeq(tenantId: string, directoryRef: string, seq: number): Promise<User> {
      const directory = await resolveDirectory(ctx.db, tenantId, directoryRef);
      const user = Number.isSafeInteger(seq) ? await repo.findUserBySeq(ctx.db, tenantId, directory.id, seq) : undefined;
      if (!user) throw new MusterError('user.not_found');
      return user;
    },

    /**
     * A page by offset with the total of matching users, in creation order, for
     * dialects that page by offset. Every given filter must hold: username or
     * email (case-insensitive), any of `usernames` (an empty list matches no
     * one), any of `statuses`, membership of the group named `groupName`, and
     * conditions on `attributes`. Throws `directory.not_found`.
     */
    async listUsersByOffset(tenantId: string, directoryRef: string, page: OffsetListRequest): Promise<{ count: number; users: User[] }> {
      const directory = await resolveDirectory(ctx.db, tenantId, directoryRef);
      const { username, usernames, email, ...rest } = page;
      return repo.listUsersByOffset(ctx.db, tenantId, directory.id, {
        ...rest,
        ...(username !== undefined && { usernameKey: comparisonKey(username, directory.confusables) }),
        ...(usernames !== undefined && { usernameKeys: usernames.map((u) => comparisonKey(u, directory.confusables)) }),
        ...(email !== undefined && { emailKey: comparisonKey(email, directory.confusables) }),
      });
    },

    /** Gives the user a new generated secret, shown once; the old credential stops working. */
    async rotateSecret(tenantId: string, directoryRef: string, userId: string): Promise<CreatedUser & { secret: string }> {
      const directory = await resolveDirectory(ctx.db, tenantId, directoryRef);
      const secret = randomToken();
      const user = isUuid(userId) ? await repo.replaceWithSecret(ctx.db, tenantId, directory.id, userId, ctx.secrets.hash(secret)) : undefined;
      if (!user) throw new MusterError('user.not_found');
      return { user, secret };
    },

    async deleteUser(tenantId: string, directoryRef: string, userId: string): Promise<void> {
      const directory = await resolveDirectory(ctx.db, tenantId, directoryRef);
      if (!isUuid(userId) || !(await repo.deleteUser(ctx.db, tenantId, directory.id, userId))) {
        throw new MusterError('user.not_found');
      }
    },

    /**
     * Checks a user's password or secret and returns the user. A password stored
     * in an imported format, or with older argon2id parameters, is re-hashed
     * with argon2id on its first successful check. Throws
     * `credentials.invalid` for an unknown user, a missing credential or a wrong
     * one (each costing one argon2id verification, so timing does not tell them
     * apart); after a correct credential, `credentials.user_pending`,
     * `credentials.user_disabled` or `credentials.user_expired` when the user
     * may not sign in.
     */
    async authenticate(tenantId: string, directoryRef: string, credentials: UserCredentials): Promise<User> {
      const directory = await resolveDirectory(ctx.db, tenantId, directoryRef);
      const found = await repo.findUserCredentials(ctx.db, tenantId, directory.id, comparisonKey(credentials.username, directory.confusables));
      // The presented value is checked against whichever credential the user
      // has: a generated secret (HMAC) or a chosen password or secret (argon2id
      // or an imported hash). Both fields name the same thing on the wire.
      const presented = 'password' in credentials ? credentials.password : credentials.secret;
      let valid = false;
      let viaPassword = false;
      if (found?.secretHash && ctx.secrets.verify(presented, found.secretHash)) valid = true;
      else if (found?.passwordHash) valid = viaPassword = await ctx.passwords.verify(found.passwordHash, presented);
      else await ctx.passwords.verifyNothing(presented);
      if (!found || !valid) throw new MusterError('credentials.invalid');
      if (viaPassword && needsRehash(found.passwordHash!)) {
        // An imported or older hash: upgrade it now that the password is known.
        // Compare-and-set, so a concurrent password change wins.
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
