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
import { MusterError } from '../domain/errors.ts';
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

/**
 * Route validators. A route with a body schema and no body (none sent, or an
 * empty one under `Content-Type: application/json`) fails with
 * `request.body_required`, rendered in the route's dialect; a route without a
 * body schema takes body-less requests whatever their content type.
 */
export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const coercing = compilerFor({ allErrors: true, coerceTypes: 'array' });
  return ({ schema, httpPart }) => (httpPart === 'body' ? bodyRequired(strict.compile(schema as object)) : coercing.compile(schema as object));
}

interface BodyContext {
  readonly parentData?: { readonly body?: unknown };
}

/**
 * Wraps a body validator so that a missing body is `request.body_required`.
 * Fastify hands a missing body over as `null` but passes the request as
 * `parentData` to validators that carry Ajv's `schemaEnv`, which tells a missing
 * body from a JSON `null` (that one stays `request.invalid`).
 */
function bodyRequired(validate: ValidateFunction): ValidateFunction {
  const wrapped = ((data: unknown, context?: BodyContext) => {
    if (data === null && context?.parentData !== undefined && context.parentData.body === undefined) {
      return { error: new MusterError('request.body_required') };
    }
    return validate(data, context as never);
  }) as unknown as ValidateFunction;
  Object.defineProperties(wrapped, {
    errors: { get: () => validate.errors },
    schemaEnv: { value: validate.schemaEnv },
    schema: { value: validate.schema },
  });
  return wrapped;
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
