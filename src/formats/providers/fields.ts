/**
 * What every provider mapper shares: reading a record's fields (a JSON value
 * or a CSV cell, where an empty cell is an absent value), the per-row errors,
 * and turning a record builder into an ImportFormat's `map`.
 *
 * Errors name fields as the file does (`custom_password_hash.algorithm`,
 * `Block sign in (Yes/No) [accountEnabled] Required`), so a report line
 * points at the cell to fix.
 */
import { isMusterError, MusterError } from '../../domain/errors.ts';
import type { UserDraft } from '../../domain/user.ts';
import type { MappedRow, SourceRow } from '../types.ts';

export type Fields = Readonly<Record<string, unknown>>;

export const missingField = (field: string, why: string) => new MusterError('import.missing_field', `${field} is missing: ${why}.`, { field });
export const invalidField = (field: string, problem: string) => new MusterError('import.invalid_field', `${field} ${problem}.`, { field });
export const unsupportedHash = (field: string, problem: string) =>
  new MusterError('user.unsupported_password_hash', `${field}: ${problem}.`, { field });

/** A non-empty string, or undefined when absent, null or empty. Throws `import.invalid_field` for another type. */
export function text(fields: Fields, name: string, label: string = name): string | undefined {
  const value = fields[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalidField(label, 'must be a string');
  return value;
}

/** A JSON boolean, or CSV's `true`/`false` in any case; undefined when absent or empty. */
export function flag(fields: Fields, name: string, label: string = name): boolean | undefined {
  const value = fields[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalidField(label, 'must be true or false');
}

/** A JSON object (not an array), or undefined when absent or null. */
export function object(fields: Fields, name: string, label: string = name): Fields | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidField(label, 'must be an object');
  return value as Fields;
}

/** Bytes from standard or URL-safe base64 (padding optional). Throws `import.invalid_field` for anything else. */
export function base64Bytes(value: string, label: string): Buffer {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value) || value.replace(/=+$/, '').length % 4 === 1) throw invalidField(label, 'is not base64');
  return Buffer.from(value, 'base64');
}

/** The draft's attributes: only the entries with a value, and none at all when none has one. */
export function attributesOf(entries: Record<string, unknown>): { attributes?: Record<string, unknown> } {
  const kept = Object.entries(entries).filter(([, value]) => value !== undefined);
  return kept.length === 0 ? {} : { attributes: Object.fromEntries(kept) };
}

/** What a record builder returns: a draft whose members may be undefined where the file has no value. */
export type DraftWithGaps = { [K in keyof UserDraft]: UserDraft[K] | undefined } & { username: string };

/** A draft with its undefined members left out, so that a field the file lacks stays absent, not "set to undefined". */
export function compact(draft: DraftWithGaps): UserDraft {
  return Object.fromEntries(Object.entries(draft).filter(([, value]) => value !== undefined)) as unknown as UserDraft;
}

/**
 * A mapper from a builder that throws MusterErrors for rows that cannot be
 * imported: they become the row's error. Any other exception is a bug and
 * propagates. A JSON element that is not an object is refused here.
 */
/** Thrown by a format's builder for a row that is not a user (the mapper answers `skip` with `reason`). */
export class NotAUser extends Error {
  readonly reason: MusterError;
  constructor(reason: MusterError) {
    super(reason.message);
    this.reason = reason;
  }
}

export function mapper<Options>(build: (fields: Fields, options: Options) => DraftWithGaps): (row: SourceRow, options: Options) => MappedRow {
  return (row, options) => {
    const { fields } = row;
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return { error: invalidField('record', 'must be a JSON object') };
    try {
      return { draft: compact(build(fields, options)) };
    } catch (error) {
      if (error instanceof NotAUser) return { skip: error.reason };
      if (isMusterError(error)) return { error };
      throw error;
    }
  };
}

/** `parseOptions` for a format that has none: any option given is refused by name. */
export function noOptions(raw: Readonly<Record<string, string>>): undefined {
  const [unknown] = Object.keys(raw);
  if (unknown !== undefined) throw new MusterError('import.invalid_options', `This format takes no option ${unknown}.`, { option: unknown });
  return undefined;
}
