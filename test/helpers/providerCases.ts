/**
 * The provider fixtures (test/fixtures/providers, README there) as test cases:
 * the format that reads each file, its options, how many of its records are
 * users, and the password behind each fixture hash.
 */
import { auth0Format } from '../../src/formats/providers/auth0.ts';
import { cognitoFormat } from '../../src/formats/providers/cognito.ts';
import { entraFormat } from '../../src/formats/providers/entra.ts';
import { firebaseCsvFormat, firebaseJsonFormat } from '../../src/formats/providers/firebase.ts';
import { keycloakFormat } from '../../src/formats/providers/keycloak.ts';
import type { ImportFormat } from '../../src/formats/types.ts';

export const FIREBASE_OPTIONS = {
  signerKey: 'jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==',
  saltSeparator: 'Bw==',
  rounds: '8',
  memCost: '14',
};

export interface ProviderCase {
  readonly format: ImportFormat;
  readonly file: string;
  readonly options?: Record<string, string>;
  /** username -> the password its fixture hash was made from (test/fixtures/providers/README.md). */
  readonly passwords: Readonly<Record<string, string>>;
  /** Users the fixture marks disabled: their password is right, sign-in is still refused. */
  readonly disabled?: readonly string[];
  /** How many of the fixture's records are users (the rest fail in the mapper). */
  readonly users: number;
}

export const PROVIDER_CASES: readonly ProviderCase[] = [
  {
    format: auth0Format,
    file: 'auth0.json',
    users: 7,
    passwords: {
      'antoine@contoso.com': 'auth0 bcrypt password',
      'argon-user': 'auth0 argon2 password',
      'bcrypt@contoso.com': 'auth0 custom bcrypt',
      'pbkdf2@contoso.com': 'auth0 pbkdf2 password',
      'onelogintest1005@yopmail.com': 'Test@123',
      'scrypt@contoso.com': 'auth0 scrypt password',
    },
  },
  { format: firebaseJsonFormat, file: 'firebase.json', options: FIREBASE_OPTIONS, users: 2, passwords: { 'user1@example.com': 'user1password' } },
  { format: firebaseCsvFormat, file: 'firebase.csv', options: FIREBASE_OPTIONS, users: 2, passwords: { 'user1@example.com': 'user1password' } },
  {
    format: keycloakFormat,
    file: 'keycloak-realm.json',
    users: 5,
    passwords: {
      alice: 'keycloak sha256 password',
      bob: 'keycloak sha512 password',
      carol: 'keycloak sha1 password',
      dave: 'keycloak argon2 password',
      erin: 'keycloak legacy password',
    },
    disabled: ['carol'],
  },
  { format: cognitoFormat, file: 'cognito.csv', users: 2, passwords: {} },
  {
    format: entraFormat,
    file: 'entra.csv',
    users: 2,
    passwords: { 'alain@contoso.com': 'Password1!', 'isabella@contoso.com': 'Password2!' },
    disabled: ['isabella@contoso.com'],
  },
];

