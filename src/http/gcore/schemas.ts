/**
 * Gcore Cloud API wire schemas (seeds 000 and 001, and the Gcore SDK's models).
 * Unknown request fields are ignored, as Gcore's own service does (its SDKs
 * can send extra body fields); path ids are integers.
 */
import { Type, type Static } from 'typebox';
import { MAX_INTEGER_INPUT } from '../../domain/storable.ts';
import { Defaulted } from '../validation.ts';

const Id = Type.Integer({ minimum: 0, maximum: MAX_INTEGER_INPUT });
const DateTime = Type.String({ format: 'date-time' });

export const ScopeParams = Type.Object({ project_id: Id, region_id: Id });
export const RegistryParams = Type.Object({ project_id: Id, region_id: Id, registry_id: Id });
export const UserParams = Type.Object({ project_id: Id, region_id: Id, registry_id: Id, user_id: Id });

export const PageQuery = Type.Object({
  limit: Defaulted(Type.Integer({ minimum: 1, maximum: 1000, default: 1000 })),
  offset: Defaulted(Type.Integer({ minimum: 0, maximum: MAX_INTEGER_INPUT, default: 0 })),
});

export const GcoreError = Type.Object(
  {
    exception_class: Type.String(),
    message: Type.String(),
    invalid_fields: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()))),
  },
  { description: 'Gcore\'s error shape.' },
);

export const RegistryCreateBody = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9-]{1,24}$', description: 'Lower-case letters, digits and -, at most 24.' }),
  storage_limit: Defaulted(Type.Integer({ minimum: 1, maximum: 1000, default: 5, description: 'GiB.' })),
});

export const RegistryResizeBody = Type.Object({ storage_limit: Type.Integer({ minimum: 1, maximum: 1000 }) });

export const RegistryBody = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  created_at: DateTime,
  updated_at: DateTime,
  storage_limit: Type.Integer(),
  storage_used: Type.Integer(),
  repo_count: Type.Integer(),
  url: Type.String(),
});

export const RegistryListBody = Type.Object({ count: Type.Integer(), results: Type.Array(RegistryBody) });

export const UserCreateBody = Type.Object({
  // The seed's pattern admits "", but a registry user without a name cannot log in
  // to a registry (docs/dialects/gcore.md): 1 to 16 characters.
  name: Type.String({ pattern: '^[a-z0-9]{0,16}$', minLength: 1, description: 'Lower-case letters and digits, 1 to 16.' }),
  duration: Type.Integer({ minimum: -1, maximum: 365, description: 'Days the user works; -1: never expires.' }),
  read_only: Defaulted(Type.Boolean({ default: false })),
  secret: Defaulted(Type.String({ default: '', maxLength: 1024, description: 'Empty: a secret is generated and returned once.' })),
});

export const BatchCreateBody = Type.Object(
  { users: Type.Array(Type.Unknown(), { minItems: 1, description: 'Items as in single create.' }) },
  { examples: [{ users: [{ name: 'ci', duration: 30, read_only: true }, { name: 'deploy', duration: -1, secret: 'a-secret-of-my-own' }] }] },
);

export const UserUpdateBody = Type.Object({
  duration: Type.Integer({ minimum: -1, maximum: 365 }),
  read_only: Type.Optional(Type.Boolean()),
});

export const RegistryUserBody = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  duration: Type.Integer(),
  read_only: Type.Boolean(),
  created_at: DateTime,
  expires_at: Type.String({ format: 'date-time', description: 'For duration -1 (never expires): 9999-12-31T23:59:59Z.' }),
});

export const RegistryUserCreatedBody = Type.Object({ ...RegistryUserBody.properties, secret: Type.String() });

export const RegistryUserListBody = Type.Object({ count: Type.Integer(), results: Type.Array(RegistryUserBody) });
/**
 * The batch's 201 (seed 000): ONE `RegistryUserCreateResponseSerializer`, as
 * Gcore's SDKs type it, whose fields are the first created user's; `results`
 * (every created user with its secret, in input order) and `count` are extra
 * properties, which the seed's schema allows and the SDKs' models keep.
 */
export const BatchCreatedBody = Type.Object({
  ...RegistryUserCreatedBody.properties,
  count: Type.Integer({ description: 'How many users were created.' }),
  results: Type.Array(RegistryUserCreatedBody, { description: 'Every created user with its secret, in input order.' }),
});

export type UserCreateWire = Static<typeof UserCreateBody>;
export type RegistryWire = Static<typeof RegistryBody>;
export type RegistryUserWire = Static<typeof RegistryUserBody>;
