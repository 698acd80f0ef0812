/**
 * `muster import` end to end: the real CLI as a child process against a real
 * service process on the embedded store, through the import-job API
 * (prompts/import-api.md). A 100,000-row CSV with progress events on the way;
 * plain lines on a non-TTY; a run killed mid-upload and started again imports
 * every row exactly once (and a third run attaches to the same job); rejected
 * rows come back in FILE.rejected.csv and re-importing the fixed file
 * completes the set; the exit codes; the key never in output or argv.
 * (The pseudo-terminal run: cli-import-tty.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, http, runToEnd, startProcess, type RunningService } from '../helpers/process.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

interface JsonEvent {
  event: string;
  bytes?: number;
  totalBytes?: number;
  job?: { id: string; status: string; totals: { rows: number | null; processed: number; created: number; failed: number } };
  exitCode?: number;
}

/** A CSV of `rows` users named `${prefix}${i}`; `bad(i)` rows get an invalid email. */
function usersCsv(dir: string, name: string, prefix: string, rows: number, bad: (i: number) => boolean = () => false): string {
  const lines = ['username,email,givenName,familyName'];
  for (let i = 1; i <= rows; i += 1) lines.push(`${prefix}${i},${bad(i) ? `not-an-email-${i}` : `${prefix}${i}@example.com`},Given${i},Family${i}`);
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const events = (stdout: string) => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as JsonEvent);

describe('muster import through a running service', () => {
  let service: RunningService;
  let dir: string;
  let key: string;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runToEnd(['src/cli/main.ts', ...args], env);

  /** Every username of `directory`, paging through the users API. */
  async function usernames(directory: string): Promise<string[]> {
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await http(`${service.url}/v1/directories/${directory}/users?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, 'GET', key);
      assert.equal(page.status, 200);
      names.push(...(page.body.users as { username: string }[]).map((u) => u.username));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    return names;
  }

  async function newDirectory(name: string): Promise<void> {
    assert.equal((await http(`${service.url}/v1/directories`, 'POST', key, { name })).status, 201);
  }

  before(async () => {
    const DATA_DIR = mkdtempSync(join(tmpdir(), 'muster-cli-import-'));
    dir = mkdtempSync(join(tmpdir(), 'muster-cli-import-files-'));
    service = await startProcess({ DATA_DIR });
    const created = await runToEnd(['src/cli/main.ts', 'tenants', 'create', 'importers', '--json'], { DATA_DIR, PORT: new URL(service.url).port });
    assert.equal(created.code, 0, created.stderr);
    key = (JSON.parse(created.stdout) as { adminKey: { key: string } }).adminKey.key;
    // The CLI's memory of jobs (importState.ts) stays in this test's folder.
    env = { MUSTER_URL: service.url, MUSTER_KEY: key, XDG_STATE_HOME: dir };
  });
  after(async () => {
    assert.equal(await service.stop(), 0);
  });

  it('imports a 100,000-row CSV, with progress events on the way', async () => {
    await newDirectory('big');
    const file = usersCsv(dir, 'big.csv', 'big', 100_000);
    const run = await cli('import', file, '--directory', 'big', '--json');
    assert.equal(run.code, 0, run.stderr);
    const seen = events(run.stdout);
    assert.ok(seen.some((e) => e.event === 'upload' && e.bytes === e.totalBytes), 'the upload ran to its end');
    const progress = seen.filter((e) => e.event === 'progress');
    assert.ok(progress.length > 0, 'progress events arrive while the job runs');
    assert.ok(progress.some((e) => e.job!.totals.processed < 100_000), 'some progress before the end');
    const done = seen.find((e) => e.event === 'done')!;
    assert.deepEqual([done.job!.status, done.job!.totals.rows, done.job!.totals.created, done.job!.totals.failed], ['completed', 100_000, 100_000, 0]);
    assert.equal(seen.at(-1)!.event, 'summary');
    assert.equal(seen.at(-1)!.exitCode, 0);
    assert.ok(!run.stdout.includes(key) && !run.stderr.includes(key), 'the key is never echoed');
  });

  it('prints plain progress lines and the summary on a non-TTY', async () => {
    await newDirectory('plain');
    const file = usersCsv(dir, 'plain.csv', 'plain', 20_000);
    const run = await cli('import', file, '--directory', 'plain');
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stderr.split('\n').filter(Boolean);
    assert.ok(lines.length >= 3, run.stderr);
    for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (hashing|uploading|note|job \S+ (queued|running|completed)) /, line);
    assert.ok(!run.stderr.includes('\r') && !run.stderr.includes('\u001b'), 'no redraws, no escape sequences');
    assert.match(lines.at(-1)!, /completed 100\.0% \| 20,000\/20,000 rows/);
    assert.match(run.stdout, /created\s+│ 20,000/);
    assert.match(run.stdout, /failed\s+│ 0/);
  });

  it('killed mid-upload and run again, imports every row exactly once; a third run attaches to the same job', async () => {
    await newDirectory('resumed');
    const rows = 60_000;
    const file = usersCsv(dir, 'resumed.csv', 'resumed', rows);
    const args = ['src/cli/main.ts', 'import', file, '--directory', 'resumed', '--json'];
    const first = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let firstOut = '';
    first.stdout.on('data', (chunk: Buffer) => {
      firstOut += chunk.toString();
      if (/"event":"upload","bytes":\d+,"totalBytes"/.test(firstOut)) first.kill('SIGKILL');
    });
    await once(first, 'exit');
    assert.ok(!events(firstOut).some((e) => e.event === 'accepted'), 'killed before the service answered the upload');

    const second = await cli('import', file, '--directory', 'resumed', '--json');
    assert.equal(second.code, 0, second.stderr);
    const done = events(second.stdout).find((e) => e.event === 'done')!;
    assert.equal(done.job!.totals.created, rows);
    const names = await usernames('resumed');
    assert.equal(names.length, rows);
    assert.equal(new Set(names).size, rows, 'no user twice');

    const third = await cli('import', file, '--directory', 'resumed', '--json');
    assert.equal(third.code, 0, third.stderr);
    const thirdEvents = events(third.stdout);
    assert.ok(thirdEvents.some((e) => e.event === 'note' && /already has this job/.test(JSON.stringify(e))), third.stdout.slice(0, 2000));
    assert.equal(thirdEvents.find((e) => e.event === 'done')!.job!.id, done.job!.id, 'the same job');
    assert.ok(!thirdEvents.some((e) => e.event === 'upload'), 'the file is not sent again');
    assert.equal((await usernames('resumed')).length, rows, 'nothing imported twice');
  });

  it('writes the rejected rows to FILE.rejected.csv; the fixed file completes the set', async () => {
    await newDirectory('rejects');
    const rows = 1000;
    const bad = (i: number) => i % 100 === 7;
    const file = usersCsv(dir, 'rejects.csv', 'rej', rows, bad);
    const report = join(dir, 'rejects.report.ndjson');
    const run = await cli('import', file, '--directory', 'rejects', '--report', report);
    assert.equal(run.code, 2, `some rows failed: exit 2\n${run.stderr}`);
    assert.match(run.stdout, /failed\s+│ 10\b/);
    assert.match(run.stdout, /user\.\S+\s+│ 10\s+│ row 7 \(line 8\)/, 'the error code with an example row');

    const rejectedFile = join(dir, 'rejects.rejected.csv');
    assert.ok(existsSync(rejectedFile), run.stdout);
    const rejected = readFileSync(rejectedFile, 'utf8').trim().split(/\r?\n/);
    assert.equal(rejected[0], 'username,email,givenName,familyName,error', 'the input\'s columns plus error');
    assert.equal(rejected.length, 11);
    assert.ok(rejected.slice(1).every((line) => /^rej\d+,not-an-email-\d+,/.test(line)), rejected.join('\n'));
    const reportLines = readFileSync(report, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { status: string });
    assert.equal(reportLines.length, rows);
    assert.equal(reportLines.filter((r) => r.status === 'failed').length, 10);

    writeFileSync(rejectedFile, readFileSync(rejectedFile, 'utf8').replace(/not-an-email-(\d+)/g, 'fixed$1@example.com'));
    const rerun = await cli('import', rejectedFile, '--directory', 'rejects');
    assert.equal(rerun.code, 0, rerun.stderr + rerun.stdout);
    assert.match(rerun.stdout, /created\s+│ 10\b/);
    const names = await usernames('rejects');
    assert.equal(names.length, rows);
    assert.deepEqual(new Set(names), new Set(Array.from({ length: rows }, (_, i) => `rej${i + 1}`)));
  });

  it('exits 1 when the job fails or is refused, 64 on usage errors, 69 when the service cannot be reached', async () => {
    await newDirectory('codes');
    const notArray = join(dir, 'not-an-array.json');
    writeFileSync(notArray, '{"users": "none"}\n');
    const failed = await cli('import', notArray, '--directory', 'codes', '--format', 'json', '--json');
    assert.equal(failed.code, 1, failed.stderr);
    assert.equal(events(failed.stdout).find((e) => e.event === 'done')!.job!.status, 'failed');

    const file = usersCsv(dir, 'codes.csv', 'code', 10);
    const dry = await cli('import', file, '--directory', 'codes', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /dry run/);
    assert.deepEqual(await usernames('codes'), [], 'a dry run writes nothing');

    // The error is one line of its own (progress lines of the stages before it may precede it on a non-TTY).
    const oneLine = (text: string) => text.trim().split('\n').filter((line) => line.startsWith('muster:')).length === 1 && text.trim().split('\n').at(-1)!.startsWith('muster:');
    const wrongKey = await runToEnd(['src/cli/main.ts', 'import', file, '--directory', 'codes'], { MUSTER_URL: service.url, MUSTER_KEY: `wrong-${'x'.repeat(40)}` });
    assert.equal(wrongKey.code, 1);
    assert.ok(oneLine(wrongKey.stderr), wrongKey.stderr);
    assert.match(wrongKey.stderr, /auth\.invalid_key/);

    const missingDirectory = await cli('import', file, '--directory', 'no-such-directory');
    assert.equal(missingDirectory.code, 1, missingDirectory.stderr);
    assert.match(missingDirectory.stderr, /not_found/);

    const usage = await cli('import', file);
    assert.equal(usage.code, 64);
    assert.ok(oneLine(usage.stderr), usage.stderr);
    assert.match(usage.stderr, /--directory/);
    assert.equal((await cli('import', join(dir, 'missing.csv'), '--directory', 'codes')).code, 64);
    assert.equal((await runToEnd(['src/cli/main.ts', 'import', file, '--directory', 'codes'], { MUSTER_URL: service.url })).code, 64, 'no key');

    const nowhere = await runToEnd(['src/cli/main.ts', 'import', file, '--directory', 'codes'], { MUSTER_URL: `http://127.0.0.1:${await freePort()}`, MUSTER_KEY: key });
    assert.equal(nowhere.code, 69);
    assert.ok(oneLine(nowhere.stderr), nowhere.stderr);
    assert.match(nowhere.stderr, /cannot reach the service/);
  });

  it('muster jobs lists, shows and reports jobs; --key-file keeps the key out of the process list', async () => {
    const keyFile = join(dir, 'api.key');
    writeFileSync(keyFile, key + '\n', { mode: 0o600 });
    const file = usersCsv(dir, 'jobs.csv', 'jobs', 5000);
    await newDirectory('jobs');
    const child = spawn(process.execPath, ['src/cli/main.ts', 'import', file, '--directory', 'jobs', '--key-file', keyFile, '--json'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', MUSTER_URL: service.url, XDG_STATE_HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0);
    assert.ok(!cmdline.includes(key), 'the key is not in the process list');
    const jobId = events(out).find((e) => e.event === 'done')!.job!.id;

    const listed = await cli('jobs', '--directory', 'jobs');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^${jobId}  jobs  completed`, 'm'));
    const shown = await cli('jobs', 'show', jobId, '--json');
    assert.equal(JSON.parse(shown.stdout).totals.created, 5000);
    const report = await cli('jobs', 'report', jobId, '--status', 'created', '--format', 'csv');
    assert.equal(report.code, 0, report.stderr);
    assert.equal(report.stdout.trim().split('\n').length, 5001, 'a header and one line per row');
    const undo = await cli('jobs', 'undo', jobId);
    assert.equal(undo.code, 0, undo.stderr);
    const notFound = await cli('jobs', 'show', '00000000-0000-7000-8000-000000000000');
    assert.equal(notFound.code, 1);
    assert.match(notFound.stderr, /import\.not_found/);
  });
});
