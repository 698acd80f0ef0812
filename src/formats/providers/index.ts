/**
 * The identity-provider formats (docs/formats.md): each reads a provider's
 * export with one of the generic readers and maps a record to a draft, its
 * password hash kept usable where the provider exports one.
 */
import type { ImportFormat } from '../types.ts';
import { auth0Format } from './auth0.ts';
import { cognitoFormat } from './cognito.ts';
import { entraFormat } from './entra.ts';
import { firebaseCsvFormat, firebaseJsonFormat } from './firebase.ts';
import { keycloakFormat } from './keycloak.ts';

export const PROVIDER_FORMATS: readonly ImportFormat[] = [
  auth0Format,
  firebaseJsonFormat,
  firebaseCsvFormat,
  keycloakFormat,
  cognitoFormat,
  entraFormat,
];
