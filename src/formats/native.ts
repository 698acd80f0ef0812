/**
 * The native formats (csv, ndjson, json): rows whose columns or members are
 * the native user's fields. One mapper serves all three.
 *
 * Column -> field: the job's `mapping` (source column -> field) first; then
 * the `externalId` option (the column carrying the external id); then the
 * column's own name, matched to a field ignoring case and punctuation
 * (`E-Mail`, `email`, `E_MAIL` are all `email`), with a few common synonyms
 * (`first name` -> givenName). `attributes.<name>` columns fill attributes;
 * other columns are ignored; an `attributes` column holds an object (in a
 * CSV, as JSON text). In a CSV an empty cell is an absent field.
 * `groups`: group ids or names (a UUID is an id, anything else a name of a
 * group of the job's directory, which the import resolves), as an array, a
 * JSON array in a cell (what the CSV export writes), or separated by `|`,
 * `;` or `,` in a cell. Pure: no I/O.
 */
import { MusterError } from '../domain/errors.ts';
import { USER_STATUSES, type UserDraft, type UserStatus } from '../domain/user.ts';
import type { ImportFormat, MappedRow, SourceRow } from './types.ts';

export const NATIVE_FIELDS = [
  'username',
  'email',
  'displayName',
  'givenName',
  'familyName',
  'phone',
  'locale',
  'externalId',
  'status',
  'expiresAt',
  'groups',
  'password',
  'passwordHash',
] as const;
type NativeField = (typeof NATIVE_FIELDS)[number];
type Target = { readonly field: NativeField } | { readonly attribute: string } | { readonly attributes: true };

/** Case and punctuation ignored: `E-Mail Address` -> `emailaddress`. */
export const normaliseColumn = (name: string): string => name.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

const BY_NAME = new Map<string, NativeField>([
  ...NATIVE_FIELDS.map((field) => [normaliseColumn(field), field] as const),
  ['user', 'username'],
  ['login', 'username'],
  ['emailaddress', 'email'],
  ['mail', 'email'],
  ['name', 'displayName'],
  ['firstname', 'givenName'],
  ['lastname', 'familyName'],
  ['surname', 'familyName'],
  ['phonenumber', 'phone'],
  ['groupids', 'groups'],
  ['expires', 'expiresAt'],
]);

export interface NativeOptions {
  /** Normalised source column -> target. */
  readonly mapping: ReadonlyMap<string, Target>;
}

function targetOf(field: string): Target | undefined {
  if (/^attributes\./i.test(field)) return { attribute: field.slice('attributes.'.length) };
  if (field === 'attributes') return { attributes: true };
  const native = BY_NAME.get(normaliseColumn(field));
  return native && { field: native };
}

/** Validates `mapping` (a JSON object of column -> field) and `externalId` once, when the job is created. */
export function parseNativeOptions(raw: Readonly<Record<string, string>>): NativeOptions {
  const mapping = new Map<string, Target>();
  if (raw.mapping !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.mapping);
    } catch {
      throw new MusterError('import.invalid_options', 'mapping must be a JSON object of source column -> field.', { option: 'mapping' });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new MusterError('import.invalid_options', 'mapping must be a JSON object of source column -> field.', { option: 'mapping' });
    }
    for (const [column, field] of Object.entries(parsed)) {
      const target = typeof field === 'string' ? targetOf(field) : undefined;
      if (!target) {
        throw new MusterError('import.invalid_options', `mapping: "${String(field)}" is not a user field (${NATIVE_FIELDS.join(', ')}, attributes.<name>).`, {
          option: 'mapping',
        });
      }
      mapping.set(normaliseColumn(column), target);
    }
  }
  if (raw.externalId !== undefined) {
    if (raw.externalId.trim() === '') throw new MusterError('import.invalid_options', 'externalId must name a column.', { option: 'externalId' });
    mapping.set(normaliseColumn(raw.externalId), { field: 'externalId' });
  }
  const unknown = Object.keys(raw).find((key) => key !== 'mapping' && key !== 'externalId');
  if (unknown !== undefined) throw new MusterError('import.invalid_options', `The format has no option "${unknown}".`, { option: unknown });
  return { mapping };
}

const invalid = (field: string, message: string) => new MusterError('user.invalid_field', `${field} ${message}.`, { field });

function text(field: NativeField, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw invalid(field, 'must be a string');
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((id) => typeof id === 'string');

/** A cell holding JSON text that opens with `opener` (the CSV export writes `attributes` and `groups` so), parsed; otherwise undefined. */
function jsonCell(cell: string, opener: '[' | '{'): unknown {
  if (!cell.trimStart().startsWith(opener)) return undefined;
  try {
    return JSON.parse(cell) as unknown;
  } catch {
    return undefined;
  }
}

function groupsOf(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (isStringArray(value)) return value;
  if (typeof value === 'string') {
    const array = jsonCell(value, '[');
    return isStringArray(array) ? array : value.split(/[|;,]/).map((id) => id.trim()).filter((id) => id !== '');
  }
  throw invalid('groups', 'must be group ids or names');
}

function setField(draft: Record<string, unknown>, field: NativeField, value: unknown): void {
  if (field === 'groups') {
    const groups = groupsOf(value);
    if (groups) draft.groupIds = groups;
    return;
  }
  const given = text(field, value);
  if (given === undefined) return;
  if (field === 'status') {
    const status = given.trim().toLowerCase();
    if (!(USER_STATUSES as readonly string[]).includes(status)) throw invalid('status', `must be one of ${USER_STATUSES.join(', ')}`);
    draft.status = status as UserStatus;
  } else if (field === 'expiresAt') {
    const date = new Date(given);
    if (Number.isNaN(date.getTime())) throw invalid('expiresAt', 'must be an ISO 8601 date');
    draft.expiresAt = date;
  } else draft[field] = field === 'password' || field === 'passwordHash' ? given : given.trim();
}

/** Columns whose targets are remembered, per options: a file's columns repeat on every row. Bounded, as NDJSON keys are the file's to choose. */
const REMEMBERED_COLUMNS = 256;
const targetsByOptions = new WeakMap<NativeOptions, Map<string, Target | null>>();

/** Where `column` goes under `options` (an explicit mapping first, then the field of that name), or undefined. */
function columnTarget(options: NativeOptions, column: string): Target | undefined {
  let targets = targetsByOptions.get(options);
  if (!targets) targetsByOptions.set(options, (targets = new Map()));
  const known = targets.get(column);
  if (known !== undefined) return known ?? undefined;
  const target = options.mapping.get(normaliseColumn(column)) ?? targetOf(column);
  if (targets.size < REMEMBERED_COLUMNS) targets.set(column, target ?? null);
  return target;
}

/** One native row -> a draft, or the first problem with it (the row's report line). */
export function mapNativeRow(row: SourceRow, options: NativeOptions): MappedRow {
  const draft: Record<string, unknown> = {};
  const attributes: Record<string, unknown> = {};
  try {
    for (const [column, value] of Object.entries(row.fields)) {
      const target = columnTarget(options, column);
      if (!target) continue;
      if ('field' in target) setField(draft, target.field, value);
      else if ('attribute' in target) {
        if (value !== undefined && value !== '') attributes[target.attribute] = value;
      } else {
        const object = typeof value === 'string' ? jsonCell(value, '{') : value;
        if (typeof object === 'object' && object !== null && !Array.isArray(object)) Object.assign(attributes, object);
        else if (value !== undefined && value !== null && value !== '') throw invalid('attributes', 'must be an object');
      }
    }
  } catch (error) {
    if (error instanceof MusterError) return { error };
    throw error;
  }
  if (typeof draft.username !== 'string') return { error: new MusterError('user.invalid_username', 'The row has no username.', { field: 'username' }) };
  if (Object.keys(attributes).length > 0) draft.attributes = attributes;
  return { draft: draft as unknown as UserDraft };
}

function nativeFormat(name: string, reader: ImportFormat['reader']): ImportFormat<NativeOptions> {
  return { name, reader, parseOptions: parseNativeOptions, map: mapNativeRow };
}

export const NATIVE_FORMATS: readonly ImportFormat<NativeOptions>[] = [
  nativeFormat('csv', { kind: 'csv' }),
  nativeFormat('ndjson', { kind: 'ndjson' }),
  nativeFormat('json', { kind: 'json' }),
];
