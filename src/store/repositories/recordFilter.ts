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

/**
 * A table filters compile against: its filterable columns, whether it has
 * `attributes`, and what an `element` target reads (by default the array
 * element `e.v` of a `some`).
 */
export interface FilterTable {
  readonly columns: Readonly<Record<string, ColumnSql>>;
  readonly hasAttributes: boolean;
  readonly element?: (path: readonly string[]) => ColumnSql;
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
  emailKey: { sql: 'u.email_key', type: 'text' },
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

/** Inside `someMember`: a membership row `m`, whose one element value is the member's user id. */
const MEMBERSHIPS: FilterTable = {
  columns: {},
  hasAttributes: false,
  element: (path) => {
    if (path.length !== 1 || path[0] !== 'value') throw new Error('a member is filtered on its value only');
    return { sql: 'm.user_id', type: 'uuid' };
  },
};

/** A column the table has; a filter naming another is a programming error of its builder. */
function column(table: FilterTable, name: string): ColumnSql {
  const found = table.columns[name];
  if (!found) throw new Error(`no filterable column "${name}" here`);
  return found;
}

/**
 * Element values with an index (migration 0018): the lower-cased values of a
 * sub-attribute of an array in `attributes`, as `muster_element_values`
 * computes them, under a GIN index that is partial on `attributes ? key`.
 * Only these literal paths are spliced into statements; `:value` is where
 * the compared value's placeholder goes.
 */
const INDEXED_ELEMENT_VALUES: readonly { readonly path: readonly string[]; readonly sub: string; readonly sql: string }[] = [
  { path: ['scim', 'emails'], sub: 'value', sql: "(u.attributes ? 'scim' AND muster_element_values(u.attributes, '{scim,emails}', 'value') @> ARRAY[lower(:value)])" },
];

/**
 * The indexed condition that an element of `some` over `path` matching
 * `filter` implies, if there is one: `filter` (or one conjunct of it) is a
 * case-insensitive string equality of an indexed sub-attribute. Returns the
 * condition and whether it is the whole of `filter` (then it replaces the
 * element scan instead of narrowing it).
 */
function indexedElementSql(path: readonly string[], filter: RecordFilter, bind: Bind): { sql: string; exact: boolean } | undefined {
  const conjuncts = filter.op === 'and' ? filter.filters : [filter];
  for (const conjunct of conjuncts) {
    if (conjunct.op !== 'eq' || conjunct.caseExact || typeof conjunct.value !== 'string' || conjunct.type !== 'string' || conjunct.target.kind !== 'element') continue;
    const [sub, ...deeper] = conjunct.target.path;
    const index = INDEXED_ELEMENT_VALUES.find((i) => i.sub === sub && deeper.length === 0 && i.path.length === path.length && i.path.every((p, n) => p === path[n]));
    if (index) return { sql: index.sql.replace(':value', bind(conjunct.value, 'text')), exact: conjuncts.length === 1 };
  }
  return undefined;
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
      return table.element ? table.element(target.path) : { sql: `(e.v #>> ${bind(target.path, 'text[]')})`, type: 'text' };
  }
}

/** The JSON value at a target (for `pr` on attributes: empty strings, arrays and objects do not count). */
function presentSql(target: FilterTarget, bind: Bind, table: FilterTable): string {
  if (target.kind === 'column') return `${column(table, target.column).sql} IS NOT NULL`;
  if (target.kind === 'element' && table.element) return `${table.element(target.path).sql} IS NOT NULL`;
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
      const indexed = indexedElementSql(filter.path, filter.filter, bind);
      if (indexed?.exact) return indexed.sql;
      const array = `u.attributes #> ${bind(filter.path, 'text[]')}`;
      const scan = `EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${array}) = 'array' THEN ${array} ELSE '[]'::jsonb END) AS e(v) WHERE ${filterSql(filter.filter, bind, table)})`;
      return indexed ? `(${indexed.sql} AND ${scan})` : scan;
    }
    case 'someMember':
      if (table !== GROUPS_TABLE) throw new Error('only groups have members');
      return `EXISTS (SELECT 1 FROM group_members m WHERE m.tenant_id = u.tenant_id AND m.group_id = u.id AND ${filterSql(filter.filter, bind, MEMBERSHIPS)})`;
    default:
      return compareSql(filter, bind, table);
  }
}

/** ORDER BY for a sort: nulls last ascending (first descending), ties by id. */
export function sortSql(sort: RecordSort | undefined, bind: Bind, table: FilterTable = USERS_TABLE): string {
  if (!sort) return 'u.id';
  return `${targetSql(sort.target, bind, table).sql} ${sort.descending ? 'DESC' : 'ASC'}, u.id`;
}
