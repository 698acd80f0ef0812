/**
 * Each identity-provider format over its fixture (test/fixtures/providers,
 * written from the provider's documentation): the drafts it makes, the
 * per-row errors for records that cannot become users, and its options.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { MusterError } from '../../src/domain/errors.ts';
import { parseImportedHash } from '../../src/domain/passwordHash.ts';
import { auth0Format } from '../../src/formats/providers/auth0.ts';
import { cognitoFormat } from '../../src/formats/providers/cognito.ts';
import { entraFormat } from '../../src/formats/providers/entra.ts';
import { FIREBASE_CSV_COLUMNS, firebaseCsvFormat, firebaseJsonFormat, type FirebaseOptions } from '../../src/formats/providers/firebase.ts';
import { PROVIDER_FORMATS } from '../../src/formats/providers/index.ts';
import { keycloakFormat } from '../../src/formats/providers/keycloak.ts';
import type { ImportFormat, MappedRow } from '../../src/formats/types.ts';
import { fixtureRows } from '../helpers/providerRows.ts';

/** Firebase's published test vector's project parameters (github.com/firebase/scrypt README). */
export const FIREBASE_VECTOR_OPTIONS = {
  signerKey: 'jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==',
  saltSeparator: 'Bw==',
  rounds: '8',
  memCost: '14',
};

function mapAll<O>(format: ImportFormat<O>, file: string, raw: Record<string, string> = {}): MappedRow[] {
  const options = format.parseOptions(raw);
  return fixtureRows(file, format.reader).map((row) => format.map(row, options));
}

const draftOf = (mapped: MappedRow | undefined) => {
  assert.ok(mapped && 'draft' in mapped, `expected a draft, got ${mapped && 'error' in mapped ? mapped.error.code : 'nothing'}`);
  return mapped.draft;
};
const errorOf = (mapped: MappedRow | undefined) => {
  assert.ok(mapped && 'error' in mapped, 'expected an error');
  return { code: mapped.error.code, field: mapped.error.details?.field };
};

describe('provider formats', () => {
  it('are listed once each, by the names the import API takes', () => {
    assert.deepEqual(
      PROVIDER_FORMATS.map((f) => f.name),
      ['auth0', 'firebase', 'firebase-csv', 'keycloak', 'cognito', 'entra'],
    );
  });

  it('refuse options they do not have, naming the option', () => {
    for (const format of [auth0Format, keycloakFormat, cognitoFormat, entraFormat]) {
      assert.throws(() => format.parseOptions({ delimiter: ';' }), (e: MusterError) => e.code === 'import.invalid_options' && e.details?.option === 'delimiter');
    }
  });
});

describe('auth0 bulk-import JSON', () => {
  const rows = mapAll(auth0Format, 'auth0.json');

  it('maps the documented fields: email as username when there is no username, user_id as externalId, metadata as attributes', () => {
    assert.deepEqual(draftOf(rows[0]), {
      username: 'antoine@contoso.com',
      email: 'antoine@contoso.com',
      externalId: 'auth0|5f7c8ec7c33c6c004bbafe82',
      displayName: 'Antoine Dubois',
      givenName: 'Antoine',
      familyName: 'Dubois',
      passwordHash: '$2b$04$nlcZeRmorQckGUOT7n.B2eOu9NfY7L7XqiHYC4vBubQcw2pyjIgsS',
      attributes: {
        emailVerified: true,
        picture: 'https://example.com/antoine.png',
        userMetadata: { theme: 'light' },
        appMetadata: { roles: ['admin'], plan: 'premium' },
      },
    });
    assert.equal(draftOf(rows[1]).username, 'argon-user');
  });

  it('keeps argon2, bcrypt and pbkdf2 PHC strings as given, and rewrites scrypt as a $scrypt$ PHC string', () => {
    assert.match(draftOf(rows[1]).passwordHash!, /^\$argon2id\$/);
    assert.match(draftOf(rows[2]).passwordHash!, /^\$2a\$04\$/);
    assert.match(draftOf(rows[3]).passwordHash!, /^\$pbkdf2-sha512\$i=1000,l=64\$/);
    assert.equal(draftOf(rows[4]).passwordHash, '$pbkdf2-sha1$i=10000,l=20$wJuJqLoUFsdXa8k3sFhRlA$XMGVWTbeKf4Xd+CGiuEZde8x7QA');
    const scrypt = parseImportedHash(draftOf(rows[5]).passwordHash!);
    assert.deepEqual(scrypt && { ...scrypt, hash: undefined }, {
      scheme: 'scrypt',
      logN: 10,
      r: 8,
      p: 1,
      salt: Buffer.from('auth0-scrypt-salt').toString('base64').replace(/=+$/, ''),
      hash: undefined,
    });
  });

  it('refuses per row: a fast hash, a user with neither email nor username', () => {
    assert.deepEqual(errorOf(rows[6]), { code: 'user.unsupported_password_hash', field: 'custom_password_hash.algorithm' });
    assert.deepEqual(errorOf(rows[7]), { code: 'import.missing_field', field: 'email' });
  });

  it('makes a blocked user disabled, without a credential', () => {
    assert.deepEqual(draftOf(rows[8]), { username: 'blocked-user', status: 'disabled' });
  });

  it('refuses a password_hash that is not bcrypt, both hash fields at once, and a scrypt keylen that does not fit', () => {
    const map = (fields: Record<string, unknown>) => errorOf(auth0Format.map({ row: 1, fields: { email: 'x@example.com', ...fields } }, undefined));
    assert.deepEqual(map({ password_hash: '$argon2id$v=19$m=8192,t=1,p=1$c2FsdA$aGFzaA' }), { code: 'user.unsupported_password_hash', field: 'password_hash' });
    assert.deepEqual(map({ password_hash: '$2b$10$x', custom_password_hash: { algorithm: 'bcrypt' } }), { code: 'import.invalid_field', field: 'custom_password_hash' });
    assert.deepEqual(
      map({ custom_password_hash: { algorithm: 'scrypt', hash: { value: 'aGFzaA==', encoding: 'base64' }, salt: { value: 's' }, keylen: 64 } }),
      { code: 'import.invalid_field', field: 'custom_password_hash.keylen' },
    );
    assert.deepEqual(map({ custom_password_hash: { algorithm: 'whirlpool' } }), { code: 'user.unsupported_password_hash', field: 'custom_password_hash.algorithm' });
  });

  it('refuses a JSON element that is not an object', () => {
    assert.deepEqual(errorOf(auth0Format.map({ row: 1, fields: [1, 2] as unknown as Record<string, unknown> }, undefined)), { code: 'import.invalid_field', field: 'record' });
  });
});

describe('firebase auth:export', () => {
  const options: FirebaseOptions = firebaseJsonFormat.parseOptions(FIREBASE_VECTOR_OPTIONS);

  it('takes the project hash parameters as options, all or none, and never echoes the signer key', () => {
    assert.deepEqual(firebaseJsonFormat.parseOptions({}), {});
    assert.deepEqual(options.hash && { ...options.hash, signerKey: options.hash.signerKey.length }, { signerKey: 86, saltSeparator: 'Bw', rounds: 8, memCost: 14 });
    const refused = (raw: Record<string, string>) => {
      try {
        firebaseJsonFormat.parseOptions(raw);
      } catch (error) {
        assert.ok(!(error as Error).message.includes(FIREBASE_VECTOR_OPTIONS.signerKey));
        return (error as MusterError).details?.option;
      }
      return 'accepted';
    };
    assert.equal(refused({ ...FIREBASE_VECTOR_OPTIONS, rounds: '0' }), 'rounds');
    assert.equal(refused({ ...FIREBASE_VECTOR_OPTIONS, memCost: '30' }), 'memCost');
    assert.equal(refused({ signerKey: FIREBASE_VECTOR_OPTIONS.signerKey }), 'rounds');
    assert.equal(refused({ rounds: '8', memCost: '14' }), 'signerKey');
    assert.equal(refused({ ...FIREBASE_VECTOR_OPTIONS, signerKey: 'not base64!' }), 'signerKey');
    assert.equal(refused({ ...FIREBASE_VECTOR_OPTIONS, hashAlgo: 'SCRYPT' }), 'hashAlgo');
    assert.equal(refused({ ...FIREBASE_VECTOR_OPTIONS, saltSeparator: undefined as unknown as string }), 'accepted');
  });

  it('JSON: maps the exported fields and the published vector into a $firebase-scrypt$ hash', () => {
    const rows = mapAll(firebaseJsonFormat, 'firebase.json', FIREBASE_VECTOR_OPTIONS);
    const first = draftOf(rows[0]);
    assert.deepEqual({ ...first, passwordHash: undefined }, {
      username: 'user1@example.com',
      email: 'user1@example.com',
      externalId: 'Ys5nsXPgaFUBRBMlZyVdD3Ne6aC3',
      displayName: 'User One',
      phone: '+15555550100',
      passwordHash: undefined,
      attributes: { emailVerified: true, photoUrl: 'https://example.com/user1.png', customClaims: { admin: true } },
    });
    assert.equal(
      first.passwordHash,
      '$firebase-scrypt$r=8,m=14$42xEC+ixf3L2lw$Bw$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ' +
        '$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA',
    );
    assert.deepEqual(errorOf(rows[1]), { code: 'import.missing_field', field: 'email' });
    assert.deepEqual(draftOf(rows[2]), {
      username: 'google@example.com',
      email: 'google@example.com',
      externalId: 'hG5fE3dC1bA9zY7xW5vU3tS1rQ9p',
      displayName: 'Federated Only',
      status: 'disabled',
      attributes: { emailVerified: true },
    });
    assert.deepEqual(errorOf(rows[3]), { code: 'user.unsupported_password_hash', field: 'passwordHash' });
  });

  it('JSON: a hash without the job hash parameters fails its row instead of losing the password', () => {
    const rows = mapAll(firebaseJsonFormat, 'firebase.json');
    assert.deepEqual(errorOf(rows[0]), { code: 'user.unsupported_password_hash', field: 'passwordHash' });
    assert.equal(draftOf(rows[2]).username, 'google@example.com');
  });

  it('CSV: headerless, 28 columns and the trailing comma firebase-tools writes; the same users as the JSON', () => {
    const records = parse(readFileSync(new URL('../fixtures/providers/firebase.csv', import.meta.url), 'utf8')) as string[][];
    assert.ok(records.every((r) => r.length === FIREBASE_CSV_COLUMNS.length + 1 && r.at(-1) === ''));
    const rows = mapAll(firebaseCsvFormat, 'firebase.csv', FIREBASE_VECTOR_OPTIONS);
    const json = mapAll(firebaseJsonFormat, 'firebase.json', FIREBASE_VECTOR_OPTIONS);
    assert.deepEqual({ ...draftOf(rows[0]), displayName: undefined }, { ...draftOf(json[0]), displayName: undefined });
    assert.equal(draftOf(rows[0]).displayName, 'One, User');
    assert.deepEqual(errorOf(rows[1]), { code: 'import.missing_field', field: 'Email' });
    assert.deepEqual(draftOf(rows[2]), draftOf(json[2]));
  });
});

describe('keycloak realm export', () => {
  const rows = mapAll(keycloakFormat, 'keycloak-realm.json');

  it('maps the user representation: locale from attributes, the rest of the attributes kept as lists', () => {
    assert.deepEqual({ ...draftOf(rows[0]), passwordHash: undefined }, {
      username: 'alice',
      email: 'alice@acme.test',
      givenName: 'Alice',
      familyName: 'Liddell',
      externalId: '0f1e3f1a-2b1c-4d5e-8f9a-1b2c3d4e5f60',
      locale: 'en',
      passwordHash: undefined,
      attributes: { emailVerified: true, department: ['research'] },
    });
    assert.equal(draftOf(rows[2]).status, 'disabled');
  });

  it('turns the string-encoded password credentials into PHC strings: pbkdf2-sha256, -sha512, pbkdf2 (SHA-1), argon2, the pre-12 layout', () => {
    assert.equal(
      draftOf(rows[0]).passwordHash,
      '$pbkdf2-sha256$i=1000$LhdArCVIEFYWl5xoOsxErQ$Esy60ES3O9cP0zh23cqibgf7cVG+1ztUn2+A76AgHbA7QYZ2AHlWxUQippRBPc0y4VnUPAsOXrLf8QQ5tVkv7A',
    );
    assert.match(draftOf(rows[1]).passwordHash!, /^\$pbkdf2-sha512\$i=1000\$WRbQwG2N9kcmNypzfx3mKQ\$/);
    assert.match(draftOf(rows[2]).passwordHash!, /^\$pbkdf2-sha1\$i=1000\$rUx2z7ybm6ogOn\+cw71yxg\$/);
    assert.equal(draftOf(rows[3]).passwordHash, '$argon2id$v=19$m=7168,t=5,p=1$9IfAK3uFtvPVIGANa6rR/w$VkDwcabKKzZ0sj/7jA+a1YHTSCZtNH38LJ0+ENyWpAQ');
    assert.match(draftOf(rows[4]).passwordHash!, /^\$pbkdf2-sha256\$i=1000\$9d5XCWU3\/mFq5LSB8kblKg\$/);
  });

  it('reads a users file of a multi-file export (`--users different_files`) the same way', () => {
    const [grace] = mapAll(keycloakFormat, 'keycloak-users-0.json');
    assert.deepEqual(draftOf(grace), {
      username: 'grace',
      email: 'grace@acme.test',
      givenName: 'Grace',
      familyName: 'Hopper',
      externalId: '7a8b9c0d-0000-4000-8000-000000000008',
      passwordHash: draftOf(rows[0]).passwordHash,
      attributes: { emailVerified: true },
    });
  });

  it('refuses per row: an algorithm muster does not accept, a user without a username, unreadable credential data', () => {
    assert.deepEqual(errorOf(rows[5]), { code: 'user.unsupported_password_hash', field: 'credentials[0].credentialData.algorithm' });
    assert.deepEqual(errorOf(rows[6]), { code: 'import.missing_field', field: 'username' });
    const broken = keycloakFormat.map({ row: 1, fields: { username: 'x', credentials: [{ type: 'password', secretData: '{nope', credentialData: '{}' }] } }, undefined);
    assert.deepEqual(errorOf(broken), { code: 'import.invalid_field', field: 'credentials[0].secretData' });
  });
});

describe('cognito user-import CSV', () => {
  const rows = mapAll(cognitoFormat, 'cognito.csv');

  it("maps AWS's header: standard attributes to fields, the rest (custom: too) to attributes, flags as booleans", () => {
    assert.deepEqual(draftOf(rows[0]), {
      username: 'John',
      email: 'johndoe@example.com',
      givenName: 'John',
      familyName: 'Doe',
      displayName: 'John Doe',
      phone: '+12345550100',
      attributes: {
        emailVerified: true,
        birthdate: '02/01/1985',
        phoneNumberVerified: false,
        address: '123 Any Street',
        mfaEnabled: false,
        'custom:department': 'Sales',
      },
    });
    assert.equal(draftOf(rows[1]).passwordHash, undefined);
  });

  it('refuses a row without cognito:username', () => {
    assert.deepEqual(errorOf(rows[2]), { code: 'import.missing_field', field: 'cognito:username' });
  });
});

describe('entra bulk-create CSV', () => {
  const rows = mapAll(entraFormat, 'entra.csv');

  it("skips the template's example row: not a user, and no failure", () => {
    const example = rows[0];
    assert.ok(example && 'skip' in example, 'the example row is a skip');
    assert.equal(example.skip.code, 'import.example_row');
  });

  it('maps the bracketed properties: UPN as username and email, the initial password, Block sign in', () => {
    assert.deepEqual(draftOf(rows[1]), {
      username: 'alain@contoso.com',
      email: 'alain@contoso.com',
      displayName: 'Alain Charon',
      givenName: 'Alain',
      familyName: 'Charon',
      password: 'Password1!',
      attributes: { jobTitle: 'Software Engineer', department: 'Engineering', usageLocation: 'US' },
    });
    const blocked = draftOf(rows[2]);
    assert.deepEqual([blocked.status, blocked.phone, blocked.attributes?.city], ['disabled', '+1 206 555 0100', 'Seattle']);
  });

  it('refuses per row: no user principal name, a Block sign in that is not Yes or No', () => {
    assert.deepEqual(errorOf(rows[3]), { code: 'import.missing_field', field: 'User name [userPrincipalName] Required' });
    assert.deepEqual(errorOf(rows[4]), { code: 'import.invalid_field', field: 'Block sign in (Yes/No) [accountEnabled] Required' });
  });

  it('reads the older heading style too', () => {
    const mapped = entraFormat.map(
      {
        row: 1,
        fields: {
          'Name (example: Chris Green) [displayName] *': 'Old Style',
          'User name (example: chris@contoso.com) [userPrincipalName] *': 'old@contoso.com',
          'Initial password [passwordProfile] *': 'Password5!',
          'Block sign in (Yes/No) [accountEnabled] *': 'No',
        },
      },
      undefined,
    );
    assert.deepEqual(draftOf(mapped), { username: 'old@contoso.com', email: 'old@contoso.com', displayName: 'Old Style', password: 'Password5!' });
  });

  it('checks the version line as its preamble', () => {
    assert.ok(entraFormat.reader.kind === 'csv' && entraFormat.reader.preamble?.test('version:v1.0'));
    assert.ok(entraFormat.reader.kind === 'csv' && !entraFormat.reader.preamble?.test('Name [displayName] Required'));
  });
});
