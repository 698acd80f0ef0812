/**
 * Keycloak exports: a realm export (`kc.sh export --realm R`, one file) or its
 * users files (`--users different_files`: `R-users-N.json`), both a JSON
 * object whose `users` member is an array of UserRepresentation
 * (keycloak.org/docs-api, "UserRepresentation" and "CredentialRepresentation").
 *
 * username -> username; email; firstName, lastName; id -> externalId;
 * enabled false -> disabled; attributes.locale[0] -> locale; emailVerified
 * and the other attributes (Keycloak's lists of strings, as given) ->
 * attributes. Groups, roles and required actions are not kept.
 *
 * Credentials: the first `password` credential (lowest `priority`), whose
 * `secretData` and `credentialData` are JSON documents inside strings:
 * `{"value": hash, "salt": salt}` and `{"hashIterations": N, "algorithm": A,
 * "additionalParameters": {...}}`. Algorithms pbkdf2 (SHA-1), pbkdf2-sha256,
 * pbkdf2-sha512 and argon2 (type id or i) become PHC strings; exports from
 * before Keycloak 12 (hashedSaltedValue, salt, hashIterations, algorithm on
 * the credential itself) too.
 */
import { parseImportedHash, phcBase64 } from '../../domain/passwordHash.ts';
import type { ImportFormat } from '../types.ts';
import { attributesOf, base64Bytes, flag, invalidField, mapper, missingField, noOptions, object, text, unsupportedHash, type DraftWithGaps, type Fields } from './fields.ts';

const PBKDF2_DIGESTS: Readonly<Record<string, string>> = { pbkdf2: 'sha1', 'pbkdf2-sha256': 'sha256', 'pbkdf2-sha512': 'sha512' };
const ARGON2_TYPES: Readonly<Record<string, string>> = { id: 'argon2id', i: 'argon2i' };
const ARGON2_VERSIONS: Readonly<Record<string, number>> = { '1.3': 19, '1.0': 16 };

/** A member of Keycloak's credential JSON held in a string. */
function embeddedJson(credential: Fields, member: string, label: string): Fields {
  const raw = text(credential, member, label);
  if (raw === undefined) throw missingField(label, 'the password credential has no hash data');
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Fields;
  } catch {
    // refused below
  }
  throw invalidField(label, 'must be a JSON object in a string');
}

/** One of Keycloak's additionalParameters, which are lists of strings: the first, as a positive integer. */
function parameter(params: Fields, name: string, label: string): number {
  const list = params[name];
  const value = Array.isArray(list) ? Number(list[0]) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1) throw invalidField(`${label}.additionalParameters.${name}`, 'must hold a positive integer');
  return value;
}

function passwordHashOf(user: Fields): string | undefined {
  const credentials = user.credentials ?? [];
  if (!Array.isArray(credentials)) throw invalidField('credentials', 'must be an array');
  const passwords = credentials
    .map((credential: unknown, index) => ({ credential, index }))
    .filter(({ credential }) => typeof credential === 'object' && credential !== null && (credential as Fields).type === 'password')
    .sort((a, b) => Number((a.credential as Fields).priority ?? 0) - Number((b.credential as Fields).priority ?? 0));
  const chosen = passwords[0];
  if (!chosen) return undefined;
  const credential = chosen.credential as Fields;
  const at = `credentials[${chosen.index}]`;
  // Keycloak 12 and later: JSON in strings; before: the values on the credential itself.
  const legacy = credential.secretData === undefined && credential.hashedSaltedValue !== undefined;
  const secret = legacy ? { value: credential.hashedSaltedValue, salt: credential.salt } : embeddedJson(credential, 'secretData', `${at}.secretData`);
  const data = legacy ? credential : embeddedJson(credential, 'credentialData', `${at}.credentialData`);
  const dataAt = legacy ? at : `${at}.credentialData`;
  const secretAt = legacy ? at : `${at}.secretData`;
  const algorithm = text(data, 'algorithm', `${dataAt}.algorithm`);
  if (algorithm === undefined) throw missingField(`${dataAt}.algorithm`, 'it says how the hash was made');
  const iterations = data.hashIterations;
  if (typeof iterations !== 'number' || !Number.isSafeInteger(iterations) || iterations < 1) throw invalidField(`${dataAt}.hashIterations`, 'must be a positive integer');
  const value = text(secret, 'value', `${secretAt}.value`);
  const salt = text(secret, 'salt', `${secretAt}.salt`);
  if (value === undefined || salt === undefined) throw missingField(`${secretAt}.value`, 'the hash and its salt are both needed');
  const hash = phcBase64(base64Bytes(value, `${secretAt}.value`));
  const saltPhc = phcBase64(base64Bytes(salt, `${secretAt}.salt`));
  let phc: string;
  if (PBKDF2_DIGESTS[algorithm] !== undefined) {
    phc = `$pbkdf2-${PBKDF2_DIGESTS[algorithm]}$i=${iterations}$${saltPhc}$${hash}`;
  } else if (algorithm === 'argon2') {
    const params = object(data, 'additionalParameters', `${dataAt}.additionalParameters`) ?? {};
    const type = Array.isArray(params.type) ? String(params.type[0]) : 'id';
    const version = Array.isArray(params.version) ? String(params.version[0]) : '1.3';
    if (!ARGON2_TYPES[type] || !ARGON2_VERSIONS[version]) throw unsupportedHash(`${dataAt}.additionalParameters`, `argon2 type ${type} version ${version} is not accepted (argon2id or argon2i, 1.0 or 1.3)`);
    const memory = parameter(params, 'memory', dataAt);
    const parallelism = parameter(params, 'parallelism', dataAt);
    phc = `$${ARGON2_TYPES[type]}$v=${ARGON2_VERSIONS[version]}$m=${memory},t=${iterations},p=${parallelism}$${saltPhc}$${hash}`;
  } else {
    throw unsupportedHash(`${dataAt}.algorithm`, `${algorithm} is not an algorithm muster accepts (pbkdf2, pbkdf2-sha256, pbkdf2-sha512, argon2)`);
  }
  if (!parseImportedHash(phc)) throw unsupportedHash(`${dataAt}.hashIterations`, "the hash's cost is over muster's bounds");
  return phc;
}

/** Keycloak's user attributes (name -> list of strings) but locale, which is a field of its own. */
function otherAttributes(attributes: Fields | undefined): Record<string, unknown> {
  if (!attributes) return {};
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => name !== 'locale'));
}

function keycloakDraft(user: Fields): DraftWithGaps {
  const username = text(user, 'username');
  if (username === undefined) throw missingField('username', 'every Keycloak user has one');
  const attributes = object(user, 'attributes');
  const locale = attributes && Array.isArray(attributes.locale) && typeof attributes.locale[0] === 'string' ? attributes.locale[0] : undefined;
  return {
    username,
    email: text(user, 'email'),
    givenName: text(user, 'firstName'),
    familyName: text(user, 'lastName'),
    externalId: text(user, 'id'),
    locale,
    status: flag(user, 'enabled') === false ? 'disabled' : undefined,
    passwordHash: passwordHashOf(user),
    ...attributesOf({ emailVerified: flag(user, 'emailVerified'), ...otherAttributes(attributes) }),
  };
}

export const keycloakFormat: ImportFormat<undefined> = {
  name: 'keycloak',
  reader: { kind: 'json', member: 'users' },
  parseOptions: noOptions,
  map: mapper((fields) => keycloakDraft(fields)),
};
