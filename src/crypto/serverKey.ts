/**
 * The server key: 32 random bytes that key the HMAC of generated secrets (and
 * later encrypt stored material). Taken from MUSTER_SERVER_KEY (base64) when
 * set; otherwise read from, or created once in, `<DATA_DIR>/server.key`.
 * Several instances sharing one PostgreSQL database must share this key, so
 * such deployments set MUSTER_SERVER_KEY.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const SERVER_KEY_BYTES = 32;

export interface ServerKeySource {
  readonly fromEnvironment: Buffer | undefined;
  readonly dataDir: string;
}

export type ServerKeyOrigin = 'environment' | 'file' | 'generated';

export function loadServerKey(source: ServerKeySource): { key: Buffer; origin: ServerKeyOrigin } {
  if (source.fromEnvironment) return { key: source.fromEnvironment, origin: 'environment' };
  const file = join(source.dataDir, 'server.key');
  try {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== SERVER_KEY_BYTES) throw new Error(`${file} does not hold a ${SERVER_KEY_BYTES}-byte base64 key`);
    return { key, origin: 'file' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(source.dataDir, { recursive: true });
  const key = randomBytes(SERVER_KEY_BYTES);
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return { key, origin: 'generated' };
}
