/**
 * Container registries, the resource of the Gcore dialect: a directory with an
 * integer id inside a (project, region) namespace of a tenant, and a storage
 * limit. Creating one creates its directory in the same transaction; deleting
 * the directory deletes the registry and its users.
 */
import { MusterError } from '../domain/errors.ts';
import { newId } from '../crypto/ids.ts';
import { mappingConstraints } from '../store/constraints.ts';
import { deleteDirectory, insertDirectory } from '../store/repositories/directories.ts';
import * as repo from '../store/repositories/registries.ts';
import type { EngineContext } from './context.ts';

export type { Registry, RegistryScope } from '../store/repositories/registries.ts';

export function registryService(ctx: EngineContext) {
  async function find(scope: repo.RegistryScope, id: number): Promise<repo.Registry> {
    const registry = Number.isSafeInteger(id) ? await repo.findRegistry(ctx.db, scope, id) : undefined;
    if (!registry) throw new MusterError('registry.not_found');
    return registry;
  }

  return {
    /** Creates the registry and its directory (named `registry-<uuid>`, not shown to Gcore clients). */
    create(scope: repo.RegistryScope, name: string, storageLimit: number): Promise<repo.Registry> {
      return mappingConstraints(() =>
        ctx.db.transaction(async (tx) => {
          const directory = await insertDirectory(tx, scope.tenantId, { id: newId(), name: `registry-${newId()}` });
          return repo.insertRegistry(tx, scope, { directoryId: directory.id, name, storageLimit });
        }),
      );
    },

    get: find,

    list: (scope: repo.RegistryScope, limit: number, offset: number) => repo.listRegistries(ctx.db, scope, limit, offset),

    async resize(scope: repo.RegistryScope, id: number, storageLimit: number): Promise<repo.Registry> {
      const registry = await repo.resizeRegistry(ctx.db, scope, id, storageLimit);
      if (!registry) throw new MusterError('registry.not_found');
      return registry;
    },

    /** Deletes the registry with its directory and users. */
    async delete(scope: repo.RegistryScope, id: number): Promise<void> {
      const registry = await find(scope, id);
      await deleteDirectory(ctx.db, scope.tenantId, registry.directoryId);
    },
  };
}

export type RegistryService = ReturnType<typeof registryService>;
