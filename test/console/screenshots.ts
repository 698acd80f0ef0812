/**
 * Screenshots of the console's main pages at a desktop's and a phone's width,
 * into docs/console/ (linked from the README): `npm run screenshots`. Seeds a
 * tenant with a directory of users, an invited user, a second key and a
 * webhook endpoint (an IP literal: no DNS here); shows the import wizard after its dry run, and the job it starts.
 */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { startConsole } from './browser.ts';

const OUT = new URL('../../docs/console/', import.meta.url);
const WIDTHS = { desktop: { width: 1280, height: 860 }, phone: { width: 390, height: 844 } } as const;

const SAMPLE_CSV = [
  'login;Contact;First name;Last name',
  'katherine;katherine@example.com;Katherine;Johnson',
  'dorothy;dorothy@example.com;Dorothy;Vaughan',
  'mary;not-an-email;Mary;Jackson',
  'frances;frances@example.com;Frances;Allen',
  'ada;ada@example.com;Ada;Lovelace',
].join('\n');

const h = await startConsole('postgres', { OUTBOX_POLL_MS: '20' });
try {
  mkdirSync(OUT, { recursive: true });
  const { adminKey } = await h.service.newTenant('acme');
  const call = (method: string, url: string, body?: unknown) => h.service.call(method, url, { key: adminKey, ...(body !== undefined && { body }) });
  await call('POST', '/v1/directories', { name: 'staff' });
  const people = ['ada', 'grace', 'alan', 'edsger', 'barbara', 'donald', 'ken', 'dennis', 'margaret', 'frances', 'john', 'niklaus'];
  await call('POST', '/v1/directories/staff/users/batch', {
    mode: 'atomic',
    users: people.map((name, i) => ({ username: name, email: `${name}@example.com`, displayName: name[0]!.toUpperCase() + name.slice(1), status: i % 5 === 4 ? 'disabled' : 'active' })),
  });
  const invited = await call('POST', '/v1/directories/staff/users', { username: 'linus', email: 'linus@example.com', displayName: 'Linus', invite: {} });
  await call('POST', '/v1/api-keys', { name: 'hr-sync', scopes: ['users:write'] });
  const hook = await call('POST', '/v1/webhooks', { url: 'https://1.1.1.1/hooks/crm', eventTypes: ['user.*', 'import.completed'] });
  if (hook.status !== 201) throw new Error(`webhook: ${hook.status}`);

  for (const [label, viewport] of Object.entries(WIDTHS)) {
    const { context, page } = await h.newPage(viewport);
    const shot = (name: string) => page.screenshot({ path: new URL(`${name}-${label}.png`, OUT).pathname, fullPage: label === 'desktop' });
    const open = async (path: string, heading: string | RegExp) => {
      await page.goto(`${h.baseUrl}${path}`);
      await page.getByRole('heading', { name: heading }).first().waitFor();
    };
    await page.goto(`${h.baseUrl}/console`);
    await page.getByLabel('API key').waitFor();
    await shot('sign-in');
    await h.signIn(page, adminKey);
    await shot('directories');
    await open('/console/directories/staff/users', 'Users of staff');
    await page.getByRole('link', { name: 'ada' }).waitFor();
    await shot('users');
    await open(`/console/directories/staff/users/${invited.body.id}`, /linus/);
    await page.getByRole('heading', { name: 'Audit events' }).waitFor();
    await page.getByText('user.created').waitFor();
    await shot('user');
    await open('/console/keys', 'API keys');
    await shot('keys');
    await open('/console/mail', 'Mail');
    await page.locator('a[href^="/v1/mail/"]').first().waitFor();
    await shot('mail');
    await open('/console/webhooks', 'Webhooks');
    await page.getByText('https://1.1.1.1/hooks/crm').first().waitFor();
    await shot('webhooks');
    await wizard(page);
    await shot('import-wizard');
    await page.getByRole('button', { name: 'Start import' }).click();
    await page.locator('[data-job-status="completed"]').waitFor({ timeout: 60_000 });
    await shot('import-job');
    await context.close();
  }
  process.stdout.write(`screenshots in ${OUT.pathname}\n`);
} finally {
  await h.close();
}

async function wizard(page: Page): Promise<void> {
  await page.goto(`${h.baseUrl}/console/directories/staff/import`);
  await page.locator('#import-file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(SAMPLE_CSV) });
  await page.locator('[data-delimiter=";"]').waitFor();
  await page.getByLabel('Column “Contact”').selectOption('email');
  await page.getByRole('button', { name: 'Dry run' }).click();
  await page.locator('[data-dry-run]').waitFor({ timeout: 60_000 });
}
