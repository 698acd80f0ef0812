/**
 * The console's browser tests' harness: a service listening on 127.0.0.1 over a
 * test store, and Debian's Chromium (/usr/bin/chromium, CHROMIUM_PATH to
 * override) driven by playwright-core, headless. Playwright gives every launch
 * a fresh temporary profile (its own --user-data-dir) and removes it on close;
 * each test's browser context has its own cookies.
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { StoreKind } from '../../src/store/ports.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const LAUNCH_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ConsoleHarness {
  readonly service: TestService;
  readonly baseUrl: string;
  /** A new browser context (its own cookies) with one page; `width` 1280 (desktop) unless given. */
  newPage(options?: { width?: number; height?: number }): Promise<{ context: BrowserContext; page: Page }>;
  /** Signs in at /console with `key` and waits for the directories page. */
  signIn(page: Page, key: string): Promise<void>;
  close(): Promise<void>;
}

export async function startConsole(kind: StoreKind = 'postgres', env: Record<string, string> = {}): Promise<ConsoleHarness> {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  const service = await startTestService(kind, env, { transport: 'socket' });
  const { port } = service.app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_FLAGS });
  } catch (error) {
    await service.close();
    throw error;
  }
  return {
    service,
    baseUrl,
    async newPage({ width = 1280, height = 900 } = {}) {
      const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
      const page = await context.newPage();
      return { context, page };
    },
    async signIn(page, key) {
      await page.goto(`${baseUrl}/console`);
      await page.getByLabel('API key').fill(key);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Directories' }).waitFor();
    },
    async close() {
      await browser.close();
      await service.close();
    },
  };
}
