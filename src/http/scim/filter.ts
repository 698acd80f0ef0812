/**
 * SCIM filters (RFC 7644 §3.4.2.2) to the engine's RecordFilter. Parsing is
 * scim2-parse-filter's (a maintained fork of scim2-filter: the whole grammar,
 * `not`, precedence, parentheses, value filters, URN paths, operators and
 * attribute names in any case), then every attribute path is resolved through
 * the registry and mapped to where muster stores it: a column, the resource
 * as stored in `attributes.scim`, or an element of a stored multi-valued
 * attribute. Anything that does not parse, or names an attribute that cannot
 * be filtered on (`password`, `groups`, `meta.location`, ...), is
 * `scim.invalid_filter`. The store compiles the result to SQL with bound
 * parameters; nothing is filtered in memory.
 */
import { parse, type Filter } from 'scim2-parse-filter';
import { MusterError } from '../../domain/errors.ts';
import type { FilterTarget, FilterValueType, GroupFilterColumn, RecordFilter, RecordSort, UserFilterColumn } from '../../domain/filter.ts';
import { attributeNamed, resolvePath, type AttributeDef, type ResolvedPath, type ResourceTypeDef } from './registry.ts';
import { SCIM_ATTRIBUTES_KEY } from './userTranslate.ts';

const invalid = (detail: string) => new MusterError('scim.invalid_filter', detail);

/** Core User attributes that are columns (`attr` or `attr.sub`). */
const USER_COLUMNS: Record<string, UserFilterColumn> = {
  id: 'id',
  externalId: 'externalId',
  userName: 'username',
  displayName: 'displayName',
  'name.givenName': 'givenName',
  'name.familyName': 'familyName',
  locale: 'locale',
  active: 'active',
  'meta.created': 'createdAt',
  'meta.lastModified': 'updatedAt',
};

/** Group attributes that are columns (`members` is a relation: see groupLeaf). */
const GROUP_COLUMNS: Record<string, GroupFilterColumn> = {
  id: 'id',
  externalId: 'externalId',
  displayName: 'name',
  'meta.created': 'createdAt',
  'meta.lastModified': 'updatedAt',
};

/** Multi-valued attributes whose primary value is also a column (so users created natively match too). */
const PRIMARY_COLUMNS: Record<string, UserFilterColumn> = { emails: 'email', phoneNumbers: 'phone' };

const NOT_FILTERABLE = new Set(['password', 'groups', 'meta', 'meta.resourceType', 'meta.location', 'meta.version']);

function valueType(def: AttributeDef): FilterValueType {
  switch (def.type) {
    case 'boolean':
    case 'dateTime':
    case 'integer':
    case 'decimal':
      return def.type;
    default:
      return 'string';
  }
}

function resolve(type: ResourceTypeDef, path: string): ResolvedPath {
  const resolved = resolvePath(type, path);
  if (!resolved) throw invalid(`Unknown attribute "${path}" in the filter.`);
  const key = resolved.sub ? `${resolved.attribute.name}.${resolved.sub.name}` : resolved.attribute.name;
  if (resolved.schema === type.schema && NOT_FILTERABLE.has(resolved.sub ? key : resolved.attribute.name)) {
    throw invalid(`Attribute "${path}" cannot be filtered on.`);
  }
  return resolved;
}

/** The stored path of an attribute in `attributes` (core at the top of `scim`, extensions under their URN). */
function storedPath(type: ResourceTypeDef, resolved: ResolvedPath, withSub: boolean): string[] {
  const head = resolved.schema === type.schema ? [SCIM_ATTRIBUTES_KEY] : [SCIM_ATTRIBUTES_KEY, resolved.schema];
  return [...head, resolved.attribute.name, ...(withSub && resolved.sub ? [resolved.sub.name] : [])];
}

type Leaf = { op: 'pr' } | { op: Exclude<RecordFilter['op'], 'and' | 'or' | 'not' | 'pr' | 'some' | 'someMember'>; value: string | number | boolean | null };

function leaf(target: FilterTarget, def: AttributeDef, spec: Leaf): RecordFilter {
  if (spec.op === 'pr') return { op: 'pr', target };
  if (def.type === 'boolean' && typeof spec.value === 'string' && !/^(true|false)$/i.test(spec.value)) throw invalid(`"${def.name}" compares with true or false.`);
  return { op: spec.op, target, value: spec.value, type: valueType(def), caseExact: def.caseExact };
}

/** A comparison on a top-level path of a User. */
function userLeaf(type: ResourceTypeDef, path: string, spec: Leaf): RecordFilter {
  const resolved = resolve(type, path);
  const { attribute } = resolved;
  if (attribute.multiValued) {
    const sub = resolved.sub ?? attribute.subAttributes?.find((s) => s.name === 'value');
    if (!sub) throw invalid(`Attribute "${path}" cannot be filtered on.`);
    const some: RecordFilter = { op: 'some', path: storedPath(type, resolved, false), filter: leaf({ kind: 'element', path: [sub.name] }, sub, spec) };
    const column = sub.name === 'value' && resolved.schema === type.schema ? PRIMARY_COLUMNS[attribute.name] : undefined;
    return column ? { op: 'or', filters: [some, leaf({ kind: 'column', column }, sub, spec)] } : some;
  }
  const def = resolved.sub ?? attribute;
  if (def.type === 'complex') throw invalid(`Attribute "${path}" is complex; filter on one of its sub-attributes.`);
  const key = resolved.sub ? `${attribute.name}.${resolved.sub.name}` : attribute.name;
  const column = resolved.schema === type.schema ? USER_COLUMNS[key] : undefined;
  return leaf(column ? { kind: 'column', column } : { kind: 'attribute', path: storedPath(type, resolved, true) }, def, spec);
}

/** A comparison inside a value filter `attr[...]`: paths are sub-attributes of `parent`'s elements. */
function elementLeaf(parent: AttributeDef, path: string, spec: Leaf): RecordFilter {
  const sub = attributeNamed(parent.subAttributes, path);
  if (!sub) throw invalid(`"${parent.name}" has no sub-attribute "${path}".`);
  return leaf({ kind: 'element', path: [sub.name] }, sub, spec);
}

/**
 * A value filter that tests only `value` also holds for a user whose element
 * is its primary column (a user written by another dialect has no stored
 * array, and is rendered with one element of that value): the filter with
 * `value` read from the column, or undefined when it tests anything else.
 */
function onPrimaryColumn(filter: RecordFilter, column: UserFilterColumn): RecordFilter | undefined {
  switch (filter.op) {
    case 'and':
    case 'or': {
      const filters = filter.filters.map((f) => onPrimaryColumn(f, column));
      return filters.every((f) => f !== undefined) ? { op: filter.op, filters } : undefined;
    }
    case 'not': {
      const inner = onPrimaryColumn(filter.filter, column);
      return inner && { op: 'not', filter: inner };
    }
    case 'some':
    case 'someMember':
      return undefined;
    default: {
      const { target } = filter;
      if (target.kind !== 'element' || target.path.length !== 1 || target.path[0] !== 'value') return undefined;
      return { ...filter, target: { kind: 'column', column } };
    }
  }
}

function convert(node: Filter, at: (path: string, spec: Leaf) => RecordFilter, type: ResourceTypeDef, inElement: boolean): RecordFilter {
  switch (node.op) {
    case 'and':
    case 'or':
      return { op: node.op, filters: node.filters.map((f) => convert(f, at, type, inElement)) };
    case 'not':
      return { op: 'not', filter: convert(node.filter, at, type, inElement) };
    case '[]': {
      if (inElement) throw invalid('Value filters cannot nest.');
      const resolved = resolve(type, node.attrPath);
      if (!resolved.attribute.multiValued || resolved.sub) throw invalid(`"${node.attrPath}" is not a multi-valued attribute.`);
      const parent = resolved.attribute;
      if (type.name === 'Group') return { op: 'someMember', filter: convert(node.valFilter, (p, s) => memberLeaf(parent, p, s), type, true) };
      const some: RecordFilter = { op: 'some', path: storedPath(type, resolved, false), filter: convert(node.valFilter, (p, s) => elementLeaf(parent, p, s), type, true) };
      const column = resolved.schema === type.schema ? PRIMARY_COLUMNS[parent.name] : undefined;
      const onColumn = column && onPrimaryColumn(some.filter, column);
      return onColumn ? { op: 'or', filters: [some, onColumn] } : some;
    }
    case 'pr':
      return at(node.attrPath, { op: 'pr' });
    default: {
      const op = node.op.toLowerCase() as Exclude<Leaf['op'], 'pr'>;
      return at(node.attrPath, { op, value: node.compValue });
    }
  }
}

/** A JSON string literal (RFC 7644 §3.4.2.2 compValue strings are JSON strings, RFC 7159 escapes and all). */
const JSON_STRING = /"(?:[^"\\]|\\.)*"/g;

function restoreStrings(node: Filter, strings: readonly string[]): Filter {
  switch (node.op) {
    case 'and':
    case 'or':
      return { ...node, filters: node.filters.map((f) => restoreStrings(f, strings)) };
    case 'not':
      return { ...node, filter: restoreStrings(node.filter, strings) };
    case '[]':
      return { ...node, valFilter: restoreStrings(node.valFilter, strings) };
    case 'pr':
      return node;
    default: {
      // Every string the library sees is a placeholder: the i-th string of the filter.
      return typeof node.compValue === 'string' ? { ...node, compValue: strings[Number(node.compValue)]! } : node;
    }
  }
}

/**
 * Parses a filter with scim2-parse-filter, whose tokenizer reads a backslash
 * literally unless it escapes a quote (so `"a\\"` would not parse): string
 * values are read here as the JSON strings the RFC makes them, and the library
 * parses the structure around them. Throws `what` with the reason.
 */
export function parseScimFilter(text: string, what: (reason: string) => MusterError = (reason) => invalid(`The filter does not parse: ${reason}`)): Filter {
  const strings: string[] = [];
  try {
    const masked = text.replace(JSON_STRING, (literal) => `"${strings.push(JSON.parse(literal) as string) - 1}"`);
    return restoreStrings(parse(masked), strings);
  } catch (error) {
    throw what((error as Error).message);
  }
}

/** Parses a SCIM filter over Users; throws `scim.invalid_filter`. */
export function userFilter(type: ResourceTypeDef, text: string): RecordFilter {
  return convert(parseScimFilter(text), (path, spec) => userLeaf(type, path, spec), type, false);
}

/** A comparison on a member's sub-attribute (`members[value eq "..."]`): only `value`, the member's id, is stored. */
function memberLeaf(members: AttributeDef, path: string, spec: Leaf): RecordFilter {
  const sub = attributeNamed(members.subAttributes, path);
  if (!sub || sub.name !== 'value') throw invalid(`Members can be filtered on their value (the member's id) only, not "${path}".`);
  return leaf({ kind: 'element', path: ['value'] }, sub, spec);
}

/** A comparison on a path of a Group: its columns, or `members` / `members.value` (some member's id). */
function groupLeaf(type: ResourceTypeDef, path: string, spec: Leaf): RecordFilter {
  const resolved = resolve(type, path);
  if (resolved.schema === type.schema && resolved.attribute.name === 'members') {
    return { op: 'someMember', filter: memberLeaf(resolved.attribute, resolved.sub?.name ?? 'value', spec) };
  }
  const key = resolved.sub ? `${resolved.attribute.name}.${resolved.sub.name}` : resolved.attribute.name;
  const column = GROUP_COLUMNS[key];
  if (!column) throw invalid(`Groups cannot be filtered on "${path}".`);
  return leaf({ kind: 'column', column }, resolved.sub ?? resolved.attribute, spec);
}

/** Parses a SCIM filter over Groups; throws `scim.invalid_filter`. */
export function groupFilter(type: ResourceTypeDef, text: string): RecordFilter {
  return convert(parseScimFilter(text), (path, spec) => groupLeaf(type, path, spec), type, false);
}

/** `sortBy`/`sortOrder` over Groups: their columns only. */
export function groupSort(type: ResourceTypeDef, sortBy: string | undefined, sortOrder: string | undefined): RecordSort | undefined {
  if (sortBy === undefined) return undefined;
  const resolved = resolvePath(type, sortBy);
  const column = resolved && GROUP_COLUMNS[resolved.sub ? `${resolved.attribute.name}.${resolved.sub.name}` : resolved.attribute.name];
  if (!column) throw invalid(`Cannot sort groups by "${sortBy}".`);
  return { target: { kind: 'column', column }, descending: sortOrder?.toLowerCase() === 'descending' };
}

/** `sortBy`/`sortOrder` over Users (RFC 7644 §3.4.2.3): a multi-valued attribute sorts by its primary value's column. */
export function userSort(type: ResourceTypeDef, sortBy: string | undefined, sortOrder: string | undefined): RecordSort | undefined {
  if (sortBy === undefined) return undefined;
  const resolved = resolvePath(type, sortBy);
  if (!resolved) throw invalid(`Unknown attribute "${sortBy}" in sortBy.`);
  const key = resolved.sub ? `${resolved.attribute.name}.${resolved.sub.name}` : resolved.attribute.name;
  const column = resolved.schema === type.schema ? (USER_COLUMNS[key] ?? PRIMARY_COLUMNS[resolved.attribute.name]) : undefined;
  const descending = sortOrder?.toLowerCase() === 'descending';
  if (column) return { target: { kind: 'column', column }, descending };
  if (resolved.attribute.multiValued || (resolved.attribute.type === 'complex' && !resolved.sub)) throw invalid(`Cannot sort by "${sortBy}".`);
  return { target: { kind: 'attribute', path: storedPath(type, resolved, true) }, descending };
}
