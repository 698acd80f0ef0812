/**
 * Users: the shapes the engine works with, and the pure rules that validate and
 * normalise them. No I/O here; every function is deterministic.
 */
import { MusterError, type ErrorCode, type FieldProblem } from './errors.ts';
import { parseImportedHash, SUPPORTED_HASH_FORMATS } from './passwordHash.ts';

export const USER_STATUSES = ['pending', 'active', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const USERNAME_MAX_LENGTH = 256;
export const EMAIL_MAX_LENGTH = 320;
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;
export const TEXT_FIELD_MAX_LENGTH = 256;

/** A stored user, as the engine returns it. Credentials are never part of it. */
export interface User {
  readonly id: string;
  /** A short integer id, for dialects whose clients need integer ids (Gcore). */
  readonly seq: number;
  readonly directoryId: string;
  readonly username: string;
  readonly email: string | null;
  readonly displayName: string | null;
  readonly givenName: string | null;
  readonly familyName: string | null;
  readonly phone: string | null;
  readonly locale: string | null;
  readonly externalId: string | null;
  readonly status: UserStatus;
  readonly expiresAt: Date | null;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly hasPassword: boolean;
  readonly hasSecret: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;
}

/** Profile fields a caller may set on create and change on update. */
export interface UserProfile {
  email?: string | null;
  displayName?: string | null;
  givenName?: string | null;
  familyName?: string | null;
  phone?: string | null;
  locale?: string | null;
  externalId?: string | null;
  status?: UserStatus;
  expiresAt?: Date | null;
  attributes?: Record<string, unknown>;
}

/** What a caller asks to create: a draft, before validation. */
export interface UserDraft extends UserProfile {
  username: string;
  /** A plain password, hashed with argon2id. */
  password?: string;
  /** An imported hash (see domain/passwordHash.ts), stored as is and upgraded at the first sign-in. */
  passwordHash?: string;
  generateSecret?: boolean;
  /** Expire this many seconds after creation (instead of at a given `expiresAt`). */
  lifetimeSeconds?: number;
  /** Ids of groups of the directory to add the user to; each must exist. */
  groupIds?: readonly string[];
  /** Invite this user by email (as the batch policy's `invite` does for every user). */
  invite?: boolean;
}

/** What a caller asks to change. `undefined` leaves a field as it is; `null` clears it. */
export interface UserPatch extends UserProfile {
  username?: string;
  password?: string;
}

/**
 * The case-insensitive comparison key of a username or email: NFKC, then
 * lower case. Computed here rather than with SQL `lower()` so both stores (whose
 * collations differ) decide uniqueness identically; the database enforces
 * uniqueness on this key through named constraints.
 */
export function comparisonKey(value: string): string {
  return value.normalize('NFKC').toLowerCase();
}

// Control characters (C0, DEL, C1) are never allowed in names.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
// Pragmatic email shape: one @, no spaces, a dot in the domain. Deliverability is
// the mail system's business; this catches typos and garbage.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Problems with a username, or none. */
export function usernameProblem(username: string): string | undefined {
  if (username.length === 0) return 'must not be empty';
  if (username.length > USERNAME_MAX_LENGTH) return `must be at most ${USERNAME_MAX_LENGTH} characters`;
  if (username !== username.trim()) return 'must not start or end with spaces';
  if (CONTROL_CHARS.test(username)) return 'must not contain control characters';
  return undefined;
}

export function emailProblem(email: string): string | undefined {
  if (email.length > EMAIL_MAX_LENGTH) return `must be at most ${EMAIL_MAX_LENGTH} characters`;
  if (!EMAIL_SHAPE.test(email)) return 'must look like name@example.com';
  return undefined;
}

export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  return undefined;
}

/**
 * The policy for a password a person chooses (the invitation page): the length
 * rule, and not the username or email itself.
 */
export function passwordPolicyProblem(password: string, user: { username: string; email: string | null }): string | undefined {
  const lengthProblem = passwordProblem(password);
  if (lengthProblem) return `The password ${lengthProblem}.`;
  if (password.trim() === '') return 'The password must not be only spaces.';
  const folded = comparisonKey(password);
  if (folded === comparisonKey(user.username) || (user.email !== null && folded === comparisonKey(user.email))) {
    return 'The password must not be your username or email address.';
  }
  return undefined;
}

const TEXT_FIELDS = ['displayName', 'givenName', 'familyName', 'phone', 'locale', 'externalId'] as const;

interface FieldError {
  readonly code: ErrorCode;
  readonly problem: FieldProblem;
}

function profileErrors(profile: UserProfile): FieldError[] {
  const errors: FieldError[] = [];
  if (profile.email != null) {
    const problem = emailProblem(profile.email);
    if (problem) errors.push({ code: 'user.invalid_email', problem: { field: 'email', message: problem } });
  }
  for (const field of TEXT_FIELDS) {
    const value = profile[field];
    if (value == null) continue;
    if (value.length > TEXT_FIELD_MAX_LENGTH || CONTROL_CHARS.test(value)) {
      errors.push({
        code: 'user.invalid_field',
        problem: { field, message: `must be at most ${TEXT_FIELD_MAX_LENGTH} characters with no control characters` },
      });
    }
  }
  if (profile.expiresAt != null && Number.isNaN(profile.expiresAt.getTime())) {
    errors.push({ code: 'user.invalid_field', problem: { field: 'expiresAt', message: 'must be a valid date-time' } });
  }
  return errors;
}

function throwFirst(errors: FieldError[]): void {
  const [first] = errors;
  if (!first) return;
  throw new MusterError(first.code, `${first.problem.field} ${first.problem.message}.`, {
    field: first.problem.field,
    problems: errors.map((e) => e.problem),
  });
}

/** Trims nothing and invents nothing: NFC-normalises the strings a caller chose. */
function normaliseProfile<T extends UserProfile>(input: T): T {
  const out = { ...input };
  if (typeof out.email === 'string') out.email = out.email.normalize('NFC');
  for (const field of TEXT_FIELDS) {
    const value = out[field];
    if (typeof value === 'string') out[field] = value.normalize('NFC');
  }
  return out;
}

/**
 * Validates and normalises a draft. Throws a MusterError naming the first
 * offending field (all problems in `details.problems`).
 */
export function validateDraft(draft: UserDraft): UserDraft {
  const normalised = normaliseProfile({ ...draft, username: draft.username.normalize('NFC') });
  const errors: FieldError[] = [];
  const usernameIssue = usernameProblem(normalised.username);
  if (usernameIssue) errors.push({ code: 'user.invalid_username', problem: { field: 'username', message: usernameIssue } });
  errors.push(...profileErrors(normalised));
  if (normalised.lifetimeSeconds !== undefined) {
    if (!Number.isSafeInteger(normalised.lifetimeSeconds) || normalised.lifetimeSeconds < 0) {
      errors.push({ code: 'user.invalid_field', problem: { field: 'lifetimeSeconds', message: 'must be a whole number of seconds, 0 or more' } });
    } else if (normalised.expiresAt != null) {
      errors.push({ code: 'user.invalid_field', problem: { field: 'expiresAt', message: 'cannot be combined with lifetimeSeconds' } });
    }
  }
  const credentials = [normalised.password !== undefined, normalised.passwordHash !== undefined, normalised.generateSecret === true];
  if (credentials.filter(Boolean).length > 1) {
    errors.push({ code: 'user.credential_conflict', problem: { field: 'password', message: 'give at most one of password, passwordHash, generateSecret' } });
  }
  if (normalised.password !== undefined) {
    const problem = passwordProblem(normalised.password);
    if (problem) errors.push({ code: 'user.invalid_password', problem: { field: 'password', message: problem } });
  }
  if (normalised.passwordHash !== undefined && !parseImportedHash(normalised.passwordHash)) {
    errors.push({
      code: 'user.unsupported_password_hash',
      problem: { field: 'passwordHash', message: `is not a supported hash; supported: ${SUPPORTED_HASH_FORMATS}` },
    });
  }
  throwFirst(errors);
  return normalised;
}

/** Validates and normalises a patch, as validateDraft does for a draft. */
export function validatePatch(patch: UserPatch): UserPatch {
  const normalised = normaliseProfile(patch);
  const errors: FieldError[] = [];
  if (normalised.username !== undefined) {
    normalised.username = normalised.username.normalize('NFC');
    const problem = usernameProblem(normalised.username);
    if (problem) errors.push({ code: 'user.invalid_username', problem: { field: 'username', message: problem } });
  }
  errors.push(...profileErrors(normalised));
  if (normalised.password !== undefined) {
    const problem = passwordProblem(normalised.password);
    if (problem) errors.push({ code: 'user.invalid_password', problem: { field: 'password', message: problem } });
  }
  throwFirst(errors);
  return normalised;
}

/** Why a user with correct credentials may still not sign in, or undefined. */
export function signInBlocker(user: Pick<User, 'status' | 'expiresAt'>, now: Date): ErrorCode | undefined {
  if (user.status === 'pending') return 'credentials.user_pending';
  if (user.status === 'disabled') return 'credentials.user_disabled';
  if (user.expiresAt !== null && user.expiresAt.getTime() <= now.getTime()) return 'credentials.user_expired';
  return undefined;
}
