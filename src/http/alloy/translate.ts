/** Alloy wire <-> engine values: batch items, the batch's answer in the seed's words, users. */
import type { BatchItem, BatchOutcome } from '../../domain/batch.ts';
import { MusterError } from '../../domain/errors.ts';
import type { User } from '../../domain/user.ts';
import type { AlloyUserWire } from './schemas.ts';

/** A submitted `{username, fullName?}`: a draft, or why not (a missing username is Alloy's own case). */
export function batchItemFromWire(raw: unknown): BatchItem {
  const user = (raw ?? {}) as Record<string, unknown>;
  if (typeof user.username !== 'string' || user.username === '') return { rejected: new MusterError('user.invalid_username', 'Missing username') };
  if (user.fullName !== undefined && typeof user.fullName !== 'string') return { rejected: new MusterError('user.invalid_field', 'fullName must be a string') };
  return { draft: { username: user.username, ...(typeof user.fullName === 'string' && { displayName: user.fullName }) } };
}

/**
 * Seed 003's answer: `{"message": "success", "invalidUsers": [...]}` listing the
 * submitted objects, as sent, that were not created; when nothing was created,
 * the seed's 400: "All users already exist" if every item with a username
 * exists or repeats, else "No valid users provided".
 */
export function batchAnswer(outcome: BatchOutcome, items: readonly BatchItem[], submitted: readonly unknown[]): { message: string; invalidUsers: unknown[] } | MusterError {
  const failed = outcome.results.filter((r) => r.status === 'failed');
  if (outcome.summary.created === 0) {
    const withUsername = failed.filter((r) => 'draft' in items[r.index]!);
    const allExist = withUsername.length > 0 && withUsername.every((r) => r.error.category === 'conflict');
    return new MusterError('request.invalid', allExist ? 'All users already exist' : 'No valid users provided');
  }
  return { message: 'success', invalidUsers: failed.map((r) => submitted[r.index]) };
}

export const renderUser = (user: User): AlloyUserWire => ({ userId: user.id, username: user.username, fullName: user.displayName ?? '' });
