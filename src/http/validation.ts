/**
 * Schema validation. Bodies are validated strictly: no type coercion (a number
 * sent as "5" is an error) and no silent removal of fields; every problem is
 * reported at once. Query strings and path parameters arrive as text, so they
 * are coerced to the schema's types. `date-time` is RFC 3339 and also an instant
 * the store can hold (see domain/storable.ts), so `0000-01-01T00:00:00Z` is a 400.
 */
import type { FastifySchemaCompiler } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { MusterError } from '../domain/errors.ts';
import { isStorableDate } from '../domain/storable.ts';
import { invalidRequest, validationProblems } from './errors.ts';

// ajv-formats is CommonJS; its callable export is the module itself.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function compilerFor(options: Options): Ajv {
  const ajv = new Ajv({ strict: false, useDefaults: true, removeAdditional: false, ...options });
  addFormats(ajv);
  const rfc3339 = ajv.formats['date-time'] as { validate: (text: string) => boolean };
  ajv.addFormat('date-time', { type: 'string', validate: (text: string) => rfc3339.validate(text) && isStorableDate(new Date(text)) });
  return ajv;
}

/** Validates bodies: no coercion, every problem reported. Also for items a route validates one by one. */
const strict = compilerFor({ allErrors: true, coerceTypes: false });

export function compileBodyValidator(schema: object): ValidateFunction {
  return strict.compile(schema);
}

export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const coercing = compilerFor({ allErrors: true, coerceTypes: 'array' });
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    return ajv.compile(schema as object);
  };
}

/**
 * For batches whose items are validated one by one: a function that gives an
 * item checked against `schema` (defaults applied), or the `request.invalid`
 * error naming every problem, so one bad item fails alone.
 */
export function compileItemValidator<T>(schema: object): (item: unknown) => { value: T } | { rejected: MusterError } {
  const validate = strict.compile(schema);
  return (item) => (validate(item) ? { value: item as T } : { rejected: invalidRequest(validationProblems(validate.errors ?? [], 'body')) });
}

/**
 * A property with a default: optional on the wire and in the OpenAPI document
 * (not in `required`, so generated clients may leave it out), and always present
 * once validated (ajv fills in the default), so handlers see it as required.
 */
export function Defaulted<T extends TSchema>(schema: T): T {
  if ((schema as { default?: unknown }).default === undefined) throw new Error('Defaulted: the schema has no default');
  return Type.Optional(schema) as unknown as T;
}
