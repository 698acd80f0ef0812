/** Directories: create, find, list, delete, always inside the actor's tenant. */
import type { Actor } from '../domain/actor.ts';
import { isUuid, validateDirectoryName, type Directory } from '../domain/directory.ts';
import { MusterError } from '../domain/errors.ts';
import type { DomainEvent } from '../domain/events.ts';
import type { ConfusablesPolicy } from '../domain/user.ts';
import { newId } from '../crypto/ids.ts';
import { mappingConstraints } from '../store/constraints.ts';
import type { Queryable } from '../store/ports.ts';
import * as repo from '../store/repositories/directories.ts';
import { insertUsersDeletedInDirectory } from '../store/repositories/events.ts';
import type { EngineContext } from './context.ts';
import { inUnitOfWork, type UnitOfWork } from './unitOfWork.ts';
import { fanOutUsersDeletedInDirectory } from './webhookFanOut.ts';

/** The directory named by `ref` (its id or its name) in the tenant; throws `directory.not_found`. */
export async function resolveDirectory(q: Queryable, tenantId: string, ref: string): Promise<Directory> {
  const directory = await repo.findDirectory(q, tenantId, ref, isUuid(ref));
  if (!directory) throw new MusterError('directory.not_found', `No directory "${ref}".`);
  return directory;
}

export function directoryEvent(type: 'directory.created' | 'directory.deleted', directory: Directory): DomainEvent {
  return { type, subject: { type: 'directory', id: directory.id }, directoryId: directory.id, data: { name: directory.name } };
}

/**
 * Inside a unit of work: deletes a directory with its users (and their
 * memberships, invitations and mail), writing one `user.deleted` per user
 * (in SQL, and their webhook deliveries with them: `fanOutUsersDeletedInDirectory`)
 * and a `directory.deleted`. The caller has locked the directory
 * (`repo.lockDirectory`), so no user can be added meanwhile. `reason` goes
 * into each `user.deleted` event.
 */
export async function deleteDirectoryWithUsers(ctx: EngineContext, uow: UnitOfWork, directory: Directory, reason: string): Promise<void> {
  const count = await insertUsersDeletedInDirectory(uow.tx, uow.actor, uow.now, directory.id, reason);
  if (await fanOutUsersDeletedInDirectory(ctx, uow.tx, uow.actor, uow.now, directory.id, count)) uow.afterCommit(ctx.notifyOutbox);
  await repo.deleteDirectory(uow.tx, uow.actor.tenantId, directory.id);
  uow.emit(directoryEvent('directory.deleted', directory));
}

export function directoryService(ctx: EngineContext) {
  return {
    /**
     * Throws `directory.name_taken` (decided by `directories_name_uq`).
     * `confusables` (default `distinct`) is fixed for the directory's life: its
     * users' uniqueness keys are computed under it.
     */
    createDirectory(actor: Actor, name: string, options: { readonly confusables?: ConfusablesPolicy } = {}): Promise<Directory> {
      const valid = validateDirectoryName(name);
      return mappingConstraints(() =>
        inUnitOfWork(ctx, actor, async (uow) => {
          const directory = await repo.insertDirectory(uow.tx, actor.tenantId, { id: newId(), name: valid, confusables: options.confusables ?? 'distinct' });
          uow.emit(directoryEvent('directory.created', directory));
          return directory;
        }),
      );
    },

    getDirectory: (actor: Actor, ref: string): Promise<Directory> => resolveDirectory(ctx.db, actor.tenantId, ref),

    /**
     * The directory with this name, created on first use (dialects whose
     * accounts map to one directory). Reads first, so only the first use
     * writes; safe under concurrent first uses (one creates, the others read).
     */
    async ensureDirectory(actor: Actor, name: string): Promise<Directory> {
      const valid = validateDirectoryName(name);
      const found = await repo.findDirectory(ctx.db, actor.tenantId, valid, false);
      if (found) return found;
      return inUnitOfWork(ctx, actor, async (uow) => {
        const created = await repo.insertDirectoryIfMissing(uow.tx, actor.tenantId, { id: newId(), name: valid });
        if (created) uow.emit(directoryEvent('directory.created', created));
        return created ?? (await repo.findDirectory(uow.tx, actor.tenantId, valid, false))!;
      });
    },

    listDirectories: (actor: Actor): Promise<Directory[]> => repo.listDirectories(ctx.db, actor.tenantId),

    /**
     * Deletes a directory. One with users is refused (`directory.not_empty`)
     * unless `force`, which deletes its users in the same transaction, each
     * with a `user.deleted` event.
     */
    deleteDirectory(actor: Actor, ref: string, force: boolean): Promise<void> {
      return inUnitOfWork(ctx, actor, async (uow) => {
        const directory = await resolveDirectory(uow.tx, actor.tenantId, ref);
        await repo.lockDirectory(uow.tx, actor.tenantId, directory.id);
        if (!force && (await repo.directoryHasUsers(uow.tx, actor.tenantId, directory.id))) throw new MusterError('directory.not_empty');
        await deleteDirectoryWithUsers(ctx, uow, directory, 'directory deleted');
      });
    },
  };
}

export type DirectoryService = ReturnType<typeof directoryService>;
