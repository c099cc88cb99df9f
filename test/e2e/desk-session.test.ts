import { chromium, type Browser, type Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/passwords';
import { openDesk, stateIs } from '../support/desk';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * Access tokens are short-lived (15 minutes in production): the desk renews its session with the
 * one-use refresh token before the access token runs out, so an agent is never signed out mid-shift,
 * and a reload keeps the renewed session. Logging out ends it on the server too.
 */

let t: TestApp;
let browser: Browser;

beforeAll(async () => {
  const executablePath = process.env.CHROMIUM_PATH;
  if (!executablePath) throw new Error('CHROMIUM_PATH is not set: run the tests with npm test, which installs Chromium');
  // access tokens of 61.5 s: the desk renews a minute before expiry, 1.5 s after signing in
  t = await startTestApp({ tokenTtlMs: 61_500, queues: [{ queueId: 'sales', name: '销售热线', storeId: 'sh-pudong', numbers: ['4008001234'] }] });
  await t.app.models.User.create({ username: 'renew1', displayName: '孙丽', passwordHash: await hashPassword('pw-renew1'), roles: ['agent'], queueIds: ['sales'], storeIds: ['sh-pudong'], skills: [] });
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

const stored = (page: Page): Promise<{ token: string; refreshToken: string } | null> => page.evaluate(() => JSON.parse((globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('dcc.session') ?? 'null') as { token: string; refreshToken: string } | null);

test('the desk renews its short-lived session on its own, keeps working, survives a reload, and logging out ends it on the server', async () => {
  const page = await openDesk(browser, t.url, 'renew1', 'pw-renew1');


  await stateIs(page, '小休');
  const first = await stored(page);
  expect(first?.token).toBeTruthy();
  const renewed = await eventually(async () => {
    const s = await stored(page);
    return s && s.token !== first?.token ? s : undefined;
  }, 'the session renewed', 10_000);
  expect(renewed.refreshToken).not.toBe(first?.refreshToken);

  // the desk goes on with the new token: REST and the live connection
  await page.click('[data-testid="ready"]');
  await stateIs(page, '就绪');
  await page.reload();
  // still signed in after the reload (no login page); the server took the agent out of ready while the page was gone
  await stateIs(page, '小休');
  expect(await page.isVisible('[data-testid="login-button"]')).toBe(false);

  // a used refresh token is worth nothing any more
  const replay = await fetch(`${t.url}/api/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: first?.refreshToken }) });
  expect(replay.status).toBe(401);

  const current = await stored(page);
  await page.click('[data-testid="logout"]');
  await page.waitForSelector('[data-testid="login-button"]');
  const after = await fetch(`${t.url}/api/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: current?.refreshToken }) });
  expect(after.status).toBe(401);
  await page.close();
});
