/** Groups of users in a directory, and memberships. */
import type { Queryable } from '../ports.ts';

export interface Group {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly createdAt: Date;
}

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

/** Which of `ids` are groups of the directory. */
export async function existingGroupIds(q: Queryable, tenantId: string, directoryId: string, ids: readonly string[]): Promise<Set<string>> {
  const { rows } = await q.query<{ id: string }>('SELECT id FROM groups WHERE tenant_id = $1 AND directory_id = $2 AND id = ANY($3::uuid[])', [
    tenantId,
    directoryId,
    ids,
  ]);
  return new Set(rows.map((r) => r.id));
}

export async function deleteGroup(q: Queryable, tenantId: string, directoryId: string, id: string): Promise<boolean> {
  const { rowCount } = await q.query('DELETE FROM groups WHERE tenant_id = $1 AND directory_id = $2 AND id = $3', [tenantId, directoryId, id]);
  return rowCount > 0;
}

export async function insertMemberships(q: Queryable, tenantId: string, memberships: readonly { groupId: string; userId: string }[]): Promise<void> {
  if (memberships.length === 0) return;
  await q.query(
    'INSERT INTO group_members (tenant_id, group_id, user_id) SELECT $1, g, u FROM unnest($2::uuid[], $3::uuid[]) AS t(g, u) ON CONFLICT DO NOTHING',
    [tenantId, memberships.map((m) => m.groupId), memberships.map((m) => m.userId)],
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
