import { chromium, type Browser, type Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/passwords';
import { armed, callIn } from '../support/call-steps';
import { openDesk } from '../support/desk';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * The agent desk (agent-ui/) in Chromium against the app on the simulated switch: what a DCC agent
 * sees and clicks, in Chinese first. The softphone has no WebSocket address here (SIP_WS_URI unset),
 * so the simulated switch answers the agent's leg; the browser softphone itself is exercised on the
 * real stack (test/realstack/webrtc-agent.test.ts).
 */

let t: TestApp;
let browser: Browser;

beforeAll(async () => {
  const executablePath = process.env.CHROMIUM_PATH;
  if (!executablePath) throw new Error('CHROMIUM_PATH is not set: run the tests with npm test, which installs Chromium');
  t = await startTestApp();
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'] });
});

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

const stateIs = (page: Page, text: string): Promise<unknown> => page.waitForSelector(`#agent-state:text-is("${text}")`, { timeout: 10_000 });

test('a wrong password is refused on the desk with the reason, in Chinese', async () => {
  await t.app.models.User.create({ username: 'desk0', displayName: '坐席 0', passwordHash: await hashPassword('right-password'), roles: ['agent'], queueIds: ['sales'], skills: [] });
  const page = await openDesk(browser, t.url, 'desk0', 'wrong-password');
  await page.waitForSelector('#login-error:not([hidden])');
  expect(await page.textContent('#login-error')).toBe('登录失败：wrong username or password');
  expect(await page.isHidden('#desk')).toBe(true);
  await page.close();
});

test('an agent logs in, goes ready, sees the caller on the offer, accepts, talks, hangs up into wrap-up', async () => {
  await t.app.models.User.create({ username: 'desk1', displayName: '坐席 1', passwordHash: await hashPassword('pw-desk1'), roles: ['agent'], queueIds: ['sales'], skills: [] });
  const page = await openDesk(browser, t.url, 'desk1', 'pw-desk1');
  await stateIs(page, '未就绪');
  // no WebSocket address configured: the softphone says so instead of failing silently
  expect(await page.textContent('#phone-state')).toBe('未配置（没有 WebSocket 地址）');
  await page.click('#ready');
  await stateIs(page, '就绪');

  await callIn(t, '+8613800138900');
  await page.waitForSelector('#offer:not([hidden])');
  expect(await page.textContent('#offer-from')).toBe('+8613800138900');
  expect(await page.textContent('#offer-queue')).toBe('销售热线');
  expect(await page.textContent('#offer-customer')).toBe('未识别客户');
  await page.click('#accept');
  await armed(t, 'auto-answer');
  await t.clock.advance(300);
  await stateIs(page, '通话中');
  expect(await page.isHidden('#offer')).toBe(true);
  expect(await page.textContent('#call-info')).toContain('+8613800138900');

  await page.click('#hold');
  await page.waitForSelector('#hold:text-is("恢复")');
  await page.click('#hold');
  await page.waitForSelector('#hold:text-is("保持")');

  await page.click('#hangup');
  await stateIs(page, '话后处理');
  expect(await page.isHidden('#call')).toBe(true);
  // the record's end is written off the call's path: read it once it has landed
  const record = await eventually(async () => {
    const r = await t.app.models.CallRecord.findOne({ from: '+8613800138900' }).lean();
    return r?.status === 'ended' ? r : undefined;
  }, 'the ended call record');
  expect(record).toMatchObject({ agentUsername: 'desk1', outcome: 'answered', holdCount: 1 });

  // English is one switch away and stays chosen
  await page.selectOption('#lang', 'en');
  await stateIs(page, 'Wrap-up');
  expect(await page.textContent('#ready')).toBe('Ready');
  await page.reload();
  expect(await page.textContent('#login-button')).toBe('Log in');
  await page.close();
});
