/**
 * Auth0's bulk user import file: a JSON array of users, as Auth0 documents it
 * ("Bulk User Import Database Schema and Examples", auth0.com/docs/manage-users/
 * user-migration/bulk-user-import-database-schema-and-examples).
 *
 * username (else email) -> username; email; user_id -> externalId; name (else
 * nickname) -> displayName; given_name, family_name; blocked -> disabled;
 * email_verified, picture, user_metadata, app_metadata -> attributes.
 *
 * Credentials: `password_hash` (bcrypt), or `custom_password_hash` with
 * algorithm argon2 (argon2id/argon2i PHC), bcrypt, pbkdf2 (PHC, SHA-1/256/512)
 * or scrypt (raw hash + salt + keylen/cost/blockSize/parallelization,
 * rewritten as a `$scrypt$` PHC string). The fast hashes Auth0 also takes
 * (md4, md5, sha1, sha256, sha512, hmac, ldap) are refused per row: one
 * round of a fast digest falls to a GPU at billions of guesses a second, and
 * keeping it usable would make muster hold a credential far weaker than
 * anything it writes itself; those users reset or are invited instead.
 */
import { parseImportedHash, phcBase64, type ParsedHash } from '../../domain/passwordHash.ts';
import type { ImportFormat } from '../types.ts';
import { attributesOf, flag, invalidField, mapper, missingField, noOptions, object, text, unsupportedHash, type DraftWithGaps, type Fields } from './fields.ts';

const FAST_HASHES = new Set(['md4', 'md5', 'sha1', 'sha256', 'sha512', 'hmac', 'ldap']);
const ENCODINGS = ['base64', 'hex', 'utf8'] as const;
type Encoding = (typeof ENCODINGS)[number];

function encodingOf(fields: Fields, label: string, fallback: Encoding): Encoding {
  const value = text(fields, 'encoding', label) ?? fallback;
  if (!(ENCODINGS as readonly string[]).includes(value)) throw invalidField(label, `must be one of ${ENCODINGS.join(', ')}`);
  return value as Encoding;
}

function decoded(value: string, encoding: Encoding, label: string): Buffer {
  if (encoding === 'hex' && !/^(?:[0-9a-fA-F]{2})+$/.test(value)) throw invalidField(label, 'is not hex');
  if (encoding === 'base64' && !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) throw invalidField(label, 'is not base64');
  return Buffer.from(value, encoding);
}

/** An integer option of Auth0's scrypt, with Auth0's default. */
function integer(fields: Fields, name: string, fallback: number): number {
  const value = fields[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw invalidField(`custom_password_hash.${name}`, 'must be a positive integer');
  return value;
}

/** A PHC/MCF string given in `hash.value` (argon2, bcrypt, pbkdf2), checked to be of the schemes the algorithm allows. */
function phcValue(hash: Fields, schemes: readonly ParsedHash['scheme'][], algorithm: string): string {
  const label = 'custom_password_hash.hash.value';
  if (encodingOf(hash, 'custom_password_hash.hash.encoding', 'utf8') !== 'utf8') throw unsupportedHash('custom_password_hash.hash.encoding', `${algorithm} hashes are PHC strings in utf8`);
  const value = text(hash, 'value', label);
  if (value === undefined) throw missingField(label, 'the hash itself');
  const parsed = parseImportedHash(value);
  if (!parsed || !schemes.includes(parsed.scheme)) throw unsupportedHash(label, `not an accepted ${algorithm} hash (or its cost is over muster's bounds)`);
  return value;
}

/** Auth0's scrypt: raw hash bytes and salt, parameters beside them; rewritten as `$scrypt$ln=..,r=..,p=..$salt$hash`. */
function scryptValue(custom: Fields): string {
  const hash = object(custom, 'hash', 'custom_password_hash.hash') ?? {};
  const value = text(hash, 'value', 'custom_password_hash.hash.value');
  if (value === undefined) throw missingField('custom_password_hash.hash.value', 'the hash itself');
  const bytes = decoded(value, encodingOf(hash, 'custom_password_hash.hash.encoding', 'base64'), 'custom_password_hash.hash.value');
  const salt = object(custom, 'salt', 'custom_password_hash.salt');
  const saltValue = salt && text(salt, 'value', 'custom_password_hash.salt.value');
  if (!salt || saltValue === undefined) throw missingField('custom_password_hash.salt.value', 'scrypt needs its salt');
  const saltBytes = decoded(saltValue, encodingOf(salt, 'custom_password_hash.salt.encoding', 'utf8'), 'custom_password_hash.salt.value');
  const keylen = integer(custom, 'keylen', 64);
  if (keylen !== bytes.length) throw invalidField('custom_password_hash.keylen', `is ${keylen} but the hash has ${bytes.length} bytes`);
  const cost = integer(custom, 'cost', 16384);
  const logN = Math.log2(cost);
  if (!Number.isInteger(logN)) throw invalidField('custom_password_hash.cost', 'must be a power of two');
  const phc = `$scrypt$ln=${logN},r=${integer(custom, 'blockSize', 8)},p=${integer(custom, 'parallelization', 1)}$${phcBase64(saltBytes)}$${phcBase64(bytes)}`;
  if (!parseImportedHash(phc)) throw unsupportedHash('custom_password_hash.cost', "scrypt parameters over muster's bounds");
  return phc;
}

function customHash(custom: Fields): string {
  const algorithm = text(custom, 'algorithm', 'custom_password_hash.algorithm');
  if (algorithm === undefined) throw missingField('custom_password_hash.algorithm', 'it says how the hash was made');
  const hash = () => object(custom, 'hash', 'custom_password_hash.hash') ?? {};
  switch (algorithm) {
    case 'argon2':
      if (custom.salt !== undefined) throw invalidField('custom_password_hash.salt', 'is not allowed with argon2 (the PHC string holds it)');
      return phcValue(hash(), ['argon2id', 'argon2i'], algorithm);
    case 'bcrypt':
      return phcValue(hash(), ['bcrypt'], algorithm);
    case 'pbkdf2':
      return phcValue(hash(), ['pbkdf2'], algorithm);
    case 'scrypt':
      return scryptValue(custom);
    default:
      throw unsupportedHash(
        'custom_password_hash.algorithm',
        FAST_HASHES.has(algorithm) ? `${algorithm} is a fast hash, which muster refuses (docs/formats.md)` : `${algorithm} is not an algorithm muster accepts`,
      );
  }
}

function passwordHashOf(user: Fields): string | undefined {
  const plain = text(user, 'password_hash');
  const custom = object(user, 'custom_password_hash');
  if (plain !== undefined && custom !== undefined) throw invalidField('custom_password_hash', 'cannot be combined with password_hash');
  if (custom !== undefined) return customHash(custom);
  if (plain === undefined) return undefined;
  if (parseImportedHash(plain)?.scheme !== 'bcrypt') throw unsupportedHash('password_hash', 'Auth0 password_hash values are bcrypt ($2a$ or $2b$)');
  return plain;
}

function auth0Draft(user: Fields): DraftWithGaps {
  const email = text(user, 'email');
  const username = text(user, 'username') ?? email;
  if (username === undefined) throw missingField('email', 'an Auth0 user needs an email or a username');
  return {
    username,
    email,
    externalId: text(user, 'user_id'),
    displayName: text(user, 'name') ?? text(user, 'nickname'),
    givenName: text(user, 'given_name'),
    familyName: text(user, 'family_name'),
    status: flag(user, 'blocked') === true ? 'disabled' : undefined,
    passwordHash: passwordHashOf(user),
    ...attributesOf({
      emailVerified: flag(user, 'email_verified'),
      picture: text(user, 'picture'),
      userMetadata: object(user, 'user_metadata'),
      appMetadata: object(user, 'app_metadata'),
    }),
  };
}

export const auth0Format: ImportFormat<undefined> = {
  name: 'auth0',
  reader: { kind: 'json' },
  parseOptions: noOptions,
  map: mapper((fields) => auth0Draft(fields)),
};
