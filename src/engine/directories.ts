/** Directories: create, find, list, delete, always inside the caller's tenant. */
import { isUuid, validateDirectoryName, type Directory } from '../domain/directory.ts';
import { MusterError } from '../domain/errors.ts';
import type { ConfusablesPolicy } from '../domain/user.ts';
import { newId } from '../crypto/ids.ts';
import { mappingConstraints } from '../store/constraints.ts';
import type { Queryable } from '../store/ports.ts';
import * as repo from '../store/repositories/directories.ts';
import type { EngineContext } from './context.ts';

/** The directory named by `ref` (its id or its name) in the tenant; throws `directory.not_found`. */
export async function resolveDirectory(q: Queryable, tenantId: string, ref: string): Promise<Directory> {
  const directory = await repo.findDirectory(q, tenantId, ref, isUuid(ref));
  if (!directory) throw new MusterError('directory.not_found', `No directory "${ref}".`);
  return directory;
}

export function directoryService(ctx: EngineContext) {
  return {
    /**
     * Throws `directory.name_taken` (decided by `directories_name_uq`).
     * `confusables` (default `distinct`) is fixed for the directory's life: its
     * users' uniqueness keys are computed under it.
     */
    createDirectory(tenantId: string, name: string, options: { readonly confusables?: ConfusablesPolicy } = {}): Promise<Directory> {
      const valid = validateDirectoryName(name);
      return mappingConstraints(() =>
        repo.insertDirectory(ctx.db, tenantId, { id: newId(), name: valid, confusables: options.confusables ?? 'distinct' }),
      );
    },

    getDirectory: (tenantId: string, ref: string): Promise<Directory> => resolveDirectory(ctx.db, tenantId, ref),

    /** The directory with this name, created on first use (dialects whose accounts map to one directory). */
    ensureDirectory: (tenantId: string, name: string): Promise<Directory> =>
      repo.ensureDirectory(ctx.db, tenantId, { id: newId(), name: validateDirectoryName(name) }),

    listDirectories: (tenantId: string): Promise<Directory[]> => repo.listDirectories(ctx.db, tenantId),

    /**
     * Deletes a directory. One with users is refused (`directory.not_empty`)
     * unless `force`, which deletes its users in the same transaction. The
   * directory is locked first, so no user can be added between check and delete.
     */
    deleteDirectory(tenantId: string, ref: string, force: boolean): Promise<void> {
      return ctx.db.transaction(async (tx) => {
        const directory = await resolveDirectory(tx, tenantId, ref);
        await repo.lockDirectory(tx, tenantId, directory.id);
        if (!force && (await repo.directoryHasUsers(tx, tenantId, directory.id))) throw new MusterError('directory.not_empty');
        await repo.deleteDirectory(tx, tenantId, directory.id);
      });
    },
  };
}

export type DirectoryService = ReturnType<typeof directoryService>;
