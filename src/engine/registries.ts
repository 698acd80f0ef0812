/**
 * Container registries, the resource of the Gcore dialect: a directory with an
 * integer id inside a (project, region) namespace of a tenant, and a storage
 * limit. Creating one creates its directory in the same unit of work;
 * deleting one deletes its directory and users (a `user.deleted` each).
 */
import type { Actor } from '../domain/actor.ts';
import { MusterError } from '../domain/errors.ts';
import type { Registry, RegistryScope } from '../domain/registry.ts';
import { newId } from '../crypto/ids.ts';
import { mappingConstraints } from '../store/constraints.ts';
import { insertDirectory, lockDirectory } from '../store/repositories/directories.ts';
import * as repo from '../store/repositories/registries.ts';
import type { EngineContext } from './context.ts';
import { deleteDirectoryWithUsers, directoryEvent, resolveDirectory } from './directories.ts';
import { inUnitOfWork } from './unitOfWork.ts';

/** Where registries live inside the actor's tenant. */
export interface RegistryPlace {
  readonly projectId: number;
  readonly regionId: number;
}

export function registryService(ctx: EngineContext) {
  const scopeOf = (actor: Actor, place: RegistryPlace): RegistryScope => ({ tenantId: actor.tenantId, ...place });

  async function find(actor: Actor, place: RegistryPlace, id: number): Promise<Registry> {
    const registry = Number.isSafeInteger(id) ? await repo.findRegistry(ctx.db, scopeOf(actor, place), id) : undefined;
    if (!registry) throw new MusterError('registry.not_found');
    return registry;
  }

  return {
    /** Creates the registry and its directory (named `registry-<uuid>`, not shown to Gcore clients). */
    create(actor: Actor, place: RegistryPlace, name: string, storageLimit: number): Promise<Registry> {
      return mappingConstraints(() =>
        inUnitOfWork(ctx, actor, async (uow) => {
          const directory = await insertDirectory(uow.tx, actor.tenantId, { id: newId(), name: `registry-${newId()}` });
          uow.emit(directoryEvent('directory.created', directory));
          return repo.insertRegistry(uow.tx, scopeOf(actor, place), { directoryId: directory.id, name, storageLimit });
        }),
      );
    },

    get: find,

    list: (actor: Actor, place: RegistryPlace, limit: number, offset: number) => repo.listRegistries(ctx.db, scopeOf(actor, place), limit, offset),

    async resize(actor: Actor, place: RegistryPlace, id: number, storageLimit: number): Promise<Registry> {
      const registry = await repo.resizeRegistry(ctx.db, scopeOf(actor, place), id, storageLimit);
      if (!registry) throw new MusterError('registry.not_found');
      return registry;
    },

    /** Deletes the registry with its directory and users, each with a `user.deleted` event. */
    delete: (actor: Actor, place: RegistryPlace, id: number): Promise<void> =>
      inUnitOfWork(ctx, actor, async (uow) => {
        const registry = Number.isSafeInteger(id) ? await repo.findRegistry(uow.tx, scopeOf(actor, place), id) : undefined;
        if (!registry) throw new MusterError('registry.not_found');
        await lockDirectory(uow.tx, actor.tenantId, registry.directoryId);
        await deleteDirectoryWithUsers(ctx, uow, await resolveDirectory(uow.tx, actor.tenantId, registry.directoryId), 'registry deleted');
      }),
  };
}

export type RegistryService = ReturnType<typeof registryService>;
