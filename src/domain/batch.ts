/**
 * Batches: the policy a caller chooses, and the per-item results the engine
 * returns. Pure types and rules, no I/O.
 */
import { isMusterError, MusterError } from './errors.ts';
import type { InviteOptions } from './invitation.ts';
import { comparisonKey, validateDraft, type ConfusablesPolicy, type User, type UserDraft } from './user.ts';

export const BATCH_MODES = ['atomic', 'partial'] as const;
export type BatchMode = (typeof BATCH_MODES)[number];
export const CONFLICT_POLICIES = ['fail', 'skip', 'upsert'] as const;
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];

export interface BatchPolicy {
  /** `atomic`: all or nothing. `partial`: each item on its own. */
  readonly mode: BatchMode;
  /** What an existing username means: an error, a skip (reporting the existing user), or an update of the given fields. */
  readonly onConflict: ConflictPolicy;
  /** Validate and check conflicts against the store; write nothing. */
  readonly dryRun: boolean;
  /** Invite every created user by email; they are created `pending` and choose their password. */
  readonly invite?: InviteOptions;
  /**
   * The most items this caller's contract allows in one batch (a vendor's
   * documented limit); the service's BATCH_MAX_ITEMS applies as well, and the
   * lower of the two wins.
   */
  readonly maxItems?: number;
}

/**
 * One item as a dialect hands it to the engine: a draft, or the reason the
 * dialect could not make one of it (a wrong type on the wire). A rejected item
 * keeps its place so results stay in input order.
 */
export type BatchItem = { readonly draft: UserDraft } | { readonly rejected: MusterError };

export type ItemResult =
  | { readonly index: number; readonly status: 'created' | 'updated'; readonly user: User; readonly secret?: string }
  /** `user` is the existing user that was skipped. */
  | { readonly index: number; readonly status: 'skipped'; readonly user: User }
  /** dryRun only: what would have been created. */
  | { readonly index: number; readonly status: 'created'; readonly user: null }
  | { readonly index: number; readonly status: 'failed'; readonly error: MusterError };

export interface BatchSummary {
  readonly total: number;
  readonly created: number;
  readonly updated: number;
  readonly skipped: number;
  readonly failed: number;
  /** False when nothing was written: a dry run, or an atomic batch that failed. */
  readonly committed: boolean;
  readonly dryRun: boolean;
}

export interface BatchOutcome {
  readonly results: readonly ItemResult[];
  readonly summary: BatchSummary;
}

export function summarise(results: readonly ItemResult[], committed: boolean, dryRun: boolean): BatchSummary {
  const count = (status: ItemResult['status']) => results.filter((r) => r.status === status).length;
  return {
    total: results.length,
    created: count('created'),
    updated: count('updated'),
    skipped: count('skipped'),
    failed: count('failed'),
    committed,
    dryRun,
  };
}

/** A validated item with the keys it will be stored under. */
export interface Candidate {
  readonly index: number;
  readonly draft: UserDraft;
  readonly usernameKey: string;
  readonly emailKey: string | null;
}

/**
 * Finds candidates that repeat an earlier candidate's username or email key
 * (in index order). Returns, per later index, the error naming the first occurrence.
 */
function duplicatesInBatch(candidates: readonly Candidate[]): Map<number, MusterError> {
  const firstByUsername = new Map<string, number>();
  const firstByEmail = new Map<string, number>();
  const duplicates = new Map<number, MusterError>();
  for (const { index, usernameKey, emailKey } of candidates) {
    const first = firstByUsername.get(usernameKey);
    const firstEmail = emailKey === null ? undefined : firstByEmail.get(emailKey);
    if (first !== undefined || firstEmail !== undefined) {
      const field = first !== undefined ? 'username' : 'email';
      const firstIndex = (first ?? firstEmail)!;
      duplicates.set(
        index,
        new MusterError('batch.duplicate_in_batch', `The same ${field} appears at index ${firstIndex} of this batch.`, { field, firstIndex }),
      );
      continue;
    }
    firstByUsername.set(usernameKey, index);
    if (emailKey !== null) firstByEmail.set(emailKey, index);
  }
  return duplicates;
}

/**
 * Step 1 of every batch, before any I/O: validates and normalises each item
 * and catches repeats inside the batch. Every item ends up either a candidate
 * or a failure, by index. Keys are computed once, with the directory's
 * confusables policy, as the store compares them.
 */
export function validateBatch(
  items: readonly BatchItem[],
  invite = false,
  confusables: ConfusablesPolicy = 'distinct',
): { candidates: Candidate[]; failures: Map<number, MusterError> } {
  const failures = new Map<number, MusterError>();
  const valid: Candidate[] = [];
  items.forEach((item, index) => {
    if ('rejected' in item) return failures.set(index, item.rejected);
    try {
      const validated = validateDraft(item.draft);
      const draft = invite || validated.invite ? invitedDraft(validated) : validated;
      valid.push({
        index,
        draft,
        usernameKey: comparisonKey(draft.username, confusables),
        emailKey: draft.email == null ? null : comparisonKey(draft.email, confusables),
      });
    } catch (error) {
      if (!isMusterError(error)) throw error;
      failures.set(index, error);
    }
  });
  const duplicates = duplicatesInBatch(valid);
  for (const [index, error] of duplicates) failures.set(index, error);
  return { candidates: duplicates.size === 0 ? valid : valid.filter((c) => !duplicates.has(c.index)), failures };
}

/**
 * An invited user has an email to be invited at, no credential (the person
 * chooses a password), and starts `pending`.
 */
function invitedDraft(draft: UserDraft): UserDraft {
  if (draft.email == null) throw new MusterError('invitation.email_required', undefined, { field: 'email' });
  if (draft.password !== undefined || draft.passwordHash !== undefined || draft.generateSecret) {
    throw new MusterError('invitation.credential_conflict', undefined, { field: 'password' });
  }
  if (draft.status !== undefined && draft.status !== 'pending') {
    throw new MusterError('request.invalid', 'Invited users start pending; leave out status.', { field: 'status' });
  }
  return { ...draft, status: 'pending', invite: true };
}
