/**
 * Royalti wire <-> engine values. A Royalti user is a muster user named by its
 * email; firstName/lastName/phone map to muster fields, the rest to
 * `attributes.royalti`. Failures are reported in the seed's wording.
 */
import type { Static } from 'typebox';
import type { BatchOutcome, ItemResult } from '../../domain/batch.ts';
import type { FieldProblem, MusterError } from '../../domain/errors.ts';
import type { UserDraft } from '../../domain/user.ts';
import type { BulkResult, RoyaltiUserWire } from './schemas.ts';

/** The name Royalti's messages use for a user. */
function nameOf(user: RoyaltiUserWire): string {
  return [user.firstName, user.lastName].filter(Boolean).join(' ') || user.email || 'unnamed user';
}

export function draftOf(user: RoyaltiUserWire, invite: boolean): UserDraft {
  const attributes = Object.fromEntries(
    (['nickName', 'userType', 'ipi', 'role', 'country'] as const).flatMap((k) => (user[k] === undefined ? [] : [[k, user[k]]])),
  );
  const displayName = [user.firstName, user.lastName].filter(Boolean).join(' ');
  return {
    username: user.email ?? '',
    ...(user.email !== undefined && { email: user.email }),
    ...(user.firstName !== undefined && { givenName: user.firstName }),
    ...(user.lastName !== undefined && { familyName: user.lastName }),
    ...(displayName !== '' && { displayName }),
    ...(user.phone !== undefined && { phone: user.phone }),
    status: 'pending',
    invite,
    attributes: { royalti: attributes },
  };
}

/** The seed's wording for a user that was not created. */
function errorLine(result: Extract<ItemResult, { status: 'failed' }>, user: RoyaltiUserWire): string {
  const name = nameOf(user);
  if (result.error.category === 'conflict') return `User ${name} already associated with workspace!`;
  switch (result.error.code) {
    case 'user.invalid_email':
      return `Invalid email format for ${name}`;
    // The username is the email: a username muster refuses is an email given in a malformed shape.
    case 'user.invalid_username':
    case 'invitation.email_required':
      return user.email ? `Invalid email format for ${name}` : `Email is required for ${name}`;
    default: {
      const field = result.error.details?.field;
      return `Invalid ${typeof field === 'string' ? field : 'data'} for ${name}`;
    }
  }
}

/** Seed 004's answer: who was created, how many were processed, one line per user that was not. */
export function bulkAnswer(outcome: BatchOutcome, users: readonly RoyaltiUserWire[]): Static<typeof BulkResult> {
  return {
    message: 'Done.',
    createdUsers: outcome.results.flatMap((r) => (r.status === 'created' ? [nameOf(users[r.index]!)] : [])),
    processedCount: users.length,
    errors: outcome.results.flatMap((r) => (r.status === 'failed' ? [errorLine(r, users[r.index]!)] : [])),
  };
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'VALIDATION_ERROR',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  431: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
  503: 'SERVICE_UNAVAILABLE',
};

/**
 * Seed 004's `Error`: `{"success": false, "error": {"code", "message",
 * "details"}}`, where `details` is an array of strings: muster's error code
 * first, then one `field: problem` line per invalid field.
 */
export function errorBody(error: MusterError): { success: false; error: { code: string; message: string; details: string[] } } {
  const problems = (error.details?.problems as FieldProblem[] | undefined) ?? [];
  return {
    success: false,
    error: {
      code: CODE_BY_STATUS[error.status] ?? 'INTERNAL_SERVER_ERROR',
      message: error.message,
      details: [error.code, ...problems.map((p) => `${p.field}: ${p.message}`)],
    },
  };
}
