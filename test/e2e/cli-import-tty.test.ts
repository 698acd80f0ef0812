/**
 * `muster import` on a terminal: the real CLI in a tmux pane (a real
 * pseudo-terminal) against a real service process. The progress bar is
 * redrawn in place (the pane never shows two "importing" lines, and the one
 * line changes), and Ctrl-C asks whether to cancel or detach: "c" cancels the
 * job, which ends `cancelled` with exit code 1.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { http, runToEnd, startProcess, waitFor, type RunningService } from '../helpers/process.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });

describe('muster import in a terminal', { skip: !hasTmux() && 'tmux is not installed' }, () => {
  let service: RunningService;
  let dir: string;
  let keyFile: string;
  const sessions: string[] = [];

  /** Runs the CLI in a new 200x50 tmux pane (key from a file: nothing secret on a command line); the pane shows EXIT=<code> at the end. */
  function inPane(name: string, args: string[]): { screen: () => string } {
    const session = `muster-cli-${process.pid}-${name}`;
    const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const command = `cd '${ROOT}' && MUSTER_URL='${service.url}' XDG_STATE_HOME='${dir}' '${process.execPath}' src/cli/main.ts ${quoted} --key-file '${keyFile}'; echo EXIT=$?; sleep 600`;
    tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', command);
    sessions.push(session);
    return { screen: () => tmux('capture-pane', '-p', '-t', session) };
  }

  function usersCsv(name: string, rows: number): string {
    const lines = ['username,email'];
    for (let i = 1; i <= rows; i += 1) lines.push(`${name}${i},${name}${i}@example.com`);
    const file = join(dir, `${name}.csv`);
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  }

  before(async () => {
    const DATA_DIR = mkdtempSync(join(tmpdir(), 'muster-cli-tty-'));
    dir = mkdtempSync(join(tmpdir(), 'muster-cli-tty-files-'));
    service = await startProcess({ DATA_DIR });
    const created = await runToEnd(['src/cli/main.ts', 'tenants', 'create', 'terminal', '--json'], { DATA_DIR, PORT: new URL(service.url).port });
    assert.equal(created.code, 0, created.stderr);
    const key = (JSON.parse(created.stdout) as { adminKey: { key: string } }).adminKey.key;
    keyFile = join(dir, 'api.key');
    writeFileSync(keyFile, key + '\n', { mode: 0o600 });
    for (const name of ['bar', 'cancel']) assert.equal((await http(`${service.url}/v1/directories`, 'POST', key, { name })).status, 201);
  });
  after(async () => {
    for (const session of sessions) tmux('kill-session', '-t', session);
    assert.equal(await service.stop(), 0);
  });

  it('redraws one progress bar in place', async () => {
    const pane = inPane('bar', ['import', usersCsv('bar', 100_000), '--directory', 'bar']);
    const barLines = new Set<string>();
    await waitFor('the end of the import', () => {
      const screen = pane.screen();
      const importing = screen.split('\n').filter((line) => line.startsWith('importing'));
      assert.ok(importing.length <= 1, `one bar, redrawn, not a line per update:\n${screen}`);
      if (importing[0]) barLines.add(importing[0]);
      return /EXIT=\d+/.test(screen);
    }, 300_000);
    const screen = pane.screen();
    assert.match(screen, /EXIT=0/, screen);
    assert.ok(barLines.size >= 2, `the bar changed in place (${[...barLines].join(' / ')})`);
    assert.match(screen, /^importing .*completed 100\.0% \| 100,000\/100,000 rows/m);
    assert.match(screen, /created\s+│ 100,000/);
  });

  it('Ctrl-C asks whether to cancel or detach; "c" cancels the job (exit 1)', async () => {
    const pane = inPane('cancel', ['import', usersCsv('cancel', 100_000), '--directory', 'cancel']);
    const session = sessions.at(-1)!;
    await waitFor('the job running', () => /^importing .* running /m.test(pane.screen()), 120_000);
    tmux('send-keys', '-t', session, 'C-c');
    await waitFor('the question', () => pane.screen().includes('Cancel the import (c), or detach and leave it running (d)?'));
    tmux('send-keys', '-t', session, 'c', 'Enter');
    await waitFor('the end', () => /EXIT=\d+/.test(pane.screen()), 120_000);
    const screen = pane.screen();
    assert.match(screen, /EXIT=1/, screen);
    assert.match(screen, /status\s+│ cancelled/);
  });
});
