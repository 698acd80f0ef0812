/**
 * The parts of `muster import` that need no service: argument parsing into
 * the job request, the Idempotency-Key's derivation, the progress texts and
 * views, the summary, and the atomic writing of the rejected-rows file.
 * (Against a real service: test/e2e/cli-import*.test.ts.)
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EXIT, exitCodeFor, type ImportJob } from '../../src/cli/importJob.ts';
import { idempotencyKey, parseImportArgs, UsageError, type ImportCommand, type UploadRequest } from '../../src/cli/importOptions.ts';
import { jobProgressText, jsonView, plainLine, plainView, transferText, formatDuration } from '../../src/cli/importProgress.ts';
import { rejectedPath, writeAtomically } from '../../src/cli/importReport.ts';
import { exampleText, summaryText } from '../../src/cli/importSummary.ts';
import { sha256File } from '../../src/cli/importUpload.ts';
import { providerOf } from '../../src/cli/migrateFrom.ts';

function uploadOf(command: ImportCommand): UploadRequest {
  assert.equal(command.kind, 'upload');
  return (command as Extract<ImportCommand, { kind: 'upload' }>).upload;
}

function job(overrides: Partial<ImportJob> = {}): ImportJob {
  return {
    id: '0193f7c2-0000-7000-8000-000000000001',
    directory: 'staff',
    status: 'running',
    format: 'csv',
    options: {},
    bytes: 1000,
    totals: { rows: 100_000, processed: 45_000, created: 44_000, updated: 0, skipped: 0, failed: 1000 },
    progress: { percent: 45, rowsPerSecond: 1234.4, etaSeconds: 45 },
    failures: [],
    error: null,
    undo: null,
    createdAt: '2026-12-01T10:00:00.000Z',
    startedAt: '2026-12-01T10:00:00.000Z',
    finishedAt: null,
    ...overrides,
  };
}

describe('muster import arguments', () => {
  it('turn into the contract\'s job options, with defaults left out', () => {
    const upload = uploadOf(parseImportArgs([
      'staff.csv', '--directory', 'staff', '--map', 'E-mail=email', '--map', 'a=b=username', '--on-conflict', 'skip',
      '--dry-run', '--invite', '--redirect-url', 'https://app.example/welcome', '--delimiter', 'tab', '--external-id', 'Id', '--mode', 'partial',
    ]));
    assert.equal(upload.file, 'staff.csv');
    assert.equal(upload.directory, 'staff');
    assert.equal(upload.contentType, 'text/csv');
    assert.deepEqual(upload.options, {
      onConflict: 'skip',
      dryRun: 'true',
      invite: 'true',
      redirectUrl: 'https://app.example/welcome',
      mapping: JSON.stringify({ 'E-mail': 'email', 'a=b': 'username' }),
      delimiter: '\t',
      externalId: 'Id',
    });
    assert.deepEqual(uploadOf(parseImportArgs(['u.csv', '-d', 'x', '--mode', 'partial', '--on-conflict', 'fail'])).options, {}, 'defaults are not options');
  });

  it('take the content type from the extension, else from the format', () => {
    assert.equal(uploadOf(parseImportArgs(['u.ndjson', '-d', 'x'])).contentType, 'application/x-ndjson');
    assert.equal(uploadOf(parseImportArgs(['u.JSON', '-d', 'x'])).contentType, 'application/json');
    assert.equal(uploadOf(parseImportArgs(['export.txt', '-d', 'x', '--format', 'auth0'])).contentType, 'application/json');
    assert.throws(() => parseImportArgs(['export.txt', '-d', 'x']), /give --format/);
  });

  it('refuse what the service would refuse, with a line that says what to do', () => {
    const refusals: [string[], RegExp][] = [
      [['u.csv'], /--directory <name> is required/],
      [[], /give the FILE/],
      [['a.csv', 'b.csv', '-d', 'x'], /one FILE at a time/],
      [['u.csv', '-d', 'x', '--mode', 'all'], /--mode must be one of partial, atomic/],
      [['u.csv', '-d', 'x', '--on-conflict', 'replace'], /--on-conflict must be one of fail, skip, upsert/],
      [['u.csv', '-d', 'x', '--format', 'xml'], /--format must be one of/],
      [['u.csv', '-d', 'x', '--map', 'email'], /--map takes SOURCE=FIELD/],
      [['u.csv', '-d', 'x', '--message', 'hi'], /go with --invite/],
      [['u.csv', '-d', 'x', '--delimiter', '|'], /--delimiter must be one of/],
      [['u.csv', '-d', 'x', '--option', 'mode=atomic'], /use the command's own flag/],
    ];
    for (const [argv, message] of refusals) assert.throws(() => parseImportArgs(argv), (error: Error) => error instanceof UsageError && message.test(error.message), argv.join(' '));
    assert.throws(() => parseImportArgs(['u.csv', '-d', 'x', '--signer-key', 'k']), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' }, 'Firebase flags belong to migrate-from');
  });

  it('--attach names a job, FILE optional; --report and --json are kept', () => {
    const attach = parseImportArgs(['--attach', 'job-1', 'u.csv', '--report', 'r.csv', '--json']);
    assert.deepEqual({ kind: attach.kind, report: attach.reportPath, json: attach.json }, { kind: 'attach', report: 'r.csv', json: true });
    assert.equal((attach as Extract<ImportCommand, { kind: 'attach' }>).jobId, 'job-1');
    assert.equal(parseImportArgs(['--help']).kind, 'help');
  });

  it('migrate-from sets the format and maps Firebase\'s flags to its job options', () => {
    const upload = uploadOf(parseImportArgs(['users.json', '-d', 'x', '--signer-key', 'c2lnbmVy', '--salt-separator', 'Bw==', '--rounds', '8', '--mem-cost', '14'], providerOf('firebase')));
    assert.deepEqual(upload.options, { format: 'firebase', signerKey: 'c2lnbmVy', saltSeparator: 'Bw==', rounds: '8', memCost: '14' });
    assert.throws(() => parseImportArgs(['users.json', '-d', 'x', '--rounds', 'eight'], 'firebase'), /--rounds must be a positive integer/);
    const fromEnv = { MUSTER_FIREBASE_SIGNER_KEY: 'ZnJvbS1lbnY=' };
    assert.equal(uploadOf(parseImportArgs(['users.json', '-d', 'x'], 'firebase', fromEnv)).options.signerKey, 'ZnJvbS1lbnY=', 'the signer key from the environment');
    assert.equal(uploadOf(parseImportArgs(['users.json', '-d', 'x', '--signer-key', 'ZmxhZw=='], 'firebase', fromEnv)).options.signerKey, 'ZmxhZw==', 'the flag wins');
    assert.equal(uploadOf(parseImportArgs(['users.json', '-d', 'x'], 'keycloak', fromEnv)).options.signerKey, undefined, 'only for Firebase');
    assert.throws(() => parseImportArgs(['users.json', '-d', 'x', '--rounds', '8'], 'keycloak'), /is a Firebase option/);
    assert.throws(() => parseImportArgs(['u.csv', '-d', 'x', '--format', 'csv'], 'cognito'), /leave out --format/);
    assert.deepEqual(uploadOf(parseImportArgs(['realm.json', '-d', 'x', '--option', 'realm=acme'], 'keycloak')).options, { format: 'keycloak', realm: 'acme' });
    assert.throws(() => providerOf('okta'), /auth0, firebase, keycloak, cognito, entra/);
  });
});

describe('the Idempotency-Key', () => {
  const request = { directory: 'staff', contentType: 'text/csv', options: { onConflict: 'skip', mapping: '{"E-mail":"email"}' } };
  const sha = createHash('sha256').update('username\nada\n').digest('hex');

  it('is the same for the same file and options, in any order of the options', () => {
    const reordered = { ...request, options: { mapping: '{"E-mail":"email"}', onConflict: 'skip' } };
    assert.equal(idempotencyKey(sha, request), idempotencyKey(sha, reordered));
    assert.match(idempotencyKey(sha, request), /^muster-import-[0-9a-f]{64}$/);
  });

  it('differs when the file, the directory, the content type or any option differs', () => {
    const key = idempotencyKey(sha, request);
    const other = createHash('sha256').update('username\nbob\n').digest('hex');
    for (const changed of [
      idempotencyKey(other, request),
      idempotencyKey(sha, { ...request, directory: 'other' }),
      idempotencyKey(sha, { ...request, contentType: 'application/json' }),
      idempotencyKey(sha, { ...request, options: { ...request.options, dryRun: 'true' } }),
      idempotencyKey(sha, { ...request, options: { onConflict: 'upsert', mapping: '{"E-mail":"email"}' } }),
    ]) assert.notEqual(changed, key);
  });

  it('reveals no option value (a signer key stays out of it)', () => {
    const key = idempotencyKey(sha, { ...request, options: { signerKey: 'very-secret-signer-key' } });
    assert.doesNotMatch(key, /secret/);
  });

  it('hashes the file as a stream, to the same digest as reading it whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muster-cli-unit-'));
    const file = join(dir, 'big.csv');
    const content = 'username,email\n' + Array.from({ length: 20_000 }, (_, i) => `u${i},u${i}@example.com`).join('\n');
    writeFileSync(file, content);
    const seen: number[] = [];
    assert.equal(await sha256File(file, (bytes) => seen.push(bytes)), createHash('sha256').update(content).digest('hex'));
    assert.ok(seen.length > 1, 'progress is reported chunk by chunk');
    assert.equal(seen.at(-1), Buffer.byteLength(content));
  });
});

describe('progress texts and views', () => {
  it('show rows done/total, percent, rate, ETA and the running counts', () => {
    assert.equal(jobProgressText(job()), '45.0% | 45,000/100,000 rows | 1,234 rows/s | ETA 45s | created 44,000 updated 0 skipped 0 failed 1,000');
    assert.match(jobProgressText(job({ totals: { ...job().totals, rows: null }, progress: { percent: 3, rowsPerSecond: 0, etaSeconds: null } })), /45,000\/\? rows \| 0 rows\/s \| ETA \?/);
    assert.equal(transferText(500_000, 2_000_000, 1000), '25.0% | 500.0 kB/2.0 MB | 500.0 kB/s');
    assert.deepEqual([formatDuration(45), formatDuration(185), formatDuration(7620)], ['45s', '3m05s', '2h07m']);
    assert.equal(plainLine(new Date('2026-12-01T10:00:05.123Z'), 'uploading', 'x'), '2026-12-01T10:00:05Z uploading x');
  });

  it('the plain view prints each stage at most once per interval, besides its first and last line', () => {
    const lines: string[] = [];
    let now = Date.parse('2026-12-01T10:00:00Z');
    const view = plainView((line) => lines.push(line), 5000, () => new Date(now));
    for (let sent = 1; sent <= 10; sent += 1) {
      view.uploading(sent * 100, 1000);
      now += 1000;
    }
    assert.deepEqual(lines.map((l) => l.slice(11, 19)), ['10:00:00', '10:00:05', '10:00:09'], 'first, one 5 s later, and the last (100%)');
    lines.length = 0;
    for (let i = 0; i < 12; i += 1) {
      view.job('progress', job());
      now += 1000;
    }
    view.job('done', job({ status: 'completed' }));
    assert.equal(lines.length, 4, lines.join('\n'));
    assert.match(lines.at(-1)!, /job \S+ completed 45\.0%/);
    assert.ok(lines.every((l) => !l.includes('\r') && !l.includes('\u001b')), 'no carriage returns or escape sequences');
  });

  it('the JSON view writes one event per line, transfers at most once a second but for the last', () => {
    const lines: string[] = [];
    let now = 0;
    const view = jsonView((line) => lines.push(line), 1000, () => now);
    view.uploading(10, 30);
    now = 500;
    view.uploading(20, 30);
    view.uploading(30, 30);
    view.job('done', job({ status: 'completed' }));
    const events = lines.map((l) => JSON.parse(l) as { event: string; bytes?: number });
    assert.deepEqual(events.map((e) => e.event), ['upload', 'upload', 'done']);
    assert.deepEqual(events.slice(0, 2).map((e) => e.bytes), [10, 30]);
  });
});

describe('the end of an import', () => {
  it('exit codes: 0 every row, 2 some rows failed, 1 failed or cancelled', () => {
    const completed = job({ status: 'completed', totals: { ...job().totals, failed: 0 } });
    assert.equal(exitCodeFor(completed), EXIT.ok);
    assert.equal(exitCodeFor(job({ status: 'completed' })), EXIT.rowsFailed);
    assert.equal(exitCodeFor(job({ status: 'failed' })), EXIT.failed);
    assert.equal(exitCodeFor(job({ status: 'cancelled', totals: { ...job().totals, failed: 0 } })), EXIT.failed);
    assert.equal(new Set(Object.values(EXIT)).size, Object.keys(EXIT).length, 'every exit code is distinct');
  });

  it('the summary has the counts, duration, rate and each frequent error code with an example row', () => {
    const finished = job({
      status: 'completed',
      totals: { rows: 100_000, processed: 100_000, created: 99_000, updated: 0, skipped: 0, failed: 1000 },
      failures: [{ code: 'user.username_taken', count: 900 }, { code: 'user.email_invalid', count: 100 }],
      finishedAt: '2026-12-01T10:01:40.000Z',
    });
    const text = summaryText(finished, new Map([['user.username_taken', { row: 12, line: 13, status: 'failed', code: 'user.username_taken', message: 'The username is taken.', field: 'username' }]]), { rejected: 'staff.rejected.csv' });
    for (const expected of [/created\s+│ 99,000/, /failed\s+│ 1,000/, /duration\s+│ 1m40s/, /rate\s+│ 1,000 rows\/s/, /user\.username_taken\s+│ 900\s+│ row 12 \(line 13\): The username is taken\. \(username\)/, /user\.email_invalid\s+│ 100/, /staff\.rejected\.csv/]) {
      assert.match(text, expected);
    }
    assert.ok(!text.includes('\u001b'), 'no colours');
    assert.equal(exampleText({ row: 3, status: 'failed', code: 'x.y' }), 'row 3: x.y');
  });

  it('the rejected rows go beside the input file', () => {
    assert.equal(rejectedPath('/data/staff.csv'), '/data/staff.rejected.csv');
    assert.equal(rejectedPath('staff.CSV'), 'staff.rejected.csv');
    assert.equal(rejectedPath('export.txt'), 'export.txt.rejected.csv');
  });

  it('a report file is written whole or not at all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muster-cli-unit-'));
    const path = join(dir, 'staff.rejected.csv');
    await writeAtomically(path, [Buffer.from('username,email,error\n'), Buffer.from('ada,not-an-email,"user.email_invalid: bad (email)"\n')]);
    assert.equal(readFileSync(path, 'utf8'), 'username,email,error\nada,not-an-email,"user.email_invalid: bad (email)"\n');

    async function* dropped() {
      yield Buffer.from('username,email,error\n');
      throw new Error('connection reset');
    }
    await assert.rejects(writeAtomically(path, dropped()), /connection reset/);
    assert.match(readFileSync(path, 'utf8'), /ada/, 'the previous whole file is kept');
    assert.deepEqual(readdirSync(dir), ['staff.rejected.csv'], 'no partial file left behind');
    await assert.rejects(writeAtomically(join(dir, 'new.csv'), dropped()));
    assert.equal(existsSync(join(dir, 'new.csv')), false);
  });
});
