import path from 'node:path';
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/passwords';
import { bindAuditLog } from '../../src/supervisor/audit-log';
import type { SimParty } from '../../src/telephony/sim/sim-party';
import { findProjectRoot } from '../../src/util/project-root';
import { acceptAndConnect, callIn } from '../support/call-steps';
import { DESK_VIEWPORT } from '../support/desk';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';
import type { AgentClient } from '../support/agent-client';

/**
 * The supervisors' live board (/board) in Chromium at 1366×768, against the app on the simulated
 * switch: a waiting call appears within a second with its waiting time counting, the supervisor
 * listens and then whispers on their own (simulated) phone — the switch says who hears whom — and
 * forces an agent not ready with a reason (written to the audit log). Screenshots go to
 * test-output/board/.
 */

jest.setTimeout(180_000);
let t: TestApp;
let browser: Browser;

async function shot(page: Page, name: string): Promise<void> {
  const dir = path.join(findProjectRoot(), 'test-output', 'board');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}

async function openBoard(username: string, lang?: 'en'): Promise<Page> {
  const page = await browser.newPage({ viewport: DESK_VIEWPORT });
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (err) => process.stdout.write(`board page error: ${err.message}\n`));
  await page.goto(`${t.url}/${lang ? `?lang=${lang}` : ''}`);
  await page.fill('#username', username);
  await page.fill('#password', `pw-${username}`);
  await page.click('[data-testid="login-button"]');
  return page;
}

/** The waiting time the board shows for a call, in seconds. */
async function shownWait(page: Page, callSelector: string): Promise<number> {
  const text = (await page.textContent(`${callSelector} [data-testid="waiting-time"]`)) ?? '';
  const [m, s] = text.split(':').map(Number);
  return (m ?? 0) * 60 + (s ?? 0);
}

beforeAll(async () => {
  const executablePath = process.env.CHROMIUM_PATH;
  if (!executablePath) throw new Error('CHROMIUM_PATH is not set: run the tests with npm test, which installs Chromium');
  t = await startTestApp({ queues: [{ queueId: 'sales', name: '销售热线', storeId: 'sh-pudong', numbers: ['4008001234'], preferredWaitMs: 0 }, { queueId: 'service', name: '售后服务', storeId: 'sh-pudong', numbers: ['4008005678'], preferredWaitMs: 0, serviceLevel: { target: 0.9, thresholdSec: 30, shortAbandonSec: 5 } }] });
  await t.app.models.Store.create({ _id: 'sh-pudong', groupId: 'demo-group', name: '浦东 4S 店', city: '上海', timeZone: 'Asia/Shanghai' });
  await t.app.models.Team.create({ _id: 'pd-dcc', storeId: 'sh-pudong', name: '浦东 DCC 一组', members: ['wangli', 'liqiang', 'zhaomin'] });
  await t.app.models.User.create({ username: 'zhaomin', displayName: '赵敏', passwordHash: await hashPassword('pw-zhaomin'), roles: ['supervisor'], queueIds: [], storeIds: ['sh-pudong'], skills: [], extension: '8800' });
  await t.app.reloadRouting();
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--font-render-hinting=none'] });
});

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

test('a supervisor sees a waiting call within a second with its wait counting, listens then whispers on their own phone (the switch confirms who hears whom), forces an agent not ready (audited); board and wallboard at 1366×768', async () => {
  const agent: AgentClient = await t.agent('wangli', { queueIds: ['sales'], storeIds: ['sh-pudong'] });
  await t.app.models.User.updateOne({ username: 'wangli' }, { displayName: '王丽' });
  const other: AgentClient = await t.agent('liqiang', { queueIds: ['sales', 'service'], storeIds: ['sh-pudong'] });
  await t.app.models.User.updateOne({ username: 'liqiang' }, { displayName: '李强' });
  await agent.state('not_ready');
  await other.state('not_ready');

  const page = await openBoard('zhaomin');
  // a supervisor lands on the board
  await page.waitForSelector('[data-testid="board"]');
  expect(new URL(page.url()).pathname).toBe('/board');
  await page.waitForSelector('[data-testid="queue-sales"]');
  expect(await page.textContent('[data-testid="queue-service"]')).toContain('售后服务');
  await page.waitForSelector('[data-testid="agent-wangli"][data-state="not_ready"]');

  // a caller waits (nobody is ready): on the board within a second, the wait counting
  const caller = await callIn(t, '+8613800138000');
  const enqueued = Date.now();
  const row = '[data-testid="waiting-call"]';
  await page.waitForSelector(`${row}:has-text("+8613800138000")`, { timeout: 5000 });
  const seenAfterMs = Date.now() - enqueued;
  process.stdout.write(`waiting call on the board ${seenAfterMs} ms after it was queued\n`);
  expect(seenAfterMs).toBeLessThan(1000);
  expect(await page.textContent('[data-testid="queue-sales"] [data-testid="queue-waiting"]')).toBe('1');
  const firstWait = await shownWait(page, row);
  await eventually(async () => (await shownWait(page, row)) >= firstWait + 1, 'the waiting time to count up', 5000);
  await shot(page, '01-board-call-waiting');

  // the agent takes it: a connected call on the board
  expect((await agent.send('agent:ready')).ok).toBe(true);
  const offer = await agent.next<{ callId: string }>('call:offer');
  await acceptAndConnect(t, agent, offer.callId);
  const live = `[data-testid="live-call"][data-call="${offer.callId}"]`;
  await page.waitForSelector(live);
  await page.waitForSelector('[data-testid="agent-wangli"][data-state="talking"]');
  expect(await page.locator(row).count()).toBe(0);

  // listen, on the supervisor's phone (the simulated switch rings it; it answers)
  let supPhone: SimParty | undefined;
  t.sw.registerEndpoint('agent:zhaomin', { answer: 'manual', onRing: (p) => { supPhone = p; p.answer(); } });
  await page.click(`${live} [data-testid="listen"]`);
  await page.waitForSelector(`${live} [data-testid="my-monitor"][data-mode="listen"]`);
  const supLeg = (supPhone as SimParty).legId;
  const [agentLeg] = t.sw.hears(caller.legId);
  expect(agentLeg).toBeDefined();
  expect(t.sw.hears(supLeg).sort()).toEqual([agentLeg, caller.legId].sort()); // the supervisor hears both
  expect(t.sw.hears(caller.legId)).toEqual([agentLeg]); // nobody hears the supervisor
  expect(t.sw.hears(agentLeg as string)).toEqual([caller.legId]);
  await shot(page, '02-board-listening');

  // whisper: the agent hears the supervisor, the customer does not
  await page.click(`${live} [data-testid="whisper"]`);
  await page.waitForSelector(`${live} [data-testid="my-monitor"][data-mode="whisper"]`);
  expect(await agent.next('call:monitored')).toEqual({ callId: offer.callId, mode: 'whisper' });
  expect(t.sw.hears(agentLeg as string).sort()).toEqual([caller.legId, supLeg].sort());
  expect(t.sw.hears(caller.legId)).toEqual([agentLeg]);
  await page.waitForSelector(`${live} button[data-testid="whisper"].ant-btn-primary`);

  // force the other agent not ready, with a reason: their desk is told, the board shows it, the audit log has it
  expect((await other.send('agent:ready')).ok).toBe(true);
  await page.waitForSelector('[data-testid="agent-liqiang"][data-state="ready"]');
  await page.click('[data-testid="agent-liqiang"] [data-testid="force-menu"]');
  await page.click('[data-testid="force-not_ready"]');
  await page.click('[data-testid="force-ok"]'); // no reason yet: refused by the form
  await page.waitForSelector('.ant-form-item-explain-error:has-text("请填写原因")');
  await page.fill('[data-testid="force-reason"]', '临时培训');
  await page.click('[data-testid="force-ok"]');
  expect(await other.state('not_ready')).toMatchObject({ state: 'not_ready', reason: '临时培训' });
  await page.waitForSelector('[data-testid="agent-liqiang"][data-state="not_ready"]');
  expect(await page.textContent('[data-testid="agent-liqiang"] [data-testid="agent-state"]')).toContain('临时培训');
  const audit = bindAuditLog(t.app.models.User.db);
  const entries = await audit.find({ target: 'liqiang' }).lean();
  expect(entries).toEqual([expect.objectContaining({ actor: 'zhaomin', action: 'agent.force_not_ready', reason: '临时培训', outcome: 'done', storeIds: ['sh-pudong'] })]);

  // forcing a talking agent not ready is refused with the reason, and audited as refused
  await page.click('[data-testid="agent-wangli"] [data-testid="force-menu"]');
  await page.click('.ant-dropdown:visible [data-testid="force-not_ready"]');
  await page.fill('[data-testid="force-reason"]', '测试');
  await page.click('[data-testid="force-ok"]');
  await page.waitForSelector('.ant-message:has-text("操作未完成")');
  expect(await audit.countDocuments({ target: 'wangli', outcome: /^refused: state_refused/ })).toBe(1);
  await page.keyboard.press('Escape');
  await page.waitForSelector('.ant-modal-wrap', { state: 'hidden' });
  await shot(page, '03-board-forced-not-ready');

  // the wallboard: full screen, the time of the last update; a second caller waits meanwhile
  const second = await callIn(t, '+8613911112222', '4008005678');
  await page.waitForSelector('.ant-message-notice', { state: 'detached' });
  await page.click('[data-testid="wallboard-button"]');
  await page.waitForSelector('[data-testid="wallboard"]');
  expect(await page.textContent('[data-testid="wall-updated"]')).toMatch(/更新于 \d{2}:\d{2}:\d{2}/);
  await page.waitForSelector('[data-testid="wall-waiting"]:text-is("1")');
  await shot(page, '04-wallboard');
  await page.click('[data-testid="exit-wall"]');

  // the second caller gives up after waiting: an abandon on the service queue's tile
  await t.clock.advance(8000);
  second.hangup();
  await page.waitForSelector('[data-testid="queue-service"] [data-testid="queue-abandoned"]:text-is("1")');

  // the caller hangs up, the agent saves the outcome: answered 1 on the queue's tile
  caller.hangup();
  await agent.next('call:ended');
  expect((await agent.send('call:disposition', { callId: offer.callId, code: 'info_given', notes: '' })).ok).toBe(true);
  await page.waitForSelector('[data-testid="queue-sales"] [data-testid="queue-answered"]:text-is("1")');
  expect(await page.textContent('[data-testid="queue-sales"] [data-testid="queue-offered"]')).toBe('1');
  await page.close();
});
