import type { ImportFormat } from '../types.ts';
/** The identity-provider export formats (auth0, firebase, keycloak, cognito, entra). */
export const PROVIDER_FORMATS: readonly ImportFormat[] = [];
