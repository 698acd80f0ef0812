/** What the engine's use cases need, built once by the composition root. */
import type { PasswordHasher } from '../crypto/passwords.ts';
import type { Sealer } from '../crypto/sealing.ts';
import type { SecretHasher } from '../crypto/secrets.ts';
import type { Database } from '../store/ports.ts';
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
  /** The domain part of the Message-IDs muster mints. */
  readonly messageIdDomain: string;
  /** Called after a transaction that queued mail commits, so a worker can start at once. */
  readonly notifyOutbox: () => void;
  /** SHA-256 of the operator key, the one credential with the operator scope. */
  readonly operatorKeyHash: Buffer;
  /** The clock; tests may pin it. */
  readonly now: () => Date;
  readonly limits: EngineLimits;
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
  /** Console sessions' idle and absolute lifetimes. */
  readonly consoleSessions: ConsoleSessionLimits;
}
