/** Invitations. Tokens are stored only as SHA-256 hashes; lookups by token are global (the URL names no tenant). */
import type { Invitation, InvitationStatus } from '../../domain/invitation.ts';
import type { UserStatus } from '../../domain/user.ts';
import type { Queryable } from '../ports.ts';

interface InvitationRow {
  id: string;
  user_id: string;
  status: InvitationStatus;
  redirect_url: string | null;
  expires_at: Date;
  created_at: Date;
  ended_at: Date | null;
}


const toInvitation = (row: InvitationRow): Invitation => ({
  id: row.id,
  userId: row.user_id,
  status: row.status,
  redirectUrl: row.redirect_url,
  expiresAt: row.expires_at,
  createdAt: row.created_at,
  endedAt: row.ended_at,
});

export interface NewInvitation {
  readonly id: string;
  readonly directoryId: string;
  readonly userId: string;
  readonly tokenHash: Buffer;
  readonly redirectUrl: string | null;
  readonly message: string | null;
  readonly expiresAt: Date;
}

export async function insertInvitations(q: Queryable, tenantId: string, invitations: readonly NewInvitation[]): Promise<void> {
  if (invitations.length === 0) return;
  const column = <T>(pick: (i: NewInvitation) => T) => invitations.map(pick);
  await q.query(
    `INSERT INTO invitations (tenant_id, id, directory_id, user_id, token_hash, redirect_url, message, expires_at)
     SELECT $1, id, directory_id, user_id, decode(token_hash, 'hex'), redirect_url, message, expires_at::timestamptz
     FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[])
       AS t(id, directory_id, user_id, token_hash, redirect_url, message, expires_at)`,
    [
      tenantId,
      column((i) => i.id),
      column((i) => i.directoryId),
      column((i) => i.userId),
      column((i) => i.tokenHash.toString('hex')),
      column((i) => i.redirectUrl),
      column((i) => i.message),
      column((i) => i.expiresAt.toISOString()),
    ],
  );
}

/** Ends the user's pending invitations with `status` (superseded or revoked); returns how many. */
export async function endPendingInvitations(q: Queryable, tenantId: string, userId: string, status: 'superseded' | 'revoked'): Promise<number> {
  const { rowCount } = await q.query(
    `UPDATE invitations SET status = $3, ended_at = now() WHERE tenant_id = $1 AND user_id = $2 AND status = 'pending'`,
    [tenantId, userId, status],
  );
  return rowCount;
}

/** The user's latest invitation with the delivery state of its mail. */
export interface InvitationWithDelivery {
  readonly invitation: Invitation;
  readonly delivery: {
    readonly messageId: string;
    readonly status: 'pending' | 'sent' | 'dead';
    readonly attempts: number;
    readonly lastError: string | null;
    readonly sentAt: Date | null;
  } | null;
}

export async function latestInvitation(q: Queryable, tenantId: string, userId: string): Promise<InvitationWithDelivery | undefined> {
  const { rows } = await q.query<
    InvitationRow & { message_id: string | null; delivery_status: 'pending' | 'sent' | 'dead' | null; attempts: number | null; last_error: string | null; sent_at: Date | null }
  >(
    `SELECT i.id, i.user_id, i.status, i.redirect_url, i.expires_at, i.created_at, i.ended_at,
            o.dedupe_key AS message_id, CASE o.status WHEN 'done' THEN 'sent' ELSE o.status END AS delivery_status,
            o.attempts, o.last_error, o.finished_at AS sent_at
     FROM invitations i LEFT JOIN queue o ON o.tenant_id = i.tenant_id AND o.kind = 'mail' AND o.invitation_id = i.id
     WHERE i.tenant_id = $1 AND i.user_id = $2
     ORDER BY i.created_at DESC, i.id DESC LIMIT 1`,
    [tenantId, userId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    invitation: toInvitation(row),
    delivery:
      row.message_id === null
        ? null
        : { messageId: row.message_id, status: row.delivery_status!, attempts: row.attempts!, lastError: row.last_error, sentAt: row.sent_at },
  };
}

/** The redirect URL and message the user's latest invitation was made with, if the user was ever invited. */
export async function latestInviteOptions(q: Queryable, tenantId: string, userId: string): Promise<{ redirectUrl: string | null; message: string | null } | undefined> {
  const { rows } = await q.query<{ redirect_url: string | null; message: string | null }>(
    `SELECT redirect_url, message FROM invitations WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1`,
    [tenantId, userId],
  );
  return rows[0] && { redirectUrl: rows[0].redirect_url, message: rows[0].message };
}

/** An invitation found by its token, with what acceptance needs to know. */
export interface TokenInvitation {
  readonly tenantId: string;
  readonly directoryId: string;
  readonly invitation: Invitation;
  readonly expired: boolean;
  readonly username: string;
  readonly email: string | null;
  readonly userStatus: UserStatus;
}

/**
 * By token hash. With `lockIn` (the tenant a first read found), the row is read
 * within that tenant and locked for the rest of the transaction: on Citus a
 * locking read must route to one shard, while the first read goes to all.
 */
export async function findByTokenHash(q: Queryable, tokenHash: Buffer, lockIn?: { readonly tenantId: string }): Promise<TokenInvitation | undefined> {
  const { rows } = await q.query<InvitationRow & { tenant_id: string; directory_id: string; expired: boolean; username: string; email: string | null; user_status: UserStatus }>(
    `SELECT i.id, i.user_id, i.status, i.redirect_url, i.expires_at, i.created_at, i.ended_at, i.tenant_id, i.directory_id,
            i.expires_at <= now() AS expired, u.username, u.email, u.status AS user_status
     FROM invitations i JOIN users u ON u.tenant_id = i.tenant_id AND u.id = i.user_id
     WHERE i.token_hash = $1${lockIn ? ' AND i.tenant_id = $2 FOR UPDATE OF i' : ''}`,
    lockIn ? [tokenHash, lockIn.tenantId] : [tokenHash],
  );
  const row = rows[0];
  return (
    row && {
      tenantId: row.tenant_id,
      directoryId: row.directory_id,
      invitation: toInvitation(row),
      expired: row.expired,
      username: row.username,
      email: row.email,
      userStatus: row.user_status,
    }
  );
}

export async function markAccepted(q: Queryable, tenantId: string, invitationId: string): Promise<void> {
  await q.query(`UPDATE invitations SET status = 'accepted', ended_at = now() WHERE tenant_id = $1 AND id = $2`, [tenantId, invitationId]);
}

