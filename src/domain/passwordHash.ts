/**
 * Imported password hashes: the formats muster accepts, parsed and bounded.
 * Pure: parsing only. Verification runs on the password worker pool.
 *
 * Accepted: PHC strings for argon2id, argon2i, scrypt (`$scrypt$ln=,r=,p=$salt$hash`)
 * and pbkdf2 with SHA-1, SHA-256 or SHA-512 (`$pbkdf2-sha512$i=N[,l=L]$salt$hash`,
 * and passlib's `$pbkdf2-sha256$N$salt$hash`, `$pbkdf2$N$salt$hash` for SHA-1),
 * bcrypt (`$2a$`, `$2b$`, `$2y$`), and Firebase's modified scrypt:
 *
 *     $firebase-scrypt$r=<rounds>,m=<memCost>$<salt>$<saltSeparator>$<hash>$<signerKey>
 *
 * (standard base64, padding optional; the separator may be empty). The
 * signer key is a secret of the Firebase project, so it is never stored as
 * given: the password hasher seals it (crypto/passwords.ts `storable`) and the
 * stored string says so with `,k=sealed` after the parameters. A caller may
 * not hand in the sealed form (see `isAcceptedForImport`).
 *
 * Cost parameters are bounded so that an imported hash cannot make one
 * sign-in cost minutes of CPU or more than 1 GiB of memory.
 */

export const SUPPORTED_HASH_FORMATS =
  'argon2id or argon2i ($argon2id$v=19$m=..,t=..,p=..$salt$hash), scrypt ($scrypt$ln=..,r=..,p=..$salt$hash), ' +
  'pbkdf2 with sha1, sha256 or sha512 ($pbkdf2-sha256$i=..$salt$hash), bcrypt ($2a$, $2b$, $2y$), ' +
  'Firebase scrypt ($firebase-scrypt$r=..,m=..$salt$separator$hash$signerKey)';

export const PBKDF2_DIGESTS = ['sha1', 'sha256', 'sha512'] as const;
export type Pbkdf2Digest = (typeof PBKDF2_DIGESTS)[number];

export type ParsedHash =
  | { scheme: 'argon2id' | 'argon2i'; memoryKiB: number; iterations: number; parallelism: number }
  | { scheme: 'scrypt'; logN: number; r: number; p: number; salt: string; hash: string }
  | { scheme: 'pbkdf2'; digest: Pbkdf2Digest; iterations: number; salt: string; hash: string }
  | { scheme: 'bcrypt'; cost: number }
  | FirebaseScryptHash;

/** Firebase's scrypt: `signerKey` is the key as given, or its sealed form when `sealed`. */
export interface FirebaseScryptHash {
  scheme: 'firebase-scrypt';
  rounds: number;
  memCost: number;
  salt: string;
  saltSeparator: string;
  hash: string;
  signerKey: string;
  sealed: boolean;
}

const B64 = '[A-Za-z0-9+/.]+={0,2}';
const STD_B64 = '[A-Za-z0-9+/]+={0,2}';
const ARGON2 = new RegExp(`^\\$(argon2id|argon2i)\\$v=(16|19)\\$m=(\\d+),t=(\\d+),p=(\\d+)\\$${B64}\\$${B64}$`);
const SCRYPT = new RegExp(`^\\$scrypt\\$ln=(\\d+),r=(\\d+),p=(\\d+)\\$(${B64})\\$(${B64})$`);
const PBKDF2_PHC = new RegExp(`^\\$pbkdf2-(sha1|sha256|sha512)\\$i=(\\d+)(?:,l=(\\d+))?\\$(${B64})\\$(${B64})$`);
const PBKDF2_PASSLIB = new RegExp(`^\\$pbkdf2(?:-(sha256|sha512))?\\$(\\d+)\\$(${B64})\\$(${B64})$`);
const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const FIREBASE_SCRYPT = new RegExp(
  `^\\$firebase-scrypt\\$r=(\\d+),m=(\\d+)(,k=sealed)?\\$(${STD_B64})\\$(${STD_B64})?\\$(${STD_B64})\\$(${STD_B64})$`,
);

/** Upper bounds on imported cost parameters. */
export const HASH_LIMITS = {
  argon2MemoryKiB: 1_048_576,
  argon2Iterations: 64,
  argon2Parallelism: 16,
  scryptLogN: 20,
  scryptR: 32,
  scryptP: 16,
  /** scrypt needs 128 * N * r bytes: at most what the largest accepted argon2 needs. */
  scryptMemoryBytes: 1024 ** 3,
  pbkdf2Iterations: 10_000_000,
  bcryptCost: 17,
  /** Firebase signer keys are 64 bytes; the hash is as long as the key. */
  firebaseSignerKeyBytes: 256,
} as const;

const within = (value: number, min: number, max: number) => Number.isSafeInteger(value) && value >= min && value <= max;

/** The memory scrypt needs for N = 2^logN and block size r, or undefined when over the bound. */
export function scryptMemory(logN: number, r: number): number | undefined {
  const bytes = 128 * 2 ** logN * r;
  return bytes <= HASH_LIMITS.scryptMemoryBytes ? bytes : undefined;
}

function parseFirebase(m: RegExpExecArray): FirebaseScryptHash | undefined {
  const [rounds, memCost] = [Number(m[1]), Number(m[2])];
  if (!within(rounds, 1, HASH_LIMITS.scryptR) || !within(memCost, 1, HASH_LIMITS.scryptLogN) || !scryptMemory(memCost, rounds)) return undefined;
  const parsed: FirebaseScryptHash = {
    scheme: 'firebase-scrypt',
    rounds,
    memCost,
    salt: m[4]!,
    saltSeparator: m[5] ?? '',
    hash: m[6]!,
    signerKey: m[7]!,
    sealed: m[3] !== undefined,
  };
  if (!parsed.sealed) {
    const keyBytes = decodeHashBase64(parsed.signerKey).length;
    if (!within(keyBytes, 1, HASH_LIMITS.firebaseSignerKeyBytes) || decodeHashBase64(parsed.hash).length !== keyBytes) return undefined;
  }
  return parsed;
}

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
    if (!scryptMemory(logN, r)) return undefined;
    return { scheme: 'scrypt', logN, r, p, salt: m[4]!, hash: m[5]! };
  }
  if ((m = PBKDF2_PHC.exec(value))) {
    const iterations = Number(m[2]);
    if (!within(iterations, 1, HASH_LIMITS.pbkdf2Iterations)) return undefined;
    return { scheme: 'pbkdf2', digest: m[1] as Pbkdf2Digest, iterations, salt: m[4]!, hash: m[5]! };
  }
  if ((m = PBKDF2_PASSLIB.exec(value))) {
    const iterations = Number(m[2]);
    if (!within(iterations, 1, HASH_LIMITS.pbkdf2Iterations)) return undefined;
    return { scheme: 'pbkdf2', digest: (m[1] as Pbkdf2Digest | undefined) ?? 'sha1', iterations, salt: m[3]!, hash: m[4]! };
  }
  if ((m = BCRYPT.exec(value))) {
    const cost = Number(m[1]);
    if (!within(cost, 4, HASH_LIMITS.bcryptCost)) return undefined;
    return { scheme: 'bcrypt', cost };
  }
  if ((m = FIREBASE_SCRYPT.exec(value))) return parseFirebase(m);
  return undefined;
}

/** True when a caller may hand this hash in: an accepted format, and not a form only muster itself writes (a sealed signer key). */
export function isAcceptedForImport(value: string): boolean {
  const parsed = parseImportedHash(value);
  return parsed !== undefined && !(parsed.scheme === 'firebase-scrypt' && parsed.sealed);
}

/** The stored-string form of a Firebase scrypt hash. */
export function formatFirebaseScrypt(h: Omit<FirebaseScryptHash, 'scheme'>): string {
  return `$firebase-scrypt$r=${h.rounds},m=${h.memCost}${h.sealed ? ',k=sealed' : ''}$${h.salt}$${h.saltSeparator}$${h.hash}$${h.signerKey}`;
}

/** Decodes PHC/passlib base64 (standard or `.`-for-`+` alphabet, padding optional). */
export function decodeHashBase64(value: string): Buffer {
  return Buffer.from(value.replaceAll('.', '+'), 'base64');
}

/** PHC's base64: standard alphabet, no padding. */
export function phcBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}
