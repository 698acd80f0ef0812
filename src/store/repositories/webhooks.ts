/**
 * Webhook endpoints, and their deliveries (queue items of kind 'webhook' in
 * the endpoint's lane). Secrets arrive and leave sealed; the engine seals and
 * opens them. Every call takes the transaction handle (or the database for a
 * lone read).
 */
import type { WebhookEndpoint } from '../../domain/webhook.ts';
import type { Queryable } from '../ports.ts';

interface EndpointRow {
  tenant_id: string;
  id: string;
  url: string;
  description: string;
  event_types: string[];
  per_user_events: boolean;
  enabled: boolean;
  disabled_reason: string | null;
  disabled_at: Date | null;
  failing_since: Date | null;
  previous_secret_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const ENDPOINT_COLUMNS = `tenant_id, id, url, description, event_types, per_user_events, enabled, disabled_reason, disabled_at,
  failing_since, previous_secret_expires_at, created_at, updated_at`;

function endpointOf(r: EndpointRow): WebhookEndpoint {
  return {
    tenantId: r.tenant_id,
    id: r.id,
    url: r.url,
    description: r.description,
    eventTypes: r.event_types,
    perUserEvents: r.per_user_events,
    enabled: r.enabled,
    disabledReason: r.disabled_reason,
    disabledAt: r.disabled_at,
    failingSince: r.failing_since,
    previousSecretExpiresAt: r.previous_secret_expires_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface NewEndpoint {
  readonly tenantId: string;
  readonly id: string;
  readonly url: string;
  readonly description: string;
  readonly eventTypes: readonly string[];
  readonly perUserEvents: boolean;
  readonly enabled: boolean;
  readonly sealedSecret: Buffer;
}

export async function insertEndpoint(q: Queryable, e: NewEndpoint): Promise<WebhookEndpoint> {
  const { rows } = await q.query<EndpointRow>(
    `INSERT INTO webhook_endpoints (tenant_id, id, url, description, event_types, per_user_events, enabled, secret)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${ENDPOINT_COLUMNS}`,
    [e.tenantId, e.id, e.url, e.description, e.eventTypes, e.perUserEvents, e.enabled, e.sealedSecret],
  );
  return endpointOf(rows[0]!);
}

export async function listEndpoints(q: Queryable, tenantId: string): Promise<WebhookEndpoint[]> {
  const { rows } = await q.query<EndpointRow>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id`, [tenantId]);
  return rows.map(endpointOf);
}

/** One endpoint, unlocked (a lone read, or one the transaction has locked with `lockTenantEndpoints`). */
export async function findEndpoint(q: Queryable, tenantId: string, id: string): Promise<WebhookEndpoint | undefined> {
  const { rows } = await q.query<EndpointRow>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  return rows[0] && endpointOf(rows[0]);
}

/**
 * Locks every endpoint of the tenant, in id order, until the transaction
 * ends. The lock order rule: a transaction takes endpoint row locks either
 * once, in one statement in id order (fan-out's `reserveSequences`), or
 * starts with this call, after which any later lock it asks for (its own
 * events' fan-out) is one it holds already. Taking one endpoint's lock and
 * then fan-out's set would lock a lower id after a higher one, which a
 * concurrent fan-out locking in id order deadlocks with (40P01). Creating
 * and deleting take it too, so the set cannot change under a holder.
 */
export async function lockTenantEndpoints(q: Queryable, tenantId: string): Promise<void> {
  await q.query('SELECT id FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY id FOR UPDATE', [tenantId]);
}

/** Writes the editable fields of a (locked) endpoint; enabling clears the reason and the failure streak. */
export async function updateEndpoint(q: Queryable, e: WebhookEndpoint): Promise<WebhookEndpoint> {
  const { rows } = await q.query<EndpointRow>(
    `UPDATE webhook_endpoints SET url = $3, description = $4, event_types = $5, per_user_events = $6, enabled = $7,
       disabled_reason = CASE WHEN $7 THEN NULL ELSE disabled_reason END,
       disabled_at = CASE WHEN $7 THEN NULL WHEN enabled THEN now() ELSE disabled_at END,
       failing_since = CASE WHEN $7 AND NOT enabled THEN NULL ELSE failing_since END,
       updated_at = now()
     WHERE tenant_id = $1 AND id = $2 RETURNING ${ENDPOINT_COLUMNS}`,
    [e.tenantId, e.id, e.url, e.description, e.eventTypes, e.perUserEvents, e.enabled],
  );
  return endpointOf(rows[0]!);
}

/** Deletes the endpoint row (the engine deletes its lane of deliveries next). */
export async function deleteEndpoint(q: Queryable, tenantId: string, id: string): Promise<WebhookEndpoint | undefined> {
  const { rows } = await q.query<EndpointRow>(`DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2 RETURNING ${ENDPOINT_COLUMNS}`, [tenantId, id]);
  return rows[0] && endpointOf(rows[0]);
}

/** The current secret becomes the previous one (signing too until `previousUntil`); `sealedSecret` is the new current one. */
export async function rotateSecret(q: Queryable, tenantId: string, id: string, sealedSecret: Buffer, previousUntil: Date): Promise<WebhookEndpoint | undefined> {
  const { rows } = await q.query<EndpointRow>(
    `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = $4, secret = $3, updated_at = now()
     WHERE tenant_id = $1 AND id = $2 RETURNING ${ENDPOINT_COLUMNS}`,
    [tenantId, id, sealedSecret, previousUntil],
  );
  return rows[0] && endpointOf(rows[0]);
}

export interface FanOutEndpoint {
  readonly id: string;
  readonly eventTypes: readonly string[];
  readonly perUserEvents: boolean;
}

/** The tenant's enabled endpoints, unlocked (fan-out matches them, then reserves sequences for those that match). */
export async function enabledEndpoints(q: Queryable, tenantId: string): Promise<FanOutEndpoint[]> {
  const { rows } = await q.query<{ id: string; event_types: string[]; per_user_events: boolean }>(
    'SELECT id, event_types, per_user_events FROM webhook_endpoints WHERE tenant_id = $1 AND enabled',
    [tenantId],
  );
  return rows.map((r) => ({ id: r.id, eventTypes: r.event_types, perUserEvents: r.per_user_events }));
}

/**
 * Reserves `count` consecutive lane sequence numbers on each endpoint and
 * returns the first of each, for endpoints still enabled. Locks the endpoint
 * rows, in id order (so two transactions never deadlock over them; see
 * `lockTenantEndpoints` for a transaction that needs a lock earlier), until
 * the transaction ends: a later transaction's numbers wait for this one's
 * COMMIT, which makes sequence order commit order per endpoint.
 */
export async function reserveSequences(q: Queryable, tenantId: string, wanted: ReadonlyMap<string, number>): Promise<Map<string, number>> {
  const ids = [...wanted.keys()].sort();
  await q.query('SELECT id FROM webhook_endpoints WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE', [tenantId, ids]);
  const { rows } = await q.query<{ id: string; first: string }>(
    `UPDATE webhook_endpoints e SET last_seq = e.last_seq + w.n
     FROM unnest($2::uuid[], $3::bigint[]) AS w(id, n)
     WHERE e.tenant_id = $1 AND e.id = w.id AND e.enabled
     RETURNING e.id, (e.last_seq - w.n + 1)::text AS first`,
    [tenantId, ids, ids.map((id) => wanted.get(id)!)],
  );
  return new Map(rows.map((r) => [r.id, Number(r.first)]));
}

export interface SigningEndpoint {
  readonly url: string;
  readonly enabled: boolean;
  readonly sealedSecret: Uint8Array;
  /** The previous secret while it still signs (its overlap has not ended), else null. */
  readonly sealedPreviousSecret: Uint8Array | null;
  /** Whether a failure streak runs (a success must end it). */
  readonly failing: boolean;
}

/** What a delivery needs of its endpoint, or undefined when it was deleted. */
export async function signingEndpoint(q: Queryable, tenantId: string, id: string): Promise<SigningEndpoint | undefined> {
  const { rows } = await q.query<{ url: string; enabled: boolean; secret: Uint8Array; previous: Uint8Array | null; failing: boolean }>(
    `SELECT url, enabled, secret, CASE WHEN previous_secret_expires_at > now() THEN previous_secret END AS previous, failing_since IS NOT NULL AS failing
     FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
  const r = rows[0];
  return r && { url: r.url, enabled: r.enabled, sealedSecret: r.secret, sealedPreviousSecret: r.previous, failing: r.failing };
}

/** A 2xx ends the failure streak. */
export async function recordSuccess(q: Queryable, tenantId: string, id: string): Promise<void> {
  await q.query('UPDATE webhook_endpoints SET failing_since = NULL WHERE tenant_id = $1 AND id = $2 AND failing_since IS NOT NULL', [tenantId, id]);
}

/**
 * A failed attempt: starts the failure streak if none runs, and disables the
 * endpoint with `reason` once the streak is `disableAfterHours` old. Returns
 * whether this call disabled it.
 */
export async function recordFailure(q: Queryable, tenantId: string, id: string, disableAfterHours: number, reason: string): Promise<boolean> {
  const { rows } = await q.query<{ disabled_now: boolean }>(
    `UPDATE webhook_endpoints e SET failing_since = coalesce(e.failing_since, now()),
       enabled = e.enabled AND NOT s.expired,
       disabled_reason = CASE WHEN e.enabled AND s.expired THEN $4 ELSE e.disabled_reason END,
       disabled_at = CASE WHEN e.enabled AND s.expired THEN now() ELSE e.disabled_at END
     FROM (SELECT enabled AS was_enabled, coalesce(failing_since, now()) <= now() - make_interval(hours => $3) AS expired
           FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2) s
     WHERE e.tenant_id = $1 AND e.id = $2
     RETURNING s.was_enabled AND s.expired AS disabled_now`,
    [tenantId, id, disableAfterHours, reason],
  );
  return rows[0]?.disabled_now ?? false;
}

/** Disables at once, with the reason the tenant's admins see (a 410 Gone). */
export async function disableEndpoint(q: Queryable, tenantId: string, id: string, reason: string): Promise<void> {
  await q.query(
    `UPDATE webhook_endpoints SET enabled = false, disabled_reason = $3, disabled_at = now(), updated_at = now()
     WHERE tenant_id = $1 AND id = $2 AND enabled`,
    [tenantId, id, reason],
  );
}

export interface DeliveryRow {
  readonly id: string;
  readonly messageId: string;
  readonly status: 'pending' | 'done' | 'dead';
  readonly attempts: number;
  readonly lastError: string | null;
  readonly nextAttemptAt: Date;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
  readonly seq: number;
  /** The message as the queue stores it (engine/queue.ts decodes it). */
  readonly payload: Uint8Array;
  readonly attemptLog: readonly { readonly attempt: number; readonly startedAt: Date; readonly outcome: 'done' | 'failed'; readonly error: string | null }[];
}

/**
 * An endpoint's deliveries, newest first (by lane sequence), each with its
 * attempts; `beforeSeq` pages on; `deliveryId` or `messageId` picks one.
 */
export async function listDeliveries(
  q: Queryable,
  tenantId: string,
  endpointId: string,
  options: { readonly limit: number; readonly beforeSeq?: number; readonly deliveryId?: string; readonly messageId?: string },
): Promise<DeliveryRow[]> {
  const { rows } = await q.query<{
    id: string;
    dedupe_key: string;
    status: 'pending' | 'done' | 'dead';
    attempts: number;
    last_error: string | null;
    next_attempt_at: Date;
    created_at: Date;
    finished_at: Date | null;
    lane_seq: string;
    payload: Uint8Array;
    attempt_log: { attempt: number; started_at: string; outcome: 'done' | 'failed'; error: string | null }[] | null;
  }>(
    `SELECT d.id, d.dedupe_key, d.status, d.attempts, d.last_error, d.next_attempt_at, d.created_at, d.finished_at, d.lane_seq::text AS lane_seq, d.payload,
            (SELECT jsonb_agg(jsonb_build_object('attempt', a.attempt, 'started_at', a.started_at, 'outcome', a.outcome, 'error', a.error) ORDER BY a.attempt)
             FROM queue_attempts a WHERE a.tenant_id = d.tenant_id AND a.queue_id = d.id) AS attempt_log
     FROM queue d
     WHERE d.tenant_id = $1 AND d.kind = 'webhook' AND d.lane = $2
       AND ($3::bigint IS NULL OR d.lane_seq < $3) AND ($4::uuid IS NULL OR d.id = $4) AND ($6::text IS NULL OR d.dedupe_key = $6)
     ORDER BY d.lane_seq DESC LIMIT $5`,
    [tenantId, endpointId, options.beforeSeq ?? null, options.deliveryId ?? null, options.limit, options.messageId ?? null],
  );
  return rows.map((r) => ({
    id: r.id,
    messageId: r.dedupe_key,
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    seq: Number(r.lane_seq),
    payload: r.payload,
    attemptLog: (r.attempt_log ?? []).map((a) => ({ attempt: a.attempt, startedAt: new Date(a.started_at), outcome: a.outcome, error: a.error })),
  }));
}

/** Who receives a directory delete's `user.deleted` events, and where in their lanes (first reserved seq). */
export interface UserDeletionLanes {
  /** Endpoints sent one `user.deleted` per user: the first of `count` reserved seqs. */
  readonly perUser: ReadonlyMap<string, number>;
  /** Endpoints sent grouped messages of at most `groupSize` users each: the first of ceil(count / groupSize) seqs. */
  readonly grouped: ReadonlyMap<string, number>;
  readonly groupSize: number;
  /** The grouped message's type (`users.batch_deleted`). */
  readonly groupedType: string;
}

/**
 * Queues, in one statement, the deliveries of the `user.deleted` events that
 * `insertUsersDeletedInDirectory` has just written for the users still in the
 * directory (each found by its subject, one index probe per user): per-user
 * messages and grouped ones, in event order, shaped as domain/webhook.ts
 * `messagesFor` shapes them (`test/http/webhook-directory-delete.test.ts`
 * compares the two). Items arrive waiting in their lanes: the caller runs
 * this inside queue `writingLanes` under the endpoints' locks and the seqs it
 * reserved. Returns how many were queued.
 */
export async function insertUserDeletionDeliveries(
  q: Queryable,
  tenantId: string,
  directoryId: string,
  occurredAt: Date,
  actor: Readonly<Record<string, unknown>>,
  lanes: UserDeletionLanes,
): Promise<number> {
  const { rowCount } = await q.query(
    `WITH deleted AS (
       SELECT e.id AS event_id, u.id::text AS user_id, e.data, row_number() OVER (ORDER BY e.id) - 1 AS n
       FROM users u
       CROSS JOIN LATERAL (SELECT id, data FROM events
                           WHERE tenant_id = $1 AND subject_id = u.id::text AND type = 'user.deleted' AND occurred_at = $3
                           ORDER BY id DESC LIMIT 1) e
       WHERE u.tenant_id = $1 AND u.directory_id = $2
     ), messages AS (
       SELECT p.lane, p.first + d.n AS seq,
              jsonb_build_object('type', 'user.deleted', 'timestamp', $4::text, 'data',
                jsonb_build_object('eventId', d.event_id, 'subject', jsonb_build_object('type', 'user', 'id', d.user_id), 'directoryId', $2::uuid, 'actor', $5::jsonb) || d.data) AS message
       FROM unnest($6::text[], $7::bigint[]) AS p(lane, first) CROSS JOIN deleted d
       UNION ALL
       SELECT g.lane, g.first + c.part, jsonb_build_object('type', $10::text, 'timestamp', $4::text, 'data',
                jsonb_build_object('count', c.count, 'directoryId', $2::uuid, 'actor', $5::jsonb, 'users', c.users))
       FROM unnest($8::text[], $9::bigint[]) AS g(lane, first)
       CROSS JOIN (SELECT n / $11 AS part, count(*) AS count,
                          jsonb_agg(jsonb_build_object('id', user_id, 'username', data->'username', 'eventId', event_id) ORDER BY n) AS users
                   FROM deleted GROUP BY n / $11) c
     )
     INSERT INTO queue (tenant_id, id, kind, dedupe_key, target, lane, lane_seq, lane_waiting, payload)
     SELECT $1, muster_uuidv7(), 'webhook', 'msg_' || replace(muster_uuidv7()::text, '-', ''), lane, lane, seq, true, convert_to(message::text, 'UTF8')
     FROM messages`,
    [
      tenantId,
      directoryId,
      occurredAt,
      occurredAt.toISOString(),
      JSON.stringify(actor),
      [...lanes.perUser.keys()],
      [...lanes.perUser.values()],
      [...lanes.grouped.keys()],
      [...lanes.grouped.values()],
      lanes.groupedType,
      lanes.groupSize,
    ],
  );
  return rowCount;
}
