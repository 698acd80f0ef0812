/**
 * PATCH (RFC 7644 §3.5.2) on a canonical resource, as a pure function: the
 * caller runs it inside the engine's read-modify-write (the row locked, the
 * version checked), so all operations apply or none. Paths: `attr`,
 * `attr.sub`, URN-qualified, `attr[filter]`, `attr[filter].sub`; no path
 * takes the value's keys as paths (dotted and URN keys too), ignoring
 * read-only ones; an explicit path to a read-only attribute is `scim.mutability`.
 *
 * Entra ID's documented quirks are accepted: `op` in any case; booleans as
 * strings; `remove` of a multi-valued attribute with a `value` list removes
 * only the listed elements (matched by `value`); a filtered `replace` (or
 * `add`) that matches nothing adds an element built from the filter's `eq`
 * terms and the value. Errors: `scim.invalid_path`, `scim.no_target`,
 * `scim.mutability`, `scim.invalid_value`, `scim.invalid_syntax`.
 */
import type { Filter } from 'scim2-parse-filter';
import { parseScimFilter } from './filter.ts';
import { MusterError } from '../../domain/errors.ts';
import { attributeNamed, resolvePath, type AttributeDef, type ResolvedPath, type ResourceTypeDef } from './registry.ts';
import { isObject, valueOf, type Json, type JsonObject } from './resource.ts';

export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface PatchOperation {
  readonly op: 'add' | 'replace' | 'remove';
  readonly path: string | undefined;
  readonly value: unknown;
}

interface Target {
  readonly resolved: ResolvedPath;
  readonly filter: Filter | undefined;
  /** The sub-attribute after a value filter (`emails[type eq "work"].value`). */
  readonly sub: AttributeDef | undefined;
}

/** Reads a PatchOp message; throws `scim.invalid_syntax`. */
export function readPatch(body: unknown): PatchOperation[] {
  if (!isObject(body) || !Array.isArray(body.schemas) || !body.schemas.includes(PATCH_SCHEMA)) {
    throw new MusterError('scim.invalid_syntax', `A PATCH body is a PatchOp message: "schemas": ["${PATCH_SCHEMA}"].`);
  }
  const ops = body.Operations ?? body.operations;
  if (!Array.isArray(ops) || ops.length === 0) throw new MusterError('scim.invalid_syntax', 'A PatchOp message has a non-empty "Operations" array.');
  return ops.map((raw, i) => {
    if (!isObject(raw) || typeof raw.op !== 'string') throw new MusterError('scim.invalid_syntax', `Operations[${i}] has no "op".`);
    const op = raw.op.toLowerCase();
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw new MusterError('scim.invalid_syntax', `Operations[${i}].op must be add, replace or remove.`);
    if (raw.path !== undefined && typeof raw.path !== 'string') throw new MusterError('scim.invalid_path', `Operations[${i}].path must be a string.`);
    if (op !== 'remove' && raw.value === undefined) throw new MusterError('scim.invalid_value', `Operations[${i}] (${op}) needs a "value".`);
    return { op, path: raw.path === '' ? undefined : raw.path, value: raw.value };
  });
}

function parsePath(type: ResourceTypeDef, path: string): Target {
  const match = /^([^[\]]+?)(?:\[(.*)\](?:\.([^.[\]]+))?)?$/.exec(path.trim());
  if (!match) throw new MusterError('scim.invalid_path', `The path "${path}" does not parse.`);
  const [, attrPath = '', filterText, subName] = match;
  const resolved = resolvePath(type, attrPath);
  if (!resolved) throw new MusterError('scim.invalid_path', `The path "${path}" names no attribute of a ${type.name}.`);
  if (filterText === undefined) return { resolved, filter: undefined, sub: undefined };
  if (!resolved.attribute.multiValued || resolved.sub) throw new MusterError('scim.invalid_path', `"${attrPath}" is not a multi-valued attribute.`);
  const filter = parseScimFilter(filterText, () => new MusterError('scim.invalid_path', `The filter in the path "${path}" does not parse.`));
  const sub = subName === undefined ? undefined : attributeNamed(resolved.attribute.subAttributes, subName);
  if (subName !== undefined && !sub) throw new MusterError('scim.invalid_path', `"${resolved.attribute.name}" has no sub-attribute "${subName}".`);
  return { resolved, filter, sub };
}

/** Whether an element matches a value filter (one resource's elements, not a listing). */
function matches(element: Json, filter: Filter, parent: AttributeDef): boolean {
  if (!isObject(element)) return false;
  switch (filter.op) {
    case 'and':
      return filter.filters.every((f) => matches(element, f, parent));
    case 'or':
      return filter.filters.some((f) => matches(element, f, parent));
    case 'not':
      return !matches(element, filter.filter, parent);
    case '[]':
      return false;
  }
  const def = attributeNamed(parent.subAttributes, filter.attrPath);
  const actual = def ? element[def.name] : undefined;
  if (filter.op === 'pr') return actual !== undefined && actual !== null && actual !== '';
  let left: Json | undefined = actual;
  let right: Json = filter.compValue;
  if (def?.type === 'boolean') {
    left = typeof left === 'string' ? left.toLowerCase() === 'true' : left;
    right = typeof right === 'string' ? right.toLowerCase() === 'true' : right;
  } else if (typeof left === 'string' && typeof right === 'string' && !def?.caseExact) {
    left = left.toLowerCase();
    right = right.toLowerCase();
  }
  const op = filter.op.toLowerCase();
  if (op === 'eq') return left === right;
  if (op === 'ne') return left !== right;
  if (typeof left !== 'string' || typeof right !== 'string') {
    if (typeof left === 'number' && typeof right === 'number') return op === 'gt' ? left > right : op === 'ge' ? left >= right : op === 'lt' ? left < right : op === 'le' ? left <= right : false;
    return false;
  }
  switch (op) {
    case 'co':
      return left.includes(right);
    case 'sw':
      return left.startsWith(right);
    case 'ew':
      return left.endsWith(right);
    case 'gt':
      return left > right;
    case 'ge':
      return left >= right;
    case 'lt':
      return left < right;
    case 'le':
      return left <= right;
  }
  return false;
}

/** The element a filtered replace with no match creates: the filter's `eq` terms (Entra ID). */
function elementFromFilter(filter: Filter, parent: AttributeDef): JsonObject {
  if (filter.op === 'and') return Object.assign({}, ...filter.filters.map((f) => elementFromFilter(f, parent))) as JsonObject;
  if (filter.op !== 'eq') throw new MusterError('scim.no_target', 'The path\'s filter matches no element, and is not made of "eq" terms to create one from.');
  const def = attributeNamed(parent.subAttributes, filter.attrPath);
  if (!def) throw new MusterError('scim.invalid_path', `"${parent.name}" has no sub-attribute "${filter.attrPath}".`);
  return { [def.name]: valueOf(def, filter.compValue, `${parent.name}.${def.name}`) };
}

function containerOf(resource: JsonObject, type: ResourceTypeDef, resolved: ResolvedPath): JsonObject {
  if (resolved.schema === type.schema) return resource;
  const existing = resource[resolved.schema];
  if (isObject(existing)) return existing;
  const made: JsonObject = {};
  resource[resolved.schema] = made;
  return made;
}

function assertMutable(def: AttributeDef, path: string): void {
  if (def.mutability === 'readOnly') throw new MusterError('scim.mutability', `Attribute "${path}" is read-only.`, { field: path });
}

/** Adds `values` (already checked) to a multi-valued attribute, skipping exact duplicates (RFC 7644 §3.5.2.1). */
function appendUnique(existing: Json[], values: Json[]): Json[] {
  const out = [...existing];
  for (const v of values) if (!out.some((e) => JSON.stringify(e) === JSON.stringify(v))) out.push(v);
  return out;
}

/** With a primary element among `values`, the others lose their `primary` (RFC 7643 §2.4: at most one). */
function onePrimary(list: Json[]): Json[] {
  const last = list.findLastIndex((e) => isObject(e) && e.primary === true);
  if (last < 0) return list;
  return list.map((e, i) => (isObject(e) && i !== last && e.primary === true ? { ...e, primary: false } : e));
}

function applyAt(resource: JsonObject, type: ResourceTypeDef, op: PatchOperation, path: string): void {
  const target = parsePath(type, path);
  const { resolved } = target;
  const attribute = resolved.attribute;
  const holder = containerOf(resource, type, resolved);
  const name = attribute.name;
  assertMutable(attribute, path);
  if (target.filter) {
    if (target.sub) assertMutable(target.sub, path);
    const list = Array.isArray(holder[name]) ? [...(holder[name] as Json[])] : [];
    const hits = list.map((e, i) => (matches(e, target.filter!, attribute) ? i : -1)).filter((i) => i >= 0);
    if (op.op === 'remove') {
      if (hits.length === 0) throw new MusterError('scim.no_target', `No value matches "${path}".`);
      if (target.sub) for (const i of hits) delete (list[i] as JsonObject)[target.sub.name];
      const kept = target.sub ? list : list.filter((_, i) => !hits.includes(i));
      if (kept.length === 0) delete holder[name];
      else holder[name] = kept;
      return;
    }
    if (hits.length === 0) {
      const created = elementFromFilter(target.filter, attribute);
      const value = target.sub ? { [target.sub.name]: valueOf(target.sub, op.value, path) } : valueOf(attribute, op.value, path, true);
      holder[name] = onePrimary([...list, { ...created, ...(isObject(value) ? value : {}) }]);
      return;
    }
    for (const i of hits) {
      if (target.sub) (list[i] as JsonObject)[target.sub.name] = valueOf(target.sub, op.value, path);
      else {
        const value = valueOf(attribute, op.value, path, true);
        list[i] = op.op === 'add' && isObject(list[i]) && isObject(value) ? { ...(list[i] as JsonObject), ...value } : value;
      }
    }
    holder[name] = onePrimary(list);
    return;
  }
  if (resolved.sub) {
    assertMutable(resolved.sub, path);
    if (attribute.multiValued) throw new MusterError('scim.invalid_path', `"${path}": select elements of "${name}" with a filter, e.g. ${name}[type eq "work"].${resolved.sub.name}.`);
    const parent = isObject(holder[name]) ? { ...(holder[name] as JsonObject) } : {};
    if (op.op === 'remove') delete parent[resolved.sub.name];
    else parent[resolved.sub.name] = valueOf(resolved.sub, op.value, path);
    if (Object.keys(parent).length === 0) delete holder[name];
    else holder[name] = parent;
    return;
  }
  if (op.op === 'remove') {
    if (attribute.multiValued && Array.isArray(op.value)) {
      // Entra ID: remove only the listed elements, matched by their value.
      const drop = new Set(op.value.filter(isObject).map((v) => String(v.value)));
      const list = Array.isArray(holder[name]) ? (holder[name] as Json[]) : [];
      const kept = list.filter((e) => !(isObject(e) && drop.has(String(e.value))));
      if (kept.length === 0) delete holder[name];
      else holder[name] = kept;
      return;
    }
    delete holder[name];
    return;
  }
  if (attribute.multiValued) {
    const values = (Array.isArray(op.value) ? op.value : [op.value]).map((v, i) => valueOf(attribute, v, `${path}[${i}]`, true));
    const existing = op.op === 'add' && Array.isArray(holder[name]) ? (holder[name] as Json[]) : [];
    holder[name] = onePrimary(appendUnique(existing, values));
    return;
  }
  const value = valueOf(attribute, op.value, path);
  if (value === null) delete holder[name];
  else holder[name] = op.op === 'add' && isObject(holder[name]) && isObject(value) ? { ...(holder[name] as JsonObject), ...value } : value;
}

/** The resource after every operation, in order; `resource` is not changed. */
export function applyPatch(resource: JsonObject, type: ResourceTypeDef, operations: readonly PatchOperation[]): JsonObject {
  const next = structuredClone(resource);
  for (const op of operations) {
    if (op.path !== undefined) {
      applyAt(next, type, op, op.path);
      continue;
    }
    if (op.op === 'remove') throw new MusterError('scim.no_target', 'A remove operation needs a "path".');
    if (!isObject(op.value)) throw new MusterError('scim.invalid_value', `A ${op.op} without a path takes an object of attributes.`);
    for (const [key, value] of Object.entries(op.value)) {
      if (key === 'schemas') continue;
      const extension = type.extensions.find((urn) => urn.toLowerCase() === key.toLowerCase());
      if (extension && isObject(value)) {
        for (const [subKey, subValue] of Object.entries(value)) applyAt(next, type, { ...op, value: subValue }, `${extension}:${subKey}`);
        continue;
      }
      // Read-only attributes in a path-less value are ignored, as in a PUT (Okta's rename sends the group's `id`).
      const resolved = resolvePath(type, key.replace(/\[.*$/, ''));
      if (resolved && (resolved.sub ?? resolved.attribute).mutability === 'readOnly') continue;
      applyAt(next, type, { ...op, value }, key);
    }
  }
  return next;
}
