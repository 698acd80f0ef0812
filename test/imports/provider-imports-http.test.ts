/**
 * Every identity-provider export as an import job over the native API, on both
 * stores: the real readers and pipeline (not the mappers alone, as in
 * test/engine/provider-imports.test.ts) make the fixture's users, the records
 * that cannot be users are failed rows of the report (Entra's template
 * example row a skipped one), and each user with a
 * known password signs in with it through /authenticate. Firebase's CSV is
 * uploaded as `format=firebase` with a text/csv body, as a user would.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { PROVIDER_CASES } from '../helpers/providerCases.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { finished, reportLines, upload, type ImportCall } from './helpers.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/providers/${name}`, import.meta.url));

for (const kind of STORE_KINDS) {
  describe(`provider exports as import jobs: ${kind}`, () => {
    let svc: TestService;
    let call: ImportCall;
    let directories = 0;
    before(async () => {
      svc = await startTestService(kind, { OUTBOX_POLL_MS: '50' });
      const { adminKey: key } = await svc.newTenant();
      call = { svc, key };
    });
    after(() => svc.close());

    it("entra: an atomic job of the template, example row and all, writes its users (the example row is no failure)", async () => {
      assert.equal((await svc.call('POST', '/v1/directories', { key: call.key, body: { name: 'entra-atomic' } })).status, 201);
      const rows = fixture('entra.csv').toString().split('\n');
      // The template's preamble, headings and example row, and its two valid users.
      const file = [...rows.slice(0, 5), ''].join('\n');
      const job = await finished(call, (await upload(call, 'entra-atomic', file, 'text/csv', 'format=entra&mode=atomic')).body.id);
      assert.equal(job.status, 'completed', JSON.stringify(job));
      assert.deepEqual(job.totals, { rows: 3, processed: 3, created: 2, updated: 0, skipped: 1, failed: 0 });
      // A chunk of skipped rows only: nothing goes to createUsers, the report still has the row.
      const onlyExample = await finished(call, (await upload(call, 'entra-atomic', [...rows.slice(0, 3), ''].join('\n'), 'text/csv', 'format=entra')).body.id);
      assert.equal(onlyExample.status, 'completed', JSON.stringify(onlyExample));
      assert.deepEqual(onlyExample.totals, { rows: 1, processed: 1, created: 0, updated: 0, skipped: 1, failed: 0 });
      assert.deepEqual((await reportLines(call, onlyExample.id)).map((line) => [line.row, line.status, line.code]), [[1, 'skipped', 'import.example_row']]);
    });

    for (const c of PROVIDER_CASES) {
      it(`${c.format.name} (${c.file}): the users made, the rest reported, the passwords usable`, async () => {
        const directory = `prov${++directories}`;
        assert.equal((await svc.call('POST', '/v1/directories', { key: call.key, body: { name: directory } })).status, 201);
        const csv = c.file.endsWith('.csv');
        const format = c.format.name.replace(/-csv$/, '');
        const query = new URLSearchParams({ format, ...c.options }).toString();
        const started = await upload(call, directory, fixture(c.file), csv ? 'text/csv' : 'application/json', query);
        assert.equal(started.status, 202, started.text);
        assert.equal(started.body.format, c.format.name);
        for (const secret of [c.options?.signerKey, c.options?.saltSeparator]) {
          if (secret !== undefined) assert.ok(!JSON.stringify(started.body).includes(secret), 'the signer key and salt separator are not shown');
        }

        const job = await finished(call, started.body.id);
        assert.equal(job.status, 'completed', JSON.stringify(job));
        assert.equal(job.totals.created, c.users, JSON.stringify(await reportLines(call, job.id)).slice(0, 1500));
        const report = await reportLines(call, job.id);
        assert.equal(report.length, job.totals.rows);
        const skipped = report.filter((line) => line.status === 'skipped');
        assert.deepEqual(skipped.map((line) => line.code), c.format.name === 'entra' ? ['import.example_row'] : []);
        assert.equal(job.totals.skipped, skipped.length);
        assert.equal(report.filter((line) => line.status === 'failed').length, job.totals.rows - c.users - skipped.length);
        // A message names the field at fault, never repeats a credential of the file.
        const tokens = new Set(fixture(c.file).toString().match(/[A-Za-z0-9+/=$.]{20,}/g)?.filter((token) => /\d/.test(token) && /[A-Za-z]/.test(token)));
        for (const line of report) {
          const message = String(line.message ?? '');
          for (const token of tokens) assert.ok(!message.includes(token), `row ${String(line.row)}: the message repeats ${token}`);
        }
        for (const [username, password] of Object.entries(c.passwords)) {
          const signIn = await svc.call('POST', `/v1/directories/${directory}/authenticate`, { key: call.key, body: { username, password } });
          assert.equal(signIn.status, c.disabled?.includes(username) ? 401 : 200, `${username}: ${signIn.text}`);
          const wrong = await svc.call('POST', `/v1/directories/${directory}/authenticate`, { key: call.key, body: { username, password: `${password}!` } });
          assert.equal(wrong.status, 401);
        }
      });
    }
  });
}
