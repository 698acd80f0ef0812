/**
 * Invitations: a single-use token, stored only as a hash, mailed to a pending
 * user through the queue (kind `mail`). Accepting it sets the password the person chose,
 * activates the user, burns the token and returns where to redirect.
 *
 * Contracts:
 * - the invitation and its mail are written in the caller's transaction
 *   (`inviteUsers`), so they exist exactly when the user does;
 * - a new invitation (resend) supersedes the user's pending ones; only the
 *   newest token works;
 * - redirects are checked against the tenant's allow-list when the invitation
 *   is made and again when it is accepted (the list may have changed).
 */
import { createHash } from 'node:crypto';
import type { Actor } from '../domain/actor.ts';
import { MusterError } from '../domain/errors.ts';
import { userEvent, type DomainEvent } from '../domain/events.ts';
import { isRedirectAllowed, validateAllowlist, validateInviteOptions, type InviteOptions } from '../domain/invitation.ts';
import { passwordPolicyProblem, type User } from '../domain/user.ts';
import { isUuid } from '../domain/directory.ts';
import { newId } from '../crypto/ids.ts';
import { randomToken } from '../crypto/secrets.ts';
import type { Queryable } from '../store/ports.ts';
import * as invitationsRepo from '../store/repositories/invitations.ts';
import { getRedirectAllowlist, setRedirectAllowlist } from '../store/repositories/tenants.ts';
import * as usersRepo from '../store/repositories/users.ts';
import type { EngineContext } from './context.ts';
import { resolveDirectory } from './directories.ts';
import { enqueueWork, type Work } from './queue.ts';
import type { LockoutService } from './lockouts.ts';
import { inUnitOfWork } from './unitOfWork.ts';

/** The payload of a `mail` queue item (sealed): what an invitation mail is written from. */
export interface InvitationMail {
  readonly to: string;
  readonly username: string;
  readonly displayName: string | null;
  readonly token: string;
  readonly message: string | null;
  readonly expiresAt: string;
}

/** An invitation as the API reports it, with its mail's delivery. */
export type InvitationView = invitationsRepo.InvitationWithDelivery;

/** What a token is worth, for the invitation page. */
export type TokenState =
  | { readonly kind: 'valid'; readonly username: string; readonly expiresAt: Date }
  | { readonly kind: 'expired' | 'used' | 'revoked' | 'unknown' };

export type AcceptOutcome =
  | { readonly kind: 'accepted'; readonly user: User; readonly redirectUrl: string | null }
  | { readonly kind: 'weak_password'; readonly message: string }
  | { readonly kind: 'invalid'; readonly state: Exclude<TokenState['kind'], 'valid'> };

const tokenHash = (token: string) => createHash('sha256').update(token, 'utf8').digest();

function tokenState(found: invitationsRepo.TokenInvitation | undefined): TokenState {
  if (!found) return { kind: 'unknown' };
  const { invitation } = found;
  if (invitation.status === 'accepted') return { kind: 'used' };
  if (invitation.status !== 'pending' || found.userStatus !== 'pending') return { kind: 'revoked' };
  if (found.expired) return { kind: 'expired' };
  return { kind: 'valid', username: found.username, expiresAt: invitation.expiresAt };
}

export function invitationService(ctx: EngineContext, lockouts: LockoutService) {
  /** The token's invitation; an unknown token is a guess, counted against `address` (engine/lockouts.ts), which may be locked out. */
  async function lookUp(token: string, address: string): Promise<invitationsRepo.TokenInvitation | undefined> {
    await lockouts.guard({ flow: 'invitation' }, address);
    const found = await invitationsRepo.findByTokenHash(ctx.db, tokenHash(token));
    if (!found) await lockouts.failed({ flow: 'invitation' }, address);
    return found;
  }

  /**
   * Inside the caller's transaction: one invitation and one queued mail per
   * user (each must have an email). Returns the `invitation.sent` events for
   * the caller's unit of work to emit; the caller wakes the mail worker after COMMIT.
   */
  async function inviteUsers(tx: Queryable, tenantId: string, directoryId: string, users: readonly User[], options: InviteOptions): Promise<DomainEvent[]> {
    const expiresAt = new Date(ctx.now().getTime() + ctx.limits.invitationTtlHours * 3_600_000);
    const invitations: invitationsRepo.NewInvitation[] = [];
    const mails: Work[] = [];
    for (const user of users) {
      if (user.email === null) throw new Error('inviteUsers needs users with an email');
      const token = randomToken();
      const invitation = {
        id: newId(),
        directoryId,
        userId: user.id,
        tokenHash: tokenHash(token),
        redirectUrl: options.redirectUrl ?? null,
        message: options.message ?? null,
        expiresAt,
      };
      const messageId = `<${newId()}@${ctx.messageIdDomain}>`;
      const mail: InvitationMail = {
        to: user.email,
        username: user.username,
        displayName: user.displayName,
        token,
        message: options.message ?? null,
        expiresAt: expiresAt.toISOString(),
      };
      invitations.push(invitation);
      mails.push({ kind: 'mail', dedupeKey: messageId, target: user.email, invitationId: invitation.id, payload: mail });
    }
    await invitationsRepo.insertInvitations(tx, tenantId, invitations);
    await enqueueWork(ctx, tx, tenantId, mails);
    return invitations.map((invitation, i) =>
      userEvent('invitation.sent', users[i]!, { invitationId: invitation.id, expiresAt: expiresAt.toISOString(), redirectUrl: invitation.redirectUrl }),
    );
  }

  async function findUserIn(q: Queryable, tenantId: string, directoryRef: string, userId: string): Promise<{ directoryId: string; user: User }> {
    const directory = await resolveDirectory(q, tenantId, directoryRef);
    const user = isUuid(userId) ? await usersRepo.findUser(q, tenantId, directory.id, userId) : undefined;
    if (!user) throw new MusterError('user.not_found');
    return { directoryId: directory.id, user };
  }

  async function view(q: Queryable, tenantId: string, userId: string): Promise<InvitationView> {
    const latest = await invitationsRepo.latestInvitation(q, tenantId, userId);
    if (!latest) throw new MusterError('invitation.not_found');
    return latest;
  }

  return {
    inviteUsers,

    /** Throws `invitation.redirect_not_allowed` unless the options fit the tenant's allow-list. */
    async checkInviteOptions(actor: Actor, options: InviteOptions): Promise<InviteOptions> {
      return validateInviteOptions(options, options.redirectUrl === undefined ? [] : await getRedirectAllowlist(ctx.db, actor.tenantId));
    },

    /**
     * Sends a new invitation to a pending user; the previous token stops
     * working. A `redirectUrl` or `message` not given is the previous
     * invitation's, so a resent invitation leads where the first one did (an
     * inherited redirect is checked against the allow-list at acceptance, as
     * every redirect is). Throws `invitation.redirect_not_allowed` for a given
     * redirect off the allow-list, `invitation.not_pending` unless the user is
     * pending with an email.
     */
    async resend(actor: Actor, directoryRef: string, userId: string, options: InviteOptions): Promise<InvitationView> {
      const checked = await this.checkInviteOptions(actor, options);
      const { tenantId } = actor;
      return inUnitOfWork(ctx, actor, async (uow) => {
        const { directoryId, user } = await findUserIn(uow.tx, tenantId, directoryRef, userId);
        if (user.status !== 'pending' || user.email === null) throw new MusterError('invitation.not_pending');
        const previous = await invitationsRepo.latestInviteOptions(uow.tx, tenantId, user.id);
        const redirectUrl = checked.redirectUrl ?? previous?.redirectUrl ?? undefined;
        const message = checked.message ?? previous?.message ?? undefined;
        await invitationsRepo.endPendingInvitations(uow.tx, tenantId, user.id, 'superseded');
        const resent = { ...(redirectUrl !== undefined && { redirectUrl }), ...(message !== undefined && { message }) };
        uow.emit(...(await inviteUsers(uow.tx, tenantId, directoryId, [user], resent)));
        uow.afterCommit(ctx.notifyOutbox);
        return view(uow.tx, tenantId, user.id);
      });
    },

    /** Revokes the user's pending invitation: its token stops working. */
    revoke: (actor: Actor, directoryRef: string, userId: string): Promise<InvitationView> =>
      inUnitOfWork(ctx, actor, async (uow) => {
        const { user } = await findUserIn(uow.tx, actor.tenantId, directoryRef, userId);
        if ((await invitationsRepo.endPendingInvitations(uow.tx, actor.tenantId, user.id, 'revoked')) === 0) throw new MusterError('invitation.not_pending');
        uow.emit(userEvent('invitation.revoked', user, {}));
        return view(uow.tx, actor.tenantId, user.id);
      }),

    /** The user's latest invitation and the delivery state of its mail. */
    async status(actor: Actor, directoryRef: string, userId: string): Promise<InvitationView> {
      const { user } = await findUserIn(ctx.db, actor.tenantId, directoryRef, userId);
      return view(ctx.db, actor.tenantId, user.id);
    },

    /** What a token is worth, without using it. Throws `credentials.locked` when `address` guessed too many tokens. */
    inspect: async (token: string, address: string): Promise<TokenState> => tokenState(await lookUp(token, address)),

    /**
     * Uses a token: checks the password against the policy, hashes it (outside
     * the transaction), then in one transaction re-checks the token under a row
     * lock, sets the password, activates the user and burns the token.
     */
    async accept(token: string, password: string, requestId: string | null, address: string): Promise<AcceptOutcome> {
      const hash = tokenHash(token);
      const found = await lookUp(token, address);
      const state = tokenState(found);
      if (state.kind !== 'valid') return { kind: 'invalid', state: state.kind };
      const weak = passwordPolicyProblem(password, { username: found!.username, email: found!.email });
      if (weak) return { kind: 'weak_password', message: weak };
      const passwordHash = await ctx.passwords.hash(password);
      const invitee: Actor = { tenantId: found!.tenantId, principal: { kind: 'invitee', userId: found!.invitation.userId }, dialect: 'invite', requestId };
      return inUnitOfWork(ctx, invitee, async ({ tx, emit }): Promise<AcceptOutcome> => {
        const locked = await invitationsRepo.findByTokenHash(tx, hash, found!);
        const now = tokenState(locked);
        if (now.kind !== 'valid') return { kind: 'invalid', state: now.kind };
        const user = await usersRepo.activateWithPassword(tx, locked!.tenantId, locked!.invitation.userId, passwordHash);
        if (!user) return { kind: 'invalid', state: 'revoked' };
        await invitationsRepo.markAccepted(tx, locked!.tenantId, locked!.invitation.id);
        emit(userEvent('invitation.accepted', user, { invitationId: locked!.invitation.id, status: user.status }));
        const redirect = locked!.invitation.redirectUrl;
        const allowed = redirect !== null && isRedirectAllowed(redirect, await getRedirectAllowlist(tx, locked!.tenantId));
        return { kind: 'accepted', user, redirectUrl: allowed ? redirect : null };
      });
    },

    getAllowlist: (actor: Actor): Promise<string[]> => getRedirectAllowlist(ctx.db, actor.tenantId),

    setAllowlist(actor: Actor, entries: readonly string[]): Promise<string[]> {
      const valid = validateAllowlist(entries);
      return inUnitOfWork(ctx, actor, async (uow) => {
        await setRedirectAllowlist(uow.tx, actor.tenantId, valid);
        uow.emit({ type: 'settings.updated', subject: { type: 'tenant', id: actor.tenantId }, directoryId: null, data: { redirectAllowlist: valid } });
        return valid;
      });
    },
  };
}

export type InvitationService = ReturnType<typeof invitationService>;
