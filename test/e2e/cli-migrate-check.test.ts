/**
 * `muster migrate-from PROVIDER FILE --check`, the real CLI as a child process:
 * it reads the whole export locally and says what would be imported and what
 * cannot be, exit 0 or 2, and never contacts the service (MUSTER_URL points at
 * a listener here that counts connections).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { FIREBASE_OPTIONS } from '../helpers/providerCases.ts';

const run = promisify(execFile);
const fixture = (name: string) => new URL(`../fixtures/providers/${name}`, import.meta.url).pathname;

describe('muster migrate-from --check', () => {
  let connections = 0;
  const listener = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  let url: string;
  before(async () => {
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    url = `http://127.0.0.1:${(listener.address() as { port: number }).port}`;
  });
  after(() => listener.close());

  async function check(...args: string[]): Promise<{ code: number; stdout: string }> {
    try {
      const { stdout } = await run(process.execPath, ['src/cli/main.ts', 'migrate-from', ...args, '--check'], { env: { PATH: process.env.PATH ?? '', MUSTER_URL: url } });
      return { code: 0, stdout };
    } catch (error) {
      const failed = error as { code: number; stdout: string };
      return { code: failed.code, stdout: failed.stdout };
    }
  }

  it('auth0: counts what can be imported, names what cannot (a refused md5 hash, a record without email), exit 2', async () => {
    const { code, stdout } = await check('auth0', fixture('auth0.json'));
    assert.equal(code, 2, stdout);
    assert.match(stdout, /9 records; 7 can be imported, 6 of them with a usable password/);
    assert.match(stdout, /1 {2}user\.unsupported_password_hash {2}e\.g\. row 7 .*md5/);
    assert.match(stdout, /1 {2}import\.missing_field {2}e\.g\. row 8 \(email\)/);
  });

  it('firebase CSV with its hash parameters; keycloak; entra with its example row', async () => {
    const firebase = await check('firebase', fixture('firebase.csv'), '--salt-separator', 'Bw==', '--rounds', '8', '--mem-cost', '14', '--signer-key', FIREBASE_OPTIONS.signerKey);
    assert.match(firebase.stdout, /\(firebase-csv\): 3 records; 2 can be imported/);
    assert.match((await check('keycloak', fixture('keycloak-realm.json'))).stdout, /7 records; 5 can be imported, 5 of them with a usable password/);
    const entra = await check('entra', fixture('entra.csv'));
    assert.match(entra.stdout, /1 are not users and will be skipped:\n +1 {2}import\.example_row {2}e\.g\. row 1/);
  });

  it('exit 0 when every record can be imported', async () => {
    const { code, stdout } = await check('keycloak', fixture('keycloak-users-0.json'));
    assert.equal(code, 0, stdout);
    assert.match(stdout, /Every record can be imported/);
  });

  it('contacted no service', () => {
    assert.equal(connections, 0);
  });
});
