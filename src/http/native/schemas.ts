/**
 * Wire schemas of the native API. Requests are validated against them, and the
 * OpenAPI document is generated from them. Native request bodies reject unknown
 * fields (a typo such as `displayname` is an error, not silently ignored).
 */
import { Type, type Static, type TSchema } from 'typebox';
import { LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT } from '../../config.ts';
import { SCOPES } from '../../domain/apiKey.ts';
import { BATCH_MODES, CONFLICT_POLICIES } from '../../domain/batch.ts';
import { SUPPORTED_HASH_FORMATS } from '../../domain/passwordHash.ts';
import { DIRECTORY_NAME_PATTERN } from '../../domain/directory.ts';
import { INVITATION_MESSAGE_MAX_LENGTH, REDIRECT_URL_MAX_LENGTH } from '../../domain/invitation.ts';
import { Defaulted } from '../validation.ts';
import { CONFUSABLES_POLICIES, EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, TEXT_FIELD_MAX_LENGTH, USER_SORTS, USER_STATUSES, USERNAME_MAX_LENGTH } from '../../domain/user.ts';

/**
 * `T | null` as `{"type": [T's type, "null"]}` rather than `anyOf`: the same
 * for validation and OpenAPI 3.1, but serialised without a runtime schema check
 * per field (fast-json-stringify resolves `anyOf` branches with ajv).
 */
const Nullable = <T extends TSchema & { type: string }>(schema: T) =>
  Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });
const DateTime = Type.String({ format: 'date-time' });
const Text = Type.String({ maxLength: TEXT_FIELD_MAX_LENGTH });
const Status = Type.Enum(USER_STATUSES, { description: '`pending` until activated, `active`, or `disabled`.' });

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable error code from the registry (see the API description).' }),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { description: 'Every native error.' },
);

export const UserBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  directoryId: Type.String({ format: 'uuid' }),
  username: Type.String(),
  email: Nullable(Type.String()),
  displayName: Nullable(Type.String()),
  givenName: Nullable(Type.String()),
  familyName: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  locale: Nullable(Type.String()),
  externalId: Nullable(Type.String()),
  status: Status,
  expiresAt: Nullable(DateTime),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  hasPassword: Type.Boolean(),
  hasSecret: Type.Boolean(),
  createdAt: DateTime,
  updatedAt: DateTime,
  version: Type.Integer({ description: 'Increments on every change; send as If-Match to update only an unchanged user.' }),
});

export const CreatedUserBody = Type.Intersect([
  UserBody,
  Type.Object({
    secret: Type.Optional(Type.String({ description: 'The generated secret. Shown only in this response; store it now.' })),
  }),
]);

const profileFields = {
  email: Type.Optional(Type.String({ maxLength: EMAIL_MAX_LENGTH })),
  displayName: Type.Optional(Text),
  givenName: Type.Optional(Text),
  familyName: Type.Optional(Text),
  phone: Type.Optional(Text),
  locale: Type.Optional(Text),
  externalId: Type.Optional(Text),
  status: Type.Optional(Status),
  expiresAt: Type.Optional(Nullable(DateTime)),
  attributes: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Free-form JSON object.' })),
};

const Password = Type.String({
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: PASSWORD_MAX_LENGTH,
  description: 'Hashed with argon2id; never returned.',
});

export const UserCreateBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: USERNAME_MAX_LENGTH, description: 'Unique in the directory, case-insensitively.' }),
    ...profileFields,
    password: Type.Optional(Password),
    passwordHash: Type.Optional(
      Type.String({
        maxLength: 1024,
        description: `An imported hash, stored as is and re-hashed to argon2id at the first successful authenticate. Accepted: ${SUPPORTED_HASH_FORMATS}.`,
      }),
    ),
    generateSecret: Type.Optional(
      Type.Boolean({ description: 'Generate a 256-bit secret, returned once in the response. At most one of password, passwordHash, generateSecret.' }),
    ),
    groupIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 100, description: 'Groups of the directory to add the user to; each must exist.' })),
  },
  { additionalProperties: false, examples: [{ username: 'ada', email: 'ada@example.com', displayName: 'Ada Lovelace', password: 'analytical engine' }] },
);

export const InviteBody = Type.Object(
  {
    redirectUrl: Type.Optional(
      Type.String({ maxLength: REDIRECT_URL_MAX_LENGTH, description: 'Where the invitation page sends the person after they chose a password; must match the tenant\'s allow-list.' }),
    ),
    message: Type.Optional(Type.String({ maxLength: INVITATION_MESSAGE_MAX_LENGTH, description: 'A personal note, included in the mail.' })),
  },
  { additionalProperties: false, description: 'Invite by email: the user is created pending, without a credential, and chooses a password on the invitation page.' },
);

export const SingleCreateBody = Type.Object(
  { ...UserCreateBody.properties, invite: Type.Optional(InviteBody) },
  { additionalProperties: false, examples: [{ username: 'ada', email: 'ada@example.com', displayName: 'Ada Lovelace', password: 'analytical engine', attributes: { department: 'research' } }] },
);

export const BatchBody = Type.Object(
  {
    users: Type.Array(UserCreateBody, {
      description: 'The users, 1 to BATCH_MAX_ITEMS (default 1000; more is a 413 `batch.too_large`). Each item is validated on its own: a bad item fails alone, with its index.',
    }),
    mode: Defaulted(Type.Enum(BATCH_MODES, { default: 'atomic', description: '`atomic`: all or nothing (422 and nothing written if any item fails). `partial`: valid items are written.' })),
    onConflict: Defaulted(Type.Enum(CONFLICT_POLICIES, {
      default: 'fail',
      description: 'An existing username: `fail` the item, `skip` it (reporting the existing user), or `upsert` (update the fields given).',
    })),
    dryRun: Defaulted(Type.Boolean({ default: false, description: 'Validate and check conflicts against the store; write nothing.' })),
    invite: Type.Optional(InviteBody),
  },
  {
    additionalProperties: false,
    examples: [
      {
        mode: 'partial',
        onConflict: 'skip',
        users: [
          { username: 'grace', email: 'grace@example.com', password: 'compiler pioneer' },
          { username: 'ci-bot', generateSecret: true },
        ],
      },
    ],
  },
);

const ItemError = Type.Object({
  code: Type.String(),
  message: Type.String(),
  field: Type.Optional(Type.String()),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const BatchResultBody = Type.Object({
  results: Type.Array(
    Type.Object({
      index: Type.Integer({ description: 'Position of the item in `users`.' }),
      status: Type.Enum(['created', 'updated', 'skipped', 'failed'] as const),
      user: Type.Optional(Nullable(UserBody)),
      secret: Type.Optional(Type.String({ description: 'A generated secret, shown only here.' })),
      error: Type.Optional(ItemError),
    }),
  ),
  summary: Type.Object({
    total: Type.Integer(),
    created: Type.Integer(),
    updated: Type.Integer(),
    skipped: Type.Integer(),
    failed: Type.Integer(),
    committed: Type.Boolean({ description: 'False when nothing was written (dry run, or a failed atomic batch).' }),
    dryRun: Type.Boolean(),
  }),
});

export const UserPatchBody = Type.Object(
  {
    username: Type.Optional(Type.String({ minLength: 1, maxLength: USERNAME_MAX_LENGTH })),
    email: Type.Optional(Nullable(Type.String({ maxLength: EMAIL_MAX_LENGTH }))),
    displayName: Type.Optional(Nullable(Text)),
    givenName: Type.Optional(Nullable(Text)),
    familyName: Type.Optional(Nullable(Text)),
    phone: Type.Optional(Nullable(Text)),
    locale: Type.Optional(Nullable(Text)),
    externalId: Type.Optional(Nullable(Text)),
    status: Type.Optional(Status),
    expiresAt: Type.Optional(Nullable(DateTime)),
    attributes: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Replaces the whole object.' })),
    password: Type.Optional(Password),
  },
  { additionalProperties: false, description: 'Fields to change; absent fields stay, null clears.', examples: [{ displayName: 'Ada King', phone: null, status: 'disabled' }] },
);

export const UserListQuery = Type.Object(
  {
    username: Type.Optional(Type.String({ description: 'Exact match, case-insensitive.' })),
    email: Type.Optional(Type.String({ description: 'Exact match, case-insensitive.' })),
    status: Type.Optional(Status),
    usernamePrefix: Type.Optional(Type.String({ minLength: 1, maxLength: USERNAME_MAX_LENGTH, description: 'Usernames that start with this, case-insensitively.' })),
    group: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Members of the directory\'s group of this name.' })),
    sort: Type.Optional(
      Type.Enum(USER_SORTS, {
        description:
          'The order: `createdAt` (the default; creation order), `username` (as the directory compares usernames: NFKC, case-folded), `email` (likewise), `displayName`, `updatedAt` or `status` (by its name: active, disabled, pending); ties by creation. ' +
          'Users without an email or display name come after all others, in either direction. Text sorts follow the database collation (code points on the embedded store). Combines with every filter.',
      }),
    ),
    order: Type.Optional(
      Type.Enum(['asc', 'desc', 'oldest', 'newest'] as const, { description: 'Ascending (the default) or descending; `oldest` and `newest` are the earlier names of `asc` and `desc`.' }),
    ),
    cursor: Type.Optional(
      Type.String({ description: 'From `nextCursor` of the previous page, with the same `sort` and `order` (another is `request.invalid_cursor`).' }),
    ),
    limit: Defaulted(Type.Integer({ minimum: 1, maximum: LIST_MAX_LIMIT, default: LIST_DEFAULT_LIMIT })),
  },
  { additionalProperties: false },
);

export const UserPageBody = Type.Object({
  users: Type.Array(UserBody),
  nextCursor: Nullable(Type.String()),
});

export const AuthenticateBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: USERNAME_MAX_LENGTH }),
    password: Type.Optional(Type.String({ maxLength: PASSWORD_MAX_LENGTH })),
    secret: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false, description: 'A username with exactly one of password or secret.', examples: [{ username: 'ada', password: 'analytical engine' }] },
);

const Confusables = Type.Enum(CONFUSABLES_POLICIES, {
  description:
    'How usernames and emails are compared for uniqueness, fixed at creation. `distinct` (default): NFKC and lower case, so `ＡＤＭＩＮ`, `Admin` and `admin` collide but Cyrillic `аdmin` does not. `collide`: also the UTS #39 confusable skeleton, so look-alikes such as Cyrillic `аdmin`, `paypa1` or `rn`/`m` collide.',
});

export const DirectoryCreateBody = Type.Object(
  {
    name: Type.String({ pattern: DIRECTORY_NAME_PATTERN, description: 'Lower-case letters, digits, - and _; at most 63.' }),
    confusables: Type.Optional(Confusables),
  },
  { additionalProperties: false },
);

export const DirectoryBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  confusables: Confusables,
  createdAt: DateTime,
});

export const DirectoryListBody = Type.Object({ directories: Type.Array(DirectoryBody) });

export const DirectoryDeleteQuery = Type.Object(
  { force: Defaulted(Type.Boolean({ default: false, description: 'Also delete the directory\'s users.' })) },
  { additionalProperties: false },
);

const Scope = Type.Enum(SCOPES);

export const ApiKeyCreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    scopes: Type.Array(Scope, { minItems: 1, uniqueItems: true }),
  },
  { additionalProperties: false },
);

export const ApiKeyBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the key, to recognise it.' }),
  scopes: Type.Array(Scope),
  createdAt: DateTime,
  lastUsedAt: Nullable(DateTime),
  revokedAt: Nullable(DateTime),
});

export const CreatedApiKeyBody = Type.Intersect([
  ApiKeyBody,
  Type.Object({ key: Type.String({ description: 'The key. Shown only in this response; store it now.' }) }),
]);

export const ApiKeyListBody = Type.Object({ keys: Type.Array(ApiKeyBody) });

export const TenantBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  createdAt: DateTime,
  disabledAt: Nullable(DateTime),
});
export const TenantCreateBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
export const CreatedTenantBody = Type.Object({
  tenant: TenantBody,
  adminKey: CreatedApiKeyBody,
});
export const TenantListBody = Type.Object({ tenants: Type.Array(TenantBody) });
export const TenantParams = Type.Object({ tenant: Type.String({ description: 'Tenant name or id.' }) });
export const TenantKeyParams = Type.Object({ tenant: Type.String({ description: 'Tenant name or id.' }), keyId: Type.String({ description: 'Key id or visible prefix.' }) });
export type TenantWire = Static<typeof TenantBody>;

export const DirectoryParams = Type.Object({ directory: Type.String({ description: 'Directory name or id.' }) });
export const UserParams = Type.Object({ directory: Type.String({ description: 'Directory name or id.' }), userId: Type.String() });
export const ApiKeyParams = Type.Object({ keyId: Type.String({ description: 'Key id or visible prefix.' }) });

/** POST /v1/lockouts/addresses/unlock: the request, and the answer. */
export const AddressUnlockRequest = Type.Object(
  { address: Type.String({ minLength: 2, maxLength: 64, description: 'The client address (IPv4 or IPv6; an IPv4-mapped IPv6 address counts as its IPv4 form).' }) },
  { additionalProperties: false, examples: [{ address: '203.0.113.7' }] },
);
export const AddressUnlockBody = Type.Object(
  {
    address: Type.String({ description: 'The address as muster spells it (IPv4, or IPv6 in lower case).' }),
    hadFailures: Type.Boolean({ description: 'Whether failed sign-ins from the address were counted in this tenant when it was unlocked.' }),
    hadInvitationPageFailures: Type.Boolean({ description: 'Whether unknown invitation links from the address were counted (the page\'s lockout, every tenant\'s) when it was unlocked.' }),
  },
  { examples: [{ address: '203.0.113.7', hadFailures: true, hadInvitationPageFailures: false }] },
);

/** POST .../users/{userId}/unlock. */
export const UnlockBody = Type.Object({
  user: UserBody,
  hadFailures: Type.Boolean({ description: 'Whether failed sign-ins were counted against the user when it was unlocked.' }),
});

export type UserWire = Static<typeof UserBody>;
export type DirectoryWire = Static<typeof DirectoryBody>;
export type ApiKeyWire = Static<typeof ApiKeyBody>;

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      description: 'Makes retries safe: the first response is replayed for 24 h (IDEMPOTENCY_TTL_HOURS) with Idempotent-Replayed: true; another body with this key is a 422, a concurrent request a 409.',
    }),
  ),
});

export const InvitationBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Type.Enum(['pending', 'accepted', 'revoked', 'superseded'] as const),
  redirectUrl: Nullable(Type.String()),
  expiresAt: DateTime,
  createdAt: DateTime,
  endedAt: Nullable(DateTime),
  delivery: Type.Unsafe<{ messageId: string; status: 'pending' | 'sent' | 'dead'; attempts: number; lastError: string | null; sentAt: string | null } | null>({
    type: ['object', 'null'],
    properties: {
      messageId: { type: 'string' },
      status: { type: 'string', enum: ['pending', 'sent', 'dead'] },
      attempts: { type: 'integer' },
      lastError: { type: ['string', 'null'] },
      sentAt: { type: ['string', 'null'], format: 'date-time' },
    },
    required: ['messageId', 'status', 'attempts', 'lastError', 'sentAt'],
    description: 'The invitation mail: `pending` (queued or retrying), `sent`, or `dead` (gave up; see lastError).',
  }),
});

export const AllowlistBody = Type.Object(
  {
    allowed: Type.Array(Type.String({ maxLength: REDIRECT_URL_MAX_LENGTH }), {
      description: 'Absolute http(s) URLs. A redirect is allowed when it has the same origin as an entry and its path is the entry\'s path or below it.',
    }),
  },
  { additionalProperties: false, examples: [{ allowed: ['https://app.example.com/welcome'] }] },
);

export const OutboxBody = Type.Object({
  pending: Type.Integer({ description: 'Messages waiting to be sent or retried.' }),
  sent: Type.Integer(),
  dead: Type.Integer({ description: 'Messages given up on after the last attempt.' }),
  attempts: Type.Integer({ description: 'Delivery attempts made, all messages.' }),
  oldestPendingSeconds: Nullable(Type.Integer()),
  deadMessages: Type.Array(
    Type.Object({
      id: Type.String(),
      messageId: Type.String(),
      recipient: Type.String(),
      attempts: Type.Integer(),
      lastError: Nullable(Type.String()),
      createdAt: DateTime,
    }),
  ),
});

export const MailListBody = Type.Object({
  messages: Type.Array(Type.Object({ file: Type.String(), bytes: Type.Integer(), createdAt: DateTime })),
});

export const MailParams = Type.Object({ file: Type.String() });

export type InvitationWire = Static<typeof InvitationBody>;

export const AccessKeyBody = Type.Object({
  accessKeyId: Type.String({ description: 'The AK.' }),
  name: Type.String(),
  scopes: Type.Array(Scope),
  createdAt: DateTime,
  revokedAt: Nullable(DateTime),
});

export const CreatedAccessKeyBody = Type.Object({
  ...AccessKeyBody.properties,
  secretAccessKey: Type.String({ description: 'The SK. Shown only in this response; store it now.' }),
});

export const AccessKeyListBody = Type.Object({ accessKeys: Type.Array(AccessKeyBody) });
export const AccessKeyParams = Type.Object({ accessKeyId: Type.String() });
export type AccessKeyWire = Static<typeof AccessKeyBody>;

export const GroupCreateBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 128 }), description: Type.Optional(Type.String({ maxLength: 255 })) },
  { additionalProperties: false },
);
export const GroupBody = Type.Object({ id: Type.String({ format: 'uuid' }), name: Type.String(), description: Nullable(Type.String()), createdAt: DateTime });
export const GroupListBody = Type.Object({ groups: Type.Array(GroupBody) });
export const GroupParams = Type.Object({ directory: Type.String(), groupId: Type.String() });

export const AUDIT_MAX_LIMIT = 1000;

export const AuditQuery = Type.Object(
  {
    user: Type.Optional(Type.String({ description: 'Only events whose subject is this user id (or other subject id: a directory, key or group).' })),
    actor: Type.Optional(Type.String({ description: 'Only events by this actor: an API key id or prefix, an access key (AK), or a JWT subject.' })),
    type: Type.Optional(Type.String({ description: 'Comma-separated event types; `user.*` matches a family.', examples: ['user.created,user.deleted'] })),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'Only events at or after this time.' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'Only events before this time.' })),
    cursor: Type.Optional(Type.String({ description: 'From `nextCursor` of the previous page (older events).' })),
    limit: Defaulted(Type.Integer({ minimum: 1, maximum: AUDIT_MAX_LIMIT, default: LIST_DEFAULT_LIMIT })),
  },
  { additionalProperties: false },
);

export const AuditEventBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  type: Type.String({ examples: ['user.created'] }),
  occurredAt: Type.String({ format: 'date-time' }),
  actor: Type.Object({
    kind: Type.String({ description: 'api_key, access_key, jwt, invitee, cli or system.' }),
    id: Type.Union([Type.String(), Type.Null()], { description: 'The API key id, access key, JWT subject or invited user id.' }),
    label: Type.Union([Type.String(), Type.Null()], { description: 'The key prefix, the JWT issuer or the system component.' }),
    dialect: Type.String({ description: 'The API the write came through (native, gcore, huawei, alloy, royalti, invite, cli, system).' }),
    requestId: Type.Union([Type.String(), Type.Null()]),
  }),
  subject: Type.Object({ type: Type.String({ examples: ['user'] }), id: Type.String() }),
  directoryId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  data: Type.Record(Type.String(), Type.Unknown(), { description: 'The fields that changed and their new values; never a credential.' }),
});

export const AuditPageBody = Type.Object({
  events: Type.Array(AuditEventBody),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
