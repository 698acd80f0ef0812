/**
 * Schema validation. Bodies are validated strictly: no type coercion (a number
 * sent as "5" is an error) and no silent removal of fields; every problem is
 * reported at once. Query strings and path parameters arrive as text, so they
 * are coerced to the schema's types.
 */
import type { FastifySchemaCompiler } from 'fastify';
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { MusterError } from '../domain/errors.ts';
import { invalidRequest, validationProblems } from './errors.ts';

// ajv-formats is CommonJS; its callable export is the module itself.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function compilerFor(options: Options): Ajv {
  const ajv = new Ajv({ strict: false, useDefaults: true, removeAdditional: false, ...options });
  addFormats(ajv);
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
