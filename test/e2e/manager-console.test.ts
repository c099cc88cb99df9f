import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { chromium, type Browser, type Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/passwords';
import { callIn, readyAgent } from '../support/call-steps';
import { DESK_VIEWPORT, screenshot } from '../support/desk';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';
import type { AgentClient } from '../support/agent-client';

/**
 * The manager console (/console) in Chromium at 1366×768 against the app on the simulated switch:
 * a GBK lead file with one bad row uploaded, mapped, imported with its progress, the bad row shown
 * with its line number and downloadable; a campaign created and started and its abandon gauges
 * watched; and after a scripted set of calls on the virtual clock the interval report shows the
 * figures computed here by hand, and exports them. Screenshots under test-output/desk/console-*.png.
 */

jest.setTimeout(240_000);
let t: TestApp;
let browser: Browser;
let page: Page;
const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'console-dl-'));

beforeAll(async () => {
  const executablePath = process.env.CHROMIUM_PATH;
  if (!executablePath) throw new Error('CHROMIUM_PATH is not set: run the tests with npm test, which installs Chromium');
  t = await startTestApp({ queues: [{ queueId: 'sales', name: '销售热线', storeId: 'sh-pudong', numbers: ['4008001234'], preferredWaitMs: 0 }] });
  await t.app.models.Store.create({ _id: 'sh-pudong', groupId: 'demo-group', name: '浦东 4S 店', city: '上海', timeZone: 'Asia/Shanghai' });
  await t.app.reloadRouting();
  await t.app.models.User.create({ username: 'boss', displayName: '钱进', passwordHash: await hashPassword('pw-boss'), roles: ['manager'], storeIds: ['sh-pudong'] });
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--font-render-hinting=none'] });
  page = await browser.newPage({ viewport: DESK_VIEWPORT, acceptDownloads: true });
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (err) => process.stdout.write(`console page error: ${err.message}\n`));
  await page.goto(`${t.url}/console`);
  await page.fill('#username', 'boss');
  await page.fill('#password', 'pw-boss');
  await page.click('[data-testid="login-button"]');
  await page.waitForSelector('[data-testid="nav-campaigns"]');
});

/** Opens the Select with this test id and picks the option with this title (the newest dropdown: closing ones linger in the DOM). */
async function pick(testId: string, title: string): Promise<void> {
  await page.click(`[data-testid="${testId}"]`);
  const option = page.locator(`.ant-select-dropdown .ant-select-item-option[title="${title}"]`).last();
  await option.waitFor({ state: 'visible' });
  await option.click();
  await page.waitForTimeout(300); // the dropdown's closing animation
}

afterAll(async () => {
  await browser?.close();
  await t?.stop();
  fs.rmSync(downloads, { recursive: true, force: true });
});

test('a manager uploads a GBK CSV with one bad row: detected, mapped, progress shown, the bad row reported with its line number', async () => {
  const lines = ['手机号码,客户姓名,意向级别,是否同意'];
  for (let i = 0; i < 1200; i++) lines.push(`1390000${String(i).padStart(4, '0')},客户${i},${['A', 'B', 'C'][i % 3]},是`);
  lines.splice(501, 0, '12345,坏号码,B,是'); // line 502
  const file = path.join(downloads, '战败客户.csv');
  fs.writeFileSync(file, iconv.encode(`${lines.join('\r\n')}\r\n`, 'gbk'));

  await page.click('[data-testid="nav-leads"]');
  await page.click('[data-testid="upload-open"]');
  await page.setInputFiles('.ant-upload input[type=file]', file);
  await page.waitForSelector('[data-testid="upload-detected"]');
  expect(await page.textContent('[data-testid="upload-detected"]')).toContain('GBK / GB18030');
  expect(await page.textContent('[data-testid="upload-detected"]')).toContain('1201');
  // 手机号码 and 客户姓名 are not header names the server knows: the manager picks their columns
  await pick('map-phone', 'A · 手机号码');
  await pick('map-name', 'B · 客户姓名');
  await pick('map-grade', 'C · 意向级别');
  await page.fill('[data-testid="target-list"]', 'defeated-nov');
  await screenshot(page, 'console-01-mapping');
  await page.click('[data-testid="import-start"]');
  // progress while rows stream in (batches of 200), then done
  await page.waitForSelector('[data-testid="import-progress"]');
  const seen = new Set<string>();
  await eventually(async () => {
    seen.add((await page.textContent('[data-testid="import-counts"]')) ?? '');
    return (await page.getAttribute('[data-testid="import-progress"]', 'data-status')) === 'done';
  }, 'the import to finish', 60_000);
  expect(seen.size).toBeGreaterThanOrEqual(2);
  expect(await page.textContent('[data-testid="import-counts"]')).toContain('已读取 1201 / 1201 行 · 导入 1200 · 拒绝 1');
  await page.waitForSelector('[data-testid="rejected-rows"] td:text-is("502")');
  expect(await page.textContent('[data-testid="rejected-rows"]')).toContain('phone "12345" is not a phone number');
  await screenshot(page, 'console-02-import-done');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="rejected-download"]')]);
  const text = fs.readFileSync(await dl.path(), 'utf8');
  expect(text.replace(/^\uFEFF/, '').split('\r\n')[1]).toBe('502,"phone ""12345"" is not a phone number",12345,坏号码,B,是');
  await page.click('[data-testid="upload-close"]');
  await page.waitForSelector('[data-testid="leads-defeated-nov"]:text-is("1200")');
});

test('a manager creates and starts a campaign and watches its abandon gauges against the 3 % limit', async () => {
  await t.app.models.User.create({ username: 'ob1', displayName: '李强', passwordHash: await hashPassword('pw-ob1'), roles: ['agent'], storeIds: ['sh-pudong'] });
  await page.click('[data-testid="nav-campaigns"]');
  await page.click('[data-testid="campaign-new"]');
  await page.fill('[data-testid="f-campaignId"]', 'nov-winback');
  await page.fill('[data-testid="f-name"]', '11 月战败回访');
  await page.fill('[data-testid="f-callerId"]', '02158001234');
  await pick('f-lists', '战败客户 (1200)');
  await page.keyboard.press('Escape');
  await pick('f-agents', '李强 (ob1)');
  await page.keyboard.press('Escape');
  await screenshot(page, 'console-03-campaign-form');
  await page.click('[data-testid="campaign-save"]');
  await page.click('[data-testid="start-nov-winback"]');
  await page.waitForSelector('[data-testid="status-running"]');
  await page.click('[data-testid="live-nov-winback"]');
  await page.waitForSelector('[data-testid="gauge-30d"] svg');
  expect(await page.textContent('[data-testid="live-status"]')).toBe('进行中');
  expect(await page.getAttribute('[data-testid="gauge-today"]', 'data-rate')).toBe('0.0000');
  expect(await page.textContent('[data-testid="gauge-30d"]')).toContain('0.00%');
  expect((await t.app.models.Campaign.findById('nov-winback').lean())?.status).toBe('running');
  await screenshot(page, 'console-04-campaign-live');
  await page.keyboard.press('Escape');
  await page.click('text=暂停');
  await page.waitForSelector('[data-testid="status-paused"]');
});

test('after a scripted set of calls the interval report shows the figures computed by hand, and exports them', async () => {
  const agent: AgentClient = await readyAgent(t, 'rep1', { queueIds: ['sales'], storeIds: ['sh-pudong'] });
  const offer = (): Promise<{ callId: string }> => agent.next('call:offer', () => true);
  const accept = async (callId: string): Promise<void> => {
    const ack = await agent.send('call:accept', { callId });
    if (!ack.ok) throw new Error(ack.error);
    await agent.state('ringing');
    await eventually(() => t.clock.pending().some((h) => h.owner.includes('auto-answer')), 'auto-answer');
    await t.clock.advance(300);
    await agent.state('talking');
  };
  const wrapUpFor = async (ms: number): Promise<void> => {
    await agent.state('wrap_up');
    await t.clock.advance(ms);
    const ack = await agent.send('agent:ready');
    if (!ack.ok) throw new Error(ack.error);
    await agent.state('ready');
  };

  // 1: answered after 10.3 s (within 20 s), talk 60 s, after-call work 5 s
  const pending1 = offer();
  const c1 = await callIn(t, '13800000001');
  const o1 = await pending1;
  await t.clock.advance(10_000);
  await accept(o1.callId);
  await t.clock.advance(60_000);
  c1.hangup();
  await wrapUpFor(5_000);

  // 2: the agent is away; answered after 30.3 s, talk 120 s, after-call work 15 s
  await agent.send('agent:not_ready', { reason: 'break' });
  await agent.state('not_ready');
  const c2 = await callIn(t, '13800000002');
  await t.clock.advance(30_000);
  const pending2 = offer();
  await agent.send('agent:ready');
  const o2 = await pending2;
  await accept(o2.callId);
  await t.clock.advance(120_000);
  c2.hangup();
  await wrapUpFor(15_000);

  // 3: abandoned after 40 s; 4: abandoned after 3 s (a short abandon)
  await agent.send('agent:not_ready', { reason: 'break' });
  await agent.state('not_ready');
  const c3 = await callIn(t, '13800000003');
  await t.clock.advance(40_000);
  c3.hangup();
  const c4 = await callIn(t, '13800000004');
  await t.clock.advance(3_000);
  c4.hangup();

  // by hand: offered 4, answered 2, abandoned 2 (1 short);
  // SL = 1 within 20 s ÷ (2 + 2 − 1) = 33.3 %; ASA = (10.3 + 30.3) ÷ 2 = 20.3 s;
  // AHT = ((60 + 5) + (120 + 15)) ÷ 2 = 100.0 s; abandon rate = (2 − 1) ÷ (4 − 1) = 33.3 %
  const day = new Date(t.clock.now() + 8 * 3600_000).toISOString().slice(0, 10);
  const hour = new Date(t.clock.now() + 8 * 3600_000).toISOString().slice(11, 13);
  await eventually(async () => {
    const res = await fetch(`${t.url}/api/reports/intervals?dim=queue&grain=day&from=${day}&to=${day}`, { headers: { authorization: `Bearer ${(await t.login('boss', 'pw-boss')).body.token as string}` } });
    const body = (await res.json()) as { totals: { offered: number }[] };
    return body.totals[0]?.offered === 4;
  }, 'the four calls in the interval rows', 20_000);

  await page.goto(`${t.url}/console?section=reports&from=${day}&to=${day}`);
  await page.waitForSelector('[data-testid="report-table"] tbody tr');
  const totalRow = page.locator('[data-testid="report-table"] tbody tr', { hasText: '合计' });
  const cells = (await totalRow.locator('td').allTextContents()).map((s) => s.trim());
  expect(cells).toEqual(['合计', 'sales', '4', '2', '2', '33.3%', '20.3', '100.0', '33.3%', expect.any(String)]);
  const hourRow = (await page.locator('[data-testid="report-table"] tbody tr', { hasText: `${day} ${hour}:00` }).first().locator('td').allTextContents()).map((s) => s.trim());
  expect(hourRow.slice(1, 9)).toEqual(['sales', '4', '2', '2', '33.3%', '20.3', '100.0', '33.3%']);
  await page.waitForSelector('[data-testid="report-chart"] svg');
  await screenshot(page, 'console-05-report');

  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-csv"]')]);
  const lines = fs.readFileSync(await csv.path(), 'utf8').replace(/^\uFEFF/, '').trim().split('\r\n');
  expect(lines[0]).toBe('interval,key,offered,answered,abandoned,SL %,ASA s,AHT s,abandon %,occupancy %');
  expect(lines).toContain(`total,sales,4,2,2,33.3,20.3,100.0,33.3,${lines.find((l) => l.startsWith('total,'))?.split(',')[9] ?? ''}`);
  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-xlsx"]')]);
  const bytes = fs.readFileSync(await xlsx.path());
  expect(bytes.subarray(0, 2).toString()).toBe('PK');
  expect(xlsx.suggestedFilename()).toBe(`report-queue-60m-${day}-${day}.xlsx`);
  agent.close();
});
