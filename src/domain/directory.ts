/** Directories: a namespace of users inside a tenant. Pure rules, no I/O. */
import { MusterError } from './errors.ts';
import type { ConfusablesPolicy } from './user.ts';

export interface Directory {
  readonly id: string;
  readonly name: string;
  /** How usernames and emails are compared for uniqueness (see CONFUSABLES_POLICIES); fixed at creation. */
  readonly confusables: ConfusablesPolicy;
  readonly createdAt: Date;
}

/** The name of the directory every new tenant gets. */
export const DEFAULT_DIRECTORY_NAME = 'default';

/**
 * Directory names: 1 to 63 lower-case letters, digits, `-` and `_`, starting with a
 * letter or digit, and never shaped like a UUID (so `{directory}` in a path is
 * unambiguous: a UUID is an id, anything else a name). Also enforced by the
 * `directories_name_ck` constraint.
 */
export const DIRECTORY_NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$';
const NAME = new RegExp(DIRECTORY_NAME_PATTERN);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function validateDirectoryName(name: string): string {
  if (!NAME.test(name) || isUuid(name)) {
    throw new MusterError('request.invalid', 'name must be 1 to 63 lower-case letters, digits, "-" or "_", and not a UUID.', {
      field: 'name',
    });
  }
  return name;
}
