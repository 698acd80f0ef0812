/**
 * Domain events (the audit trail). Written only through the unit of work
 * (engine/unitOfWork.ts), read newest first by tenant.
 */
import { actorColumns, type Actor } from '../../domain/actor.ts';
import type { DomainEvent, EventType, SubjectType } from '../../domain/events.ts';
import { newId } from '../../crypto/ids.ts';
import type { Queryable } from '../ports.ts';

/**
 * The statement of insertEvents (also the bench's users-and-events baseline):
 * $1 tenant, $2 time, $3-$5 the actor's kind, id and label, $6 dialect,
 * $7 request id, $8 the events as a JSON array of
 * {id, type, subject_type, subject_id, directory_id, data}.
 */
export const INSERT_EVENTS_SQL = `INSERT INTO events (tenant_id, occurred_at, actor_kind, actor_id, actor_label, dialect, request_id,
                     id, type, subject_type, subject_id, directory_id, data)
 SELECT $1, $2, $3, $4, $5, $6, $7, e.id, e.type, e.subject_type, e.subject_id, e.directory_id, e.data
 FROM jsonb_to_recordset($8::jsonb) AS e(id uuid, type text, subject_type text, subject_id text, directory_id uuid, data jsonb)`;

/**
 * Writes `events` for `actor` in one statement (none when the list is empty)
 * and returns their ids, in order. The events travel as one JSON array
 * parameter, parsed once by the server (jsonb_to_recordset): as text arrays,
 * the driver's per-element escaping of the JSON data cost more than the insert.
 */
export async function insertEvents(q: Queryable, actor: Actor, occurredAt: Date, events: readonly DomainEvent[]): Promise<string[]> {
  if (events.length === 0) return [];
  const who = actorColumns(actor);
  const rows = events.map((e) => ({ id: newId(), type: e.type, subject_type: e.subject.type, subject_id: e.subject.id, directory_id: e.directoryId, data: e.data }));
  await q.query(INSERT_EVENTS_SQL, [actor.tenantId, occurredAt, who.kind, who.id, who.label, actor.dialect, actor.requestId, JSON.stringify(rows)]);
  return rows.map((r) => r.id);
}

export interface StoredEvent {
  readonly id: string;
  readonly type: EventType;
  readonly occurredAt: Date;
  readonly actor: { readonly kind: string; readonly id: string | null; readonly label: string | null; readonly dialect: string; readonly requestId: string | null };
  readonly subject: { readonly type: SubjectType; readonly id: string };
  readonly directoryId: string | null;
  readonly data: Record<string, unknown>;
}

export interface EventFilter {
  readonly subjectId?: string;
  /** The actor's id (API key id, JWT subject, access key id) or label (key prefix, AK). */
  readonly actor?: string;
  /** Exact types; a type ending in `.*` matches its family (`user.*`). */
  readonly types?: readonly string[];
  readonly since?: Date;
  readonly until?: Date;
  /** Only events older than this id (the cursor). */
  readonly beforeId?: string;
  readonly limit: number;
}

interface EventRow {
  id: string;
  type: EventType;
  occurred_at: Date;
  actor_kind: string;
  actor_id: string | null;
  actor_label: string | null;
  dialect: string;
  request_id: string | null;
  subject_type: SubjectType;
  subject_id: string;
  directory_id: string | null;
  data: Record<string, unknown>;
}

/** A tenant's events, newest first, filtered; at most `limit` rows. Every filter is a bound parameter. */
export async function listEvents(q: Queryable, tenantId: string, filter: EventFilter): Promise<StoredEvent[]> {
  const exact = filter.types?.filter((t) => !t.endsWith('.*')) ?? [];
  const families = filter.types?.filter((t) => t.endsWith('.*')).map((t) => t.slice(0, -1)) ?? [];
  const { rows } = await q.query<EventRow>(
    `SELECT id, type, occurred_at, actor_kind, actor_id, actor_label, dialect, request_id, subject_type, subject_id, directory_id, data
     FROM events
     WHERE tenant_id = $1
       AND ($2::text IS NULL OR subject_id = $2)
       AND ($3::text IS NULL OR actor_id = $3 OR actor_label = $3)
       AND ($4::boolean OR type = ANY($5::text[]) OR left(type, strpos(type, '.')) = ANY($6::text[]))
       AND ($7::timestamptz IS NULL OR occurred_at >= $7)
       AND ($8::timestamptz IS NULL OR occurred_at < $8)
       AND ($9::uuid IS NULL OR id < $9)
     ORDER BY id DESC
     LIMIT $10`,
    [
      tenantId,
      filter.subjectId ?? null,
      filter.actor ?? null,
      filter.types === undefined || filter.types.length === 0,
      exact,
      families,
      filter.since ?? null,
      filter.until ?? null,
      filter.beforeId ?? null,
      filter.limit,
    ],
  );
  return rows.map((r) => ({
    id: r.id,
    type: r.type,
    occurredAt: r.occurred_at,
    actor: { kind: r.actor_kind, id: r.actor_id, label: r.actor_label, dialect: r.dialect, requestId: r.request_id },
    subject: { type: r.subject_type, id: r.subject_id },
    directoryId: r.directory_id,
    data: r.data,
  }));
}

/**
 * Deletes one tenant's events older than `cutoff`, at most `limit` at a time;
 * returns how many went. Event ids are UUIDv7, so "older than the cutoff" is
 * "id below the smallest id of the cutoff's millisecond", a range of the
 * primary key.
 */
export async function deleteEventsBefore(q: Queryable, tenantId: string, cutoff: Date, limit: number): Promise<number> {
  const { rowCount } = await q.query(
    `DELETE FROM events WHERE tenant_id = $1 AND id IN (SELECT id FROM events WHERE tenant_id = $1 AND id < $2 ORDER BY id LIMIT $3)`,
    [tenantId, smallestIdAt(cutoff), limit],
  );
  return rowCount;
}

/** The smallest UUIDv7 of the millisecond `time`. */
export function smallestIdAt(time: Date): string {
  const hex = Math.max(0, time.getTime()).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}

/**
 * Writes one `user.deleted` event per user of the directory, in one statement
 * (a directory or registry delete removes them all; the events must precede
 * the delete in the same transaction).
 */
export async function insertUsersDeletedInDirectory(q: Queryable, actor: Actor, occurredAt: Date, directoryId: string, reason: string): Promise<number> {
  const who = actorColumns(actor);
  const { rowCount } = await q.query(
    `INSERT INTO events (tenant_id, occurred_at, actor_kind, actor_id, actor_label, dialect, request_id,
                         id, type, subject_type, subject_id, directory_id, data)
     SELECT $1, $2, $3, $4, $5, $6, $7, muster_uuidv7(), 'user.deleted', 'user', u.id::text, u.directory_id,
            jsonb_build_object('username', u.username, 'reason', $9::text)
     FROM users u WHERE u.tenant_id = $1 AND u.directory_id = $8`,
    [actor.tenantId, occurredAt, who.kind, who.id, who.label, actor.dialect, actor.requestId, directoryId, reason],
  );
  return rowCount;
}
