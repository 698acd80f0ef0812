/**
 * Idempotency keys: the same key with the same request replays the first
 * response exactly (generated secrets included, so a client that lost the
 * response loses nothing); the same key with another request is refused; a
 * retry while the first is still running is told so. Keys are scoped per tenant.
 *
 * Stored responses are sealed under the server key and expire after
 * IDEMPOTENCY_TTL_HOURS. A request holds its key under a short lease
 * (IDEMPOTENCY_LEASE_SECONDS) that it renews while it runs (`hold`): if its
 * process dies, the lease lapses within seconds and a retry takes the key over
 * and runs. A retry that finds the key held is told when to come back.
 * Dialects record the response inside the write transaction, so writes and
 * response commit together.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../store/ports.ts';
import * as repo from '../store/repositories/idempotency.ts';
import type { EngineContext } from './context.ts';

/** A response as the dialect sent it. */
export interface StoredResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: unknown;
}

export type Claim =
  | { readonly kind: 'owner' }
  | { readonly kind: 'replay'; readonly response: StoredResponse }
  | { readonly kind: 'mismatch' }
  /** Held by a live request (or one whose lease has not lapsed yet): retry after this many seconds. */
  | { readonly kind: 'running'; readonly retryAfterSeconds: number };

/**
 * An idempotency key the current request owns (a `claim` answered `owner`).
 * A write that records its response sets `recorded` once the recording is in
 * its transaction; the HTTP layer records any other answer itself.
 */
export interface OwnedKey {
  readonly tenantId: string;
  readonly key: string;
  recorded: boolean;
}

/** How a write records its response under an owned key: the key, and how its outcome renders. */
export interface ResponseRecording<Outcome> {
  readonly owned: OwnedKey;
  readonly render: (outcome: Outcome) => StoredResponse;
}

const place = (tenantId: string, key: string) => `${tenantId}\n${key}`;

export function idempotencyService(ctx: EngineContext) {
  const leaseSeconds = ctx.limits.idempotencyLeaseSeconds;
  /** When a retry may find the key free or done: the lease's remainder, at least one second. */
  const retryAfter = (remainingMs: number) => Math.max(1, Math.ceil(remainingMs / 1000));
  return {
    /** Claims `key` for a request with this fingerprint, or says why not. */
    async claim(tenantId: string, key: string, fingerprint: Buffer): Promise<Claim> {
      for (let attempt = 0; attempt < 3; attempt++) {
        if (await repo.insertRunning(ctx.db, tenantId, key, fingerprint, leaseSeconds, ctx.limits.idempotencyTtlHours)) {
          return { kind: 'owner' };
        }
        const row = await repo.findKey(ctx.db, tenantId, key);
        if (!row) continue; // deleted between the two statements: try again
        if (row.expired) {
          await repo.deleteExpired(ctx.db, tenantId, key);
          continue;
        }
        const stored = Buffer.from(row.fingerprint);
        if (stored.length !== fingerprint.length || !timingSafeEqual(stored, fingerprint)) return { kind: 'mismatch' };
        if (row.state === 'done') {
          const response = JSON.parse(ctx.idempotencySealer.open(row.response!, place(tenantId, key)).toString('utf8')) as StoredResponse;
          return { kind: 'replay', response };
        }
        if (row.lockExpired && (await repo.takeOverAbandoned(ctx.db, tenantId, key, leaseSeconds))) return { kind: 'owner' };
        return { kind: 'running', retryAfterSeconds: retryAfter(row.lockRemainingMs) };
      }
      return { kind: 'running', retryAfterSeconds: 1 };
    },

    /**
     * Runs `work` for an owned key while renewing its lease every third of
     * IDEMPOTENCY_LEASE_SECONDS, so a live request keeps its key however long it
     * runs and a dead one loses it within one lease. A failed renewal is retried
     * at the next beat; the lease is the only consequence of missing beats.
     */
    async hold<T>(tenantId: string, key: string, work: () => Promise<T>): Promise<T> {
      const beat = setInterval(() => {
        repo.renewRunning(ctx.db, tenantId, key, leaseSeconds).catch(() => undefined);
      }, (leaseSeconds * 1000) / 3);
      beat.unref();
      try {
        return await work();
      } finally {
        clearInterval(beat);
      }
    },

    /** Records the response for an owned key; pass the write transaction when there is one. */
    async complete(q: Queryable | undefined, tenantId: string, key: string, response: StoredResponse): Promise<void> {
      const sealed = ctx.idempotencySealer.seal(Buffer.from(JSON.stringify(response), 'utf8'), place(tenantId, key));
      await repo.markDone(q ?? ctx.db, tenantId, key, sealed);
    },

    /**
     * Inside a write's unit of work (a before-commit participant): records the
     * rendered outcome under the owned key, so response and write commit together.
     */
    async record<Outcome>(tx: Queryable, recording: ResponseRecording<Outcome>, outcome: Outcome): Promise<void> {
      await this.complete(tx, recording.owned.tenantId, recording.owned.key, recording.render(outcome));
      recording.owned.recorded = true;
    },

    /** Gives an owned key back without a response (the request failed unexpectedly), so a retry runs. */
    release: (tenantId: string, key: string): Promise<void> => repo.deleteRunning(ctx.db, tenantId, key),

    /** Deletes expired keys; returns how many. */
    sweep: (): Promise<number> => repo.deleteAllExpired(ctx.db),
  };
}

export type IdempotencyService = ReturnType<typeof idempotencyService>;
