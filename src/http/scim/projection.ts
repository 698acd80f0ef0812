/**
 * `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9), on every
 * response that returns a resource. Paths are resolved through the registry
 * (case-insensitive, `a.sub`, URN-qualified); `returned: always` attributes
 * (`id`) and `schemas` are never removed; an unknown path is ignored (the RFC
 * lets a server ignore what it does not support).
 */
import { resolvePath, type ResolvedPath, type ResourceTypeDef } from './registry.ts';
import { isObject, type Json, type JsonObject } from './resource.ts';

export interface Projection {
  readonly attributes?: string | undefined;
  readonly excludedAttributes?: string | undefined;
}

const pathsOf = (type: ResourceTypeDef, list: string | undefined): ResolvedPath[] =>
  (list ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => resolvePath(type, p))
    .filter((p): p is ResolvedPath => p !== undefined);

/** The object a resolved path's attribute lives in (the resource, or its extension's object). */
function container(resource: JsonObject, type: ResourceTypeDef, path: ResolvedPath, create: boolean): JsonObject | undefined {
  if (path.schema === type.schema) return resource;
  const existing = resource[path.schema];
  if (isObject(existing)) return existing;
  if (!create) return undefined;
  const made: JsonObject = {};
  resource[path.schema] = made;
  return made;
}

function pickSub(value: Json, sub: string): Json | undefined {
  if (Array.isArray(value)) return value.filter(isObject).map((e) => (e[sub] === undefined ? {} : { [sub]: e[sub]! }));
  if (isObject(value)) return value[sub] === undefined ? undefined : { [sub]: value[sub]! };
  return undefined;
}

function merge(existing: Json | undefined, addition: Json): Json {
  if (Array.isArray(existing) && Array.isArray(addition)) return existing.map((e, i) => (isObject(e) && isObject(addition[i]) ? { ...e, ...(addition[i] as JsonObject) } : e));
  if (isObject(existing) && isObject(addition)) return { ...existing, ...addition };
  return addition;
}

export function project(resource: JsonObject, type: ResourceTypeDef, projection: Projection): JsonObject {
  const wanted = pathsOf(type, projection.attributes);
  if (wanted.length > 0) {
    const out: JsonObject = { schemas: resource.schemas!, id: resource.id! };
    for (const path of wanted) {
      const from = container(resource, type, path, false);
      const value = from?.[path.attribute.name];
      if (value === undefined) continue;
      const picked = path.sub ? pickSub(value, path.sub.name) : value;
      if (picked === undefined) continue;
      const into = container(out, type, path, true)!;
      into[path.attribute.name] = path.sub ? merge(into[path.attribute.name], picked) : picked;
    }
    return out;
  }
  const excluded = pathsOf(type, projection.excludedAttributes);
  if (excluded.length === 0) return resource;
  const out: JsonObject = structuredClone(resource);
  for (const path of excluded) {
    if ((path.sub ?? path.attribute).returned === 'always') continue;
    const from = container(out, type, path, false);
    if (!from) continue;
    if (!path.sub) {
      delete from[path.attribute.name];
      continue;
    }
    const value = from[path.attribute.name];
    for (const element of Array.isArray(value) ? value : [value]) if (isObject(element)) delete element[path.sub.name];
  }
  return out;
}
