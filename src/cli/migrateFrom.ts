/**
 * `muster migrate-from PROVIDER FILE`: `muster import --format PROVIDER` with
 * the provider's own options as flags (Firebase's password-hash parameters),
 * and a help text per provider saying which export file to give.
 */
import { PROVIDERS, UsageError, type Provider } from './importOptions.ts';

/** What each provider's export is, for --help. */
export const PROVIDER_EXPORTS: Record<Provider, string> = {
  auth0: 'a JSON array of users in the shape of Auth0\'s bulk user import (password_hash, custom_password_hash);\n' +
    '           Auth0 hands out password hashes only through a support request, in that shape',
  firebase: 'the file of `firebase auth:export users.json` (JSON or CSV); give the project\'s hash parameters from the console\n' +
    '           (Authentication > Users > Password hash parameters): --signer-key --salt-separator --rounds --mem-cost',
  keycloak: 'a realm export (realm-export.json) or one of the users files of a directory export (realm-users-0.json);\n' +
    '           run once per users file',
  cognito: 'the CSV of a user pool\'s export (the header of the pool\'s "Import users" template); Cognito never exports\n' +
    '           passwords: add --invite to have each user set one',
  entra: 'the CSV of "Download users" in the Entra admin center (its first line, version:v1.0, is checked and skipped)',
};

export const MIGRATE_USAGE = `Usage:
  muster migrate-from auth0|firebase|keycloak|cognito|entra FILE --directory <name> [import options]
      the same as muster import --format <provider>, with the provider's options as flags:
  Firebase: --signer-key <base64> --salt-separator <base64> --rounds <n> --mem-cost <n>
            (the signer key is a secret: better in MUSTER_FIREBASE_SIGNER_KEY than on the command line)
  Other provider options: --option NAME=VALUE
  --check     read the whole FILE here and print what would be imported and what cannot be (unsupported hash
              algorithms, missing usernames, malformed records), without contacting the service: exit 0 when every
              record can be imported, 2 when some cannot
Files:
${PROVIDERS.map((p) => `  ${p.padEnd(8)} ${PROVIDER_EXPORTS[p]}`).join('\n')}
See muster import --help for the import options, the output and the exit codes.
Example:
  MUSTER_URL=https://muster.example.com MUSTER_KEY=... MUSTER_FIREBASE_SIGNER_KEY=... \\
    muster migrate-from firebase users.json --directory staff --salt-separator Bw== --rounds 8 --mem-cost 14`;

/** The provider named by the first argument, or a usage error listing them. */
export function providerOf(name: string | undefined): Provider {
  if (name === undefined || !(PROVIDERS as readonly string[]).includes(name)) {
    throw new UsageError(`migrate-from needs a provider: ${PROVIDERS.join(', ')}${name === undefined ? '' : ` (got "${name}")`}`);
  }
  return name as Provider;
}
