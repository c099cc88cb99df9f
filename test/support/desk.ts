import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { findProjectRoot } from '../../src/util/project-root';

/** The size DCC staff's office screens have: the desk must work at 1366×768. */
export const DESK_VIEWPORT = { width: 1366, height: 768 };

/** Opens the agent desk (the web app at /desk) of the app at `url` in a new page and logs in as the given user. */
export async function openDesk(browser: Browser, url: string, username: string, password: string, opts: { lang?: 'en' } = {}): Promise<Page> {
  const page = await browser.newPage({ viewport: DESK_VIEWPORT });
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (err) => process.stdout.write(`desk page error: ${err.message}\n`));
  await page.goto(`${url}/desk${opts.lang ? `?lang=${opts.lang}` : ''}`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('[data-testid="login-button"]');
  return page;
}

/** Saves a 1366×768 screenshot under test-output/desk/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = path.join(findProjectRoot(), 'test-output', 'desk');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** The agent state the desk's state bar shows (on a timeout, a screenshot of what it showed instead). */
export async function stateIs(page: Page, text: string, timeout = 15_000): Promise<unknown> {
  try {
    return await page.waitForSelector(`[data-testid="agent-state"]:text-is("${text}")`, { timeout });
  } catch (err) {
    await screenshot(page, `failed-waiting-for-${text}`).catch(() => undefined);
    throw err;
  }
}
