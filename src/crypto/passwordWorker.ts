/**
 * Runs in the password pool's worker threads: argon2id hashing, and
 * verification of every accepted format. Never loaded on the main thread.
 */
import { pbkdf2Sync, scryptSync, timingSafeEqual } from 'node:crypto';
import { hashSync, verifySync as verifyArgon2 } from '@node-rs/argon2';
import { verifySync as verifyBcrypt } from '@node-rs/bcrypt';
import { decodeHashBase64, parseImportedHash } from '../domain/passwordHash.ts';
import type { PasswordTask } from './passwords.ts';

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
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
      const N = 2 ** parsed.logN;
      const derived = scryptSync(password, decodeHashBase64(parsed.salt), expected.length, {
        N,
        r: parsed.r,
        p: parsed.p,
        maxmem: 256 * N * parsed.r,
      });
      return equal(derived, expected);
    }
    case 'pbkdf2-sha256': {
      const expected = decodeHashBase64(parsed.hash);
      return equal(pbkdf2Sync(password, decodeHashBase64(parsed.salt), parsed.iterations, expected.length, 'sha256'), expected);
    }
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
