/**
 * Examples for the OpenAPI document, so generated clients and the docs page
 * show a usable body for every request and every response. A schema's own
 * `examples` (TypeBox option, written where a good example needs judgement, such
 * as a user with exactly one credential) win; every other body gets one derived
 * from its schema: defaults, enums, formats, and a sample per well-known field
 * name, within the schema's bounds. A test validates every example against its
 * schema, so an example cannot drift from what the route accepts.
 */

/** Samples by property name (the same words mean the same things across dialects). */
const SAMPLES: Record<string, unknown> = {
  username: 'ada',
  user_name: 'ada',
  name: 'staff',
  email: 'ada@example.com',
  user_email: 'ada@example.com',
  password: 'analytical engine',
  displayName: 'Ada Lovelace',
  fullName: 'Ada Lovelace',
  givenName: 'Ada',
  familyName: 'Lovelace',
  firstName: 'Ada',
  lastName: 'Lovelace',
  phone: '+44 20 7946 0000',
  user_phone: '+44 20 7946 0000',
  locale: 'en-GB',
  account_expires: '0',
  redirectUrl: 'https://app.example.com/welcome',
  redirect_url: 'https://app.example.com/welcome',
  url: 'https://muster.example.com/registry/staff',
  message: 'Welcome aboard.',
  description: 'Research staff',
  country: 'GB',
};

const FORMAT_SAMPLES: Record<string, string> = {
  uuid: '01a2324a-4d30-7000-a819-caa66b20236d',
  'date-time': '2026-12-01T09:30:00.000Z',
  email: 'ada@example.com',
  uri: 'https://app.example.com/welcome',
};

type Schema = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- OpenAPI schema objects

function typeOf(schema: Schema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t: string) => t !== 'null');
  return schema.type;
}

/** An example value for `schema`; `name` is the property it belongs to, if any. */
export function exampleOf(schema: Schema | undefined, name?: string): unknown {
  if (!schema) return {};
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (Array.isArray(schema.allOf)) return Object.assign({}, ...schema.allOf.map((part: Schema) => exampleOf(part, name)));
  for (const key of ['anyOf', 'oneOf'] as const) if (Array.isArray(schema[key])) return exampleOf(schema[key][0], name);
  switch (typeOf(schema)) {
    case 'string': {
      const sample = name !== undefined && typeof SAMPLES[name] === 'string' ? (SAMPLES[name] as string) : FORMAT_SAMPLES[schema.format] ?? 'text';
      const fits = (!schema.pattern || new RegExp(schema.pattern, 'u').test(sample)) && sample.length >= (schema.minLength ?? 0);
      return fits ? sample.slice(0, schema.maxLength ?? sample.length) : 'a'.repeat(Math.max(1, schema.minLength ?? 1));
    }
    case 'integer':
    case 'number':
      return Math.min(Math.max(schema.minimum ?? 1, 1), schema.maximum ?? Number.MAX_SAFE_INTEGER);
    case 'boolean':
      return false;
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => exampleOf(schema.items, name));
    case 'object': {
      const properties: Record<string, Schema> = schema.properties ?? {};
      return Object.fromEntries(Object.entries(properties).map(([key, property]) => [key, exampleOf(property, key)]));
    }
    default:
      return {};
  }
}

interface Media {
  schema?: Schema;
  example?: unknown;
  examples?: unknown;
}

/** Gives every request and response body of the document an example, where it has none. */
export function addExamples<T extends object>(document: T): T {
  const paths = (document as { paths?: Record<string, Record<string, Schema> | undefined> }).paths ?? {};
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations ?? {})) {
      const bodies: Media[] = [
        ...Object.values<Media>(operation?.requestBody?.content ?? {}),
        ...Object.values<{ content?: Record<string, Media> }>(operation?.responses ?? {}).flatMap((r) => Object.values<Media>(r.content ?? {})),
      ];
      for (const media of bodies) if (media.schema && media.example === undefined && media.examples === undefined) media.example = exampleOf(media.schema);
    }
  }
  return document;
}
