/** What the engine's use cases need, built once by the composition root. */
import type { PasswordHasher } from '../crypto/passwords.ts';
import type { Sealer } from '../crypto/sealing.ts';
import type { SecretHasher } from '../crypto/secrets.ts';
import type { Database } from '../store/ports.ts';

export interface EngineContext {
  readonly db: Database;
  readonly passwords: PasswordHasher;
  readonly secrets: SecretHasher;
  /** Seals stored responses of idempotent requests. */
  readonly idempotencySealer: Sealer;
  /** The clock; tests may pin it. */
  readonly now: () => Date;
  readonly limits: EngineLimits;
}

export interface EngineLimits {
  /** Most items in one createUsers call. */
  readonly batchMaxItems: number;
  /** How long an idempotent response is kept. */
  readonly idempotencyTtlHours: number;
}
