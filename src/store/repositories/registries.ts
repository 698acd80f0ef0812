/** Container registries (the Gcore dialect's resource): integer ids in a (project, region) namespace, each over one directory. */
import type { Registry, RegistryScope } from '../../domain/registry.ts';
import type { Queryable } from '../ports.ts';

export type { Registry, RegistryScope };

interface RegistryRow {
  id: string | number;
  project_id: string | number;
  region_id: string | number;
  directory_id: string;
  name: string;
  storage_limit: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, project_id, region_id, directory_id, name, storage_limit, created_at, updated_at';

const toRegistry = (row: RegistryRow): Registry => ({
  id: Number(row.id),
  projectId: Number(row.project_id),
  regionId: Number(row.region_id),
  directoryId: row.directory_id,
  name: row.name,
  storageLimit: row.storage_limit,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});


export async function insertRegistry(q: Queryable, scope: RegistryScope, registry: { directoryId: string; name: string; storageLimit: number }): Promise<Registry> {
  const { rows } = await q.query<RegistryRow>(
    `INSERT INTO gcore_registries (tenant_id, project_id, region_id, directory_id, name, storage_limit)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [scope.tenantId, scope.projectId, scope.regionId, registry.directoryId, registry.name, registry.storageLimit],
  );
  return toRegistry(rows[0]!);
}

export async function findRegistry(q: Queryable, scope: RegistryScope, id: number): Promise<Registry | undefined> {
  const { rows } = await q.query<RegistryRow>(
    `SELECT ${COLUMNS} FROM gcore_registries WHERE tenant_id = $1 AND project_id = $2 AND region_id = $3 AND id = $4`,
    [scope.tenantId, scope.projectId, scope.regionId, id],
  );
  return rows[0] && toRegistry(rows[0]);
}

export async function listRegistries(q: Queryable, scope: RegistryScope, limit: number, offset: number): Promise<{ count: number; registries: Registry[] }> {
  const { rows } = await q.query<RegistryRow & { total: string | number }>(
    `SELECT ${COLUMNS}, count(*) OVER () AS total FROM gcore_registries
     WHERE tenant_id = $1 AND project_id = $2 AND region_id = $3 ORDER BY id LIMIT $4 OFFSET $5`,
    [scope.tenantId, scope.projectId, scope.regionId, limit, offset],
  );
  const count = rows[0] ? Number(rows[0].total) : offset === 0 ? 0 : await countRegistries(q, scope);
  return { count, registries: rows.map(toRegistry) };
}

async function countRegistries(q: Queryable, scope: RegistryScope): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM gcore_registries WHERE tenant_id = $1 AND project_id = $2 AND region_id = $3',
    [scope.tenantId, scope.projectId, scope.regionId],
  );
  return rows[0]!.n;
}

export async function resizeRegistry(q: Queryable, scope: RegistryScope, id: number, storageLimit: number): Promise<Registry | undefined> {
  const { rows } = await q.query<RegistryRow>(
    `UPDATE gcore_registries SET storage_limit = $5, updated_at = now()
     WHERE tenant_id = $1 AND project_id = $2 AND region_id = $3 AND id = $4 RETURNING ${COLUMNS}`,
    [scope.tenantId, scope.projectId, scope.regionId, id, storageLimit],
  );
  return rows[0] && toRegistry(rows[0]);
}
