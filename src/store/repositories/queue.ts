/**
 * The queue: every kind of background work (mail, webhooks; import chunks
 * next) in one table. Rows are claimed under a lease: a claim sets
 * `locked_until`, and only rows whose lease is over (or never set) can be
 * claimed again, so a row whose worker died is retried once its lease runs
 * out. FOR UPDATE SKIP LOCKED lets several workers claim at once without
 * waiting on each other. Payloads arrive sealed (the engine seals them).
 *
 * Lanes: items that share a `lane` (a webhook endpoint) run one at a time in
 * `laneSeq` order. Only a lane's head (its pending item of lowest seq) is
 * claimable; the lane's other pending items are `lane_waiting`, outside the
 * due index, so a claim never visits them, and the head blocks the rest while
 * it waits for a retry. When the head ends (done or dead) the next pending
 * item of the lane is promoted in the same transaction. Enqueuing, promoting
 * and requeuing hold the lane's row in `queue_lanes` (locked in (kind, lane)
 * order) so no head is lost between them (migration 0016). Items without a
 * lane are not ordered and take no lane lock.
 */
import type { Queryable } from '../ports.ts';

export const QUEUE_KINDS = ['mail', 'webhook', 'import'] as const;
export type QueueKind = (typeof QUEUE_KINDS)[number];

export interface NewQueueItem {
  readonly id: string;
  readonly kind: QueueKind;
  /** The work's stable identity (a Message-ID); unique per tenant and kind. */
  readonly dedupeKey: string;
  /** What the work goes to (a recipient), for listings. */
  readonly target: string;
  /** Mail of an invitation goes when the invitation goes. */
  readonly invitationId: string | null;
  /** The ordered stream the item belongs to and its place in it; none for unordered work. */
  readonly lane?: string | null;
  readonly laneSeq?: number | null;
  readonly payload: Buffer;
}

/**
 * Kinds whose payload stays after the item is done or dead: webhook messages
 * carry no secret and are kept for redelivery. Other kinds' payloads (mail
 * carries invitation tokens) are wiped.
 */
const KEPT_PAYLOAD_KINDS: readonly QueueKind[] = ['webhook'];

/** A lane of a kind (the unit the lane lock and the head promotion work on). */
export interface LaneRef {
  readonly kind: QueueKind;
  readonly lane: string;
}

/** The distinct lanes of `refs`, sorted by (kind, lane): the order lane locks are taken in. */
function sortedLanes(refs: readonly LaneRef[]): LaneRef[] {
  const unique = new Map(refs.map((r) => [`${r.kind}\u0000${r.lane}`, r]));
  return [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}

/**
 * Inside the caller's transaction: locks the lanes (creating their rows on
 * first use) in (kind, lane) order until the transaction ends. Enqueuing,
 * promoting and requeuing take it, so a head ending and an item arriving
 * never miss each other.
 */
async function lockLanes(q: Queryable, tenantId: string, refs: readonly LaneRef[]): Promise<void> {
  const lanes = sortedLanes(refs);
  if (lanes.length === 0) return;
  const params = [tenantId, lanes.map((l) => l.kind), lanes.map((l) => l.lane)];
  await q.query(
    `INSERT INTO queue_lanes (tenant_id, kind, lane) SELECT $1, kind, lane FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS l(kind, lane, n) ORDER BY n
     ON CONFLICT ON CONSTRAINT queue_lanes_pk DO NOTHING`,
    params,
  );
  await q.query(
    `SELECT 1 FROM queue_lanes WHERE tenant_id = $1 AND (kind, lane) IN (SELECT kind, lane FROM unnest($2::text[], $3::text[]) AS l(kind, lane))
     ORDER BY kind, lane FOR UPDATE`,
    params,
  );
}

/**
 * Under the lanes' locks: each lane without a head gets one, its pending item
 * of lowest seq (one index step per lane, however long the lane).
 */
async function promoteLaneHeads(q: Queryable, tenantId: string, refs: readonly LaneRef[]): Promise<void> {
  const lanes = sortedLanes(refs);
  if (lanes.length === 0) return;
  await q.query(
    `UPDATE queue q SET lane_waiting = false
     FROM (SELECT (SELECT p.id FROM queue p
                   WHERE p.tenant_id = $1 AND p.kind = l.kind AND p.lane IS NOT NULL AND p.lane = l.lane AND p.status = 'pending'
                   ORDER BY p.lane_seq LIMIT 1) AS id
           FROM unnest($2::text[], $3::text[]) AS l(kind, lane)
           WHERE NOT EXISTS (SELECT 1 FROM queue h
                             WHERE h.tenant_id = $1 AND h.kind = l.kind AND h.lane IS NOT NULL AND h.lane = l.lane AND h.status = 'pending' AND NOT h.lane_waiting)) head
     WHERE q.tenant_id = $1 AND q.id = head.id`,
    [tenantId, lanes.map((l) => l.kind), lanes.map((l) => l.lane)],
  );
}

/**
 * In the caller's transaction: runs `write`, which queues items of `lanes`
 * as waiting (`lane_waiting`), requeues them, or ends a head, under the
 * lanes' locks, then gives each lane that has no head one. Every write that
 * changes a lane's pending items goes through here.
 */
export async function writingLanes(q: Queryable, tenantId: string, lanes: readonly LaneRef[], write: () => Promise<void>): Promise<void> {
  await lockLanes(q, tenantId, lanes);
  await write();
  await promoteLaneHeads(q, tenantId, lanes);
}

/** The lanes of `items`, for `writingLanes`. */
function lanesOf(items: readonly { readonly kind: QueueKind; readonly lane?: string | null }[]): LaneRef[] {
  return items.flatMap((i) => (i.lane ? [{ kind: i.kind, lane: i.lane }] : []));
}

/**
 * Enqueues in one statement; an item whose dedupe key is already queued is
 * left out. Items of a lane arrive waiting, behind the lane's head; a lane
 * without a head gets its first new item as head (under the lane lock).
 */
export async function insertItems(q: Queryable, tenantId: string, items: readonly NewQueueItem[]): Promise<void> {
  if (items.length === 0) return;
  const column = <T>(pick: (m: NewQueueItem) => T) => items.map(pick);
  await writingLanes(q, tenantId, lanesOf(items), async () => {
    await q.query(
      `INSERT INTO queue (tenant_id, id, kind, dedupe_key, target, invitation_id, lane, lane_seq, lane_waiting, payload)
       SELECT $1, id, kind, dedupe_key, target, invitation_id, lane, lane_seq, lane IS NOT NULL, decode(payload, 'base64')
       FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::text[], $8::text[], $9::bigint[])
         AS t(id, kind, dedupe_key, target, invitation_id, payload, lane, lane_seq)
       ON CONFLICT ON CONSTRAINT queue_dedupe_key_uq DO NOTHING`,
      [
        tenantId,
        column((m) => m.id),
        column((m) => m.kind),
        column((m) => m.dedupeKey),
        column((m) => m.target),
        column((m) => m.invitationId),
        column((m) => m.payload.toString('base64')),
        column((m) => m.lane ?? null),
        column((m) => m.laneSeq ?? null),
      ],
    );
  });
}

export interface ClaimedItem {
  readonly tenantId: string;
  readonly id: string;
  readonly kind: QueueKind;
  readonly dedupeKey: string;
  readonly target: string;
  readonly payload: Uint8Array;
  /** This attempt's number, counting from 1 over the item's whole life (the attempt records' key). */
  readonly attempt: number;
  /** This attempt's place in the kind's retry schedule, counting from 1: a requeue starts the schedule again. */
  readonly scheduleAttempt: number;
  /** The item's lane, or null for unordered work. */
  readonly lane: string | null;
  readonly claimedAt: Date;
}

/**
 * Claims up to `limit` due items of `kind` for `leaseMs`, counting the
 * attempt. Visits only due items that may run (lane heads and unlaned work,
 * queue_due_idx), so its cost does not grow with lanes' waiting backlogs.
 */
export async function claimDue(q: Queryable, kind: QueueKind, limit: number, leaseMs: number): Promise<ClaimedItem[]> {
  const { rows } = await q.query<{
    tenant_id: string;
    id: string;
    kind: QueueKind;
    dedupe_key: string;
    target: string;
    payload: Uint8Array;
    attempts: number;
    schedule_attempt: number;
    lane: string | null;
    claimed_at: Date;
  }>(
    `UPDATE queue o SET locked_until = now() + make_interval(secs => $3 / 1000.0), attempts = o.attempts + 1
     FROM (SELECT tenant_id, id FROM queue
           WHERE kind = $1 AND status = 'pending' AND NOT lane_waiting AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until <= now())
           ORDER BY next_attempt_at
           LIMIT $2
           FOR UPDATE SKIP LOCKED) due
     WHERE o.tenant_id = due.tenant_id AND o.id = due.id
     RETURNING o.tenant_id, o.id, o.kind, o.dedupe_key, o.target, o.payload, o.attempts, o.attempts - o.retry_base AS schedule_attempt, o.lane, now() AS claimed_at`,
    [kind, limit, leaseMs],
  );
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    id: r.id,
    kind: r.kind,
    dedupeKey: r.dedupe_key,
    target: r.target,
    payload: r.payload,
    attempt: r.attempts,
    scheduleAttempt: r.schedule_attempt,
    lane: r.lane,
    claimedAt: r.claimed_at,
  }));
}

/**
 * Renews the lease of `item` for `leaseMs`, if this claim is still the
 * item's latest (no other worker claimed it after its lease ran out); inside
 * a caller's transaction, so the renewal commits with the caller's work.
 */
export async function renewClaim(q: Queryable, item: ClaimedItem, leaseMs: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE queue SET locked_until = now() + make_interval(secs => $4 / 1000.0)
     WHERE tenant_id = $1 AND id = $2 AND attempts = $3 AND status = 'pending'`,
    [item.tenantId, item.id, item.attempt, leaseMs],
  );
  return rowCount > 0;
}

/** Gives a claimed item back without counting the attempt, due again after `delayMs` (its kind's work may not start yet). */
export async function deferItem(q: Queryable, item: ClaimedItem, delayMs: number): Promise<void> {
  await q.query(
    `UPDATE queue SET locked_until = NULL, attempts = attempts - 1, next_attempt_at = now() + make_interval(secs => $4 / 1000.0)
     WHERE tenant_id = $1 AND id = $2 AND attempts = $3`,
    [item.tenantId, item.id, item.attempt, delayMs],
  );
}

async function recordAttempt(q: Queryable, item: ClaimedItem, outcome: 'done' | 'failed', error: string | null): Promise<void> {
  await q.query(
    `INSERT INTO queue_attempts (tenant_id, queue_id, attempt, started_at, outcome, error) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT ON CONSTRAINT queue_attempts_pk DO NOTHING`,
    [item.tenantId, item.id, item.attempt, item.claimedAt, outcome, error],
  );
}

/** The lane `item` belongs to, as `writingLanes` takes it (none for unordered work). */
function laneOf(item: ClaimedItem): LaneRef[] {
  return item.lane === null ? [] : [{ kind: item.kind, lane: item.lane }];
}

/**
 * Done: records the attempt, marks the item done, and wipes its payload (it
 * may hold a secret) unless its kind keeps it; the next item of its lane
 * becomes the head. In the caller's transaction.
 */
export async function markDone(q: Queryable, item: ClaimedItem): Promise<void> {
  await writingLanes(q, item.tenantId, laneOf(item), async () => {
    await recordAttempt(q, item, 'done', null);
    await q.query(
      `UPDATE queue SET status = 'done', finished_at = now(), locked_until = NULL, last_error = NULL,
                        payload = CASE WHEN kind = ANY($3::text[]) THEN payload ELSE '\\x'::bytea END
       WHERE tenant_id = $1 AND id = $2`,
      [item.tenantId, item.id, KEPT_PAYLOAD_KINDS],
    );
  });
}

/**
 * Hands claimed items back unstarted (a stopping worker): their lease ends now
 * and the attempt is not counted, so any instance claims them at once. Only
 * items still under this claim (same attempt, not finished) are touched.
 * Returns how many were handed back.
 */
export async function releaseClaims(q: Queryable, items: readonly ClaimedItem[]): Promise<number> {
  if (items.length === 0) return 0;
  const { rowCount } = await q.query(
    `UPDATE queue o SET locked_until = NULL, attempts = o.attempts - 1
     FROM unnest($1::uuid[], $2::uuid[], $3::int[]) AS c(tenant_id, id, attempt)
     WHERE o.tenant_id = c.tenant_id AND o.id = c.id AND o.attempts = c.attempt AND o.status = 'pending'`,
    [items.map((i) => i.tenantId), items.map((i) => i.id), items.map((i) => i.attempt)],
  );
  return rowCount;
}

/**
 * Failed: records the attempt; schedules the next one after `retryInMs` (the
 * item stays its lane's head), or marks it dead when that is null (the next
 * item of its lane becomes the head). Returns false when the item had been
 * claimed again (the attempt is recorded, the item left to its claimant). In
 * the caller's transaction.
 */
export async function markFailed(q: Queryable, item: ClaimedItem, error: string, retryInMs: number | null): Promise<boolean> {
  // Only this claim's attempt changes the item: a worker whose lease ran out and
  // was claimed again must neither end the new claimant's lease nor kill the item.
  let applied = false;
  if (retryInMs === null) {
    await writingLanes(q, item.tenantId, laneOf(item), async () => {
      await recordAttempt(q, item, 'failed', error);
      const { rowCount } = await q.query(
        `UPDATE queue SET status = 'dead', finished_at = now(), locked_until = NULL, last_error = $3,
                          payload = CASE WHEN kind = ANY($4::text[]) THEN payload ELSE '\\x'::bytea END
         WHERE tenant_id = $1 AND id = $2 AND attempts = $5 AND status = 'pending'`,
        [item.tenantId, item.id, error, KEPT_PAYLOAD_KINDS, item.attempt],
      );
      applied = rowCount > 0;
    });
  } else {
    await recordAttempt(q, item, 'failed', error);
    const { rowCount } = await q.query(
      `UPDATE queue SET locked_until = NULL, last_error = $3, next_attempt_at = now() + make_interval(secs => $4 / 1000.0)
       WHERE tenant_id = $1 AND id = $2 AND attempts = $5 AND status = 'pending'`,
      [item.tenantId, item.id, error, retryInMs, item.attempt],
    );
    applied = rowCount > 0;
  }
  return applied;
}

/**
 * A done or dead item runs again, as the last of its lane (`laneSeq`, behind
 * the lane's head if it has one), due now, with its kind's whole retry
 * schedule ahead again (`retry_base`); its attempts keep counting, so every
 * attempt ever made stays recorded. Returns false when no such item is done
 * or dead (a pending one is already going to run). In the caller's
 * transaction; `lane` is the item's lane (locked here), or null.
 */
export async function requeueItem(q: Queryable, tenantId: string, kind: QueueKind, id: string, lane: { readonly key: string; readonly seq: number } | null): Promise<boolean> {
  let requeued = false;
  await writingLanes(q, tenantId, lane ? [{ kind, lane: lane.key }] : [], async () => {
    const { rowCount } = await q.query(
      `UPDATE queue SET status = 'pending', next_attempt_at = now(), locked_until = NULL, finished_at = NULL, retry_base = attempts,
                        lane_seq = coalesce($4, lane_seq), lane_waiting = lane IS NOT NULL
       WHERE tenant_id = $1 AND kind = $2 AND id = $3 AND status <> 'pending'`,
      [tenantId, kind, id, lane?.seq ?? null],
    );
    requeued = rowCount > 0;
  });
  return requeued;
}

/**
 * Deletes a lane and all its items (their attempts cascade), the lane's lock
 * first (lock order: lane, then its items). In the caller's transaction.
 */
export async function deleteLane(q: Queryable, tenantId: string, kind: QueueKind, lane: string): Promise<void> {
  await q.query('DELETE FROM queue_lanes WHERE tenant_id = $1 AND kind = $2 AND lane = $3', [tenantId, kind, lane]);
  await q.query('DELETE FROM queue WHERE tenant_id = $1 AND kind = $2 AND lane = $3', [tenantId, kind, lane]);
}

export interface QueueStats {
  readonly pending: number;
  readonly done: number;
  readonly dead: number;
  /** Seconds the oldest pending item has waited, or null when none waits. */
  readonly oldestPendingSeconds: number | null;
  readonly attempts: number;
}

/** Counts of one kind for one tenant, or for all tenants when `tenantId` is null (logs, metrics). */
export async function queueStats(q: Queryable, kind: QueueKind, tenantId: string | null): Promise<QueueStats> {
  const { rows } = await q.query<{ pending: number; done: number; dead: number; oldest: number | null; attempts: number }>(
    `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
            count(*) FILTER (WHERE status = 'done')::int AS done,
            count(*) FILTER (WHERE status = 'dead')::int AS dead,
            extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending'))::float8 AS oldest,
            coalesce(sum(attempts), 0)::int AS attempts
     FROM queue WHERE kind = $1 AND ($2::uuid IS NULL OR tenant_id = $2)`,
    [kind, tenantId],
  );
  const row = rows[0]!;
  return { pending: row.pending, done: row.done, dead: row.dead, oldestPendingSeconds: row.oldest === null ? null : Math.round(row.oldest), attempts: row.attempts };
}

export interface QueueGauge {
  readonly kind: QueueKind;
  readonly pending: number;
  /** Seconds the oldest pending item has waited, or null when none waits. */
  readonly oldestPendingSeconds: number | null;
  readonly dead: number;
}

/**
 * Every kind's backlog and dead items, all tenants (metrics): one statement,
 * each half read from its partial index (`queue_pending_age_idx`,
 * `queue_dead_idx`), so its cost follows the backlog and the dead, not the
 * done items. Kinds with neither are reported as zeros.
 */
export async function queueGauges(q: Queryable): Promise<QueueGauge[]> {
  const { rows } = await q.query<{ kind: QueueKind; status: 'pending' | 'dead'; n: number; oldest: number | null }>(
    `SELECT kind, 'pending' AS status, count(*)::int AS n, extract(epoch FROM now() - min(created_at))::float8 AS oldest
     FROM queue WHERE status = 'pending' GROUP BY kind
     UNION ALL
     SELECT kind, 'dead', count(*)::int, NULL FROM queue WHERE status = 'dead' GROUP BY kind`,
  );
  return QUEUE_KINDS.map((kind) => {
    const pending = rows.find((r) => r.kind === kind && r.status === 'pending');
    const dead = rows.find((r) => r.kind === kind && r.status === 'dead');
    return {
      kind,
      pending: pending?.n ?? 0,
      oldestPendingSeconds: pending?.oldest == null ? null : Math.round(pending.oldest),
      dead: dead?.n ?? 0,
    };
  });
}

export interface DeadItem {
  readonly id: string;
  readonly dedupeKey: string;
  readonly target: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: Date;
}

export async function deadItems(q: Queryable, kind: QueueKind, tenantId: string, limit: number): Promise<DeadItem[]> {
  const { rows } = await q.query<{ id: string; dedupe_key: string; target: string; attempts: number; last_error: string | null; created_at: Date }>(
    `SELECT id, dedupe_key, target, attempts, last_error, created_at FROM queue
     WHERE kind = $1 AND tenant_id = $2 AND status = 'dead' ORDER BY created_at DESC LIMIT $3`,
    [kind, tenantId, limit],
  );
  return rows.map((r) => ({ id: r.id, dedupeKey: r.dedupe_key, target: r.target, attempts: r.attempts, lastError: r.last_error, createdAt: r.created_at }));
}
