/**
 * The embedded store's data directory lock (`DATA_DIR/muster.pid`), with real
 * processes: a second service or the CLI on a held directory is refused with
 * one line and exit code 2 (like a configuration error), and a pid file left by
 * a crash whose pid now belongs to an unrelated live process does not stop the
 * next start.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isRunning, runToEnd, startProcess, waitFor } from '../helpers/process.ts';

const oneLine = (text: string) => text.trim().split('\n').length === 1;

describe('the embedded data directory lock', () => {
  it('refuses a second service and the CLI with one line and exit code 2', async () => {
    const DATA_DIR = mkdtempSync(join(tmpdir(), 'muster-lock-'));
    const first = await startProcess({ DATA_DIR });
    try {
      const second = await runToEnd(['src/main.ts'], { DATA_DIR, PORT: '0' });
      assert.equal(second.code, 2, second.stderr);
      assert.ok(oneLine(second.stderr), `one line, no stack trace:\n${second.stderr}`);
      assert.match(second.stderr, new RegExp(`in use by process ${first.process.pid}`));

      const cli = await runToEnd(['src/cli/main.ts', 'migrate'], { DATA_DIR });
      assert.equal(cli.code, 2, cli.stderr);
      assert.ok(oneLine(cli.stderr), `one line, no stack trace:\n${cli.stderr}`);
      assert.match(cli.stderr, /in use by process/);
    } finally {
      assert.equal(await first.stop(), 0);
    }
  });

  it('starts over a pid file whose pid now belongs to an unrelated live process', async () => {
    const DATA_DIR = mkdtempSync(join(tmpdir(), 'muster-lock-'));
    const crashed = await startProcess({ DATA_DIR });
    const deadPid = crashed.process.pid!;
    crashed.process.kill('SIGKILL');
    await waitFor('the killed service to be gone', () => !isRunning(deadPid));

    // The pid is reused: an unrelated process now has it. Put that pid where the dead one was.
    const unrelated = spawn('sleep', ['300'], { stdio: 'ignore' });
    try {
      const pidFile = join(DATA_DIR, 'muster.pid');
      const left = readFileSync(pidFile, 'utf8');
      assert.ok(left.includes(String(deadPid)), 'the crash left the pid file');
      writeFileSync(pidFile, left.replace(String(deadPid), String(unrelated.pid)));

      const next = await startProcess({ DATA_DIR });
      assert.equal(await next.stop(), 0);
    } finally {
      unrelated.kill('SIGKILL');
    }
  });
});
