/**
 * The response schemas of the vendor documents in `../shared/seeds/`, for
 * checking that muster's answers are what a client generated from a seed
 * accepts. Seeds 000, 001, 003 and 004 embed an OpenAPI document (YAML in a
 * ```` fence); seed 002 (Huawei) is a page of tables, read here as one
 * `Response body parameters` table per status code.
 *
 * Validation is JSON Schema through ajv, with `required` honoured exactly as
 * each seed declares it, formats checked (`date-time`), and additional
 * properties allowed unless a seed forbids them (OpenAPI's default, and what
 * Gcore's and Huawei's generated SDK models do with extra fields). Two
 * readings, each stated where it is made:
 * - Huawei's tables do not say which response parameters are mandatory; every
 *   listed parameter is treated as required (the SDKs' error handling reads both
 *   `error_code` and `error_msg`).
 * - A `oneOf` whose branches are the same schema but for examples and
 *   descriptions (seed 003's 400) is that one schema: read literally, no body
 *   could match exactly one branch, and no client can have been built on that.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export const SEEDS_DIR = join(import.meta.dirname, '..', '..', '..', 'shared', 'seeds');

/** The seeds by their number: '000' ... '004'. */
export type SeedId = '000' | '001' | '002' | '003' | '004';

type Json = Record<string, unknown>;

interface SeedSchemas {
  /** Response schema by status code, as the seed declares them (only statuses with a body schema). */
  readonly responses: ReadonlyMap<number, Json>;
  /** `components.schemas` of an OpenAPI seed, for `$ref` and for checking by name. */
  readonly components: Json;
}

function seedText(id: SeedId): string {
  const file = readdirSync(SEEDS_DIR).find((name) => name.startsWith(`${id}_`));
  if (!file) throw new Error(`seed ${id} is not in ${SEEDS_DIR}`);
  return readFileSync(join(SEEDS_DIR, file), 'utf8');
}

const ANNOTATIONS = new Set(['example', 'examples', 'description', 'title']);

/** A schema without annotations, keys sorted: two schemas that validate alike compare equal. */
function withoutAnnotations(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutAnnotations);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([k]) => !ANNOTATIONS.has(k))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => [k, withoutAnnotations(v)]),
  );
}

/** Replaces every `oneOf` whose branches are all the same schema by that schema (see the file's comment). */
function collapseIdenticalOneOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(collapseIdenticalOneOf);
  if (schema === null || typeof schema !== 'object') return schema;
  const out = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, collapseIdenticalOneOf(v)])) as Json;
  const branches = out.oneOf;
  if (Array.isArray(branches) && branches.length > 1) {
    const [first, ...rest] = branches.map((b) => JSON.stringify(withoutAnnotations(b)));
    if (rest.every((b) => b === first)) {
      delete out.oneOf;
      Object.assign(out, branches[0]);
    }
  }
  return out;
}

function openApiSchemas(text: string): SeedSchemas {
  const yaml = /````yaml[^\n]*\n([\s\S]*?)````/.exec(text)?.[1];
  if (!yaml) throw new Error('no OpenAPI document in the seed');
  const doc = parseYaml(yaml) as { paths: Record<string, Record<string, { responses?: Record<string, Json> }>>; components?: { schemas?: Json } };
  const operations = Object.values(doc.paths).flatMap((item) => Object.values(item));
  if (operations.length !== 1) throw new Error(`expected one operation per seed, found ${operations.length}`);
  const responses = new Map<number, Json>();
  for (const [status, response] of Object.entries(operations[0]!.responses ?? {})) {
    const schema = (response.content as Record<string, { schema?: Json }> | undefined)?.['application/json']?.schema;
    if (schema) responses.set(Number(status), collapseIdenticalOneOf(schema) as Json);
  }
  return { responses, components: (collapseIdenticalOneOf(doc.components?.schemas ?? {}) as Json) };
}

const HUAWEI_TYPES: Record<string, Json> = {
  String: { type: 'string' },
  Integer: { type: 'integer' },
  Long: { type: 'integer' },
  Boolean: { type: 'boolean' },
};

/**
 * Seed 002's `Status code: N` sections: a `Response body parameters` table of
 * Parameter / Type / Description rows, one paragraph per cell.
 */
function huaweiSchemas(text: string): SeedSchemas {
  const paragraphs = text.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
  const responses = new Map<number, Json>();
  for (let i = 0; i < paragraphs.length; i++) {
    const status = /^Status code: (\d{3})$/.exec(paragraphs[i]!)?.[1];
    if (!status || !/Response body parameters$/.test(paragraphs[i + 1] ?? '')) continue;
    if (paragraphs.slice(i + 2, i + 5).join('|') !== 'Parameter|Type|Description') throw new Error(`unexpected table header after Status code: ${status}`);
    const properties: Json = {};
    let row = i + 5;
    while (row + 2 < paragraphs.length && !/^(Status code:|Example|Table \d)/.test(paragraphs[row]!)) {
      const [name, type] = [paragraphs[row]!, paragraphs[row + 1]!];
      const schema = HUAWEI_TYPES[type];
      if (!schema) throw new Error(`unknown Huawei type ${type} for ${name}`);
      properties[name] = schema;
      row += 3;
    }
    responses.set(Number(status), { type: 'object', properties, required: Object.keys(properties) });
  }
  return { responses, components: {} };
}

const cache = new Map<SeedId, SeedSchemas>();

function schemasOf(id: SeedId): SeedSchemas {
  let schemas = cache.get(id);
  if (!schemas) {
    const text = seedText(id);
    schemas = id === '002' ? huaweiSchemas(text) : openApiSchemas(text);
    cache.set(id, schemas);
  }
  return schemas;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
const compiled = new Map<string, ValidateFunction>();

function validatorFor(id: SeedId, key: string, schema: Json): ValidateFunction {
  const cacheKey = `${id}:${key}`;
  let validate = compiled.get(cacheKey);
  if (!validate) {
    // `$ref: '#/components/schemas/X'` resolves against this root.
    validate = ajv.compile({ ...schema, components: { schemas: schemasOf(id).components } });
    compiled.set(cacheKey, validate);
  }
  return validate;
}

/** The statuses for which the seed declares a response body schema. */
export function seedStatuses(id: SeedId): number[] {
  return [...schemasOf(id).responses.keys()];
}

/**
 * Why `body` is not what the seed's schema for `status` accepts, or an empty
 * list. Throws when the seed declares no body schema for that status, so a
 * check can never pass by having nothing to check.
 */
export function seedResponseProblems(id: SeedId, status: number, body: unknown): string[] {
  const schema = schemasOf(id).responses.get(status);
  if (!schema) throw new Error(`seed ${id} declares no response body schema for ${status} (it does for ${seedStatuses(id).join(', ') || 'none'})`);
  const validate = validatorFor(id, String(status), schema);
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? e.keyword}`);
}

/** As seedResponseProblems, against a named schema of the seed's `components.schemas`. */
export function seedComponentProblems(id: SeedId, name: string, body: unknown): string[] {
  const schema = schemasOf(id).components[name] as Json | undefined;
  if (!schema) throw new Error(`seed ${id} has no component schema ${name}`);
  const validate = validatorFor(id, `#${name}`, schema);
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? e.keyword}`);
}

/** Asserts that an answer is what the seed's schema for its status accepts. */
export function assertSeedResponse(id: SeedId, response: { status: number; body: unknown; text?: string }): void {
  assert.deepEqual(seedResponseProblems(id, response.status, response.body), [], `seed ${id}, ${response.status}: ${response.text ?? JSON.stringify(response.body)}`);
}

/** Asserts that a body is what the seed's named component schema accepts. */
export function assertSeedComponent(id: SeedId, name: string, body: unknown): void {
  assert.deepEqual(seedComponentProblems(id, name, body), [], `seed ${id}, ${name}: ${JSON.stringify(body)}`);
}
