/**
 * Idempotency keys: the same key with the same request replays the first
 * response exactly (generated secrets included, so a client that lost the
 * response loses nothing); the same key with another request is refused; a
 * retry while the first is still running is told so. Keys are scoped per tenant.
 *
 * Stored responses are sealed under the server key and expire after
 * IDEMPOTENCY_TTL_HOURS. A request holds its key under a lease: if its process
 * dies before finishing, a retry after the lease takes the key over and runs.
 * Dialects record the response inside the write transaction, so writes and
 * response commit together.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../store/ports.ts';
import * as repo from '../store/repositories/idempotency.ts';
import type { EngineContext } from './context.ts';

/** How long a running request holds its key before a retry may take it over. */
export const IDEMPOTENCY_LEASE_SECONDS = 300;

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
  | { readonly kind: 'running' };

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
  return {
    /** Claims `key` for a request with this fingerprint, or says why not. */
    async claim(tenantId: string, key: string, fingerprint: Buffer): Promise<Claim> {
      for (let attempt = 0; attempt < 3; attempt++) {
        if (await repo.insertRunning(ctx.db, tenantId, key, fingerprint, IDEMPOTENCY_LEASE_SECONDS, ctx.limits.idempotencyTtlHours)) {
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
        if (row.lockExpired && (await repo.takeOverAbandoned(ctx.db, tenantId, key, IDEMPOTENCY_LEASE_SECONDS))) return { kind: 'owner' };
        return { kind: 'running' };
      }
      return { kind: 'running' };
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
