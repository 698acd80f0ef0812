/**
 * Password hashing: argon2id on a pool of worker threads sized to the machine,
 * so hashing never blocks the event loop and a batch hashes in parallel.
 *
 * Parameters follow OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane).
 * Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$...`), which carry
 * their own parameters, so changing the defaults later keeps old hashes valid.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { formatFirebaseScrypt, parseImportedHash, phcBase64 } from '../domain/passwordHash.ts';
import type { Sealer } from './sealing.ts';

export interface Argon2Params {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

export const ARGON2ID_PARAMS: Argon2Params = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** The PHC prefix of a hash made with the current parameters. */
const CURRENT_PREFIX = `$argon2id$v=19$m=${ARGON2ID_PARAMS.memoryCost},t=${ARGON2ID_PARAMS.timeCost},p=${ARGON2ID_PARAMS.parallelism}$`;

/** True when a stored hash is not argon2id with today's parameters: re-hash it at the next successful check. */
export function needsRehash(stored: string): boolean {
  return !stored.startsWith(CURRENT_PREFIX);
}

export type PasswordTask =
  | { readonly op: 'hash'; readonly password: string; readonly params: Argon2Params }
  | { readonly op: 'verify'; readonly hash: string; readonly password: string };

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * The form of an imported hash (already validated) that is stored: the hash
   * itself, except that a Firebase scrypt hash's signer key, a secret of the
   * Firebase project, is sealed under the server key. Cheap (one AES-GCM
   * seal); runs on the calling thread.
   */
  storable(imported: string): string;
  /**
   * True when `password` matches `hash`: argon2id, or any imported format of
   * domain/passwordHash.ts. False for a mismatch or an unrecognised hash.
   */
  verify(hash: string, password: string): Promise<boolean>;
  /**
   * Spends the time of one verification and answers false: used when there is no
   * user or no password, so response time does not tell which.
   */
  verifyNothing(password: string): Promise<false>;
  /** Hashes and verifications waiting for a worker (for /metrics). */
  queued(): number;
  close(): Promise<void>;
}

/** How long an idle hashing worker stays before it exits (a new one starts with the next hash). */
export const PASSWORD_WORKER_IDLE_MS = 10_000;

export function defaultPasswordThreads(): number {
  return availableParallelism();
}

/** Where a sealed signer key belongs: one place for every Firebase hash (a key moved between rows grants nothing). */
const SIGNER_KEY_PLACE = 'firebase-scrypt/signer-key';

/** `keySealer` seals the signer keys of imported Firebase hashes (see `storable`). */
export async function createPasswordHasher(threads: number, keySealer: Sealer): Promise<PasswordHasher> {
  // Workers start on demand and leave after a while idle: each holds some tens
  // of MiB (its isolate and argon2id's 19 MiB), which a service that is not
  // hashing should not keep (the embedded default targets a small machine).
  const pool = new Piscina<PasswordTask, string | boolean>({
    filename: new URL('./passwordWorker.ts', import.meta.url).href,
    minThreads: 0,
    maxThreads: threads,
    idleTimeout: PASSWORD_WORKER_IDLE_MS,
  });
  const hash = async (password: string) => (await pool.run({ op: 'hash', password, params: ARGON2ID_PARAMS })) as string;
  /** A stored Firebase hash with its signer key opened, for the worker; any other hash as it is. Throws if the seal does not open. */
  const withOpenedKey = (stored: string): string => {
    const parsed = parseImportedHash(stored);
    if (parsed?.scheme !== 'firebase-scrypt' || !parsed.sealed) return stored;
    const key = keySealer.open(Buffer.from(parsed.signerKey, 'base64'), SIGNER_KEY_PLACE);
    return formatFirebaseScrypt({ ...parsed, sealed: false, signerKey: phcBase64(key) });
  };
  const verify = async (stored: string, password: string) => {
    try {
      return (await pool.run({ op: 'verify', hash: withOpenedKey(stored), password })) as boolean;
    } catch {
      return false; // a malformed stored hash, or a seal that does not open (another server key), matches nothing
    }
  };
  // A real hash of a random password: verifying against it costs what a real check costs.
  const decoy = await hash(crypto.randomUUID());
  return {
    hash,
    storable(imported: string): string {
      const parsed = parseImportedHash(imported);
      if (parsed?.scheme !== 'firebase-scrypt' || parsed.sealed) return imported;
      const sealed = keySealer.seal(Buffer.from(parsed.signerKey, 'base64'), SIGNER_KEY_PLACE);
      return formatFirebaseScrypt({ ...parsed, sealed: true, signerKey: phcBase64(sealed) });
    },
    verify,
    async verifyNothing(password: string): Promise<false> {
      await verify(decoy, password);
      return false;
    },
    queued: () => pool.queueSize,
    close: () => pool.destroy(),
  };
}
