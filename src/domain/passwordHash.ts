/**
 * Imported password hashes: the formats muster accepts, parsed and bounded.
 * Pure: parsing only. Verification runs on the password worker pool.
 *
 * Accepted: PHC strings for argon2id, argon2i, scrypt (`$scrypt$ln=,r=,p=$salt$hash`)
 * and pbkdf2-sha256 (`$pbkdf2-sha256$i=N[,l=L]$salt$hash`, and passlib's
 * `$pbkdf2-sha256$N$salt$hash`), and bcrypt (`$2a$`, `$2b$`, `$2y$`). Cost
 * parameters are bounded so that an imported hash cannot make one sign-in
 * cost minutes of CPU or gigabytes of memory.
 */

export const SUPPORTED_HASH_FORMATS =
  'argon2id or argon2i ($argon2id$v=19$m=..,t=..,p=..$salt$hash), scrypt ($scrypt$ln=..,r=..,p=..$salt$hash), ' +
  'pbkdf2-sha256 ($pbkdf2-sha256$i=..$salt$hash), bcrypt ($2a$, $2b$, $2y$)';

export type ParsedHash =
  | { scheme: 'argon2id' | 'argon2i'; memoryKiB: number; iterations: number; parallelism: number }
  | { scheme: 'scrypt'; logN: number; r: number; p: number; salt: string; hash: string }
  | { scheme: 'pbkdf2-sha256'; iterations: number; salt: string; hash: string }
  | { scheme: 'bcrypt'; cost: number };

const B64 = '[A-Za-z0-9+/.]+={0,2}';
const ARGON2 = new RegExp(`^\\$(argon2id|argon2i)\\$v=(16|19)\\$m=(\\d+),t=(\\d+),p=(\\d+)\\$${B64}\\$${B64}$`);
const SCRYPT = new RegExp(`^\\$scrypt\\$ln=(\\d+),r=(\\d+),p=(\\d+)\\$(${B64})\\$(${B64})$`);
const PBKDF2_PHC = new RegExp(`^\\$pbkdf2-sha256\\$i=(\\d+)(?:,l=(\\d+))?\\$(${B64})\\$(${B64})$`);
const PBKDF2_PASSLIB = new RegExp(`^\\$pbkdf2-sha256\\$(\\d+)\\$(${B64})\\$(${B64})$`);
const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;

/** Upper bounds on imported cost parameters. */
export const HASH_LIMITS = {
  argon2MemoryKiB: 1_048_576,
  argon2Iterations: 64,
  argon2Parallelism: 16,
  scryptLogN: 20,
  scryptR: 32,
  scryptP: 16,
  pbkdf2Iterations: 10_000_000,
  bcryptCost: 17,
} as const;

const within = (value: number, min: number, max: number) => Number.isSafeInteger(value) && value >= min && value <= max;

/** The parsed hash, or undefined when it is not an accepted format within bounds. */
export function parseImportedHash(value: string): ParsedHash | undefined {
  let m: RegExpExecArray | null;
  if ((m = ARGON2.exec(value))) {
    const [memoryKiB, iterations, parallelism] = [Number(m[3]), Number(m[4]), Number(m[5])];
    if (!within(memoryKiB, 8, HASH_LIMITS.argon2MemoryKiB) || !within(iterations, 1, HASH_LIMITS.argon2Iterations)) return undefined;
    if (!within(parallelism, 1, HASH_LIMITS.argon2Parallelism)) return undefined;
    return { scheme: m[1] as 'argon2id' | 'argon2i', memoryKiB, iterations, parallelism };
  }
  if ((m = SCRYPT.exec(value))) {
    const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (!within(logN, 1, HASH_LIMITS.scryptLogN) || !within(r, 1, HASH_LIMITS.scryptR) || !within(p, 1, HASH_LIMITS.scryptP)) return undefined;
    return { scheme: 'scrypt', logN, r, p, salt: m[4]!, hash: m[5]! };
  }
  if ((m = PBKDF2_PHC.exec(value)) || (m = PBKDF2_PASSLIB.exec(value))) {
    const phc = value.startsWith('$pbkdf2-sha256$i=');
    const iterations = Number(m[1]);
    if (!within(iterations, 1, HASH_LIMITS.pbkdf2Iterations)) return undefined;
    return { scheme: 'pbkdf2-sha256', iterations, salt: phc ? m[3]! : m[2]!, hash: phc ? m[4]! : m[3]! };
  }
  if ((m = BCRYPT.exec(value))) {
    const cost = Number(m[1]);
    if (!within(cost, 4, HASH_LIMITS.bcryptCost)) return undefined;
    return { scheme: 'bcrypt', cost };
  }
  return undefined;
}

/** Decodes PHC/passlib base64 (standard or `.`-for-`+` alphabet, padding optional). */
export function decodeHashBase64(value: string): Buffer {
  return Buffer.from(value.replaceAll('.', '+'), 'base64');
}
