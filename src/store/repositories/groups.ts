/** Groups of users in a directory, and memberships. */
import type { Group } from '../../domain/group.ts';
import type { Queryable } from '../ports.ts';

interface Row {
  id: string;
  name: string;
  description: string | null;
  created_at: Date;
}

const toGroup = (row: Row): Group => ({ id: row.id, name: row.name, description: row.description, createdAt: row.created_at });

export async function insertGroup(q: Queryable, tenantId: string, directoryId: string, group: { id: string; name: string; description: string | null }): Promise<Group> {
  const { rows } = await q.query<Row>(
    'INSERT INTO groups (tenant_id, id, directory_id, name, description) VALUES ($1, $2, $3, $4, $5) RETURNING id, name, description, created_at',
    [tenantId, group.id, directoryId, group.name, group.description],
  );
  return toGroup(rows[0]!);
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
    [tenantId, directoryId, memberships.map((m) => m.groupId), memberships.map((m) => m.userId)],
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
