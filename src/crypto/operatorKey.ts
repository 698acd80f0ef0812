/**
 * The operator key: the one credential with the operator scope (creating,
 * listing and disabling tenants, managing any tenant's keys). Taken from
 * MUSTER_OPERATOR_KEY when set; otherwise read from, or created once (mode
 * 0600) in, `<DATA_DIR>/operator.key`, where the CLI on the same machine finds
 * it. Whoever can read DATA_DIR can read the embedded database itself, so the
 * file grants nothing more. Instances sharing one PostgreSQL server each have
 * their own DATA_DIR, so such deployments set MUSTER_OPERATOR_KEY.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newApiKey } from './secrets.ts';

export const operatorKeyFile = (dataDir: string): string => join(dataDir, 'operator.key');

/** The key in `file`, or undefined when there is no such file. */
export function readOperatorKeyFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function loadOperatorKey(source: { readonly fromEnvironment: string | undefined; readonly dataDir: string }): string {
  if (source.fromEnvironment !== undefined) return source.fromEnvironment;
  const file = operatorKeyFile(source.dataDir);
  const existing = readOperatorKeyFile(file);
  if (existing !== undefined) return existing;
  mkdirSync(source.dataDir, { recursive: true });
  const key = newApiKey();
  try {
    writeFileSync(file, key + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readOperatorKeyFile(file)!; // another process wrote it first
  }
}
