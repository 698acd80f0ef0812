/**
 * The outbox, as the dispatcher sees it: claim due messages (payloads opened),
 * then report each one delivered or failed. Failures are retried with
 * exponential backoff and jitter until `outboxMaxAttempts`, then the message is
 * dead with its last error; a permanent refusal (SMTP 5xx) is dead at once.
 * Delivery is at-least-once: a message whose sender died is claimed again
 * after its lease, under the same Message-ID.
 */
import * as repo from '../store/repositories/outbox.ts';
import type { EngineContext } from './context.ts';
import type { InvitationMail } from './invitations.ts';

/** The longest wait between two attempts. */
export const RETRY_CAP_MS = 3_600_000;

/**
 * Delay before attempt `attempt + 1`: base * 2^(attempt-1), capped, with "equal
 * jitter" (a random point in the upper half), so retries of many messages
 * failing together spread out.
 */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_CAP_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export interface ClaimedInvitationMail {
  readonly claim: repo.ClaimedMessage;
  readonly mail: InvitationMail;
}

export function outboxService(ctx: EngineContext) {
  return {
    /** Claims up to `limit` due messages under a lease and opens their payloads. */
    async claim(limit: number): Promise<ClaimedInvitationMail[]> {
      const claimed = await repo.claimDue(ctx.db, limit, ctx.limits.outboxLeaseMs);
      return claimed.map((claim) => ({
        claim,
        mail: JSON.parse(ctx.outboxSealer.open(claim.payload, claim.messageId).toString('utf8')) as InvitationMail,
      }));
    },

    delivered: (claim: repo.ClaimedMessage): Promise<void> => ctx.db.transaction((tx) => repo.markSent(tx, claim)),

    /** Records a failed attempt; returns whether the message is now dead. */
    async failed(claim: repo.ClaimedMessage, error: string, permanent: boolean): Promise<boolean> {
      const dead = permanent || claim.attempt >= ctx.limits.outboxMaxAttempts;
      await ctx.db.transaction((tx) => repo.markFailed(tx, claim, error.slice(0, 1000), dead ? null : retryDelayMs(claim.attempt, ctx.limits.outboxRetryBaseMs)));
      return dead;
    },

    stats: (tenantId: string | null): Promise<repo.OutboxStats> => repo.outboxStats(ctx.db, tenantId),

    dead: (tenantId: string, limit = 100): Promise<repo.DeadMessage[]> => repo.deadMessages(ctx.db, tenantId, limit),
  };
}

export type OutboxService = ReturnType<typeof outboxService>;
