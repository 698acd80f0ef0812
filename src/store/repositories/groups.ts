/** Groups of users in a directory, and memberships. */
import type { RecordFilter, RecordSort } from '../../domain/filter.ts';
import type { Group, GroupMember, VersionedGroup } from '../../domain/group.ts';
import { arrayLiteral } from '../arrayLiteral.ts';
import type { Queryable } from '../ports.ts';
import { filterSql, GROUPS_TABLE, sortSql, type Bind } from './recordFilter.ts';

interface Row {
  id: string;
  name: string;
  description: string | null;
  created_at: Date;
}

const toGroup = (row: Row): Group => ({ id: row.id, name: row.name, description: row.description, createdAt: row.created_at });

interface VersionedRow extends Row {
  directory_id: string;
  external_id: string | null;
  version: number;
  updated_at: Date;
}

const VERSIONED_COLUMNS = 'u.id, u.name, u.description, u.created_at, u.directory_id, u.external_id, u.version, u.updated_at';

const toVersioned = (row: VersionedRow): VersionedGroup => ({
  ...toGroup(row),
  directoryId: row.directory_id,
  externalId: row.external_id,
  version: row.version,
  updatedAt: row.updated_at,
});

export async function insertGroup(
  q: Queryable,
  tenantId: string,
  directoryId: string,
  group: { id: string; name: string; description: string | null; externalId?: string | null },
): Promise<VersionedGroup> {
  const { rows } = await q.query<VersionedRow>(
    `INSERT INTO groups AS u (tenant_id, id, directory_id, name, description, external_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${VERSIONED_COLUMNS}`,
    [tenantId, group.id, directoryId, group.name, group.description, group.externalId ?? null],
  );
  return toVersioned(rows[0]!);
}

/** The directory's group with this id; with `lock`, locked FOR UPDATE until the transaction ends (read-modify-write). */
export async function findGroup(q: Queryable, tenantId: string, directoryId: string, id: string, lock = false): Promise<VersionedGroup | undefined> {
  const { rows } = await q.query<VersionedRow>(
    `SELECT ${VERSIONED_COLUMNS} FROM groups u WHERE u.tenant_id = $1 AND u.directory_id = $2 AND u.id = $3${lock ? ' FOR UPDATE' : ''}`,
    [tenantId, directoryId, id],
  );
  return rows[0] ? toVersioned(rows[0]) : undefined;
}

/** Changes the name and external id given, bumps version and updated_at. */
export async function updateGroup(
  q: Queryable,
  tenantId: string,
  directoryId: string,
  id: string,
  changes: { name?: string; externalId?: string | null },
): Promise<VersionedGroup | undefined> {
  const { rows } = await q.query<VersionedRow>(
    `UPDATE groups AS u SET name = CASE WHEN $4::boolean THEN $5 ELSE u.name END,
       external_id = CASE WHEN $6::boolean THEN $7 ELSE u.external_id END,
       version = u.version + 1, updated_at = now()
     WHERE u.tenant_id = $1 AND u.directory_id = $2 AND u.id = $3 RETURNING ${VERSIONED_COLUMNS}`,
    [tenantId, directoryId, id, changes.name !== undefined, changes.name ?? null, changes.externalId !== undefined, changes.externalId ?? null],
  );
  return rows[0] ? toVersioned(rows[0]) : undefined;
}

/**
 * Makes `userIds` the group's members: removes the others, adds the missing
 * (a user of another directory or none violates `group_members_user_fk`).
 * Returns the ids added and removed.
 */
export async function replaceMembers(
  q: Queryable,
  tenantId: string,
  directoryId: string,
  groupId: string,
  userIds: readonly string[],
): Promise<{ added: string[]; removed: string[] }> {
  const removed = await q.query<{ user_id: string }>(
    'DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND NOT (user_id = ANY($3::uuid[])) RETURNING user_id',
    [tenantId, groupId, userIds],
  );
  const added = await q.query<{ user_id: string }>(
    `INSERT INTO group_members (tenant_id, directory_id, group_id, user_id)
     SELECT $1, $2, $3, u FROM unnest($4::uuid[]) AS t(u) ON CONFLICT DO NOTHING RETURNING user_id`,
    [tenantId, directoryId, groupId, userIds],
  );
  return { added: added.rows.map((r) => r.user_id), removed: removed.rows.map((r) => r.user_id) };
}

/** The members of each given group (id and username), in username order. */
export async function membersOf(q: Queryable, tenantId: string, groupIds: readonly string[]): Promise<Map<string, GroupMember[]>> {
  const { rows } = await q.query<{ group_id: string; user_id: string; username: string }>(
    `SELECT m.group_id, m.user_id, u.username FROM group_members m
     JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id
     WHERE m.tenant_id = $1 AND m.group_id = ANY($2::uuid[]) ORDER BY u.username_key`,
    [tenantId, groupIds],
  );
  const byGroup = new Map<string, GroupMember[]>();
  for (const row of rows) byGroup.set(row.group_id, [...(byGroup.get(row.group_id) ?? []), { userId: row.user_id, username: row.username }]);
  return byGroup;
}

/** A filtered, sorted page by offset of the directory's groups, with the total that match (filter compiled with bound parameters). */
export async function listGroupsMatching(
  q: Queryable,
  tenantId: string,
  directoryId: string,
  query: { readonly filter?: RecordFilter; readonly sort?: RecordSort; readonly offset: number; readonly limit: number },
): Promise<{ count: number; groups: VersionedGroup[] }> {
  const params: unknown[] = [tenantId, directoryId];
  const bind: Bind = (value, type) => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  const where = `u.tenant_id = $1 AND u.directory_id = $2${query.filter ? ` AND ${filterSql(query.filter, bind, GROUPS_TABLE)}` : ''}`;
  const countParams = [...params];
  const order = sortSql(query.sort, bind, GROUPS_TABLE);
  const page =
    query.limit === 0
      ? Promise.resolve({ rows: [] as VersionedRow[] })
      : q.query<VersionedRow>(`SELECT ${VERSIONED_COLUMNS} FROM groups u WHERE ${where} ORDER BY ${order} LIMIT ${bind(query.limit, 'int')} OFFSET ${bind(query.offset, 'bigint')}`, params);
  const [rows, total] = await Promise.all([page, q.query<{ n: number }>(`SELECT count(*)::int AS n FROM groups u WHERE ${where}`, countParams)]);
  return { count: total.rows[0]!.n, groups: rows.rows.map(toVersioned) };
}

export async function listGroups(q: Queryable, tenantId: string, directoryId: string): Promise<Group[]> {
  const { rows } = await q.query<Row>(
    'SELECT id, name, description, created_at FROM groups WHERE tenant_id = $1 AND directory_id = $2 ORDER BY name',
    [tenantId, directoryId],
  );
  return rows.map(toGroup);
}

/**
 * Which of `ids` are groups of the directory. With `lock`, those rows are
 * key-share locked until the transaction ends: none of them can be deleted
 * meanwhile, so memberships written in the same transaction cannot race a
 * group's deletion.
 */
export async function existingGroupIds(q: Queryable, tenantId: string, directoryId: string, ids: readonly string[], lock: boolean): Promise<Set<string>> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT id FROM groups WHERE tenant_id = $1 AND directory_id = $2 AND id = ANY($3::uuid[]) ${lock ? 'FOR KEY SHARE' : ''}`,
    [tenantId, directoryId, ids],
  );
  return new Set(rows.map((r) => r.id));
}

/** The ids of the directory's groups named `names` (exact names, down `groups_name_uq`), by name; names of no group are absent. */
export async function groupIdsByName(q: Queryable, tenantId: string, directoryId: string, names: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await q.query<{ id: string; name: string }>('SELECT id, name FROM groups WHERE tenant_id = $1 AND directory_id = $2 AND name = ANY($3::text[])', [
    tenantId,
    directoryId,
    names,
  ]);
  return new Map(rows.map((r) => [r.name, r.id]));
}

/** Deletes the group (its memberships go with it); the deleted group, or undefined. */
export async function deleteGroup(q: Queryable, tenantId: string, directoryId: string, id: string): Promise<Group | undefined> {
  const { rows } = await q.query<Row>('DELETE FROM groups WHERE tenant_id = $1 AND directory_id = $2 AND id = $3 RETURNING id, name, description, created_at', [
    tenantId,
    directoryId,
    id,
  ]);
  return rows[0] ? toGroup(rows[0]) : undefined;
}

/**
 * Adds memberships of users and groups of one directory. The foreign keys
 * include the directory (`group_members_group_fk`, `group_members_user_fk`),
 * so a membership can never join a user to another directory's group.
 */
export async function insertMemberships(
  q: Queryable,
  tenantId: string,
  directoryId: string,
  memberships: readonly { groupId: string; userId: string }[],
): Promise<void> {
  if (memberships.length === 0) return;
  await q.query(
    `INSERT INTO group_members (tenant_id, directory_id, group_id, user_id)
     SELECT $1, $2, g, u FROM unnest($3::uuid[], $4::uuid[]) AS t(g, u) ON CONFLICT DO NOTHING`,
    [tenantId, directoryId, arrayLiteral(memberships.map((m) => m.groupId)), arrayLiteral(memberships.map((m) => m.userId))],
  );
}

/** The groups of each given user. */
export async function groupsOfUsers(q: Queryable, tenantId: string, userIds: readonly string[]): Promise<Map<string, Group[]>> {
  const { rows } = await q.query<Row & { user_id: string }>(
    `SELECT m.user_id, g.id, g.name, g.description, g.created_at FROM group_members m
     JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
     WHERE m.tenant_id = $1 AND m.user_id = ANY($2::uuid[]) ORDER BY g.name`,
    [tenantId, userIds],
  );
  const byUser = new Map<string, Group[]>();
  for (const row of rows) byUser.set(row.user_id, [...(byUser.get(row.user_id) ?? []), toGroup(row)]);
  return byUser;
}
