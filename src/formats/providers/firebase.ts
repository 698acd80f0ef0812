/**
 * Firebase Authentication exports, as `firebase auth:export` writes them
 * (firebase.google.com/docs/cli/auth, "File format"; the column order is
 * firebase-tools' accountExporter): JSON `{"users": [...]}` and the
 * headerless CSV. Both carry one user per record:
 *
 *   localId / UID -> externalId; email -> username and email (an account
 *   without one, phone or federated sign-in only, cannot be imported);
 *   displayName / Name; phoneNumber / Phone Number -> phone; disabled ->
 *   status disabled; emailVerified, photoUrl, customAttributes (parsed as
 *   JSON) -> attributes. Provider identities and timestamps are not kept.
 *
 * Passwords: Firebase's modified scrypt. Each record has passwordHash and
 * salt; the project's parameters (Firebase console, Users, "Password hash
 * parameters") are the job options signerKey, saltSeparator, rounds and
 * memCost. They become `$firebase-scrypt$` strings (domain/passwordHash.ts)
 * whose signer key the password hasher seals before storing. Without the
 * options, a record with a hash fails alone rather than losing its password.
 */
import { MusterError } from '../../domain/errors.ts';
import { formatFirebaseScrypt, HASH_LIMITS, parseImportedHash, phcBase64, scryptMemory } from '../../domain/passwordHash.ts';
import type { ImportFormat } from '../types.ts';
import { attributesOf, base64Bytes, flag, invalidField, mapper, missingField, text, unsupportedHash, type DraftWithGaps, type Fields } from './fields.ts';

/** The project's hash parameters; absent when the job gave none. Keys are PHC base64. */
export interface FirebaseOptions {
  readonly hash?: { readonly signerKey: string; readonly saltSeparator: string; readonly rounds: number; readonly memCost: number };
}

const OPTION_NAMES = ['signerKey', 'saltSeparator', 'rounds', 'memCost'] as const;

const badOption = (option: string, problem: string) => new MusterError('import.invalid_options', `${option} ${problem}.`, { option });

function integerOption(raw: Readonly<Record<string, string>>, option: 'rounds' | 'memCost', max: number): number {
  const value = raw[option];
  if (value === undefined) throw badOption(option, 'is required with signerKey');
  if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > max) throw badOption(option, `must be a whole number from 1 to ${max}`);
  return Number(value);
}

function base64Option(raw: Readonly<Record<string, string>>, option: 'signerKey' | 'saltSeparator'): Buffer {
  try {
    return base64Bytes(raw[option] ?? '', option);
  } catch {
    throw badOption(option, 'must be base64, as the Firebase console shows it');
  }
}

/**
 * Validates the hash parameters: signerKey, rounds and memCost together (or
 * none), saltSeparator optional (empty by default). Option values are never
 * echoed in errors: the signer key is a secret.
 */
export function parseFirebaseOptions(raw: Readonly<Record<string, string>>): FirebaseOptions {
  const unknown = Object.keys(raw).find((name) => !(OPTION_NAMES as readonly string[]).includes(name));
  if (unknown !== undefined) throw badOption(unknown, `is not an option of the firebase format (${OPTION_NAMES.join(', ')})`);
  if (Object.keys(raw).length === 0) return {};
  if (raw.signerKey === undefined) throw badOption('signerKey', 'is required with the other hash parameters');
  const signerKey = base64Option(raw, 'signerKey');
  if (signerKey.length < 1 || signerKey.length > HASH_LIMITS.firebaseSignerKeyBytes) throw badOption('signerKey', `must be 1 to ${HASH_LIMITS.firebaseSignerKeyBytes} bytes`);
  const rounds = integerOption(raw, 'rounds', HASH_LIMITS.scryptR);
  const memCost = integerOption(raw, 'memCost', HASH_LIMITS.scryptLogN);
  if (!scryptMemory(memCost, rounds)) throw badOption('memCost', `with these rounds needs more than ${HASH_LIMITS.scryptMemoryBytes} bytes`);
  return { hash: { signerKey: phcBase64(signerKey), saltSeparator: phcBase64(base64Option(raw, 'saltSeparator')), rounds, memCost } };
}

/** Where one record's values are, JSON member or CSV column (errors name them as the file does). */
interface Layout {
  readonly localId: string;
  readonly email: string;
  readonly emailVerified: string;
  readonly passwordHash: string;
  readonly salt: string;
  readonly displayName: string;
  readonly photoUrl: string;
  readonly phoneNumber: string;
  readonly disabled: string;
  readonly customAttributes: string;
}

const JSON_LAYOUT: Layout = {
  localId: 'localId',
  email: 'email',
  emailVerified: 'emailVerified',
  passwordHash: 'passwordHash',
  salt: 'salt',
  displayName: 'displayName',
  photoUrl: 'photoUrl',
  phoneNumber: 'phoneNumber',
  disabled: 'disabled',
  customAttributes: 'customAttributes',
};

/** The CSV's columns in order (firebase-tools writes 28 values and a trailing comma; older exports stop after Phone Number). */
export const FIREBASE_CSV_COLUMNS = [
  'UID', 'Email', 'Email Verified', 'Password Hash', 'Password Salt', 'Name', 'Photo URL',
  'Google ID', 'Google Email', 'Google Display Name', 'Google Photo URL',
  'Facebook ID', 'Facebook Email', 'Facebook Display Name', 'Facebook Photo URL',
  'Twitter ID', 'Twitter Email', 'Twitter Display Name', 'Twitter Photo URL',
  'GitHub ID', 'GitHub Email', 'GitHub Display Name', 'GitHub Photo URL',
  'User Creation Time', 'Last Sign-In Time', 'Phone Number', 'Disabled', 'Custom Attributes',
] as const;

const CSV_LAYOUT: Layout = {
  localId: 'UID',
  email: 'Email',
  emailVerified: 'Email Verified',
  passwordHash: 'Password Hash',
  salt: 'Password Salt',
  displayName: 'Name',
  photoUrl: 'Photo URL',
  phoneNumber: 'Phone Number',
  disabled: 'Disabled',
  customAttributes: 'Custom Attributes',
};

function passwordHashOf(fields: Fields, at: Layout, options: FirebaseOptions): string | undefined {
  const hash = text(fields, at.passwordHash);
  if (hash === undefined) return undefined;
  if (!options.hash) throw unsupportedHash(at.passwordHash, 'the job has no Firebase hash parameters (signerKey, saltSeparator, rounds, memCost)');
  const salt = text(fields, at.salt);
  if (salt === undefined) throw missingField(at.salt, 'a Firebase scrypt hash needs its salt');
  const stored = formatFirebaseScrypt({
    ...options.hash,
    salt: phcBase64(base64Bytes(salt, at.salt)),
    hash: phcBase64(base64Bytes(hash, at.passwordHash)),
    sealed: false,
  });
  if (!parseImportedHash(stored)) throw unsupportedHash(at.passwordHash, 'is not as long as the signer key: not made with these parameters');
  return stored;
}

function customClaims(fields: Fields, at: Layout): unknown {
  const claims = text(fields, at.customAttributes);
  if (claims === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(claims);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed;
  } catch {
    // refused below
  }
  throw invalidField(at.customAttributes, 'must be a JSON object');
}

function firebaseDraft(fields: Fields, at: Layout, options: FirebaseOptions): DraftWithGaps {
  const email = text(fields, at.email);
  if (email === undefined) throw missingField(at.email, 'a Firebase account without an email address has no username here');
  return {
    username: email,
    email,
    externalId: text(fields, at.localId),
    displayName: text(fields, at.displayName),
    phone: text(fields, at.phoneNumber),
    status: flag(fields, at.disabled) === true ? 'disabled' : undefined,
    passwordHash: passwordHashOf(fields, at, options),
    ...attributesOf({
      emailVerified: flag(fields, at.emailVerified),
      photoUrl: text(fields, at.photoUrl),
      customClaims: customClaims(fields, at),
    }),
  };
}

export const firebaseJsonFormat: ImportFormat<FirebaseOptions> = {
  name: 'firebase',
  reader: { kind: 'json', member: 'users' },
  parseOptions: parseFirebaseOptions,
  map: mapper((fields, options) => firebaseDraft(fields, JSON_LAYOUT, options)),
};

export const firebaseCsvFormat: ImportFormat<FirebaseOptions> = {
  name: 'firebase-csv',
  reader: { kind: 'csv', columns: FIREBASE_CSV_COLUMNS },
  parseOptions: parseFirebaseOptions,
  map: mapper((fields, options) => firebaseDraft(fields, CSV_LAYOUT, options)),
};
