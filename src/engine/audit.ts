/**
 * The audit trail: a tenant's domain events, newest first, and their
 * retention. Events are written only by units of work (unitOfWork.ts).
 */
import type { Actor } from '../domain/actor.ts';
import * as repo from '../store/repositories/events.ts';
import { listTenants } from '../store/repositories/tenants.ts';
import type { EngineContext } from './context.ts';
import { decodeCursor, encodeCursor } from './cursors.ts';

export type { StoredEvent } from '../store/repositories/events.ts';

export interface AuditQuery {
  readonly subjectId?: string;
  readonly actor?: string;
  readonly types?: readonly string[];
  readonly since?: Date;
  readonly until?: Date;
  readonly cursor?: string;
  readonly limit: number;
}

export interface AuditPage {
  readonly events: repo.StoredEvent[];
  /** Opaque; pass as `cursor` for the next (older) page. Null on the last page. */
  readonly nextCursor: string | null;
}

/** Events removed per statement by the retention sweep, so one sweep never holds a huge delete. */
const SWEEP_CHUNK = 10_000;


export function auditService(ctx: EngineContext) {
  return {
    /** A page of the actor's tenant's events, newest first, filtered. */
    async list(actor: Actor, query: AuditQuery): Promise<AuditPage> {
      const beforeId = query.cursor === undefined ? undefined : decodeCursor('before', query.cursor);
      const rows = await repo.listEvents(ctx.db, actor.tenantId, {
        ...(query.subjectId !== undefined && { subjectId: query.subjectId }),
        ...(query.actor !== undefined && { actor: query.actor }),
        ...(query.types !== undefined && { types: query.types }),
        ...(query.since !== undefined && { since: query.since }),
        ...(query.until !== undefined && { until: query.until }),
        ...(beforeId !== undefined && { beforeId }),
        limit: query.limit + 1,
      });
      const events = rows.slice(0, query.limit);
      const more = rows.length > query.limit;
      return { events, nextCursor: more ? encodeCursor('before', events[events.length - 1]!.id) : null };
    },

    /** Deletes events older than the retention period (AUDIT_RETENTION_DAYS), tenant by tenant; returns how many. */
    async sweep(): Promise<number> {
      const cutoff = new Date(ctx.now().getTime() - ctx.limits.auditRetentionDays * 86_400_000);
      let total = 0;
      for (const tenant of await listTenants(ctx.db)) {
        for (;;) {
          const deleted = await repo.deleteEventsBefore(ctx.db, tenant.id, cutoff, SWEEP_CHUNK);
          total += deleted;
          if (deleted < SWEEP_CHUNK) break;
        }
      }
      return total;
    },
  };
}

export type AuditService = ReturnType<typeof auditService>;
