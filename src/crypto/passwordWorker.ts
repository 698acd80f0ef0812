/**
 * Runs in the password pool's worker threads: argon2id hashing, and
 * verification of every accepted format. Never loaded on the main thread.
 * A Firebase scrypt hash arrives here with its signer key opened (passwords.ts).
 */
import { createCipheriv, pbkdf2Sync, scryptSync, timingSafeEqual } from 'node:crypto';
import { hashSync, verifySync as verifyArgon2 } from '@node-rs/argon2';
import { verifySync as verifyBcrypt } from '@node-rs/bcrypt';
import { decodeHashBase64, parseImportedHash, type FirebaseScryptHash } from '../domain/passwordHash.ts';
import type { PasswordTask } from './passwords.ts';

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** scrypt with OpenSSL's memory limit set to what these parameters need (V and B, plus slack); parse bounded them. */
function scrypt(password: string, salt: Buffer, length: number, logN: number, r: number, p: number): Buffer {
  return scryptSync(password, salt, length, { N: 2 ** logN, r, p, maxmem: 128 * r * (2 ** logN + p + 2) + 1024 * 1024 });
}

/**
 * Firebase's modified scrypt (github.com/firebase/scrypt): the key derived by
 * scrypt(password, salt || separator, N = 2^memCost, r = rounds, p = 1)
 * encrypts the project's signer key with AES-256-CTR (zero IV); the result is
 * the stored hash.
 */
function verifyFirebaseScrypt(h: FirebaseScryptHash, password: string): boolean {
  const salt = Buffer.concat([decodeHashBase64(h.salt), decodeHashBase64(h.saltSeparator)]);
  const key = scrypt(password, salt, 32, h.memCost, h.rounds, 1);
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const derived = Buffer.concat([cipher.update(decodeHashBase64(h.signerKey)), cipher.final()]);
  return equal(derived, decodeHashBase64(h.hash));
}

/** True when `password` matches `stored`; false for a mismatch or a hash in no accepted format. */
function verify(stored: string, password: string): boolean {
  const parsed = parseImportedHash(stored);
  switch (parsed?.scheme) {
    case 'argon2id':
    case 'argon2i':
      return verifyArgon2(stored, password);
    case 'bcrypt':
      return verifyBcrypt(password, stored);
    case 'scrypt': {
      const expected = decodeHashBase64(parsed.hash);
      return equal(scrypt(password, decodeHashBase64(parsed.salt), expected.length, parsed.logN, parsed.r, parsed.p), expected);
    }
    case 'pbkdf2': {
      const expected = decodeHashBase64(parsed.hash);
      return equal(pbkdf2Sync(password, decodeHashBase64(parsed.salt), parsed.iterations, expected.length, parsed.digest), expected);
    }
    case 'firebase-scrypt':
      return !parsed.sealed && verifyFirebaseScrypt(parsed, password);
    case undefined:
      return false;
  }
}

export default function run(task: PasswordTask): string | boolean {
  switch (task.op) {
    case 'hash':
      // The library's default algorithm is argon2id (checked by a test on the PHC prefix).
      return hashSync(task.password, task.params);
    case 'verify':
      return verify(task.hash, task.password);
  }
}
