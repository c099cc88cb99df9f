import type { Browser, Page } from 'playwright-core';

/** Opens the agent desk (agent-ui/) of the app at `url` in a new page and logs in as the given user. */
export async function openDesk(browser: Browser, url: string, username: string, password: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (err) => process.stdout.write(`desk page error: ${err.message}\n`));
  await page.goto(url);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#login-button');
  return page;
}
