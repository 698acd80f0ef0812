/**
 * Runs in the password pool's worker threads: argon2id hashing and verification
 * of imported formats. Never loaded on the main thread.
 */
import { hashSync, verifySync } from '@node-rs/argon2';
import type { PasswordTask } from './passwords.ts';

export default function run(task: PasswordTask): string | boolean {
  switch (task.op) {
    case 'hash':
      // The library's default algorithm is argon2id (checked by a test on the PHC prefix).
      return hashSync(task.password, task.params);
    case 'verify':
      return verifySync(task.hash, task.password);
  }
}
