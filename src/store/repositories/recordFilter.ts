/**
 * Compiles a RecordFilter (src/domain/filter.ts) to a SQL condition over the
 * users or the groups table, aliased `u` (the FilterTable says which). Every value, path and pattern is a bound parameter;
 * the only text spliced into the statement comes from the whitelist of columns
 * below and from operators, never from a caller. Case-insensitive comparisons
 * lower() both sides (ASCII identically on both stores; beyond ASCII as the
 * database's lower() does); the username's case-insensitive equality uses its
 * comparison key instead (the engine rewrites it), so it is exact and indexed.
 */
import type { CompareOp, FilterTarget, GroupFilterColumn, RecordFilter, RecordSort, UserFilterColumn } from '../../domain/filter.ts';

interface ColumnSql {
  readonly sql: string;
  readonly type: 'text' | 'uuid' | 'timestamptz' | 'boolean';
}

/** A table filters compile against: its filterable columns, and whether it has `attributes`. */
export interface FilterTable {
  readonly columns: Readonly<Record<string, ColumnSql>>;
  readonly hasAttributes: boolean;
}

const USER_COLUMNS_SQL: Record<UserFilterColumn, ColumnSql> = {
  id: { sql: 'u.id', type: 'uuid' },
  username: { sql: 'u.username', type: 'text' },
  usernameKey: { sql: 'u.username_key', type: 'text' },
  externalId: { sql: 'u.external_id', type: 'text' },
  displayName: { sql: 'u.display_name', type: 'text' },
  givenName: { sql: 'u.given_name', type: 'text' },
  familyName: { sql: 'u.family_name', type: 'text' },
  email: { sql: 'u.email', type: 'text' },
  phone: { sql: 'u.phone', type: 'text' },
  locale: { sql: 'u.locale', type: 'text' },
  active: { sql: "(u.status <> 'disabled')", type: 'boolean' },
  createdAt: { sql: 'u.created_at', type: 'timestamptz' },
  updatedAt: { sql: 'u.updated_at', type: 'timestamptz' },
};

const GROUP_COLUMNS_SQL: Record<GroupFilterColumn, ColumnSql> = {
  id: { sql: 'u.id', type: 'uuid' },
  name: { sql: 'u.name', type: 'text' },
  externalId: { sql: 'u.external_id', type: 'text' },
  createdAt: { sql: 'u.created_at', type: 'timestamptz' },
  updatedAt: { sql: 'u.updated_at', type: 'timestamptz' },
};

export const USERS_TABLE: FilterTable = { columns: USER_COLUMNS_SQL, hasAttributes: true };
export const GROUPS_TABLE: FilterTable = { columns: GROUP_COLUMNS_SQL, hasAttributes: false };

/** A column the table has; a filter naming another is a programming error of its builder. */
function column(table: FilterTable, name: string): ColumnSql {
  const found = table.columns[name];
  if (!found) throw new Error(`no filterable column "${name}" here`);
  return found;
}

const ORDERING: Partial<Record<CompareOp, string>> = { gt: '>', ge: '>=', lt: '<', le: '<=' };

/** Binds a value into `params` and returns its placeholder. */
export type Bind = (value: unknown, sqlType: string) => string;

function targetSql(target: FilterTarget, bind: Bind, table: FilterTable): ColumnSql {
  if (target.kind === 'attribute' && !table.hasAttributes) throw new Error('this table has no attributes');
  switch (target.kind) {
    case 'column':
      return column(table, target.column);
    case 'attribute':
      return { sql: `(u.attributes #>> ${bind(target.path, 'text[]')})`, type: 'text' };
    case 'element':
      return { sql: `(e.v #>> ${bind(target.path, 'text[]')})`, type: 'text' };
  }
}

/** The JSON value at a target (for `pr` on attributes: empty strings, arrays and objects do not count). */
function presentSql(target: FilterTarget, bind: Bind, table: FilterTable): string {
  if (target.kind === 'column') return `${column(table, target.column).sql} IS NOT NULL`;
  const json = target.kind === 'attribute' ? `u.attributes #> ${bind(target.path, 'text[]')}` : `e.v #> ${bind(target.path, 'text[]')}`;
  return `coalesce(${json} NOT IN ('null'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb), false)`;
}

function compareSql(filter: Extract<RecordFilter, { target: FilterTarget; value: unknown }>, bind: Bind, table: FilterTable): string {
  const target = targetSql(filter.target, bind, table);
  const { op, value } = filter;
  if (value === null) {
    // `eq null` is absence, `ne null` presence (RFC 7644 §3.4.2.2 leaves it open; see docs/dialects/scim.md).
    if (op === 'eq') return `${target.sql} IS NULL`;
    if (op === 'ne') return `${target.sql} IS NOT NULL`;
    return 'false';
  }
  let left = target.sql;
  let right: string;
  if (target.type === 'boolean' || filter.type === 'boolean') {
    if (target.type === 'text') left = `lower(${left})`;
    else left = `${left}::text`;
    right = bind(String(value).toLowerCase(), 'text');
  } else if (target.type === 'timestamptz' || (filter.type === 'dateTime' && target.type !== 'text')) {
    right = bind(String(value), 'timestamptz');
  } else if (target.type === 'uuid') {
    left = `${left}::text`;
    right = bind(String(value), 'text');
  } else if (filter.type === 'integer' || filter.type === 'decimal') {
    left = `(${left})::numeric`;
    right = bind(Number(value), 'numeric');
  } else {
    right = bind(String(value), 'text');
    if (!filter.caseExact) {
      left = `lower(${left})`;
      right = `lower(${right})`;
    }
  }
  let condition: string;
  switch (op) {
    case 'eq':
      condition = `${left} = ${right}`;
      break;
    case 'ne':
      return `(${left} IS NULL OR ${left} <> ${right})`;
    case 'co':
      condition = `strpos(${left}::text, ${right}::text) > 0`;
      break;
    case 'sw':
      condition = `starts_with(${left}::text, ${right}::text)`;
      break;
    case 'ew':
      condition = `right(${left}::text, length(${right}::text)) = ${right}::text`;
      break;
    default:
      condition = `${left} ${ORDERING[op]} ${right}`;
  }
  return condition;
}

/**
 * The SQL condition for `filter`. A comparison with an absent value is NULL,
 * which AND, OR and WHERE treat as false; `not` coalesces it to false before
 * negating, so "not matched" is always the complement. Comparisons stay plain
 * (`column = $n`) so the indexes serve them.
 */
export function filterSql(filter: RecordFilter, bind: Bind, table: FilterTable = USERS_TABLE): string {
  switch (filter.op) {
    case 'and':
    case 'or':
      return `(${filter.filters.map((f) => filterSql(f, bind, table)).join(filter.op === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `NOT coalesce(${filterSql(filter.filter, bind, table)}, false)`;
    case 'pr':
      return presentSql(filter.target, bind, table);
    case 'some': {
      if (!table.hasAttributes) throw new Error('this table has no attributes');
      const array = `u.attributes #> ${bind(filter.path, 'text[]')}`;
      return `EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${array}) = 'array' THEN ${array} ELSE '[]'::jsonb END) AS e(v) WHERE ${filterSql(filter.filter, bind, table)})`;
    }
    default:
      return compareSql(filter, bind, table);
  }
}

/** ORDER BY for a sort: nulls last ascending (first descending), ties by id. */
export function sortSql(sort: RecordSort | undefined, bind: Bind, table: FilterTable = USERS_TABLE): string {
  if (!sort) return 'u.id';
  return `${targetSql(sort.target, bind, table).sql} ${sort.descending ? 'DESC' : 'ASC'}, u.id`;
}
