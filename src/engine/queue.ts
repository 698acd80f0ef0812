/**
 * The one durable queue, as the engine and the workers see it. Use cases
 * enqueue work inside their unit of work (`enqueueWork`), so it exists exactly
 * when their change commits; workers claim due items of a kind under a lease
 * (payloads opened), then report each one done or failed.
 *
 * Every kind gets the same rules: a failure is retried with exponential
 * backoff and jitter until `outboxMaxAttempts` (OUTBOX_MAX_ATTEMPTS), then the
 * item is dead with its last error; a permanent refusal is dead at once.
 * Delivery is at-least-once: an item whose worker died is claimed again after
 * its lease (OUTBOX_LEASE_MS), under the same dedupe key, so receivers can
 * tell a redelivery. A kind is a handler (workers/), not a second queue.
 */
import { newId } from '../crypto/ids.ts';
import type { Queryable } from '../store/ports.ts';
import * as repo from '../store/repositories/queue.ts';
import type { EngineContext } from './context.ts';

export type { ClaimedItem, QueueKind, QueueStats, DeadItem } from '../store/repositories/queue.ts';

/** The longest wait between two attempts. */
export const RETRY_CAP_MS = 3_600_000;

/**
 * Delay before attempt `attempt + 1`: base * 2^(attempt-1), capped, with "equal
 * jitter" (a random point in the upper half), so retries of many items
 * failing together spread out.
 */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_CAP_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Kinds whose payloads are stored as plain JSON. A webhook message is a copy
 * of committed events, which the events table holds unsealed and which never
 * carry a credential; sealing a thousand per-user messages cost a batch
 * request about as much as writing its users. Every other kind is sealed.
 */
const PLAIN_PAYLOAD_KINDS: readonly repo.QueueKind[] = ['webhook'];

function encodePayload(ctx: EngineContext, kind: repo.QueueKind, dedupeKey: string, payload: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(payload));
  return PLAIN_PAYLOAD_KINDS.includes(kind) ? json : ctx.queueSealer.seal(json, dedupeKey);
}

/** A stored payload back as a value (opened, for sealed kinds). */
export function decodePayload<Payload>(ctx: EngineContext, kind: repo.QueueKind, dedupeKey: string, stored: Uint8Array): Payload {
  const json = PLAIN_PAYLOAD_KINDS.includes(kind) ? Buffer.from(stored) : ctx.queueSealer.open(stored, dedupeKey);
  return JSON.parse(json.toString('utf8')) as Payload;
}

/** Work to enqueue; `payload` is sealed under the server key (it may carry a secret, such as an invitation token), except for PLAIN_PAYLOAD_KINDS. */
export interface Work {
  readonly kind: repo.QueueKind;
  readonly dedupeKey: string;
  readonly target: string;
  readonly invitationId?: string;
  /** Items of one lane run one at a time in `seq` order (see the queue repository). */
  readonly lane?: { readonly key: string; readonly seq: number };
  readonly payload: unknown;
}

/** Inside the caller's transaction: enqueues `work`, sealed; the caller wakes the workers after COMMIT. */
export async function enqueueWork(ctx: EngineContext, tx: Queryable, tenantId: string, work: readonly Work[]): Promise<void> {
  await repo.insertItems(
    tx,
    tenantId,
    work.map((w) => ({
      id: newId(),
      kind: w.kind,
      dedupeKey: w.dedupeKey,
      target: w.target,
      invitationId: w.invitationId ?? null,
      lane: w.lane?.key ?? null,
      laneSeq: w.lane?.seq ?? null,
      payload: encodePayload(ctx, w.kind, w.dedupeKey, w.payload),
    })),
  );
}

/**
 * Thrown by a handler whose claim was taken over (its lease ran out and
 * another worker claimed the item): the item belongs to the new claimant, so
 * the runner records nothing for this attempt.
 */
export class ClaimLost extends Error {}

/**
 * Thrown by a handler that stopped between two committed pieces of its work
 * (an import's chunks) because its worker is stopping: the item goes back to
 * the queue at once (lease ended, attempt not counted), so another instance
 * resumes it from the checkpoint now rather than after OUTBOX_LEASE_MS.
 */
export class HandedBack extends Error {}

/** Thrown by a handler whose work may not start yet (a limit of running work): the item is due again after `delayMs`, the attempt not counted. */
export class Deferred extends Error {
  readonly delayMs: number;
  constructor(message: string, delayMs: number) {
    super(message);
    this.delayMs = delayMs;
  }
}

export interface ClaimedWork<Payload> {
  readonly item: repo.ClaimedItem;
  readonly payload: Payload;
}

export function queueService(ctx: EngineContext) {
  return {
    /** Claims up to `limit` due items of `kind` under a lease and decodes (opens) their payloads. */
    async claim<Payload>(kind: repo.QueueKind, limit: number): Promise<ClaimedWork<Payload>[]> {
      const claimed = await repo.claimDue(ctx.db, kind, limit, ctx.limits.outboxLeaseMs);
      return claimed.map((item) => ({ item, payload: decodePayload<Payload>(ctx, item.kind, item.dedupeKey, item.payload) }));
    },

    /** Hands claimed items back unstarted (see `repo.releaseClaims`); returns how many. */
    release: (items: readonly repo.ClaimedItem[]): Promise<number> => repo.releaseClaims(ctx.db, items),

    done: (item: repo.ClaimedItem): Promise<void> => ctx.db.transaction((tx) => repo.markDone(tx, item)),

    defer: (item: repo.ClaimedItem, delayMs: number): Promise<void> => repo.deferItem(ctx.db, item, delayMs),

    /**
     * Records a failed attempt; returns whether the item is now dead, waits
     * for a retry, or had been claimed again meanwhile (then the item is its
     * new claimant's, untouched). A kind
     * with its own `schedule` (delays before attempts 2, 3, ...: entry k
     * follows attempt k, entry 0 is the first attempt's and unused) is dead
     * when the schedule runs out; otherwise OUTBOX_MAX_ATTEMPTS and backoff apply.
     * Both count the attempts of the item's current run (`scheduleAttempt`:
     * a requeued item has the whole schedule again).
     */
    async failed(item: repo.ClaimedItem, error: string, permanent: boolean, schedule?: readonly number[]): Promise<'dead' | 'retrying' | 'claimed_again'> {
      const attempt = item.scheduleAttempt;
      const delay = schedule ? schedule[attempt] : attempt >= ctx.limits.outboxMaxAttempts ? undefined : retryDelayMs(attempt, ctx.limits.outboxRetryBaseMs);
      const dead = permanent || delay === undefined;
      const applied = await ctx.db.transaction((tx) => repo.markFailed(tx, item, error.slice(0, 1000), dead ? null : delay));
      return !applied ? 'claimed_again' : dead ? 'dead' : 'retrying';
    },

    /** Counts of a kind for one tenant, or for all when `tenantId` is null. */
    stats: (kind: repo.QueueKind, tenantId: string | null): Promise<repo.QueueStats> => repo.queueStats(ctx.db, kind, tenantId),

    dead: (kind: repo.QueueKind, tenantId: string, limit = 100): Promise<repo.DeadItem[]> => repo.deadItems(ctx.db, kind, tenantId, limit),
  };
}

export type QueueService = ReturnType<typeof queueService>;
