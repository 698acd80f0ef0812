/**
 * Users. Every function takes the handle it must run on and is scoped by tenant
 * and directory; no query reaches across tenants.
 *
 * Uniqueness of usernames and emails is decided by the named constraints
 * `users_username_uq` and `users_email_uq`, never by a read before a write.
 */
import { isUuid } from '../../domain/directory.ts';
import { TEXT_FIELD_MAX_LENGTH, type User, type UserProfile, type UserSort, type UserStatus } from '../../domain/user.ts';
import type { RecordFilter, RecordSort } from '../../domain/filter.ts';
import { arrayLiteral } from '../arrayLiteral.ts';
import type { Queryable } from '../ports.ts';
import { filterSql, sortSql, type Bind } from './recordFilter.ts';

interface UserRow {
  id: string;
  /** int8: a string from pg, a number from PGlite. */
  seq: string | number;
  directory_id: string;
  username: string;
  email: string | null;
  display_name: string | null;
  given_name: string | null;
  family_name: string | null;
  phone: string | null;
  locale: string | null;
  external_id: string | null;
  status: UserStatus;
  expires_at: Date | null;
  attributes: Record<string, unknown>;
  has_password: boolean;
  has_secret: boolean;
  created_at: Date;
  updated_at: Date;
  version: number;
}

const USER_COLUMNS = `id, seq, directory_id, username, email, display_name, given_name, family_name, phone, locale,
  external_id, status, expires_at, attributes, password_hash IS NOT NULL AS has_password,
  secret_hash IS NOT NULL AS has_secret, created_at, updated_at, version`;

function toUser(row: UserRow): User {
  return {
    id: row.id,
    seq: Number(row.seq),
    directoryId: row.directory_id,
    username: row.username,
    email: row.email,
    displayName: row.display_name,
    givenName: row.given_name,
    familyName: row.family_name,
    phone: row.phone,
    locale: row.locale,
    externalId: row.external_id,
    status: row.status,
    expiresAt: row.expires_at,
    attributes: row.attributes,
    hasPassword: row.has_password,
    hasSecret: row.has_secret,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

/** A row ready to insert: validated, normalised, credentials already hashed. */
export type NewUserRow = Omit<User, 'seq' | 'directoryId' | 'hasPassword' | 'hasSecret' | 'createdAt' | 'updatedAt' | 'version' | 'attributes'> & {
  readonly usernameKey: string;
  readonly emailKey: string | null;
  readonly attributes: Record<string, unknown>;
  readonly passwordHash: string | null;
  readonly secretHash: Buffer | null;
};

/** How one column of a new user travels: its SQL array type, how it is read back out of the array, its value. */
interface InsertColumn {
  readonly name: string;
  readonly arrayType: string;
  /** The expression that turns the unnested element `v` into the column's value. */
  readonly cast: (v: string) => string;
  readonly value: (u: NewUserRow) => string | null;
  /** Columns whose every value is the column default are left out of the statement. */
  readonly optional: boolean;
}

const text = (name: string, value: (u: NewUserRow) => string | null, optional = true): InsertColumn => ({
  name,
  arrayType: 'text[]',
  cast: (v) => v,
  value,
  optional,
});

const INSERT_COLUMNS: readonly InsertColumn[] = [
  { name: 'id', arrayType: 'uuid[]', cast: (v) => v, value: (u) => u.id, optional: false },
  text('username', (u) => u.username, false),
  text('username_key', (u) => u.usernameKey, false),
  text('status', (u) => u.status, false),
  text('email', (u) => u.email),
  text('email_key', (u) => u.emailKey),
  text('display_name', (u) => u.displayName),
  text('given_name', (u) => u.givenName),
  text('family_name', (u) => u.familyName),
  text('phone', (u) => u.phone),
  text('locale', (u) => u.locale),
  text('external_id', (u) => u.externalId),
  text('password_hash', (u) => u.passwordHash),
  { name: 'expires_at', arrayType: 'text[]', cast: (v) => `${v}::timestamptz`, value: (u) => u.expiresAt?.toISOString() ?? null, optional: true },
  { name: 'secret_hash', arrayType: 'text[]', cast: (v) => `decode(${v}, 'hex')`, value: (u) => u.secretHash?.toString('hex') ?? null, optional: true },
];

/**
 * What a taken username or email (`users_username_uq`, `users_email_uq`, also
 * taken by a concurrent transaction) does to an insert: `skip` leaves that row
 * out (it is not returned); `raise` fails the statement with the driver's
 * unique violation. `raise` is the fast path for batches expected to be new:
 * speculative insertion (ON CONFLICT) costs about a fifth of the insert.
 */
export type OnTaken = 'skip' | 'raise';

/**
 * Inserts all rows in one statement (arrays unnested server-side, so the
 * statement and its plan do not grow with the batch). Columns that no row of
 * this batch sets are left to their defaults rather than sent as arrays of
 * nulls. Rows go in username-key order, so concurrent batches take their
 * unique-index locks in the same order (fewer deadlocks). `now` is their
 * creation time. Returns the inserted users, in the order given.
 */
export async function insertUsers(
  q: Queryable,
  tenantId: string,
  directoryId: string,
  users: readonly NewUserRow[],
  onTaken: OnTaken = 'skip',
  now: Date = new Date(),
): Promise<User[]> {
  const params: unknown[] = [tenantId, directoryId, now];
  const names: string[] = [];
  const arrays: string[] = [];
  const selects: string[] = [];
  const add = (name: string, arrayType: string, cast: (v: string) => string, values: (string | null)[]) => {
    params.push(arrayLiteral(values));
    names.push(name);
    arrays.push(`$${params.length}::${arrayType}`);
    selects.push(cast(`c${names.length}`));
  };
  const ordered = [...users].sort((a, b) => (a.usernameKey < b.usernameKey ? -1 : a.usernameKey > b.usernameKey ? 1 : 0));
  for (const column of INSERT_COLUMNS) {
    const values = ordered.map(column.value);
    if (!column.optional || values.some((v) => v !== null)) add(column.name, column.arrayType, column.cast, values);
  }
  if (ordered.some((u) => Object.keys(u.attributes).length > 0)) {
    add('attributes', 'text[]', (v) => `${v}::jsonb`, ordered.map((u) => JSON.stringify(u.attributes)));
  }
  const aliases = names.map((_, i) => `c${i + 1}`).join(', ');
  // Only ids come back: every other value is known here, and sending 1000 full
  // rows back to be parsed again would cost more than the insert's own work.
  // (seq comes from the identity sequence.)
  const { rows } = await q.query<{ id: string; seq: string | number }>(
    `INSERT INTO users (tenant_id, directory_id, created_at, updated_at, ${names.join(', ')})
     SELECT $1, $2, $3, $3, ${selects.join(', ')}
     FROM unnest(${arrays.join(', ')}) AS t(${aliases})
     ${onTaken === 'skip' ? 'ON CONFLICT DO NOTHING' : ''}
     RETURNING id, seq`,
    params,
  );
  const seqById = new Map(rows.map((r) => [r.id, Number(r.seq)]));
  return users.filter((u) => seqById.has(u.id)).map((u) => insertedUser(u, seqById.get(u.id)!, directoryId, now));
}

/** The stored user of an inserted row, without reading it back. */
function insertedUser(row: NewUserRow, seq: number, directoryId: string, now: Date): User {
  return {
    id: row.id,
    seq,
    directoryId,
    username: row.username,
    email: row.email,
    displayName: row.displayName,
    givenName: row.givenName,
    familyName: row.familyName,
    phone: row.phone,
    locale: row.locale,
    externalId: row.externalId,
    status: row.status,
    expiresAt: row.expiresAt,
    attributes: row.attributes,
    hasPassword: row.passwordHash !== null,
    hasSecret: row.secretHash !== null,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
}

/** A user with the comparison keys it is stored under. */
export interface KeyedUser {
  readonly user: User;
  readonly usernameKey: string;
  readonly emailKey: string | null;
}

/**
 * The statement of findUsersByKeys ($1 tenant, $2 directory, $3 username keys,
 * $4 email keys), exported so tests can EXPLAIN it.
 *
 * Shape: one probe per key (LATERAL), of `users_username_uq` for the
 * username keys and of `users_email_uq` for the email keys, so each probe is
 * an equality on every column of a unique index, which the planner costs at
 * one row whatever the statistics say. Without statistics (a table never
 * analyzed, as PGlite's always is: it runs no autovacuum) the earlier shape,
 * `username_key = ANY(..) OR email_key = ANY(..)` over the directory, made
 * the planner believe the directory holds about one row and read all of it,
 * for every single create (test/engine/lookup-plan.test.ts shows both on
 * both stores). With statistics and a batch that names a large part of the
 * directory, the planner may read it instead, which is then the cheaper way.
 * A user matching on both keys comes back twice (findUsersByKeys keeps one).
 */
export const FIND_USERS_BY_KEYS_SQL = `SELECT u.* FROM unnest($3::text[]) AS k(key)
       CROSS JOIN LATERAL (SELECT ${USER_COLUMNS}, username_key, email_key FROM users
                           WHERE tenant_id = $1 AND directory_id = $2 AND username_key = k.key) AS u
     UNION ALL
     SELECT u.* FROM unnest($4::text[]) AS k(key)
       CROSS JOIN LATERAL (SELECT ${USER_COLUMNS}, username_key, email_key FROM users
                           WHERE tenant_id = $1 AND directory_id = $2 AND email_key = k.key) AS u`;

/** The directory's users whose username key or email key is among those given. */
export async function findUsersByKeys(
  q: Queryable,
  tenantId: string,
  directoryId: string,
  usernameKeys: readonly string[],
  emailKeys: readonly string[],
): Promise<KeyedUser[]> {
  const { rows } = await q.query<UserRow & { username_key: string; email_key: string | null }>(FIND_USERS_BY_KEYS_SQL, [
    tenantId,
    directoryId,
    arrayLiteral(usernameKeys),
    arrayLiteral(emailKeys),
  ]);
  const byId = new Map(rows.map((row) => [row.id, row]));
  return [...byId.values()].map((row) => ({ user: toUser(row), usernameKey: row.username_key, emailKey: row.email_key }));
}

/** Below this many heap pages (128 KiB, some hundreds of users) a stale plan costs nothing worth an ANALYZE. */
const ANALYZE_MIN_PAGES = 16;
/**
 * Re-analyze once the table has doubled since its statistics were taken:
 * the planner scales the row counts of old statistics by the table's current
 * size, so statistics within a factor of two still pick the unique indexes,
 * and a load of N users analyzes about log2(N) times (1.2 made it an ANALYZE
 * every few bulk batches: 20 ms on a 1000-user batch's median, measured here).
 */
const ANALYZE_GROWTH = 2;

/**
 * Runs `ANALYZE users` when its planner statistics are missing (never
 * analyzed) or stale (the table has doubled since), and the table is
 * past a few pages; returns whether it did. The check is one catalog read
 * (pg_class and the table's size on disk); ANALYZE samples at most 30,000 rows
 * (the default statistics target), so it costs tens of milliseconds at most,
 * and since growth is compared against the last analysis it runs a
 * logarithmic number of times as the table grows. Call it outside any
 * transaction, after writes that added users (bulk loads): PGlite never
 * analyzes by itself, and on a server autovacuum may come too late for the
 * requests right after a bulk load. Concurrent calls are safe (ANALYZE waits
 * for another ANALYZE of the same table and does not block writes).
 */
export async function analyzeUsersIfStale(q: Queryable): Promise<boolean> {
  const { rows } = await q.query<{ stale: boolean }>(
    `SELECT pages >= $1 AND (reltuples < 0 OR pages > relpages * $2::float8) AS stale
     FROM (SELECT reltuples, relpages, pg_relation_size(oid) / current_setting('block_size')::int AS pages
           FROM pg_class WHERE oid = 'users'::regclass) AS t`,
    [ANALYZE_MIN_PAGES, ANALYZE_GROWTH],
  );
  if (!rows[0]?.stale) return false;
  await q.query('ANALYZE users');
  return true;
}

/** Columns a batch upsert may set, by the names used in `BatchUpdate.set`. */
export interface BatchUpdateColumns {
  email?: string | null;
  email_key?: string | null;
  display_name?: string | null;
  given_name?: string | null;
  family_name?: string | null;
  phone?: string | null;
  locale?: string | null;
  external_id?: string | null;
  status?: UserStatus;
  expires_at?: string | null;
  attributes?: Record<string, unknown>;
  password_hash?: string;
  /** hex */
  secret_hash?: string;
}

export interface BatchUpdate {
  readonly usernameKey: string;
  /** Only the columns present are changed. */
  readonly set: BatchUpdateColumns;
}

const BATCH_UPDATE_SET: Record<keyof BatchUpdateColumns, string> = {
  email: "d.patch->>'email'",
  email_key: "d.patch->>'email_key'",
  display_name: "d.patch->>'display_name'",
  given_name: "d.patch->>'given_name'",
  family_name: "d.patch->>'family_name'",
  phone: "d.patch->>'phone'",
  locale: "d.patch->>'locale'",
  external_id: "d.patch->>'external_id'",
  status: "d.patch->>'status'",
  expires_at: "(d.patch->>'expires_at')::timestamptz",
  attributes: "d.patch->'attributes'",
  password_hash: "d.patch->>'password_hash'",
  secret_hash: "decode(d.patch->>'secret_hash', 'hex')",
};

/**
 * Updates existing users, matched by username key, each with its own set of
 * columns, in one statement; bumps version and updated_at. Returns the updated
 * users (one missing from the result no longer exists). May throw a unique
 * violation (`users_email_uq`) when a new email is taken.
 */
export async function updateUsersByUsername(
  q: Queryable,
  tenantId: string,
  directoryId: string,
  updates: readonly BatchUpdate[],
): Promise<KeyedUser[]> {
  const sets = Object.entries(BATCH_UPDATE_SET).map(
    ([column, value]) => `${column} = CASE WHEN d.patch ? '${column}' THEN ${value} ELSE u.${column} END`,
  );
  const { rows } = await q.query<UserRow & { username_key: string; email_key: string | null }>(
    `UPDATE users AS u SET ${sets.join(', ')}, version = u.version + 1, updated_at = now()
     FROM (SELECT key, patch::jsonb AS patch FROM unnest($3::text[], $4::text[]) AS t(key, patch)) AS d
     WHERE u.tenant_id = $1 AND u.directory_id = $2 AND u.username_key = d.key
     RETURNING ${USER_COLUMNS}, username_key, email_key`,
    [tenantId, directoryId, arrayLiteral(updates.map((u) => u.usernameKey)), arrayLiteral(updates.map((u) => JSON.stringify(u.set)))],
  );
  return rows.map((row) => ({ user: toUser(row), usernameKey: row.username_key, emailKey: row.email_key }));
}

/** How a use case names a user: its id, its integer id (Gcore), or its username (compared by key). */
export type UserLocator = { readonly id: string } | { readonly seq: number } | { readonly usernameKey: string };

/**
 * The user named by `locator` in the directory. With `lock`, the row is locked
 * FOR UPDATE until the transaction ends (read-modify-write).
 */
export async function findUserBy(q: Queryable, tenantId: string, directoryId: string, locator: UserLocator, lock = false): Promise<User | undefined> {
  const [column, value] = 'id' in locator ? ['id', locator.id] : 'seq' in locator ? ['seq', locator.seq] : ['username_key', locator.usernameKey];
  const { rows } = await q.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = $1 AND directory_id = $2 AND ${column} = $3${lock ? ' FOR UPDATE' : ''}`,
    [tenantId, directoryId, value],
  );
  return rows[0] ? toUser(rows[0]) : undefined;
}

export const findUser = (q: Queryable, tenantId: string, directoryId: string, userId: string): Promise<User | undefined> =>
  findUserBy(q, tenantId, directoryId, { id: userId });

/** A condition on the text at `path` in a user's `attributes`; `missing` stands in for a user without it. */
export interface AttributeCondition {
  readonly path: readonly string[];
  /** The text equals this. */
  readonly equals?: string;
  /** The text contains this (case-sensitive: the stores' collations differ, so no SQL lower()). */
  readonly contains?: string;
  /** What a user without the attribute counts as; without it, such a user does not match. */
  readonly missing?: string;
}

/** Filters of an offset page; every given one must hold. */
export interface OffsetUserQuery {
  readonly limit: number;
  readonly offset: number;
  readonly usernameKey?: string;
  /** Any of these username keys; an empty list matches no user. */
  readonly usernameKeys?: readonly string[];
  readonly emailKey?: string;
  /** Any of these statuses; an empty list matches no user. */
  readonly statuses?: readonly UserStatus[];
  /** Members of the directory's group of exactly this name. */
  readonly groupName?: string;
  readonly attributes?: readonly AttributeCondition[];
}

/**
 * A page by offset, in creation order, with the total of users that match (for
 * dialects that page by offset). Every filter value is a bound parameter.
 */
export async function listUsersByOffset(q: Queryable, tenantId: string, directoryId: string, page: OffsetUserQuery): Promise<{ count: number; users: User[] }> {
  const params: unknown[] = [tenantId, directoryId];
  const bind = (value: unknown, type: string) => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  const where = ['u.tenant_id = $1', 'u.directory_id = $2'];
  if (page.usernameKey !== undefined) where.push(`u.username_key = ${bind(page.usernameKey, 'text')}`);
  if (page.usernameKeys !== undefined) where.push(`u.username_key = ANY(${bind(page.usernameKeys, 'text[]')})`);
  if (page.emailKey !== undefined) where.push(`u.email_key = ${bind(page.emailKey, 'text')}`);
  if (page.statuses !== undefined) where.push(`u.status = ANY(${bind(page.statuses, 'text[]')})`);
  if (page.groupName !== undefined) {
    where.push(`EXISTS (SELECT 1 FROM group_members m JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
      WHERE m.tenant_id = u.tenant_id AND m.user_id = u.id AND g.directory_id = u.directory_id AND g.name = ${bind(page.groupName, 'text')})`);
  }
  for (const condition of page.attributes ?? []) {
    const text = `coalesce(u.attributes #>> ${bind(condition.path, 'text[]')}, ${bind(condition.missing ?? null, 'text')})`;
    if (condition.equals !== undefined) where.push(`${text} = ${bind(condition.equals, 'text')}`);
    if (condition.contains !== undefined) where.push(`strpos(${text}, ${bind(condition.contains, 'text')}) > 0`);
  }
  const filter = where.join(' AND ');
  const countParams = [...params];
  const [rows, total] = await Promise.all([
    q.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE ${filter} ORDER BY u.id LIMIT ${bind(page.limit, 'int')} OFFSET ${bind(page.offset, 'int')}`, params),
    q.query<{ n: number }>(`SELECT count(*)::int AS n FROM users u WHERE ${filter}`, countParams),
  ]);
  return { count: total.rows[0]!.n, users: rows.rows.map(toUser) };
}

/** Replaces the user's credential with a generated secret (the password, if any, is removed). */
export async function replaceWithSecret(q: Queryable, tenantId: string, directoryId: string, userId: string, secretHash: Buffer): Promise<User | undefined> {
  const { rows } = await q.query<UserRow>(
    `UPDATE users SET secret_hash = $4, password_hash = NULL, version = version + 1, updated_at = now()
     WHERE tenant_id = $1 AND directory_id = $2 AND id = $3 RETURNING ${USER_COLUMNS}`,
    [tenantId, directoryId, userId, secretHash],
  );
  return rows[0] ? toUser(rows[0]) : undefined;
}

/** A user with the stored credential hashes, for checking a sign-in. */
export interface UserWithCredentials {
  readonly user: User;
  readonly passwordHash: string | null;
  readonly secretHash: Uint8Array | null;
}

export async function findUserCredentials(
  q: Queryable,
  tenantId: string,
  directoryId: string,
  usernameKey: string,
): Promise<UserWithCredentials | undefined> {
  const { rows } = await q.query<UserRow & { password_hash: string | null; secret_hash: Uint8Array | null }>(
    `SELECT ${USER_COLUMNS}, password_hash, secret_hash FROM users
     WHERE tenant_id = $1 AND directory_id = $2 AND username_key = $3`,
    [tenantId, directoryId, usernameKey],
  );
  const row = rows[0];
  return row ? { user: toUser(row), passwordHash: row.password_hash, secretHash: row.secret_hash } : undefined;
}

export interface UserListQuery {
  readonly usernameKey?: string;
  readonly emailKey?: string;
  readonly status?: UserStatus;
  /** Username keys starting with this. */
  readonly usernameKeyPrefix?: string;
  /** Members of the directory's group of exactly this name. */
  readonly groupName?: string;
  readonly sort: UserSort;
  readonly descending: boolean;
  /** Where the previous page ended (from its last `ListedUser`): users after it in this order. */
  readonly after?: SortPosition | undefined;
  readonly limit: number;
}

/** A user's place in a sort: its key as text (null: the user has none) and its id. */
export interface SortPosition {
  readonly key: string | null;
  readonly id: string;
}

export interface ListedUser {
  readonly user: User;
  /** The user's sort key, for a cursor; opaque text that `listUsers` takes back. */
  readonly key: string | null;
}

/**
 * How a sort reads its key. `read` renders it as text for a cursor and `bind`
 * turns that text back into a comparable value (exactly: updated_at travels as
 * integer microseconds, so no precision is lost and no DateStyle matters);
 * `valid` guards a cursor's key before it is bound. A `unique` key needs no id
 * tie-breaker (and its unique index then serves the order); a `nullable` one
 * pages its NULLs as a second segment, after every value in either direction,
 * in id order.
 */
interface SortKeySql {
  readonly column: string;
  readonly read: string;
  readonly bind: (placeholder: string) => string;
  readonly valid: (key: string) => boolean;
  readonly unique: boolean;
  readonly nullable: boolean;
}

/** Any text that can be bound (PostgreSQL text holds no NUL). */
const anyText = (key: string) => key.length <= 4 * TEXT_FIELD_MAX_LENGTH && !key.includes('\u0000');
const textKey = (column: string, unique: boolean, nullable: boolean): SortKeySql => ({
  column,
  read: column,
  bind: (p) => `${p}::text`,
  valid: anyText,
  unique,
  nullable,
});

const SORT_KEYS: Record<UserSort, SortKeySql> = {
  createdAt: { column: 'id', read: 'id::text', bind: (p) => `${p}::uuid`, valid: isUuid, unique: true, nullable: false },
  username: textKey('username_key', true, false),
  email: textKey('email_key', true, true),
  displayName: textKey('display_name', false, true),
  updatedAt: {
    column: 'updated_at',
    read: '(extract(epoch FROM updated_at) * 1000000)::bigint::text',
    bind: (p) => `('epoch'::timestamptz + ${p}::bigint * interval '1 microsecond')`,
    valid: (key) => /^-?\d{1,17}$/.test(key),
    unique: false,
    nullable: false,
  },
  status: textKey('status', false, false),
};

/** Whether `key` can be a position's key in `sort` (a forged cursor's is refused before it reaches SQL). */
export const isSortKey = (sort: UserSort, key: string | null): boolean => (key === null ? SORT_KEYS[sort].nullable : SORT_KEYS[sort].valid(key));

/** The part of a sort a statement reads: the users with a key, or (nullable keys) those without. */
export type SortSegment = 'values' | 'nulls';

/**
 * One segment's statement of a sorted page: the filters, the keyset condition
 * (`(key, id)` after the position, one index range), the order, `limit` rows.
 * Exported for the plan test.
 */
export function listUsersStatement(tenantId: string, directoryId: string, query: UserListQuery, segment: SortSegment, limit: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [tenantId, directoryId];
  const where = ['tenant_id = $1', 'directory_id = $2'];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const add = (condition: string, value: unknown) => where.push(condition.replace('?', param(value)));
  if (query.usernameKey !== undefined) add('username_key = ?', query.usernameKey);
  if (query.emailKey !== undefined) add('email_key = ?', query.emailKey);
  if (query.status !== undefined) add('status = ?', query.status);
  if (query.usernameKeyPrefix !== undefined) add('starts_with(username_key, ?)', query.usernameKeyPrefix);
  if (query.groupName !== undefined) {
    add(`EXISTS (SELECT 1 FROM group_members m JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
      WHERE m.tenant_id = users.tenant_id AND m.user_id = users.id AND g.directory_id = users.directory_id AND g.name = ?)`, query.groupName);
  }
  const key = SORT_KEYS[query.sort];
  const [dir, past] = query.descending ? [' DESC', '<'] : ['', '>'];
  let order: string;
  if (segment === 'nulls') {
    where.push(`${key.column} IS NULL`);
    if (query.after !== undefined) add(`id ${past} ?::uuid`, query.after.id);
    // A non-unique key's index holds its NULLs in (key, id) order; the partial index of a unique one in id order.
    order = key.unique ? `id${dir}` : `${key.column}${dir}, id${dir}`;
  } else {
    if (key.nullable) where.push(`${key.column} IS NOT NULL`);
    if (query.after !== undefined) {
      const at = key.bind(param(query.after.key));
      where.push(key.unique ? `${key.column} ${past} ${at}` : `(${key.column}, id) ${past} (${at}, ${param(query.after.id)}::uuid)`);
    }
    order = key.unique ? `${key.column}${dir}` : `${key.column}${dir}, id${dir}`;
  }
  const sql = `SELECT ${USER_COLUMNS}, ${key.read} AS sort_key FROM users WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${param(limit)}`;
  return { sql, params };
}

/**
 * One page in the query's sort; asks for one row more than `limit` so the
 * caller knows if more follow. A nullable key reads the users with a value
 * first and then, if the page is not full, those without (after every value
 * in either direction, in id order), so paging through them loses or repeats
 * no user.
 */
export async function listUsers(q: Queryable, tenantId: string, directoryId: string, query: UserListQuery): Promise<ListedUser[]> {
  const wanted = query.limit + 1;
  const read = async (segment: SortSegment, segmentQuery: UserListQuery, limit: number): Promise<ListedUser[]> => {
    const { sql, params } = listUsersStatement(tenantId, directoryId, segmentQuery, segment, limit);
    const { rows } = await q.query<UserRow & { sort_key: string | null }>(sql, params);
    return rows.map((row) => ({ user: toUser(row), key: row.sort_key }));
  };
  const inNulls = query.after !== undefined && query.after.key === null;
  const listed = inNulls ? [] : await read('values', query, wanted);
  if (!SORT_KEYS[query.sort].nullable || listed.length >= wanted) return listed;
  // Every user without a key comes after every user with one: a page that reaches them reads them from the first.
  const nullsFrom: UserListQuery = inNulls ? query : { ...query, after: undefined };
  return [...listed, ...(await read('nulls', nullsFrom, wanted - listed.length))];
}

/** Column values to change; absent keys are left alone. Keys and hashes come computed. */
export interface UserChanges extends UserProfile {
  username?: string;
  usernameKey?: string;
  emailKey?: string | null;
  passwordHash?: string;
}

const CHANGE_COLUMNS: Record<keyof UserChanges, string> = {
  username: 'username',
  usernameKey: 'username_key',
  email: 'email',
  emailKey: 'email_key',
  displayName: 'display_name',
  givenName: 'given_name',
  familyName: 'family_name',
  phone: 'phone',
  locale: 'locale',
  externalId: 'external_id',
  status: 'status',
  expiresAt: 'expires_at',
  attributes: 'attributes',
  passwordHash: 'password_hash',
};

export type UpdateOutcome = { readonly kind: 'updated'; readonly user: User } | { readonly kind: 'not_found' } | { readonly kind: 'version_mismatch' };

/**
 * Applies `changes`, bumps `version` and `updated_at`. With `expectedVersion`,
 * updates only if the stored version matches (optimistic concurrency).
 */
export async function updateUser(
  q: Queryable,
  tenantId: string,
  directoryId: string,
  userId: string,
  changes: UserChanges,
  expectedVersion: number | undefined,
): Promise<UpdateOutcome> {
  const params: unknown[] = [tenantId, directoryId, userId];
  const sets = ['version = version + 1', 'updated_at = now()'];
  for (const [key, column] of Object.entries(CHANGE_COLUMNS) as [keyof UserChanges, string][]) {
    if (!(key in changes)) continue;
    const value = changes[key];
    params.push(key === 'attributes' ? JSON.stringify(value) : value);
    sets.push(`${column} = $${params.length}`);
  }
  let versionCondition = '';
  if (expectedVersion !== undefined) {
    params.push(expectedVersion);
    versionCondition = ` AND version = $${params.length}`;
  }
  const { rows } = await q.query<UserRow>(
    `UPDATE users SET ${sets.join(', ')}
     WHERE tenant_id = $1 AND directory_id = $2 AND id = $3${versionCondition} RETURNING ${USER_COLUMNS}`,
    params,
  );
  if (rows[0]) return { kind: 'updated', user: toUser(rows[0]) };
  if (expectedVersion === undefined) return { kind: 'not_found' };
  return (await findUser(q, tenantId, directoryId, userId)) ? { kind: 'version_mismatch' } : { kind: 'not_found' };
}

/** Sets a new password hash only if the stored one is still `expected`; true if it was replaced. */
export async function replacePasswordHash(
  q: Queryable,
  tenantId: string,
  directoryId: string,
  userId: string,
  expected: string,
  replacement: string,
): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE users SET password_hash = $5
     WHERE tenant_id = $1 AND directory_id = $2 AND id = $3 AND password_hash = $4`,
    [tenantId, directoryId, userId, expected, replacement],
  );
  return rowCount > 0;
}

/** Sets the password and activates a pending user; false if the user is no longer pending. */
export async function activateWithPassword(q: Queryable, tenantId: string, userId: string, passwordHash: string): Promise<User | undefined> {
  const { rows } = await q.query<UserRow>(
    `UPDATE users SET password_hash = $3, status = 'active', version = version + 1, updated_at = now()
     WHERE tenant_id = $1 AND id = $2 AND status = 'pending' RETURNING ${USER_COLUMNS}`,
    [tenantId, userId, passwordHash],
  );
  return rows[0] ? toUser(rows[0]) : undefined;
}

/** Deletes the user (memberships and invitations go with it); the deleted user, or undefined. */
export async function deleteUser(q: Queryable, tenantId: string, directoryId: string, userId: string): Promise<User | undefined> {
  const { rows } = await q.query<UserRow>(`DELETE FROM users WHERE tenant_id = $1 AND directory_id = $2 AND id = $3 RETURNING ${USER_COLUMNS}`, [
    tenantId,
    directoryId,
    userId,
  ]);
  return rows[0] ? toUser(rows[0]) : undefined;
}

/** A filtered, sorted page by offset (SCIM listing). */
export interface FilteredUserQuery {
  readonly filter?: RecordFilter;
  readonly sort?: RecordSort;
  readonly offset: number;
  readonly limit: number;
}

/**
 * The users matching `filter` (compiled to SQL with bound parameters; see
 * recordFilter.ts), in `sort` order then id, from `offset`, with the total that
 * match. `limit` 0 counts only.
 */
export async function listUsersMatching(q: Queryable, tenantId: string, directoryId: string, query: FilteredUserQuery): Promise<{ count: number; users: User[] }> {
  const params: unknown[] = [tenantId, directoryId];
  const bind: Bind = (value, type) => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  const where = `u.tenant_id = $1 AND u.directory_id = $2${query.filter ? ` AND ${filterSql(query.filter, bind)}` : ''}`;
  const countParams = [...params];
  const order = sortSql(query.sort, bind);
  const page =
    query.limit === 0
      ? Promise.resolve({ rows: [] as UserRow[] })
      : q.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE ${where} ORDER BY ${order} LIMIT ${bind(query.limit, 'int')} OFFSET ${bind(query.offset, 'bigint')}`, params);
  const [rows, total] = await Promise.all([page, q.query<{ n: number }>(`SELECT count(*)::int AS n FROM users u WHERE ${where}`, countParams)]);
  return { count: total.rows[0]!.n, users: rows.rows.map(toUser) };
}

/** A user as exported: the password hash only when asked for (never the generated secret's HMAC). */
export interface ExportedUser {
  readonly user: User;
  readonly passwordHash: string | null;
  /** The names of the user's groups, in code-point order (the same on both stores). */
  readonly groups: readonly string[];
}

/**
 * One page of a directory's users in id order after `afterId` (the export's
 * cursor, down `users_directory_id_uq`), with password hashes when
 * `withHashes`, and each user's group names aggregated in the same statement
 * (down `group_members_user_idx`; no query per user).
 */
export async function exportPage(q: Queryable, tenantId: string, directoryId: string, afterId: string | null, limit: number, withHashes: boolean): Promise<ExportedUser[]> {
  const { rows } = await q.query<UserRow & { password_hash: string | null; group_names: string[] }>(
    `SELECT ${USER_COLUMNS}, ${withHashes ? 'password_hash' : 'NULL::text AS password_hash'},
            ARRAY(SELECT g.name FROM group_members m JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
                  WHERE m.tenant_id = users.tenant_id AND m.user_id = users.id ORDER BY g.name COLLATE "C") AS group_names
     FROM users
     WHERE tenant_id = $1 AND directory_id = $2 AND id > $3 ORDER BY id LIMIT $4`,
    // The nil UUID sorts first: one plan, a range scan from the cursor.
    [tenantId, directoryId, afterId ?? '00000000-0000-0000-0000-000000000000', limit],
  );
  return rows.map((row) => ({ user: toUser(row), passwordHash: row.password_hash, groups: row.group_names }));
}
