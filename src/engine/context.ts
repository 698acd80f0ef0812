/** What the engine's use cases need, built once by the composition root. */
import type { PasswordHasher } from '../crypto/passwords.ts';
import type { Sealer } from '../crypto/sealing.ts';
import type { SecretHasher } from '../crypto/secrets.ts';
import type { DomainEvent } from '../domain/events.ts';
import type { Database } from '../store/ports.ts';
import type { ImportConfig } from '../config.ts';
import type { ConsoleSessionLimits } from './consoleSessions.ts';

export interface EngineContext {
  readonly db: Database;
  readonly passwords: PasswordHasher;
  readonly secrets: SecretHasher;
  /** Seals stored responses of idempotent requests. */
  readonly idempotencySealer: Sealer;
  /** Seals queue payloads (mail carries invitation tokens until sent). */
  readonly queueSealer: Sealer;
  /** Seals access-key secrets (signature checks need them in the clear). */
  readonly accessKeySealer: Sealer;
  /** Seals webhook signing secrets (signing needs them in the clear). */
  readonly webhookSecretSealer: Sealer;
  /** WEBHOOK_ALLOW_PRIVATE_ADDRESSES: endpoint URLs may resolve to loopback, private and link-local addresses. */
  readonly webhookAllowPrivateAddresses: boolean;
  /** The domain part of the Message-IDs muster mints. */
  readonly messageIdDomain: string;
  /** Called after a transaction that queued mail commits, so a worker can start at once. */
  readonly notifyOutbox: () => void;
  /** SHA-256 of the operator key, the one credential with the operator scope. */
  readonly operatorKeyHash: Buffer;
  /** Told every unit of work's events once it has committed (metrics count them); must not throw. */
  readonly onEventsCommitted?: (events: readonly DomainEvent[]) => void;
  /** Told the rows of every committed import chunk (metrics count them); must not throw. */
  readonly onImportRows?: (rows: number) => void;
  /** The clock; tests may pin it. */
  readonly now: () => Date;
  readonly limits: EngineLimits;
  /** Called after a transaction that queued import work commits, so an import worker can start at once. */
  readonly notifyImports: () => void;
}

export interface EngineLimits {
  /** Most items in one createUsers call. */
  readonly batchMaxItems: number;
  /** How long an idempotent response is kept. */
  readonly idempotencyTtlHours: number;
  /** How long a running idempotent request holds its key between renewals. */
  readonly idempotencyLeaseSeconds: number;
  /** How long an invitation can be accepted. */
  readonly invitationTtlHours: number;
  /** Attempts before a queue item is dead, the first retry's delay, and a claim's lease (every kind). */
  readonly outboxMaxAttempts: number;
  readonly outboxRetryBaseMs: number;
  readonly outboxLeaseMs: number;
  /** How long domain events (the audit trail) are kept. */
  readonly auditRetentionDays: number;
  /** Import jobs' limits and retention (config.ts ImportConfig). */
  readonly imports: ImportConfig;
  readonly rateLimit: RateLimitPolicy;
  readonly lockout: LockoutPolicy;
  /** Console sessions' idle and absolute lifetimes. */
  readonly consoleSessions: ConsoleSessionLimits;
}

/**
 * Credential-stuffing defence (LOCKOUT_*): failed sign-ins per username and
 * per client address in a fixed window; past `slowAfter` failures each
 * failure is answered later, at the limit the name or address is locked out
 * until the window ends. 0 turns a limit off.
 */
export interface LockoutPolicy {
  readonly windowSeconds: number;
  readonly userFailures: number;
  readonly addressFailures: number;
  /** Failures per username, and per address, after which each failure is answered later. */
  readonly userSlowAfter: number;
  readonly addressSlowAfter: number;
}

/** Requests and users per principal and per client address in a sliding window (RATE_LIMIT_*); 0 turns a limit off. */
export interface RateLimitPolicy {
  readonly windowSeconds: number;
  /** Requests per principal (API key, access key, token subject). */
  readonly keyRequests: number;
  /** Requests per client address (authenticated requests). */
  readonly addressRequests: number;
  /** Users sent through batch endpoints per principal. */
  readonly keyUsers: number;
}
