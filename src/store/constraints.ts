/**
 * Maps violations of named constraints to registered error codes. The
 * database decides conflicts; this turns its verdict into the API's words.
 */
import { MusterError, type ErrorCode } from '../domain/errors.ts';
import { databaseErrorInfo } from './ports.ts';

/** Integrity violations (SQLSTATE class 23) of these constraints have a meaning in the API. */
const CONSTRAINTS: Record<string, { code: ErrorCode; field: string }> = {
  users_username_uq: { code: 'user.username_taken', field: 'username' },
  users_email_uq: { code: 'user.email_taken', field: 'email' },
  directories_name_uq: { code: 'directory.name_taken', field: 'name' },
  tenants_name_uq: { code: 'tenant.name_taken', field: 'name' },
  gcore_registries_name_uq: { code: 'registry.name_taken', field: 'name' },
  groups_name_uq: { code: 'group.name_taken', field: 'name' },
  // A membership naming a group of no (or another) directory.
  group_members_group_fk: { code: 'group.not_found', field: 'groupIds' },
  // A membership naming a user of no (or another) directory.
  group_members_user_fk: { code: 'user.not_found', field: 'members' },
  // The directory was deleted between being resolved and the insert.
  users_directory_fk: { code: 'directory.not_found', field: 'directory' },
};

/** The MusterError for a known constraint violation, or undefined for anything else. */
export function constraintError(error: unknown): MusterError | undefined {
  const info = databaseErrorInfo(error);
  if (!info?.sqlState.startsWith('23') || info.constraint === undefined) return undefined;
  const known = CONSTRAINTS[info.constraint];
  return known ? new MusterError(known.code, undefined, { field: known.field }) : undefined;
}

/** Runs `work`, rethrowing known constraint violations as MusterErrors. */
export async function mappingConstraints<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw constraintError(error) ?? error;
  }
}
