/**
 * `npm start` as the README says, then a signal to the npm process (what a
 * supervisor, `timeout` or `kill` sends to the process it started): the server
 * must stop with it, not live on as an orphan holding the port and the data
 * directory. Real processes; the server's pid comes from its own log line.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort, isPortFree, isRunning, waitFor } from '../helpers/process.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('signals reach the server started by npm start', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to the npm process stops the server and frees the port`, async () => {
      const port = await freePort();
      const npm = spawn('npm', ['start', '--silent'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), HOST: '127.0.0.1', PORT: String(port), DATA_DIR: mkdtempSync(join(tmpdir(), 'muster-signal-')) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = once(npm, 'exit');
      let stdout = '';
      npm.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      npm.stderr.resume();
      const readyLine = () => stdout.split('\n').find((line) => line.includes('"muster is ready"'));
      await waitFor('the service to be ready', () => readyLine() !== undefined || npm.exitCode !== null, 90_000);
      const serverPid = (JSON.parse(readyLine()!) as { pid: number }).pid;
      assert.notEqual(serverPid, npm.pid, 'npm runs the server as its child');

      npm.kill(signal);
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0, 'npm exits with the server\'s clean exit code');
      await waitFor(`server process ${serverPid} to end`, () => !isRunning(serverPid));
      await waitFor(`port ${port} to be free`, () => isPortFree(port));
      assert.match(stdout, /"msg":"stopped"/, 'the server shut down gracefully');
    });
  }
});
