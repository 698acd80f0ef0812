/** Password hashes in every accepted import format, made here with real implementations. */
import { pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { hashSync as argon2Hash, type Algorithm } from '@node-rs/argon2';
import { hashSync as bcryptHash } from '@node-rs/bcrypt';

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
/** passlib's "adapted base64": `.` for `+`, no padding. */
const ab64 = (bytes: Buffer) => b64(bytes).replaceAll('+', '.');
const ARGON2I = 1 as Algorithm;

export function importedHashes(password: string): Record<string, string> {
  const salt = randomBytes(16);
  return {
    bcrypt2a: bcryptHash(password, { cost: 4, version: '2a' }),
    bcrypt2b: bcryptHash(password, { cost: 4, version: '2b' }),
    bcrypt2y: bcryptHash(password, { cost: 4, version: '2y' }),
    argon2id: argon2Hash(password, { memoryCost: 8192, timeCost: 1, parallelism: 1 }),
    argon2i: argon2Hash(password, { memoryCost: 8192, timeCost: 1, parallelism: 1, algorithm: ARGON2I }),
    scrypt: `$scrypt$ln=12,r=8,p=1$${b64(salt)}$${b64(scryptSync(password, salt, 32, { N: 2 ** 12, r: 8, p: 1 }))}`,
    pbkdf2Phc: `$pbkdf2-sha256$i=1000,l=32$${b64(salt)}$${b64(pbkdf2Sync(password, salt, 1000, 32, 'sha256'))}`,
    pbkdf2Passlib: `$pbkdf2-sha256$1000$${ab64(salt)}$${ab64(pbkdf2Sync(password, salt, 1000, 32, 'sha256'))}`,
  };
}
