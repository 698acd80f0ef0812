/** Groups: named sets of users in a directory (Huawei group_ids; SCIM Groups later). */
import { isUuid } from '../domain/directory.ts';
import { MusterError } from '../domain/errors.ts';
import { newId } from '../crypto/ids.ts';
import { mappingConstraints } from '../store/constraints.ts';
import * as repo from '../store/repositories/groups.ts';
import type { EngineContext } from './context.ts';
import { resolveDirectory } from './directories.ts';

export type { Group } from '../store/repositories/groups.ts';

export const GROUP_NAME_MAX_LENGTH = 128;

export function groupService(ctx: EngineContext) {
  return {
    async create(tenantId: string, directoryRef: string, name: string, description: string | null): Promise<repo.Group> {
      if (name.trim() === '' || name.length > GROUP_NAME_MAX_LENGTH) {
        throw new MusterError('request.invalid', `name must be 1 to ${GROUP_NAME_MAX_LENGTH} characters.`, { field: 'name' });
      }
      const directory = await resolveDirectory(ctx.db, tenantId, directoryRef);
      return mappingConstraints(() => repo.insertGroup(ctx.db, tenantId, directory.id, { id: newId(), name, description }));
    },

    async list(tenantId: string, directoryRef: string): Promise<repo.Group[]> {
      return repo.listGroups(ctx.db, tenantId, (await resolveDirectory(ctx.db, tenantId, directoryRef)).id);
    },

    /** Deletes the group and its memberships (not its users). */
    async delete(tenantId: string, directoryRef: string, groupId: string): Promise<void> {
      const directory = await resolveDirectory(ctx.db, tenantId, directoryRef);
      if (!isUuid(groupId) || !(await repo.deleteGroup(ctx.db, tenantId, directory.id, groupId))) throw new MusterError('group.not_found');
    },

    /** The groups of each user (for dialects that report them). */
    groupsOf: (tenantId: string, userIds: readonly string[]) => repo.groupsOfUsers(ctx.db, tenantId, userIds),
  };
}

export type GroupService = ReturnType<typeof groupService>;
