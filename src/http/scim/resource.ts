/**
 * Reading what a client sends against the attribute registry: attribute names
 * matched case-insensitively and rewritten to the registry's spelling, values
 * checked against their types, readOnly attributes ignored (RFC 7644 §3.3/§3.5.1),
 * unknown attributes dropped (see docs/dialects/scim.md). Entra ID's booleans as
 * strings ("False") are read as booleans. Throws `scim.invalid_value`.
 */
import { MusterError } from '../../domain/errors.ts';
import { attributeNamed, schemaAttributes, type AttributeDef, type ResourceTypeDef } from './registry.ts';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

function invalid(path: string, expected: string): MusterError {
  return new MusterError('scim.invalid_value', `Attribute "${path}" must be ${expected}.`, { field: path });
}

/** A boolean, or "true"/"false" in any case (Entra ID sends "False"). */
export function booleanOf(value: unknown, path: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalid(path, 'a boolean');
}

/** One value of attribute `def`, checked and normalised (sub-attributes canonicalised). null stays null (clears). */
export function valueOf(def: AttributeDef, value: unknown, path: string, single = false): Json {
  if (value === null) return null;
  if (def.multiValued && !single) {
    if (!Array.isArray(value)) throw invalid(path, 'an array');
    return value.map((v, i) => valueOf(def, v, `${path}[${i}]`, true));
  }
  switch (def.type) {
    case 'boolean':
      return booleanOf(value, path);
    case 'integer':
      if (!Number.isSafeInteger(value)) throw invalid(path, 'an integer');
      return value as number;
    case 'decimal':
      if (typeof value !== 'number') throw invalid(path, 'a number');
      return value;
    case 'dateTime':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw invalid(path, 'an xsd:dateTime string');
      return value;
    case 'complex': {
      if (!isObject(value)) throw invalid(path, 'an object');
      return canonicalObject(def.subAttributes ?? [], value, path, false);
    }
    default:
      if (typeof value !== 'string') throw invalid(path, 'a string');
      return value;
  }
}

/** The attributes of `input` that `defs` knows, under their registry names; readOnly ones dropped unless `keepReadOnly`. */
function canonicalObject(defs: readonly AttributeDef[], input: JsonObject, path: string, keepReadOnly: boolean): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(input)) {
    const def = attributeNamed(defs, key);
    if (!def || (def.mutability === 'readOnly' && !keepReadOnly)) continue;
    const canonical = valueOf(def, value, path ? `${path}.${def.name}` : def.name);
    if (canonical !== null) out[def.name] = canonical;
  }
  return out;
}

/**
 * A resource as sent (POST, PUT, a Bulk `data`), canonicalised: core
 * attributes at the top level, each extension's under its URN. `schemas` must
 * name the resource type's core schema; readOnly attributes are ignored.
 */
export function readResource(type: ResourceTypeDef, body: unknown): JsonObject {
  if (!isObject(body)) throw new MusterError('scim.invalid_syntax', 'The body must be a JSON object.');
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === type.schema.toLowerCase())) {
    throw new MusterError('scim.invalid_value', `"schemas" must include "${type.schema}".`, { field: 'schemas' });
  }
  const out = canonicalObject(schemaAttributes(type, type.schema), body, '', false);
  for (const urn of type.extensions) {
    const key = Object.keys(body).find((k) => k.toLowerCase() === urn.toLowerCase());
    const value = key === undefined ? undefined : body[key];
    if (value === undefined || value === null) continue;
    if (!isObject(value)) throw invalid(urn, 'an object');
    out[urn] = canonicalObject(schemaAttributes(type, urn), value, urn, false);
  }
  for (const def of schemaAttributes(type, type.schema)) {
    if (def.required && (out[def.name] === undefined || out[def.name] === '')) {
      throw new MusterError('scim.invalid_value', `Attribute "${def.name}" is required.`, { field: def.name });
    }
  }
  return out;
}
