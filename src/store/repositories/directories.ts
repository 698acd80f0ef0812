/** Directories. Every function takes the handle it must run on and the tenant it is scoped to. */
import type { Directory } from '../../domain/directory.ts';
import type { ConfusablesPolicy } from '../../domain/user.ts';
import type { Queryable } from '../ports.ts';

interface DirectoryRow {
  id: string;
  name: string;
  confusables: ConfusablesPolicy;
  created_at: Date;
}

const COLUMNS = 'id, name, confusables, created_at';

const toDirectory = (row: DirectoryRow): Directory => ({ id: row.id, name: row.name, confusables: row.confusables, createdAt: row.created_at });

/** A new directory; `confusables` defaults to `distinct` (checked by `directories_confusables_ck`). */
export async function insertDirectory(
  q: Queryable,
  tenantId: string,
  directory: { id: string; name: string; confusables?: ConfusablesPolicy },
): Promise<Directory> {
  const { rows } = await q.query<DirectoryRow>(
    `INSERT INTO directories (tenant_id, id, name, confusables) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
    [tenantId, directory.id, directory.name, directory.confusables ?? 'distinct'],
  );
  return toDirectory(rows[0]!);
}

/** Inserts the directory unless one of that name exists (safe under concurrent calls); the new one, or undefined. */
export async function insertDirectoryIfMissing(q: Queryable, tenantId: string, directory: { id: string; name: string }): Promise<Directory | undefined> {
  const { rows } = await q.query<DirectoryRow>(
    `INSERT INTO directories (tenant_id, id, name) VALUES ($1, $2, $3)
     ON CONFLICT ON CONSTRAINT directories_name_uq DO NOTHING RETURNING id, name, created_at`,
    [tenantId, directory.id, directory.name],
  );
  return rows[0] ? toDirectory(rows[0]) : undefined;
}

/** By id (when `ref` is a UUID) or by name. */
export async function findDirectory(q: Queryable, tenantId: string, ref: string, refIsId: boolean): Promise<Directory | undefined> {
  const { rows } = await q.query<DirectoryRow>(
    `SELECT ${COLUMNS} FROM directories WHERE tenant_id = $1 AND ${refIsId ? 'id' : 'name'} = $2`,
    [tenantId, ref],
  );
  return rows[0] ? toDirectory(rows[0]) : undefined;
}

export async function listDirectories(q: Queryable, tenantId: string): Promise<Directory[]> {
  const { rows } = await q.query<DirectoryRow>(
    `SELECT ${COLUMNS} FROM directories WHERE tenant_id = $1 ORDER BY name`,
    [tenantId],
  );
  return rows.map(toDirectory);
}

/**
 * Locks the directory row until the transaction ends. Inserting a user takes a
 * key-share lock on its directory (the foreign key), so while this is held no
 * user can be added to it.
 */
export async function lockDirectory(q: Queryable, tenantId: string, directoryId: string): Promise<void> {
  await q.query('SELECT 1 FROM directories WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [tenantId, directoryId]);
}

export async function directoryHasUsers(q: Queryable, tenantId: string, directoryId: string): Promise<boolean> {
  const { rowCount } = await q.query('SELECT 1 FROM users WHERE tenant_id = $1 AND directory_id = $2 LIMIT 1', [tenantId, directoryId]);
  return rowCount > 0;
}

/** Deletes the directory and, by cascade, its users. */
export async function deleteDirectory(q: Queryable, tenantId: string, directoryId: string): Promise<boolean> {
  const { rowCount } = await q.query('DELETE FROM directories WHERE tenant_id = $1 AND id = $2', [tenantId, directoryId]);
  return rowCount > 0;
}
