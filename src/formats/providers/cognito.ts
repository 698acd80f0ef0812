/**
 * Amazon Cognito's user import CSV, as AWS documents it ("Creating the user
 * import CSV file", docs.aws.amazon.com/cognito/latest/developerguide/
 * cognito-user-pools-using-import-tool-csv-header.html): a header row of
 * attribute names (the pool's `GetCSVHeader`, in any order), one user per
 * row, an empty cell for a value not given.
 *
 * cognito:username -> username; email; given_name, family_name; name ->
 * displayName; phone_number -> phone; locale; email_verified,
 * phone_number_verified, cognito:mfa_enabled (TRUE/FALSE) and every other
 * standard or `custom:` attribute, under its Cognito name -> attributes.
 * Cognito's files carry no password hashes (AWS does not export them), so
 * users arrive without a credential: invite them, or let them reset.
 */
import type { ImportFormat } from '../types.ts';
import { attributesOf, flag, mapper, missingField, noOptions, text, type DraftWithGaps, type Fields } from './fields.ts';

/** Columns that become fields of the user rather than attributes. */
const MAPPED = new Set(['cognito:username', 'email', 'given_name', 'family_name', 'name', 'phone_number', 'locale']);
const FLAGS: Readonly<Record<string, string>> = { email_verified: 'emailVerified', phone_number_verified: 'phoneNumberVerified', 'cognito:mfa_enabled': 'mfaEnabled' };

function cognitoDraft(row: Fields): DraftWithGaps {
  const username = text(row, 'cognito:username');
  if (username === undefined) throw missingField('cognito:username', 'Cognito requires it in every row');
  const others: Record<string, unknown> = {};
  for (const column of Object.keys(row)) {
    if (MAPPED.has(column)) continue;
    others[FLAGS[column] ?? column] = FLAGS[column] ? flag(row, column) : text(row, column);
  }
  return {
    username,
    email: text(row, 'email'),
    givenName: text(row, 'given_name'),
    familyName: text(row, 'family_name'),
    displayName: text(row, 'name'),
    phone: text(row, 'phone_number'),
    locale: text(row, 'locale'),
    ...attributesOf(others),
  };
}

export const cognitoFormat: ImportFormat<undefined> = {
  name: 'cognito',
  reader: { kind: 'csv' },
  parseOptions: noOptions,
  map: mapper((fields) => cognitoDraft(fields)),
};
