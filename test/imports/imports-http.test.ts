/** Import jobs over the native API, on both stores: formats, partial and atomic, report, cancel, undo, events. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';
import { finished, reportLines, upload, type ImportCall } from './helpers.ts';

for (const kind of STORE_KINDS) {
  describe(`import jobs: ${kind}`, () => {
    let svc: TestService;
    let key: string;
    let call: ImportCall;
    let dirCount = 0;

    before(async () => {
      svc = await startTestService(kind, { OUTBOX_POLL_MS: '50' });
      ({ adminKey: key } = await svc.newTenant());
      call = { svc, key };
    });
    after(() => svc.close());

    async function directory(): Promise<string> {
      const name = `imp${++dirCount}`;
      await svc.call('POST', '/v1/directories', { key, body: { name } });
      return name;
    }
    const users = async (dir: string) =>
      (await svc.call('GET', `/v1/directories/${dir}/users?limit=200`, { key })).body.users as { username: string; email: string | null; givenName: string | null; attributes: Record<string, unknown>; externalId: string | null }[];

    it('imports a CSV with a BOM, ; delimiter, quoted newlines, headers matched by name, attributes and a mapping', async () => {
      const dir = await directory();
      const csv = '\ufeffUser Name;E-Mail;first_name;attributes.team;Personnel No\r\nada;ada@example.com;Ada;"research\nlab";P1\r\nbob;bob@example.com;Bob;ops;P2\r\n';
      const started = await upload(call, dir, csv, 'text/csv', `externalId=${encodeURIComponent('Personnel No')}`);
      assert.equal(started.status, 202, started.text);
      assert.equal(started.headers.location, `/v1/imports/${started.body.id}`);
      assert.equal(started.body.format, 'csv');
      const job = await finished(call, started.body.id);
      assert.equal(job.status, 'completed', JSON.stringify(job));
      assert.deepEqual(job.totals, { rows: 2, processed: 2, created: 2, updated: 0, skipped: 0, failed: 0 });
      assert.equal(job.progress.percent, 100);
      const made = await users(dir);
      assert.deepEqual(
        made.map((u) => [u.username, u.email, u.givenName, u.attributes.team, u.externalId]),
        [
          ['ada', 'ada@example.com', 'Ada', 'research\nlab', 'P1'],
          ['bob', 'bob@example.com', 'Bob', 'ops', 'P2'],
        ],
      );
      const report = await reportLines(call, job.id);
      assert.deepEqual(report.map((r) => [r.row, r.line, r.status, r.username]), [
        [1, 2, 'created', 'ada'],
        [2, 4, 'created', 'bob'],
      ]);
    });

    it('imports NDJSON and a JSON array of native user objects', async () => {
      const dir = await directory();
      const ndjson = '{"username":"n1","email":"n1@example.com","attributes":{"k":1}}\n\nnot json\n{"username":"n2","displayName":"N Two"}\n';
      const a = await finished(call, (await upload(call, dir, ndjson, 'application/x-ndjson')).body.id);
      assert.deepEqual([a.status, a.totals.created, a.totals.failed], ['completed', 2, 1]);
      const failedLine = (await reportLines(call, a.id, 'status=failed'))[0]!;
      assert.deepEqual([failedLine.row, failedLine.line, failedLine.code], [2, 3, 'import.unreadable_row']);
      const json = JSON.stringify([{ username: 'j1', password: 'a long enough password' }, { username: 'j2', groupIds: [] }]);
      const b = await finished(call, (await upload(call, dir, json, 'application/json')).body.id);
      assert.deepEqual([b.status, b.format, b.totals.created], ['completed', 'json', 2]);
      assert.deepEqual((await users(dir)).map((u) => u.username).sort(), ['j1', 'j2', 'n1', 'n2']);
      const authenticated = await svc.call('POST', `/v1/directories/${dir}/authenticate`, { key, body: { username: 'j1', password: 'a long enough password' } });
      assert.equal(authenticated.status, 200, authenticated.text);
    });

    it('10,000 rows with 10% bad: exactly 9,000 users and 1,000 failed report lines with row numbers and codes', async () => {
      const dir = await directory();
      const lines = ['username,email'];
      for (let i = 1; i <= 10_000; i++) lines.push(i % 10 === 0 ? `bad${i},no-at-sign-${i}` : `u${i},u${i}@example.com`);
      const started = await upload(call, dir, lines.join('\n'), 'text/csv');
      const job = await finished(call, started.body.id, 120_000);
      assert.deepEqual(job.totals, { rows: 10_000, processed: 10_000, created: 9_000, updated: 0, skipped: 0, failed: 1_000 });
      assert.deepEqual(job.failures, [{ code: 'user.invalid_email', count: 1_000 }]);
      const count = await svc.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM users u JOIN directories d ON d.tenant_id = u.tenant_id AND d.id = u.directory_id WHERE d.name = $1',
        [dir],
      );
      assert.equal(count.rows[0]!.n, 9_000);
      const failed = await reportLines(call, job.id, 'status=failed&format=ndjson');
      assert.equal(failed.length, 1_000);
      assert.deepEqual(failed.slice(0, 2).map((r) => [r.row, r.line, r.code, r.field]), [
        [10, 11, 'user.invalid_email', 'email'],
        [20, 21, 'user.invalid_email', 'email'],
      ]);
      assert.equal((await reportLines(call, job.id, 'status=all')).length, 10_000);
    });

    it('a user repeated in the chunks after it: created once, every repeat reported (chunks commit in row order)', async () => {
      const dir = await directory();
      // 3,000 rows, chunks of 1,000: rows 1,501-3,000 repeat rows 1-1,500, so chunks 2 and 3 repeat what the chunk before wrote.
      const lines = ['username,email'];
      for (let i = 1; i <= 3_000; i++) lines.push(`rep${((i - 1) % 1_500) + 1},rep${((i - 1) % 1_500) + 1}@example.com`);
      const job = await finished(call, (await upload(call, dir, lines.join('\n'), 'text/csv')).body.id, 120_000);
      assert.deepEqual(job.totals, { rows: 3_000, processed: 3_000, created: 1_500, updated: 0, skipped: 0, failed: 1_500 });
      const failed = await reportLines(call, job.id, 'status=failed&format=ndjson');
      assert.deepEqual(failed.map((r) => r.row), Array.from({ length: 1_500 }, (_, i) => 1_501 + i));
      assert.ok(failed.every((r) => r.code === 'user.username_taken' || r.code === 'user.email_taken'), 'each repeat is a taken username or email');
      const skipping = await finished(call, (await upload(call, dir, lines.join('\n'), 'text/csv', 'onConflict=skip')).body.id, 120_000);
      assert.deepEqual(skipping.totals, { rows: 3_000, processed: 3_000, created: 0, updated: 0, skipped: 3_000, failed: 0 });
    });

    it('an atomic job with one bad row writes nothing and says why', async () => {
      const dir = await directory();
      const csv = ['username,email', ...Array.from({ length: 2500 }, (_, i) => (i === 2400 ? `a${i},no-at-sign` : `a${i},`))].join('\n');
      const job = await finished(call, (await upload(call, dir, csv, 'text/csv', 'mode=atomic')).body.id);
      assert.equal(job.status, 'failed');
      assert.equal(job.error.code, 'import.atomic_failed');
      assert.deepEqual(job.totals, { rows: 2500, processed: 2500, created: 0, updated: 0, skipped: 0, failed: 2500 });
      assert.deepEqual(await users(dir), []);
      const failed = await reportLines(call, job.id, 'status=failed');
      assert.equal(failed.length, 2500);
      assert.deepEqual(failed.filter((r) => r.code !== 'batch.aborted').map((r) => [r.row, r.code]), [[2401, 'user.invalid_email']]);
    });

    it('an atomic job with valid rows writes them all', async () => {
      const dir = await directory();
      const csv = ['username', ...Array.from({ length: 1500 }, (_, i) => `ok${i}`)].join('\n');
      const job = await finished(call, (await upload(call, dir, csv, 'text/csv', 'mode=atomic')).body.id);
      assert.deepEqual([job.status, job.totals.created, job.totals.failed], ['completed', 1500, 0]);
      // The write pass replaces the validation pass's report rows whole: none keeps its batch.aborted.
      const report = await reportLines(call, job.id, 'format=ndjson');
      assert.equal(report.length, 1500);
      assert.ok(report.every((r) => r.status === 'created' && !r.code && !r.message && typeof r.userId === 'string'), 'every row created, with its user and no error');
    });

    it('the report in CSV, and the rejected rows in the input\'s own columns, ready to fix (no password)', async () => {
      const dir = await directory();
      const csv = 'username,email,password,Team\nok1,,a long enough password,x\n"bad, name",nope,secret password 1,"y ""q"""\n';
      const job = await finished(call, (await upload(call, dir, csv, 'text/csv')).body.id);
      const report = await svc.call('GET', `/v1/imports/${job.id}/report?format=csv`, { key });
      assert.match(String(report.headers['content-type']), /^text\/csv/);
      const lines = report.text.split('\r\n');
      assert.equal(lines[0], 'row,line,status,userId,username,code,message,field');
      assert.match(lines[1]!, /^1,2,created,[0-9a-f-]{36},ok1,,,$/);
      assert.match(lines[2]!, /^2,3,failed,,"bad, name",user\.invalid_email,.*,email$/);
      const rejected = await svc.call('GET', `/v1/imports/${job.id}/report?status=failed&format=csv&rejected=true`, { key });
      assert.match(rejected.text, /^username,email,password,Team,error\r\n"bad, name",nope,,"y ""q""",user\.invalid_email: .* \(email\)\r\n$/);
      assert.ok(!rejected.text.includes('secret password'));
      assert.ok(!report.text.includes('password 1'));
    });

    it('takes the file from a multipart/form-data part `file`, with options as fields', async () => {
      const dir = await directory();
      const boundary = 'muster-boundary-1';
      const body =
        `--${boundary}\r\nContent-Disposition: form-data; name="onConflict"\r\n\r\nskip\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="staff.csv"\r\nContent-Type: text/csv\r\n\r\nusername,email\r\nmp1,mp1@example.com\r\nmp1,mp1@example.com\r\n` +
        `\r\n--${boundary}--\r\n`;
      const started = await upload(call, dir, body, `multipart/form-data; boundary=${boundary}`);
      assert.equal(started.status, 202, started.text);
      assert.equal(started.body.options.onConflict, 'skip');
      const job = await finished(call, started.body.id);
      assert.deepEqual([job.status, job.totals.created, job.totals.failed], ['completed', 1, 1]);
      assert.deepEqual((await users(dir)).map((u) => u.username), ['mp1']);
    });

    it('refuses a multipart body that is not well-formed to its end with a 400, and starts no job', async () => {
      const dir = await directory();
      const boundary = 'muster-boundary-2';
      const type = `multipart/form-data; boundary=${boundary}`;
      const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
      const file = (name: string, csv: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n`;
      const end = `--${boundary}--\r\n`;
      const refused: [string, string, string, string][] = [
        ['a NUL byte for a body', '\u0000', type, 'request.malformed_multipart'],
        ['no closing boundary after the file', file('file', 'username\ncut1\n'), type, 'request.malformed_multipart'],
        ['no boundary in the Content-Type', file('file', 'username\nnob1\n') + end, 'multipart/form-data', 'request.malformed_multipart'],
        ['a field named __proto__', field('__proto__', 'x') + file('file', 'username\nproto1\n') + end, type, 'request.malformed_multipart'],
        ['a second file part', file('file', 'username\ntwo1\n') + file('other', 'username\ntwo2\n') + end, type, 'request.malformed_multipart'],
        ['an option after the file, which would be ignored', file('file', 'username\nlate1\n') + field('mode', 'atomic') + end, type, 'import.invalid_options'],
      ];
      for (const [what, body, contentType, code] of refused) {
        const response = await upload(call, dir, body, contentType);
        assert.deepEqual([response.status, response.body.error?.code], [400, code], `${what}: ${response.text}`);
      }
      const jobs = await svc.call('GET', `/v1/directories/${dir}/imports`, { key });
      assert.deepEqual(jobs.body.imports, []);
      const good = await upload(call, dir, field('mode', 'atomic') + file('file', 'username\nfine1\n') + end, type);
      assert.equal(good.status, 202, good.text);
      assert.equal((await finished(call, good.body.id)).options.mode, 'atomic');
      assert.deepEqual((await users(dir)).map((u) => u.username), ['fine1']);
    });

    it('a client that hangs up mid-upload leaves no job, logged at info rather than as an unexpected error', async () => {
      const socketService = await startTestService(kind, {}, { transport: 'socket' });
      try {
        const { adminKey } = await socketService.newTenant();
        const { port } = socketService.app.server.address() as AddressInfo;
        const client = connect(port, '127.0.0.1');
        await once(client, 'connect');
        client.write(
          `POST /v1/directories/default/imports HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${adminKey}\r\n` +
            'Content-Type: text/csv\r\nContent-Length: 100000\r\n\r\nusername\nhungup1\n',
        );
        // The upload has begun (its job row exists, uploading) before the client hangs up.
        await waitFor('the upload to begin', async () => (await socketService.db.query('SELECT 1 FROM import_jobs')).rows.length > 0);
        client.destroy();
        const entries = () => socketService.logs.map((line) => JSON.parse(line) as { msg: string; level: number });
        await waitFor('the hang-up in the log', () => entries().some((e) => e.msg === 'the client closed the connection before its request body ended' && e.level === 30));
        assert.deepEqual(entries().filter((e) => e.msg === 'unexpected error'), []);
        await waitFor('the cut-short upload to be deleted', async () => (await socketService.db.query('SELECT 1 FROM import_jobs')).rows.length === 0);
      } finally {
        await socketService.close();
      }
    });

    it('rejects bad options with import.invalid_options naming the option; a retry with the same Idempotency-Key is the same job', async () => {
      const dir = await directory();
      const bad = await upload(call, dir, 'username\nx\n', 'text/csv', 'mode=sometimes');
      assert.equal(bad.status, 400);
      assert.deepEqual([bad.body.error.code, bad.body.error.details.option], ['import.invalid_options', 'mode']);
      const badMapping = await upload(call, dir, 'username\nx\n', 'text/csv', `mapping=${encodeURIComponent('{"a":"nope"}')}`);
      assert.deepEqual([badMapping.status, badMapping.body.error.details.option], [400, 'mapping']);
      const first = await upload(call, dir, 'username\nidem1\n', 'text/csv', '', { 'idempotency-key': 'k-1' });
      const again = await upload(call, dir, 'username\nidem2\n', 'text/csv', '', { 'idempotency-key': 'k-1' });
      assert.deepEqual([first.status, again.status, again.body.id], [202, 200, first.body.id]);
      await finished(call, first.body.id);
      assert.deepEqual((await users(dir)).map((u) => u.username), ['idem1']);
      const missing = await svc.call('GET', '/v1/imports/00000000-0000-7000-8000-000000000000', { key });
      assert.deepEqual([missing.status, missing.body.error.code], [404, 'import.not_found']);
    });

    it('lists jobs newest first, per directory and for the tenant; DELETE removes job and report', async () => {
      const dir = await directory();
      const a = (await upload(call, dir, 'username\nl1\n', 'text/csv')).body.id;
      const b = (await upload(call, dir, 'username\nl2\n', 'text/csv')).body.id;
      await finished(call, b);
      const listed = await svc.call('GET', `/v1/directories/${dir}/imports?limit=1`, { key });
      assert.deepEqual(listed.body.imports.map((j: { id: string }) => j.id), [b]);
      const next = await svc.call('GET', `/v1/directories/${dir}/imports?limit=1&cursor=${listed.body.nextCursor}`, { key });
      assert.deepEqual(next.body.imports.map((j: { id: string }) => j.id), [a]);
      const all = await svc.call('GET', '/v1/imports?limit=200', { key });
      assert.ok(all.body.imports.some((j: { id: string }) => j.id === a));
      assert.equal((await svc.call('DELETE', `/v1/imports/${a}`, { key })).status, 204);
      assert.equal((await svc.call('GET', `/v1/imports/${a}`, { key })).status, 404);
    });

    it('undo deletes the created users nobody changed since, and keeps the changed one', async () => {
      const dir = await directory();
      const job = await finished(call, (await upload(call, dir, 'username\nun1\nun2\nun3\n', 'text/csv')).body.id);
      const made = await users(dir);
      const changed = made.find((u) => u.username === 'un2')! as unknown as { id: string };
      assert.equal((await svc.call('PATCH', `/v1/directories/${dir}/users/${changed.id}`, { key, body: { displayName: 'Changed' } })).status, 200);
      const undo = await svc.call('POST', `/v1/imports/${job.id}/undo`, { key });
      assert.equal(undo.status, 202);
      const undone = await waitForUndo(job.id);
      assert.deepEqual([undone.undo.status, undone.undo.deleted, undone.undo.kept, undone.undo.keptChanged], ['completed', 2, 1, 1]);
      assert.deepEqual((await users(dir)).map((u) => u.username), ['un2']);
      const events = await svc.call('GET', `/v1/audit-events?type=import.*&limit=200`, { key });
      const types = events.body.events.filter((e: { subject: { id: string } }) => e.subject.id === job.id).map((e: { type: string }) => e.type);
      assert.deepEqual(types, ['import.undone', 'import.completed', 'import.started']);
    });

    async function waitForUndo(id: string) {
      for (;;) {
        const job = (await svc.call('GET', `/v1/imports/${id}`, { key })).body;
        if (job.undo?.status === 'completed') return job;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  });
}
