/** What the engine's use cases need, built once by the composition root. */
import type { PasswordHasher } from '../crypto/passwords.ts';
import type { SecretHasher } from '../crypto/secrets.ts';
import type { Database } from '../store/ports.ts';

export interface EngineContext {
  readonly db: Database;
  readonly passwords: PasswordHasher;
  readonly secrets: SecretHasher;
  /** The clock; tests may pin it. */
  readonly now: () => Date;
}
