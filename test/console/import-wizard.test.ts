/**
 * The import wizard, the whole flow in a real browser, against the import-job
 * API (POST /v1/directories/{directory}/imports and /v1/imports/{id}...): a
 * 5,000-row CSV with bad rows and a renamed column; sign in, upload, map the
 * renamed column, dry run showing the bad rows on their cells, start, progress
 * seen moving, result counts equal to the API's, rejected rows downloaded,
 * undo. The import-job API is built on its own branch: until it is merged the
 * service documents no import route and this test says so and skips.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { startConsole, type ConsoleHarness } from './browser.ts';

const ROWS = 5000;
/** Every 97th row has an email that is not one; row 3 too, so the preview shows one. */
const badEmail = (row: number) => row === 3 || row % 97 === 0;

/** `login` matches Username by name; `Contact` (the emails) matches nothing and is mapped by hand. */
function csv(): { text: string; bad: number } {
  const lines = ['login,Contact,First name,Last name'];
  let bad = 0;
  for (let row = 1; row <= ROWS; row++) {
    const email = badEmail(row) ? `not-an-email-${row}` : `person${row}@example.com`;
    if (badEmail(row)) bad++;
    lines.push(`person${row},${email},Given${row},Family${row}`);
  }
  return { text: lines.join('\n') + '\n', bad };
}

describe('console import wizard', () => {
  let h: ConsoleHarness;
  let importApi = false;
  before(async () => {
    h = await startConsole('postgres');
    const spec = (await h.service.call('GET', '/openapi.json')).body as { paths: Record<string, unknown> };
    importApi = '/v1/directories/{directory}/imports' in spec.paths;
  });
  after(() => h.close());

  it('a 5,000-row CSV: upload, map, dry run, start, live progress, counts, rejected rows, undo', async (t) => {
    if (!importApi) {
      t.skip('the import-job API (POST /v1/directories/{directory}/imports) is not in this build');
      return;
    }
    const { adminKey } = await h.service.newTenant();
    const api = (method: string, url: string) => h.service.call(method, url, { key: adminKey });
    const file = csv();
    const { context, page } = await h.newPage();
    await h.signIn(page, adminKey);
    await page.getByRole('link', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { name: 'Import users into default' }).waitFor();

    await page.locator('#import-file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(file.text) });
    await page.locator('[data-delimiter=","]').waitFor();
    await page.getByText('Header row: found (4 columns)').waitFor();
    assert.equal(await page.locator('table.preview tbody tr').count() > 3, true, 'the first rows are previewed');
    assert.equal(await page.locator('select[data-column="login"]').inputValue(), 'username');
    assert.equal(await page.locator('select[data-column="First name"]').inputValue(), 'givenName');
    assert.equal(await page.locator('select[data-column="Contact"]').inputValue(), '', 'a renamed column is not matched');
    await page.getByLabel('Column “Contact”').selectOption('email');

    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.locator('[data-dry-run="completed"]').waitFor({ timeout: 120_000 });
    const badCell = page.locator('tr[data-row="3"] td.cell-error');
    await badCell.waitFor();
    assert.match(await badCell.innerText(), /not-an-email-3/);
    assert.equal(await page.locator('tr[data-row="1"] [data-verdict]').innerText(), 'would be created');
    await page.getByRole('option', { name: new RegExp(`All codes \\(${file.bad}\\)`) }).waitFor({ state: 'attached' });
    assert.equal((await api('GET', '/v1/directories/default/users?limit=1')).body.users.length, 0, 'a dry run writes nothing');

    await page.getByRole('button', { name: 'Start import' }).click();
    await page.waitForURL(/\/console\/imports\/[0-9a-f-]{36}$/);
    const jobId = page.url().split('/').pop()!;
    const seen = new Set<string>();
    await waitFor('the job to finish', async () => {
      const processed = await page.locator('[data-count="processed"]').innerText().catch(() => '');
      if (processed) seen.add(processed);
      return ['completed', 'failed', 'cancelled'].includes((await page.locator('[data-job-status]').getAttribute('data-job-status')) ?? '');
    }, 300_000);
    assert.ok(seen.size >= 2, `progress moved: ${[...seen].join(' -> ')}`);
    assert.equal(await page.locator('[data-job-status]').getAttribute('data-job-status'), 'completed');

    const job = (await api('GET', `/v1/imports/${jobId}`)).body;
    for (const name of ['rows', 'processed', 'created', 'updated', 'skipped', 'failed']) {
      const shown = (await page.locator(`[data-count="${name}"]`).innerText()).replace(/\D/g, '');
      assert.equal(Number(shown), job.totals[name], `${name} as the API says`);
    }
    assert.equal(job.totals.failed, file.bad);
    assert.equal(job.totals.created, ROWS - file.bad);
    await page.getByLabel('Error code').waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download rejected rows' }).click()]);
    const rejected = readFileSync((await download.path())!, 'utf8').trim().split(/\r?\n/);
    assert.equal(rejected[0], 'login,Contact,First name,Last name,error');
    assert.equal(rejected.length - 1, file.bad);
    assert.ok(rejected.some((line) => line.startsWith('person3,not-an-email-3,')));

    await page.getByRole('button', { name: 'Undo import' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Undo import' }).click();
    await waitFor('the undo to complete', async () => (await api('GET', `/v1/imports/${jobId}`)).body.undo?.status === 'completed', 120_000);
    assert.equal((await api('GET', '/v1/directories/default/users?limit=1')).body.users.length, 0, 'undo deleted the created users');
    await context.close();
  });
});
