/**
 * Users: the shapes the engine works with, and the pure rules that validate and
 * normalise them. No I/O here; every function is deterministic.
 */
import { MusterError, type ErrorCode, type FieldProblem } from './errors.ts';
import unhomoglyph from 'unhomoglyph';
import { isAcceptedForImport, SUPPORTED_HASH_FORMATS } from './passwordHash.ts';

export const USER_STATUSES = ['pending', 'active', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/**
 * Orders a directory's users can be listed in (native list, console). Each is
 * a key and the id as tie-breaker; `createdAt` is id order (UUIDv7). Users
 * without an email or a display name come after every user with one, in
 * either direction.
 */
export const USER_SORTS = ['createdAt', 'username', 'email', 'displayName', 'updatedAt', 'status'] as const;
export type UserSort = (typeof USER_SORTS)[number];

/** Limits, in code points (see codePointLength). */
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

/** A user's profile as JSON-ready values (ISO 8601 expiry): what every wire shape and event carries, never a credential. */
export interface ProfileFields {
  readonly username: string;
  readonly email: string | null;
  readonly displayName: string | null;
  readonly givenName: string | null;
  readonly familyName: string | null;
  readonly phone: string | null;
  readonly locale: string | null;
  readonly externalId: string | null;
  readonly status: UserStatus;
  readonly expiresAt: string | null;
  readonly attributes: Record<string, unknown>;
}

export function profileFields(user: User): ProfileFields {
  return {
    username: user.username,
    email: user.email,
    displayName: user.displayName,
    givenName: user.givenName,
    familyName: user.familyName,
    phone: user.phone,
    locale: user.locale,
    externalId: user.externalId,
    status: user.status,
    expiresAt: user.expiresAt?.toISOString() ?? null,
    attributes: { ...user.attributes },
  };
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
 * How a directory compares usernames and emails for uniqueness (fixed when the
 * directory is created):
 * - `distinct` (default): NFKC, then lower case. Compatibility forms and case
 *   collide (`ＡＤＭＩＮ`, `Admin` and `admin`; `ﬁ` and `fi`); letters of
 *   different scripts that merely look alike do not (Cyrillic `аdmin` is not
 *   Latin `admin`).
 * - `collide`: also Unicode's confusable skeletons (UTS #39), so look-alikes
 *   collide: Cyrillic `аdmin`, `admín` with a combining accent aside, `rn` and `m`.
 */
export const CONFUSABLES_POLICIES = ['distinct', 'collide'] as const;
export type ConfusablesPolicy = (typeof CONFUSABLES_POLICIES)[number];

/**
 * Unicode NFKC, then String.prototype.toLowerCase (Unicode's default,
 * locale-independent lower-case mapping). This is not full case folding:
 * `ß` and `ss` stay distinct, and a final sigma `ς` stays distinct from `σ`.
 * Stored keys depend on it, so it must not change without re-keying every user.
 */
function fold(value: string): string {
  return value.normalize('NFKC').toLowerCase();
}

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * The UTS #39 skeleton: NFD, default-ignorable code points removed, every
 * character replaced by its prototype from Unicode's confusables.txt (the
 * `unhomoglyph` package, pinned: its data is Unicode 13.0's), NFD again. Two
 * strings with the same skeleton look alike. Not for display.
 */
export function confusableSkeleton(value: string): string {
  return unhomoglyph(value.normalize('NFD').replace(DEFAULT_IGNORABLE, '')).normalize('NFD');
}

/**
 * The uniqueness key of a username or email in a directory with the given
 * policy: `fold(value)`, or with `collide` `fold(skeleton(fold(value)))` (the
 * outer fold lets a prototype in upper case, such as `O` for the digit `0`, meet
 * its lower-case form; every pair that collides under `distinct` still collides).
 * Computed here rather than with SQL `lower()` so both stores (whose collations
 * differ) decide uniqueness identically; the database enforces uniqueness on
 * this key through the named constraints `users_username_uq` and `users_email_uq`.
 */
export function comparisonKey(value: string, confusables: ConfusablesPolicy = 'distinct'): string {
  const folded = fold(value);
  return confusables === 'collide' ? fold(confusableSkeleton(folded)) : folded;
}

/**
 * Length in Unicode code points (a surrogate pair is one), as JSON Schema's
 * `maxLength` counts (ajv's default `unicode: true`) and as PostgreSQL's
 * `length()` counts. Not graphemes: their boundaries change between Unicode
 * versions, and a limit must mean the same thing tomorrow. Counted after NFC.
 */
export function codePointLength(value: string): number {
  let pairs = 0;
  for (let i = 0; i < value.length - 1; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return value.length - pairs;
}

/**
 * Refused in usernames and emails: every character that is invisible, has no
 * agreed glyph, or changes how the text around it is shown, so that what a
 * person reads is what is stored:
 * - general category C: controls (Cc), format characters (Cf: the bidi
 *   embeddings, overrides and isolates U+202A-U+202E and U+2066-U+2069, the
 *   marks U+200E/U+200F/U+061C, zero-width space, ZWJ and ZWNJ, soft hyphen,
 *   BOM), lone surrogates (Cs), private use (Co) and unassigned code points
 *   (Cn, as of the Unicode version of the running Node.js);
 * - line and paragraph separators (Zl, Zp);
 * - the rest of Default_Ignorable_Code_Point (variation selectors, the
 *   combining grapheme joiner, Hangul fillers).
 * ZWJ and ZWNJ are refused too, although some scripts (Persian, Indic) and
 * emoji sequences use them: in an identifier they make strings that look the
 * same compare different. Ordinary spaces inside a username are allowed.
 */
const FORBIDDEN_IN_IDENTIFIERS = /[\p{C}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;
/**
 * Refused in other text fields (names, phone, locale, external id): controls
 * (Cc), lone surrogates (Cs), line and paragraph separators (Zl, Zp) and the
 * bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which
 * can make a name display as something else. Other format characters (ZWJ,
 * ZWNJ, LRM/RLM, soft hyphen) are allowed there: real names need them.
 */
const FORBIDDEN_IN_TEXT = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]/u;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u;

function describe(char: string): string {
  if (BIDI_CONTROL.test(char)) return 'a bidirectional control character';
  if (/\p{Cc}/u.test(char)) return 'a control character';
  if (/[\p{Zl}\p{Zp}]/u.test(char)) return 'a line or paragraph separator';
  if (/\p{Cs}/u.test(char)) return 'a lone surrogate';
  if (/\p{Co}/u.test(char)) return 'a private-use character';
  if (/\p{Cn}/u.test(char)) return 'an unassigned code point';
  return 'an invisible formatting character';
}

/** "must not contain U+202E (a bidirectional control character) at character 3", or undefined. */
function forbiddenCharacterProblem(value: string, forbidden: RegExp): string | undefined {
  const match = forbidden.exec(value);
  if (!match) return undefined;
  const char = match[0];
  const codePoint = `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return `must not contain ${codePoint} (${describe(char)}) at character ${codePointLength(value.slice(0, match.index)) + 1}`;
}

// Pragmatic email shape: one @, no spaces, a dot in the domain. Deliverability is
// the mail system's business; this catches typos and garbage.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Problems with a username, or none. Lengths in code points. */
export function usernameProblem(username: string): string | undefined {
  if (username.length === 0) return 'must not be empty';
  if (codePointLength(username) > USERNAME_MAX_LENGTH) return `must be at most ${USERNAME_MAX_LENGTH} characters`;
  const forbidden = forbiddenCharacterProblem(username, FORBIDDEN_IN_IDENTIFIERS);
  if (forbidden) return forbidden;
  if (username !== username.trim()) return 'must not start or end with spaces';
  return undefined;
}

/** Problems with an email address, or none. Same character rule as usernames. */
export function emailProblem(email: string): string | undefined {
  if (codePointLength(email) > EMAIL_MAX_LENGTH) return `must be at most ${EMAIL_MAX_LENGTH} characters`;
  const forbidden = forbiddenCharacterProblem(email, FORBIDDEN_IN_IDENTIFIERS);
  if (forbidden) return forbidden;
  if (!EMAIL_SHAPE.test(email)) return 'must look like name@example.com';
  return undefined;
}

export function passwordProblem(password: string): string | undefined {
  const length = codePointLength(password);
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
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
    const problem =
      codePointLength(value) > TEXT_FIELD_MAX_LENGTH ? `must be at most ${TEXT_FIELD_MAX_LENGTH} characters` : forbiddenCharacterProblem(value, FORBIDDEN_IN_TEXT);
    if (problem) errors.push({ code: 'user.invalid_field', problem: { field, message: problem } });
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
  if (normalised.passwordHash !== undefined && !isAcceptedForImport(normalised.passwordHash)) {
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
