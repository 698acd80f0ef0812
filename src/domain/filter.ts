/**
 * A filter over stored records (users, groups), as a tree the store compiles
 * to SQL with bound parameters. Dialects build it from their own filter
 * language (SCIM's RFC 7644 §3.4.2.2 grammar); the engine rewrites what only it
 * can compute (comparison keys); the store never evaluates one in memory. Pure.
 */
import { comparisonKey, type ConfusablesPolicy } from './user.ts';

export const COMPARE_OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];

/** How a compared value is typed: decides the SQL cast and whether `caseExact` applies. */
export type FilterValueType = 'string' | 'boolean' | 'dateTime' | 'integer' | 'decimal';

/** Columns of a user a filter or a sort may name (the store maps them to SQL). */
export const USER_FILTER_COLUMNS = [
  'id',
  'username',
  /** The username's comparison key (engine-computed: NFKC, lower case, the directory's confusables policy). */
  'usernameKey',
  'externalId',
  'displayName',
  'givenName',
  'familyName',
  'email',
  /** The email's comparison key (engine-computed like the username's). */
  'emailKey',
  'phone',
  'locale',
  /** true unless the user is disabled (a pending user is active: nothing stops its activation). */
  'active',
  'createdAt',
  'updatedAt',
] as const;
export type UserFilterColumn = (typeof USER_FILTER_COLUMNS)[number];

/** Columns of a group a filter or a sort may name. */
export const GROUP_FILTER_COLUMNS = ['id', 'name', 'externalId', 'createdAt', 'updatedAt'] as const;
export type GroupFilterColumn = (typeof GROUP_FILTER_COLUMNS)[number];

/**
 * Where a compared value lives: a column, the text at a path of the record's
 * `attributes`, or (inside `some` only) the text at a path of the array
 * element being tested.
 */
export type FilterTarget =
  | { readonly kind: 'column'; readonly column: UserFilterColumn | GroupFilterColumn }
  | { readonly kind: 'attribute'; readonly path: readonly string[] }
  | { readonly kind: 'element'; readonly path: readonly string[] };

export type RecordFilter =
  | { readonly op: 'and' | 'or'; readonly filters: readonly RecordFilter[] }
  | { readonly op: 'not'; readonly filter: RecordFilter }
  | {
      readonly op: CompareOp;
      readonly target: FilterTarget;
      readonly value: string | number | boolean | null;
      readonly type: FilterValueType;
      /** For strings: compare exactly, else case-insensitively. */
      readonly caseExact: boolean;
    }
  /** The target has a value (not null, not an empty string, not an empty array or object). */
  | { readonly op: 'pr'; readonly target: FilterTarget }
  /** Some element of the array at `path` of `attributes` matches `filter` (whose targets are `element`s). */
  | { readonly op: 'some'; readonly path: readonly string[]; readonly filter: RecordFilter }
  /** Groups only: some member of the group matches `filter`, whose targets are `element`s of path ['value'] (the member's user id). */
  | { readonly op: 'someMember'; readonly filter: RecordFilter };

/** Order of a listing: a column or an attribute path, ascending or descending; ties by id. */
export interface RecordSort {
  readonly target: FilterTarget;
  readonly descending: boolean;
}

/** The columns whose case-insensitive equality is an equality of their comparison keys (exact, and served by the unique indexes). */
const KEYED_COLUMNS: Partial<Record<UserFilterColumn, UserFilterColumn>> = { username: 'usernameKey', email: 'emailKey' };

/** `username eq "X"` and `email eq "X"` (case-insensitive) as equalities of comparison keys, everywhere in the tree. */
export function keyedComparisons(filter: RecordFilter, confusables: ConfusablesPolicy): RecordFilter {
  switch (filter.op) {
    case 'and':
    case 'or':
      return { op: filter.op, filters: filter.filters.map((f) => keyedComparisons(f, confusables)) };
    case 'not':
      return { op: 'not', filter: keyedComparisons(filter.filter, confusables) };
    case 'eq': {
      const keyed = filter.target.kind === 'column' ? KEYED_COLUMNS[filter.target.column as UserFilterColumn] : undefined;
      if (keyed && !filter.caseExact && typeof filter.value === 'string') {
        return { ...filter, target: { kind: 'column', column: keyed }, value: comparisonKey(filter.value, confusables), caseExact: true };
      }
      return filter;
    }
    default:
      return filter;
  }
}
