/**
 * Huawei Cloud Workspace user API wire schemas (seed 002 and Huawei's SDK
 * models). Request items are validated one by one (see translate.ts), so a
 * batch reports every bad field; unknown request fields are ignored, as the
 * SDK can send fields muster has no use for (enterprise_project_id, domain...).
 */
import { Type, type Static } from 'typebox';
import { MAX_INTEGER_INPUT } from '../../domain/storable.ts';
import { Defaulted } from '../validation.ts';

export const ProjectParams = Type.Object({ project_id: Type.String({ minLength: 1, maxLength: 64 }) });
export const UserParams = Type.Object({ project_id: Type.String({ minLength: 1, maxLength: 64 }), user_id: Type.String({ maxLength: 64 }) });

export const HuaweiError = Type.Object({ error_code: Type.String(), error_msg: Type.String() }, { description: 'Huawei\'s error shape; the X-Request-Id response header identifies the request.' });

export const CreateUserRequest = Type.Object({
  user_name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9._-]{0,31}$', description: 'Letters, digits, _ . -; 1 to 32; not starting with a digit or . -' }),
  user_email: Type.Optional(Type.String({ maxLength: 64 })),
  account_expires: Type.Optional(Type.String({ pattern: '^(0|(?!0000)\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{3})?Z)$', description: '"0" (never) or yyyy-MM-ddTHH:mm:ssZ / yyyy-MM-ddTHH:mm:ss.SSSZ' })),
  active_type: Type.Optional(Type.Enum(['USER_ACTIVATE', 'ADMIN_ACTIVATE'] as const, { default: 'USER_ACTIVATE' })),
  user_phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9][0-9 -]{4,23}$' })),
  password: Type.Optional(Type.String({ maxLength: 1024 })),
  enable_change_password: Type.Optional(Type.Boolean()),
  next_login_change_password: Type.Optional(Type.Boolean()),
  group_ids: Type.Optional(Type.Array(Type.String(), { maxItems: 5 })),
  description: Type.Optional(Type.String({ maxLength: 255 })),
  alias_name: Type.Optional(Type.String({ maxLength: 55 })),
}, { examples: [{ user_name: 'ada', user_email: 'ada@example.com', alias_name: 'Ada Lovelace', account_expires: '0' }] });

export const BatchCreateBody = Type.Object(
  { users: Type.Array(Type.Unknown(), { minItems: 1, maxItems: 200, description: 'CreateUserRequest objects, 1 to 200.' }) },
  { examples: [{ users: [{ user_name: 'ada', user_email: 'ada@example.com' }, { user_name: 'admin1', active_type: 'ADMIN_ACTIVATE', password: 'Initial-Pass-1' }] }] },
);

const refused = (why: string) => Type.Optional(Type.String({ description: `Refused with a 400 naming it: ${why}` }));

/**
 * The query of ListUsersRequest, as Huawei's SDKs send it (every field of their
 * models). Filters muster's data can answer are applied; the others, and any
 * parameter not listed here, are refused with a 400 naming them (see
 * translate.ts, `listRequestFromWire`), never ignored.
 */
export const ListQuery = Type.Object({
  user_name: Type.Optional(Type.String({ description: 'Exact, case-insensitive.' })),
  user_names: Type.Optional(Type.Array(Type.String(), { description: 'Any of these names (comma-separated, or the parameter repeated); exact, case-insensitive.' })),
  user_email: Type.Optional(Type.String({ description: 'Exact, case-insensitive.' })),
  description: Type.Optional(Type.String({ description: 'The description contains this text (case-sensitive).' })),
  active_type: Type.Optional(Type.Enum(['USER_ACTIVATE', 'ADMIN_ACTIVATE'] as const)),
  group_name: Type.Optional(Type.String({ description: 'Members of the group with exactly this name.' })),
  disabled: Type.Optional(Type.Boolean()),
  limit: Defaulted(Type.Integer({ minimum: 1, maximum: 1000, default: 1000 })),
  offset: Defaulted(Type.Integer({ minimum: 0, maximum: MAX_INTEGER_INPUT, default: 0 })),
  is_query_total_desktops: Type.Optional(Type.Boolean({ description: 'Accepted; muster has no desktops (total_desktops is 0).' })),
  share_space_subscription: Type.Optional(Type.Boolean({ description: 'No muster user has one: true matches no user, false every user.' })),
  share_space_desktops: Type.Optional(Type.Boolean({ description: 'No muster user has one: true matches no user, false every user.' })),
  domain: refused('muster users belong to no Windows AD domain.'),
  platform_type: refused('muster has no desktop platforms.'),
  enterprise_project_id: refused('muster has no enterprise projects.'),
});
export type ListQueryWire = Static<typeof ListQuery>;

const common = {
  id: Type.String(),
  user_name: Type.String(),
  user_email: Type.String(),
  user_phone: Type.String(),
  active_type: Type.String(),
  description: Type.String(),
  total_desktops: Type.Integer(),
  share_space_desktops: Type.Integer(),
  is_pre_user: Type.Boolean(),
  password_never_expired: Type.Boolean(),
  enable_change_password: Type.Boolean(),
  next_login_change_password: Type.Boolean(),
  locked: Type.Boolean(),
  disabled: Type.Boolean(),
  share_space_subscription: Type.Boolean(),
  group_names: Type.Array(Type.String()),
};

export const UserBody = Type.Object({
  ...common,
  sid: Type.String(),
  account_expires: Type.String({ description: '"0" (never) or milliseconds since the epoch, as a string.' }),
  account_expired: Type.Boolean(),
});

export const UserDetailBody = Type.Object({
  ...common,
  object_sid: Type.String(),
  sam_account_name: Type.String(),
  user_principal_name: Type.String(),
  full_name: Type.String(),
  distinguished_name: Type.String(),
  account_type: Type.Integer(),
  account_expires: Type.Integer({ description: '0 (never) or milliseconds since the epoch.' }),
  user_expired: Type.Boolean(),
  when_created: Type.String(),
});

export const ListUsersBody = Type.Object({ total_count: Type.Integer(), users: Type.Array(UserBody) });
export const ShowUserBody = Type.Object({ user_detail: UserDetailBody });
export const CreatedUserBody = Type.Object({ id: Type.String() });

export type CreateUserWire = Static<typeof CreateUserRequest>;
export type UserWire = Static<typeof UserBody>;
export type UserDetailWire = Static<typeof UserDetailBody>;
