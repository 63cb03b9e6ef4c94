/** Shared set-up of the browser tests: Debian's Chromium through playwright-core. */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { webDir } from '../../src/http/static.js';

export const CHROMIUM = process.env.LODESTONE_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');

/** Why the browser tests cannot run here, or null when they can. */
export const browserMissing: string | null = !existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM} (apt-get install chromium fonts-noto-cjk)`
  : webDir() === null
    ? 'the web app is not built (npm run build)'
    : null;

export interface BrowserSession {
  browser: Browser;
  page: Page;
  /** Dialogs the page opened (an alert means injected script ran), except accepted confirms. */
  dialogs: string[];
  pageErrors: string[];
  /** Accept the next confirm() dialogs (delete confirmations) instead of recording them. */
  acceptConfirms(on: boolean): void;
}

export async function openBrowser(locale = 'en-US'): Promise<BrowserSession> {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale, timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  let accept = false;
  page.on('dialog', (d) => {
    if (d.type() === 'confirm' && accept) return void d.accept();
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return {
    browser,
    page,
    dialogs,
    pageErrors,
    acceptConfirms: (on) => {
      accept = on;
    },
  };
}
