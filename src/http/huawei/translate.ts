/**
 * Huawei wire <-> engine values. A Workspace user is a muster user:
 * `user_name` -> username, `user_email` -> email, `user_phone` -> phone,
 * `alias_name` -> displayName, `account_expires` -> expiresAt, `group_ids` ->
 * groups; `description` and the two password flags live in
 * `attributes.huawei`. `USER_ACTIVATE` (the default) creates the user pending
 * and invites them by email; `ADMIN_ACTIVATE` needs a password and creates the
 * user active.
 */
import type { BatchOutcome } from '../../domain/batch.ts';
import { MusterError, type FieldProblem } from '../../domain/errors.ts';
import type { User, UserDraft } from '../../domain/user.ts';
import type { Group } from '../../domain/group.ts';
import type { OffsetListRequest } from '../../engine/users.ts';
import { compileItemValidator } from '../validation.ts';
import { CreateUserRequest, ListQuery, type CreateUserWire, type ListQueryWire, type UserDetailWire, type UserWire } from './schemas.ts';

interface HuaweiAttributes {
  readonly description: string;
  readonly active_type: 'USER_ACTIVATE' | 'ADMIN_ACTIVATE';
  readonly enable_change_password: boolean;
  readonly next_login_change_password: boolean;
}

const validateRequest = compileItemValidator<CreateUserWire>(CreateUserRequest);

/** Engine field names back to Huawei's, for messages. */
const WIRE_FIELDS: Record<string, string> = {
  username: 'user_name',
  email: 'user_email',
  phone: 'user_phone',
  displayName: 'alias_name',
  expiresAt: 'account_expires',
  groupIds: 'group_ids',
  password: 'password',
};

function invalid(field: string, message: string): MusterError {
  return new MusterError('request.invalid', `${field} ${message}.`, { field, problems: [{ field, message }] });
}

/** One CreateUserRequest: a draft, or why it cannot be one. */
export function draftFromWire(item: unknown): { draft: UserDraft } | { rejected: MusterError } {
  const checked = validateRequest(item);
  if ('rejected' in checked) return checked;
  const wire = checked.value;
  const activeType = wire.active_type ?? 'USER_ACTIVATE';
  if (activeType === 'ADMIN_ACTIVATE' && !wire.password) return { rejected: invalid('password', 'is required for ADMIN_ACTIVATE') };
  if (activeType === 'USER_ACTIVATE' && wire.password !== undefined) {
    return { rejected: invalid('password', 'must not be given for USER_ACTIVATE: the user chooses it from the invitation') };
  }
  if (activeType === 'USER_ACTIVATE' && !wire.user_email) return { rejected: invalid('user_email', 'is required for USER_ACTIVATE: the invitation goes there') };
  const attributes: HuaweiAttributes = {
    description: wire.description ?? '',
    active_type: activeType,
    enable_change_password: wire.enable_change_password ?? true,
    next_login_change_password: wire.next_login_change_password ?? true,
  };
  return {
    draft: {
      username: wire.user_name,
      ...(wire.user_email !== undefined && { email: wire.user_email }),
      ...(wire.user_phone !== undefined && { phone: wire.user_phone }),
      ...(wire.alias_name !== undefined && { displayName: wire.alias_name }),
      ...(wire.account_expires !== undefined && wire.account_expires !== '0' && { expiresAt: new Date(wire.account_expires) }),
      ...(wire.group_ids !== undefined && { groupIds: wire.group_ids }),
      ...(activeType === 'ADMIN_ACTIVATE' ? { password: wire.password!, status: 'active' as const } : { invite: true }),
      attributes: { huawei: attributes },
    },
  };
}

/** Every problem of a failed batch, as one Huawei error (its code from the kind of failure). */
export function batchError(outcome: BatchOutcome): MusterError {
  const failures = outcome.results.flatMap((r) => (r.status === 'failed' && r.error.code !== 'batch.aborted' ? [r] : []));
  const problems: FieldProblem[] = failures.flatMap((f) => {
    const listed = (f.error.details?.problems as FieldProblem[] | undefined) ?? [{ field: String(f.error.details?.field ?? ''), message: f.error.message }];
    return listed.map((p) => ({ field: `users[${f.index}].${WIRE_FIELDS[p.field] ?? p.field}`, message: p.message }));
  });
  const message = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  // One code for the whole answer: "exists" or "no such group" when that is all that went wrong.
  const kind = failures.every((f) => f.error.category === 'conflict')
    ? 'user.username_taken'
    : failures.every((f) => f.error.code === 'group.not_found')
      ? 'group.not_found'
      : 'request.invalid';
  return new MusterError(kind, `Nothing was created. ${message}`, { problems });
}

/** What a user made outside this dialect (no `attributes.huawei`) reports, and is filtered as. */
const DEFAULT_ATTRIBUTES: HuaweiAttributes = {
  description: '',
  active_type: 'ADMIN_ACTIVATE',
  enable_change_password: true,
  next_login_change_password: true,
};

const huawei = (user: User): HuaweiAttributes => (user.attributes.huawei as HuaweiAttributes | undefined) ?? DEFAULT_ATTRIBUTES;

/** ListUsersRequest parameters muster cannot answer from its data. */
const REFUSED_FILTERS = ['domain', 'platform_type', 'enterprise_project_id'] as const;
const KNOWN_PARAMETERS = new Set(Object.keys(ListQuery.properties));

/**
 * The engine's list request for a ListUsersRequest query. Throws
 * `request.invalid` naming every parameter that is refused (muster has no
 * domains, platforms or enterprise projects) or unknown: a filter that was
 * ignored would return the wrong users. Filters match what the list renders:
 * `disabled` is the user's status, `active_type` and `description` are read
 * with the same defaults as rendered, and the share-space flags are false for
 * every muster user.
 */
export function listRequestFromWire(query: ListQueryWire & Record<string, unknown>): OffsetListRequest {
  const refused = Object.keys(query).filter((name) => (REFUSED_FILTERS as readonly string[]).includes(name) || !KNOWN_PARAMETERS.has(name));
  if (refused.length > 0) {
    const problems = refused.map((field) => ({ field: `query.${field}`, message: 'is not a filter this service supports' }));
    throw new MusterError('request.invalid', `These query parameters are not supported by this service: ${refused.join(', ')}.`, { field: problems[0]!.field, problems });
  }
  // No muster user has a share space: asking for users who do is asking for no one.
  const nobodyHasShareSpace = query.share_space_subscription === true || query.share_space_desktops === true;
  const names = nobodyHasShareSpace ? [] : query.user_names?.flatMap((n) => n.split(',')).filter((n) => n !== '');
  const attribute = (name: 'active_type' | 'description') => ({ path: ['huawei', name], missing: DEFAULT_ATTRIBUTES[name] });
  return {
    limit: query.limit,
    offset: query.offset,
    ...(query.user_name !== undefined && { username: query.user_name }),
    ...(names !== undefined && { usernames: names }),
    ...(query.user_email !== undefined && { email: query.user_email }),
    ...(query.disabled !== undefined && { statuses: query.disabled ? ['disabled'] : ['pending', 'active'] }),
    ...(query.group_name !== undefined && { groupName: query.group_name }),
    attributes: [
      ...(query.active_type !== undefined ? [{ ...attribute('active_type'), equals: query.active_type }] : []),
      ...(query.description !== undefined ? [{ ...attribute('description'), contains: query.description }] : []),
    ],
  };
}


function common(user: User, groups: readonly Group[]) {
  const attributes = huawei(user);
  return {
    id: user.id,
    user_name: user.username,
    user_email: user.email ?? '',
    user_phone: user.phone ?? '',
    active_type: attributes.active_type,
    description: attributes.description,
    total_desktops: 0,
    share_space_desktops: 0,
    is_pre_user: user.status === 'pending',
    password_never_expired: false,
    enable_change_password: attributes.enable_change_password,
    next_login_change_password: attributes.next_login_change_password,
    locked: false,
    disabled: user.status === 'disabled',
    share_space_subscription: false,
    group_names: groups.map((g) => g.name),
  };
}

const expired = (user: User, now: Date) => user.expiresAt !== null && user.expiresAt.getTime() <= now.getTime();

export function renderUser(user: User, groups: readonly Group[], now: Date): UserWire {
  return {
    ...common(user, groups),
    sid: String(user.seq),
    account_expires: user.expiresAt === null ? '0' : String(user.expiresAt.getTime()),
    account_expired: expired(user, now),
  };
}

export function renderUserDetail(user: User, groups: readonly Group[], now: Date): UserDetailWire {
  return {
    ...common(user, groups),
    object_sid: String(user.seq),
    sam_account_name: user.username,
    user_principal_name: user.email ?? '',
    full_name: user.displayName ?? '',
    distinguished_name: '',
    account_type: 0,
    account_expires: user.expiresAt === null ? 0 : user.expiresAt.getTime(),
    user_expired: expired(user, now),
    when_created: user.createdAt.toISOString(),
  };
}
