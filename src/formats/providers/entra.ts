/**
 * Microsoft Entra ID's bulk-create CSV template ("Bulk create users in
 * Microsoft Entra ID", learn.microsoft.com/entra/identity/users/users-bulk-add):
 * a first line `version:v1.0`, then headings `<Item name> [propertyName]
 * <Required or blank>` (`Name [displayName] Required`; older templates:
 * `Name (example: Chris Green) [displayName] *`), then the template's example
 * row, then one user per row. Columns are found by the property in brackets,
 * so either heading style reads.
 *
 * userPrincipalName -> username and email (UPNs have the form of an address);
 * displayName; passwordProfile (the initial password) -> password, hashed with
 * argon2id; Block sign in Yes -> disabled; givenName; surname -> familyName;
 * mobile (else telephoneNumber) -> phone; jobTitle, department,
 * usageLocation, streetAddress, state, country, physicalDeliveryOfficeName,
 * city, postalCode, telephoneNumber -> attributes by property name.
 *
 * The example row is skipped (`import.example_row`), never created: its
 * values would otherwise make a real user with a published password.
 */
import type { ImportFormat } from '../types.ts';
import { attributesOf, invalidField, mapper, missingField, NotAUser, noOptions, text, type DraftWithGaps, type Fields } from './fields.ts';
import { MusterError } from '../../domain/errors.ts';

const PROPERTY = /\[([A-Za-z]+)\]/;
const ATTRIBUTE_PROPERTIES = ['jobTitle', 'department', 'usageLocation', 'streetAddress', 'state', 'country', 'physicalDeliveryOfficeName', 'city', 'postalCode', 'telephoneNumber', 'mobile'];
/** The example user of Microsoft's template and documentation. */
const EXAMPLE_UPN = 'chris@contoso.com';

/** Property name -> [heading, value] for each heading with a bracketed property. */
function byProperty(row: Fields): Map<string, { heading: string; value: string | undefined }> {
  const out = new Map<string, { heading: string; value: string | undefined }>();
  for (const heading of Object.keys(row)) {
    const property = PROPERTY.exec(heading)?.[1];
    if (property !== undefined) out.set(property, { heading, value: text(row, heading) });
  }
  return out;
}

function entraDraft(row: Fields): DraftWithGaps {
  const cells = byProperty(row);
  const value = (property: string) => cells.get(property)?.value;
  const heading = (property: string, fallback: string) => cells.get(property)?.heading ?? fallback;
  const firstCell = Object.values(row)[0];
  if ((typeof firstCell === 'string' && /^example:/i.test(firstCell)) || value('userPrincipalName')?.toLowerCase() === EXAMPLE_UPN) {
    throw new NotAUser(new MusterError('import.example_row', undefined, { field: heading('displayName', 'Name [displayName] Required') }));
  }
  const upn = value('userPrincipalName');
  if (upn === undefined) throw missingField(heading('userPrincipalName', 'User name [userPrincipalName] Required'), 'every Entra user has a user principal name');
  const blocked = value('accountEnabled');
  if (blocked !== undefined && !/^(yes|no)$/i.test(blocked)) throw invalidField(heading('accountEnabled', 'Block sign in (Yes/No) [accountEnabled] Required'), 'must be Yes or No');
  return {
    username: upn,
    email: upn,
    displayName: value('displayName'),
    givenName: value('givenName'),
    familyName: value('surname'),
    phone: value('mobile') ?? value('telephoneNumber'),
    password: value('passwordProfile'),
    status: blocked?.toLowerCase() === 'yes' ? 'disabled' : undefined,
    ...attributesOf(Object.fromEntries(ATTRIBUTE_PROPERTIES.map((property) => [property, value(property)]))),
  };
}

export const entraFormat: ImportFormat<undefined> = {
  name: 'entra',
  reader: { kind: 'csv', preamble: /^version:v1\.0,*$/ },
  parseOptions: noOptions,
  map: mapper((fields) => entraDraft(fields)),
};
