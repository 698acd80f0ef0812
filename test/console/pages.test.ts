/**
 * The console in a real browser (Debian's Chromium through playwright-core):
 * signing in, each page's reads and writes through the native API, what a
 * read-only key sees, another tenant's ids, CSRF, session expiry, keyboard use,
 * and a phone's width. The service runs on PostgreSQL; the session and API
 * behaviour on both stores is in session.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { waitFor } from '../helpers/wait.ts';
import { startConsole, type ConsoleHarness } from './browser.ts';

/** Errors the page logged (failed loads of expected 401/404s aside): CSP violations, exceptions. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`exception: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) errors.push(message.text());
  });
  return errors;
}

async function noHorizontalScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
}

describe('console pages', () => {
  let h: ConsoleHarness;
  let admin: { tenantId: string; adminKey: string };
  const api = (method: string, url: string, body?: unknown) => h.service.call(method, url, { key: admin.adminKey, ...(body !== undefined && { body }) });

  before(async () => {
    h = await startConsole('postgres', { OUTBOX_POLL_MS: '20' });
    admin = await h.service.newTenant();
  });
  after(() => h.close());

  it('serves the page and every asset from the service under a strict CSP', async () => {
    const page = await h.service.call('GET', '/console/directories');
    assert.equal(page.status, 200);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    const sources = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(sources.length >= 3);
    for (const source of sources.filter((s) => !s.startsWith('data:'))) {
      assert.ok(source.startsWith('/console/'), `${source} is served by the service`);
      assert.equal((await h.service.call('GET', source)).status, 200, source);
    }
    const traversal = await h.service.call('GET', '/console/assets/..%2F..%2Findex.ts');
    assert.equal(traversal.status, 404);
  });

  it('signs in with the keyboard alone; focus is visible; the key is not kept in the browser', async () => {
    const { context, page } = await h.newPage();
    const errors = watchErrors(page);
    await page.goto(`${h.baseUrl}/console`);
    await page.getByLabel('API key').waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate<string>('document.activeElement.id'), 'api-key');
    await page.keyboard.type(admin.adminKey);
    await page.keyboard.press('Tab');
    const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
    assert.notEqual(outline, 'none', 'the focused button shows a focus ring');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Directories' }).waitFor();
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'muster_session')!;
    assert.ok(session.httpOnly && session.sameSite === 'Strict');
    const stored = await page.evaluate<string>('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie');
    assert.ok(!stored.includes(admin.adminKey) && !stored.includes(session.value), 'nothing readable by scripts holds the key or the session');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    assert.equal((await context.cookies()).find((c) => c.name === 'muster_session'), undefined);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('a wrong key is an error in words next to the field', async () => {
    const { context, page } = await h.newPage();
    await page.goto(`${h.baseUrl}/console`);
    await page.getByLabel('API key').fill('mst_wrong-000000000000000000000000000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The API key is not valid.' }).waitFor();
    assert.equal(await page.getByLabel('API key').getAttribute('aria-invalid'), 'true');
    await context.close();
  });

  it('directories: create, and delete with a confirmation that gives the user count', async () => {
    const { context, page } = await h.newPage();
    const errors = watchErrors(page);
    await h.signIn(page, admin.adminKey);
    await page.getByLabel('New directory name').fill('Bad Name');
    await page.getByRole('button', { name: 'Create directory' }).click();
    await page.locator('.field .error').first().waitFor();
    await page.getByLabel('New directory name').fill('people');
    await page.getByRole('button', { name: 'Create directory' }).click();
    await page.getByRole('link', { name: 'people', exact: true }).waitFor();
    await api('POST', '/v1/directories/people/users/batch', { mode: 'partial', users: [{ username: 'a1' }, { username: 'a2' }, { username: 'a3' }] });
    await page.getByRole('button', { name: 'Delete directory people' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('3 users').waitFor();
    await dialog.getByRole('button', { name: 'Delete directory and its users' }).click();
    await page.getByRole('link', { name: 'people', exact: true }).waitFor({ state: 'detached' });
    assert.equal((await api('GET', '/v1/directories/people')).status, 404);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('users: a column heading sorts by it, again the other way; the sort survives paging and a reload (it is in the URL)', async () => {
    await api('POST', '/v1/directories', { name: 'sorting' });
    const users = Array.from({ length: 60 }, (_, i) => ({ username: `s${String(i).padStart(2, '0')}`, email: `m${i}@example.com` }));
    assert.equal((await api('POST', '/v1/directories/sorting/users/batch', { mode: 'atomic', users })).status, 200);
    const byEmail = [...users].sort((a, b) => (a.email < b.email ? -1 : 1)).map((u) => u.username);
    const { context, page } = await h.newPage();
    const errors = watchErrors(page);
    await h.signIn(page, admin.adminKey);
    await page.goto(`${h.baseUrl}/console/directories/sorting/users`);
    const rows = page.locator('table tbody tr');
    const shown = async () => (await rows.allInnerTexts()).map((r) => r.split('\t')[0]).join();
    const sortedHeading = page.locator('thead th[aria-sort]');
    await page.getByRole('link', { name: 's00' }).waitFor();
    assert.deepEqual(await sortedHeading.allInnerTexts(), ['Created ▲'], 'creation order, ascending, by default');

    await page.getByRole('button', { name: 'Email' }).click();
    await waitFor('email order', async () => (await shown()) === byEmail.slice(0, 50).join());
    assert.equal(await page.getByRole('columnheader', { name: 'Email' }).getAttribute('aria-sort'), 'ascending');
    assert.equal(await sortedHeading.count(), 1, 'one column is the sort');
    assert.match(page.url(), /\?sort=email&order=asc$/);

    await page.getByRole('button', { name: 'Email' }).click();
    const descending = [...byEmail].reverse();
    await waitFor('email order, descending', async () => (await shown()) === descending.slice(0, 50).join());
    assert.equal(await page.getByRole('columnheader', { name: 'Email' }).getAttribute('aria-sort'), 'descending');
    await page.getByRole('button', { name: 'Next' }).click();
    await waitFor('the second page, still by email descending', async () => (await shown()) === descending.slice(50).join());
    assert.match(page.url(), /\?sort=email&order=desc$/);

    await page.reload();
    await page.getByRole('link', { name: descending[0]! }).waitFor();
    assert.equal(await shown(), descending.slice(0, 50).join(), 'a reload keeps the sort (from its first page)');
    assert.equal(await page.getByRole('columnheader', { name: 'Email' }).getAttribute('aria-sort'), 'descending');

    await page.getByRole('button', { name: 'Username' }).focus();
    await page.keyboard.press('Enter');
    await waitFor('username order', async () => (await shown()) === users.slice(0, 50).map((u) => u.username).join());
    assert.equal(await page.getByRole('columnheader', { name: 'Username' }).getAttribute('aria-sort'), 'ascending');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('users: paged table, search, filter; create with a secret shown once; edit, disable, enable, rotate, delete', async () => {
    await api('POST', '/v1/directories', { name: 'staff' });
    const users = Array.from({ length: 60 }, (_, i) => ({ username: `user${String(i).padStart(2, '0')}`, email: `user${i}@example.com`, status: i % 10 === 0 ? 'disabled' : 'active' }));
    assert.equal((await api('POST', '/v1/directories/staff/users/batch', { mode: 'atomic', users })).status, 200);
    const { context, page } = await h.newPage();
    const errors = watchErrors(page);
    await h.signIn(page, admin.adminKey);
    await page.goto(`${h.baseUrl}/console/directories/staff/users`);
    const rows = page.locator('table tbody tr');
    await page.getByRole('link', { name: 'user00' }).waitFor();
    assert.equal(await rows.count(), 50, 'one page of 50');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('link', { name: 'user59' }).waitFor();
    assert.equal(await rows.count(), 10);
    await page.getByRole('button', { name: 'Previous' }).click();
    await page.getByRole('link', { name: 'user00' }).waitFor();

    await page.getByLabel('Status').selectOption('disabled');
    await page.getByRole('button', { name: 'Search' }).click();
    // user00, user10, ... user50: the disabled ones (user10 is on the unfiltered page too, so wait for the count).
    await waitFor('the six disabled users', async () => (await rows.allInnerTexts()).map((r) => r.split('\t')[0]).join() === 'user00,user10,user20,user30,user40,user50');
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Search text').fill('user5');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'user50' }).waitFor();
    await page.getByRole('button', { name: 'Created' }).click();
    await waitFor('user59 to user50, newest first', async () => (await rows.allInnerTexts()).map((r) => r.split('\t')[0]).join() === 'user59,user58,user57,user56,user55,user54,user53,user52,user51,user50');
    await page.getByRole('button', { name: 'Created' }).click();
    await page.getByRole('columnheader', { name: 'Created' }).and(page.locator('[aria-sort="ascending"]')).waitFor();
    await page.getByLabel('Search by').selectOption('email');
    await page.getByLabel('Search text').fill('USER42@example.com');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'user42' }).waitFor();
    await waitFor('one row', async () => (await rows.count()) === 1);

    await page.getByText('Create a user').click();
    await page.getByLabel('Username').fill('robot');
    await page.getByLabel('Sign-in').selectOption('secret');
    await page.getByRole('button', { name: 'Create user' }).click();
    const shown = page.getByRole('region', { name: 'Secret of robot' });
    await shown.waitFor();
    const secret = await shown.getByRole('textbox').inputValue();
    assert.ok(secret.length >= 40);
    const check = await api('POST', '/v1/directories/staff/authenticate', { username: 'robot', secret });
    assert.equal(check.status, 200, 'the secret shown is the user\'s');

    await page.getByRole('link', { name: 'robot' }).click();
    await page.getByRole('heading', { name: /robot/ }).waitFor();
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Display name').fill('Robbie the Robot');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Robbie the Robot').waitFor();
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('button', { name: 'Enable' }).waitFor();
    assert.equal((await api('GET', `/v1/directories/staff/users/${page.url().split('/').pop()}`)).body.status, 'disabled');
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('button', { name: 'Disable' }).waitFor();
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = await page.getByRole('region', { name: 'New secret of robot' }).getByRole('textbox').inputValue();
    assert.notEqual(rotated, secret);
    assert.equal((await api('POST', '/v1/directories/staff/authenticate', { username: 'robot', secret: rotated })).status, 200);
    assert.equal((await api('POST', '/v1/directories/staff/authenticate', { username: 'robot', secret })).status, 401, 'the old secret stopped working');
    await page.getByRole('heading', { name: 'Audit events' }).waitFor();
    await page.getByText('user.secret_rotated').waitFor();
    await page.getByText('In no group.').waitFor();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete user' }).click();
    await page.getByRole('heading', { name: 'Users of staff' }).waitFor();
    assert.equal((await api('GET', '/v1/directories/staff/users?username=robot')).body.users.length, 0);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('a user\'s invitation: its mail delivery, resend and revoke; the mail page lists the local mailbox', async () => {
    const invited = await api('POST', '/v1/directories/default/users', { username: 'newbie', email: 'newbie@example.com', invite: {} });
    assert.equal(invited.status, 201, invited.text);
    await waitFor('the invitation mail', async () => ((await api('GET', '/v1/mail')).body.messages.length > 0 ? true : undefined));
    const { context, page } = await h.newPage();
    await h.signIn(page, admin.adminKey);
    await page.goto(`${h.baseUrl}/console/directories/default/users/${invited.body.id}`);
    await page.getByRole('heading', { name: 'Invitation' }).waitFor();
    await page.getByText(/^sent at/).waitFor();
    await page.getByRole('button', { name: 'Resend invitation' }).click();
    await waitFor('two invitation mails', async () => ((await api('GET', '/v1/mail')).body.messages.length >= 2 ? true : undefined));
    await page.getByRole('button', { name: 'Revoke invitation' }).click();
    await page.locator('.badge.revoked').waitFor();
    await page.getByRole('link', { name: 'Mail' }).click();
    await page.getByRole('heading', { name: 'Local mailbox' }).waitFor();
    await page.locator('a[href^="/v1/mail/"]').first().waitFor();
    assert.ok((await page.locator('a[href^="/v1/mail/"]').count()) >= 2);
    await context.close();
  });

  it('API keys: created with the key shown once and a copy button; revoked', async () => {
    const { context, page } = await h.newPage();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.baseUrl });
    await h.signIn(page, admin.adminKey);
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Name').fill('ci-reader');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('region', { name: 'API key ci-reader' });
    const key = await shown.getByRole('textbox').inputValue();
    assert.match(key, /^mst_/);
    await shown.getByRole('button', { name: 'Copy' }).click();
    await shown.getByText('Copied.').waitFor();
    assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), key);
    assert.equal((await h.service.call('GET', '/v1/directories', { key })).status, 200, 'the key shown works');
    await page.getByRole('button', { name: 'Revoke key ci-reader' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await page.getByText(/^revoked/).first().waitFor();
    assert.equal((await h.service.call('GET', '/v1/directories', { key })).status, 401);
    await context.close();
  });

  it('webhooks: the tenant\'s endpoints with their event types and state, and an endpoint\'s deliveries', async () => {
    // An IP literal needs no DNS: the endpoint is accepted, its deliveries fail in the background (no network here).
    const hook = await api('POST', '/v1/webhooks', { url: 'https://1.1.1.1/console-hook', eventTypes: ['user.*', 'import.completed'] });
    assert.equal(hook.status, 201, hook.text);
    assert.equal((await api('POST', `/v1/webhooks/${hook.body.id}/test`)).status < 300, true);
    const { context, page } = await h.newPage();
    const errors = watchErrors(page);
    await h.signIn(page, admin.adminKey);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    const row = page.getByRole('row', { name: /https:\/\/1\.1\.1\.1\/console-hook/ });
    await row.getByText('user.*, import.completed').waitFor();
    await row.getByText('enabled').waitFor();
    await page.getByRole('button', { name: 'Show deliveries to https://1.1.1.1/console-hook' }).click();
    const deliveries = page.getByRole('region', { name: 'Deliveries to https://1.1.1.1/console-hook' });
    await deliveries.getByText('webhook.ping').waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('a read-only key sees no write controls anywhere', async () => {
    const reader = await api('POST', '/v1/api-keys', { name: 'viewer', scopes: ['users:read'] });
    const user = await api('POST', '/v1/directories/default/users', { username: 'visible' });
    const { context, page } = await h.newPage();
    const errors = watchErrors(page);
    await h.signIn(page, reader.body.key);
    await page.getByRole('link', { name: 'default', exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: /Create|Delete/ }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Import', exact: true }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'API keys' }).count(), 0);
    await page.getByRole('link', { name: 'default', exact: true }).click();
    await page.getByRole('heading', { name: 'Users of default' }).waitFor();
    assert.equal(await page.getByText('Create a user').count(), 0);
    assert.equal(await page.getByRole('link', { name: /Import users/ }).count(), 0);
    await page.getByRole('link', { name: 'visible' }).click();
    await page.getByRole('heading', { name: /visible/ }).waitFor();
    await page.getByRole('heading', { name: 'Invitation' }).waitFor();
    assert.equal(await page.getByRole('group', { name: 'User actions' }).count(), 0);
    assert.equal(await page.getByRole('button').filter({ hasNotText: 'Sign out' }).count(), 0, 'no button but Sign out');
    await page.goto(`${h.baseUrl}/console/directories/default/import`);
    await page.getByText('Importing needs the users:write scope.').waitFor();
    assert.deepEqual(errors, []);
    assert.ok(user.status === 201);
    await context.close();
  });

  it('another tenant\'s ids in the URL are a not-found page', async () => {
    const other = await h.service.newTenant();
    const theirs = await h.service.call('POST', '/v1/directories/default/users', { key: other.adminKey, body: { username: 'secret-agent' } });
    await h.service.call('POST', '/v1/directories', { key: other.adminKey, body: { name: 'hidden' } });
    const { context, page } = await h.newPage();
    await h.signIn(page, admin.adminKey);
    for (const path of [`/console/directories/default/users/${theirs.body.id}`, '/console/directories/hidden/users', `/console/directories/${theirs.body.directoryId}/users`]) {
      await page.goto(`${h.baseUrl}${path}`);
      await page.getByRole('heading', { name: 'Not found' }).waitFor();
      assert.equal(await page.getByText('secret-agent').count(), 0, path);
    }
    await page.goto(`${h.baseUrl}/console/no/such/page`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    await context.close();
  });

  it('CSRF: a write from the signed-in page without the token is refused', async () => {
    const { context, page } = await h.newPage();
    await h.signIn(page, admin.adminKey);
    const refused = await page.evaluate<{ status: number; body: { error: { code: string } } }>(`fetch('/v1/directories', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'forged' }),
    }).then(async (response) => ({ status: response.status, body: await response.json() }))`);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'auth.csrf_invalid');
    assert.equal((await api('GET', '/v1/directories/forged')).status, 404);
    await context.close();
  });

  it('the import wizard previews the first kilobyte in the browser: delimiter, header, automatic matches', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => `u${i};u${i}@example.com;Given ${i};Family ${i};x`);
    const file = ['Username;E-mail;First Name;Surname;Shoe size', ...rows].join('\n');
    const { context, page } = await h.newPage();
    const errors = watchErrors(page);
    await h.signIn(page, admin.adminKey);
    await page.goto(`${h.baseUrl}/console/directories/default/import`);
    await page.locator('#import-file').setInputFiles({ name: 'staff.csv', mimeType: 'text/csv', buffer: Buffer.from(file) });
    await page.locator('[data-delimiter=";"]').waitFor();
    await page.getByText('Header row: found (5 columns)').waitFor();
    assert.equal(await page.locator('table.preview tbody tr').count(), 10, 'ten rows of the first kilobyte');
    const matched = async (column: string) => page.locator(`select[data-column="${column}"]`).inputValue();
    assert.deepEqual(
      [await matched('Username'), await matched('E-mail'), await matched('First Name'), await matched('Surname'), await matched('Shoe size')],
      ['username', 'email', 'givenName', 'familyName', ''],
    );
    await page.getByLabel('Column “Username”').selectOption('');
    await page.getByText('No column is mapped to Username').waitFor();
    assert.ok(await page.getByRole('button', { name: 'Start import' }).isDisabled());
    await page.getByLabel('Delimiter').selectOption(',');
    await page.getByText('Header row: found (1 column)').waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('fits a phone\'s width', async () => {
    const { context, page } = await h.newPage({ width: 375, height: 740 });
    await h.signIn(page, admin.adminKey);
    await noHorizontalScroll(page);
    await page.goto(`${h.baseUrl}/console/directories/staff/users`);
    await page.getByRole('link', { name: 'user00' }).waitFor();
    await noHorizontalScroll(page);
    await context.close();
  });
});

describe('console session expiry in the browser', () => {
  let h: ConsoleHarness;
  before(async () => {
    h = await startConsole('postgres', { CONSOLE_SESSION_IDLE_SECONDS: '1' });
  });
  after(() => h.close());

  it('an expired session returns to the sign-in page and says why', async () => {
    const { adminKey } = await h.service.newTenant();
    const { context, page } = await h.newPage();
    await h.signIn(page, adminKey);
    await waitFor('the session to expire', async () => {
      await new Promise((resolve) => setTimeout(resolve, 250));
      return (await page.evaluate<number>("fetch('/console/session').then((r) => r.status)")) === 401;
    }, 10_000);
    await page.getByRole('link', { name: 'default', exact: true }).click();
    await page.getByText('Your session has expired. Sign in again.').waitFor();
    await page.getByLabel('API key').waitFor();
    await context.close();
  });
});
