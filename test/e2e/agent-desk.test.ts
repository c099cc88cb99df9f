import { chromium, type Browser, type Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/passwords';
import type { Role } from '../../src/store/models';
import { armed, callIn } from '../support/call-steps';
import { openDesk, screenshot, stateIs } from '../support/desk';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';
import { AgentClient } from '../support/agent-client';

/**
 * The agent desk (the web app at /desk) in Chromium at 1366×768 against the app on the simulated
 * switch: what a DCC agent sees and clicks, in Chinese first. The simulated switch answers the
 * agent's leg (the desk says "模拟"); the browser softphone itself is exercised on the real stack
 * (test/realstack/webrtc-agent.test.ts). Screenshots go to test-output/desk/.
 */

const DAY = 86_400_000;
jest.setTimeout(120_000);
let t: TestApp;
let browser: Browser;

async function user(username: string, displayName: string, roles: Role[], extra: Record<string, unknown> = {}): Promise<void> {
  await t.app.models.User.create({ username, displayName, passwordHash: await hashPassword(`pw-${username}`), roles, queueIds: ['sales'], storeIds: ['sh-pudong'], skills: [], ...extra });
}

beforeAll(async () => {
  const executablePath = process.env.CHROMIUM_PATH;
  if (!executablePath) throw new Error('CHROMIUM_PATH is not set: run the tests with npm test, which installs Chromium');
  t = await startTestApp({ queues: [{ queueId: 'sales', name: '销售热线', storeId: 'sh-pudong', numbers: ['4008001234'], preferredWaitMs: 0, requireDisposition: true }] });
  await t.app.models.Store.create({ _id: 'sh-pudong', groupId: 'demo-group', name: '浦东 4S 店', city: '上海', timeZone: 'Asia/Shanghai' });
  await t.app.reloadRouting();
  const now = t.clock.now();
  await t.app.models.Customer.create({
    name: '张伟',
    phones: ['+8613800138000'],
    grade: 'A',
    status: 'defeated',
    defeatReason: '价格 — 竞品报价低 1.2 万',
    owningStoreId: 'sh-pudong',
    owningUser: 'sc1',
    modelsConsidered: ['Model Y', 'Model S 长续航'],
    funnel: [
      { at: new Date(now - 40 * DAY), kind: 'visit', storeId: 'sh-pudong', model: 'Model Y', grade: 'C', note: '首次到店' },
      { at: new Date(now - 33 * DAY), kind: 'test_drive', storeId: 'sh-pudong', model: 'Model S 长续航' },
      { at: new Date(now - 33 * DAY), kind: 'grade_change', grade: 'B', note: 'C→B 试驾后意向提升' },
      { at: new Date(now - 30 * DAY), kind: 'quote', storeId: 'sh-pudong', model: 'Model S 长续航', note: '报价 32.8 万' },
      { at: new Date(now - 25 * DAY), kind: 'grade_change', grade: 'A', note: 'B→A 谈价' },
      { at: new Date(now - 21 * DAY), kind: 'defeat', note: '战败：竞品报价更低' },
    ],
  });
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--font-render-hinting=none'] });
});

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

/** Moves the virtual clock in small steps until the page shows `selector`. */
async function advanceUntilShown(page: Page, selector: string, what: string, stepMs = 250, maxMs = 60_000): Promise<void> {
  for (let waited = 0; ; waited += stepMs) {
    if (await page.locator(selector).first().isVisible()) return;
    if (waited > maxMs) throw new Error(`still waiting for ${what} after ${maxMs} ms of clock time`);
    await t.clock.advance(stepMs);
    await new Promise((r) => setTimeout(r, 30));
  }
}

async function acceptOffer(page: Page): Promise<void> {
  await page.click('[data-testid="accept"]');
  await armed(t, 'auto-answer');
  await t.clock.advance(300);
  await stateIs(page, '通话中');
}

/** Texts of the page's own chrome (not customer data, names or store names) must hold no Chinese in English. */
async function chromeTexts(page: Page): Promise<string> {
  return page.evaluate(`(() => {
    const parts = [];
    for (const sel of ['.shell-brand', '[data-testid="connection"]', '[data-testid="extension"]', '[data-testid="state-bar"]', '[data-testid="phone-panel"]', '.side-tabs .ant-tabs-nav', '.side-tabs .ant-tabs-tabpane-active', '[data-testid="pop-empty"]']) {
      document.querySelectorAll(sel).forEach((el) => parts.push(el.innerText));
    }
    return parts.join('\\n');
  })()`);
}

test('a wrong password is refused on the login page with the reason, in Chinese', async () => {
  await user('desk0', '坐席 0', ['agent']);
  const page = await openDesk(browser, t.url, 'desk0', 'wrong-password');
  await page.waitForSelector('[data-testid="login-error"]');
  expect(await page.textContent('[data-testid="login-error"]')).toBe('工号或密码错误');
  await screenshot(page, '01-login-refused');
  expect(await page.locator('[data-testid="desk"]').count()).toBe(0);
  await page.close();
});

test('an agent takes a known caller: full pop with C→B→A, answers, holds, consults a colleague and hands over; books a visit on the next call that the consultant sees at once', async () => {
  await user('desk1', '王丽', ['agent'], { extension: '8001' });
  await user('desk2', '李强', ['agent'], { extension: '8002' });
  await user('sc1', '陈晨', ['sales_consultant'], { extension: '8101', queueIds: [] });
  // the colleague's desk is open (their softphone answers a consult), the consultant's desk too
  const colleague = await AgentClient.connect(t.url, (await t.login('desk2', 'pw-desk2')).body.token as string);
  const consultant = await openDesk(browser, t.url, 'sc1', 'pw-sc1');
  const page = await openDesk(browser, t.url, 'desk1', 'pw-desk1');
  try {
    await stateIs(page, '小休');
    expect(await page.textContent('[data-testid="user"]')).toContain('王丽');
    expect(await page.textContent('[data-testid="extension"]')).toBe('分机 8001');
    expect(await page.textContent('[data-testid="stores"]')).toContain('浦东 4S 店');
    // the simulated switch answers for the agent: the bar says so
    expect(await page.textContent('[data-testid="phone-mode"]')).toBe('软电话 · 模拟');

    // a not-ready reason from the configured list, then ready
    await page.click('[data-testid="not-ready"]');
    await page.click('[data-testid="reason-lunch"]');
    await page.waitForSelector('[data-testid="state-reason"]:text-is("午餐")');
    await page.click('[data-testid="ready"]');
    await stateIs(page, '就绪');
    await screenshot(page, '02-ready-waiting');

    // the pop: grade history C→B→A, the defeat reason, the owning consultant and store
    await callIn(t, '+8613800138000');
    await page.waitForSelector('[data-testid="offer"]');
    expect(await page.textContent('[data-testid="offer-from"]')).toBe('+8613800138000');
    expect(await page.getAttribute('[data-testid="grade-path"]', 'aria-label')).toBe('C→B→A');
    expect(await page.textContent('[data-testid="defeat-reason"]')).toContain('价格 — 竞品报价低 1.2 万');
    expect(await page.textContent('[data-testid="owner"]')).toBe('陈晨');
    expect(await page.textContent('[data-testid="owning-store"]')).toBe('浦东 4S 店');
    expect(await page.textContent('[data-testid="customer-name"]')).toBe('张伟');
    expect(await page.textContent('[data-testid="funnel"]')).toContain('试驾');
    await screenshot(page, '03-offer-screen-pop');

    await acceptOffer(page);
    await page.waitForSelector('[data-testid="call-timer"]');
    await screenshot(page, '04-talking');

    // hold and resume
    await page.click('[data-testid="hold"]');
    await page.waitForSelector('[data-testid="hold-notice"]');
    expect(await page.textContent('[data-testid="hold"]')).toContain('恢复');
    await screenshot(page, '05-on-hold');
    await page.click('[data-testid="hold"]');
    await page.waitForSelector('[data-testid="hold"]:has-text("保持")');
    expect(await page.locator('[data-testid="hold-notice"]').count()).toBe(0);

    // consult transfer to the colleague (presence shown), then complete
    await page.click('[data-testid="transfer"]');
    await page.waitForSelector('[data-testid="colleague-desk2"]');
    expect(await page.textContent('[data-testid="colleague-desk2"]')).toContain('李强');
    await screenshot(page, '06-transfer-dialog');
    await page.click('[data-testid="colleague-desk2"]');
    await page.click('#transfer-start');
    await page.waitForSelector('[data-testid="transfer-state"]:has-text("正在呼叫")');
    await advanceUntilShown(page, '[data-testid="transfer-complete"]', 'the colleague answering the consult', 100);
    expect(await page.textContent('[data-testid="transfer-state"]')).toContain('正在与 李强 咨询通话');
    await screenshot(page, '07-consulting');
    await page.click('[data-testid="transfer-complete"]');
    await stateIs(page, '话后整理');
    await page.waitForSelector('[data-testid="wrap-up-countdown"]');

    // the outcome by hotkey: 3 = 已解答咨询; saving ends the wrap-up
    await page.locator('[data-testid="disposition"]').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('3');
    await page.waitForSelector('[data-testid="code-info_given"][aria-checked="true"]');
    await screenshot(page, '08-wrap-up-disposition');
    await page.click('[data-testid="save-disposition"]');
    await page.waitForSelector('[data-testid="disposition-saved"]');
    await stateIs(page, '就绪');
    const first = await eventually(async () => (await t.app.models.CallRecord.findOne({ from: '+8613800138000', agentUsername: 'desk1' }).lean()) ?? undefined, 'the first call record');
    expect(first).toMatchObject({ outcome: 'transferred', disposition: { code: 'info_given' } });

    // a second call from the same customer: hang up, book a store visit with the consultant
    await callIn(t, '+8613800138000');
    await page.waitForSelector('[data-testid="offer"]');
    await acceptOffer(page);
    await t.clock.advance(45_000);
    await page.click('[data-testid="hangup"]');
    await stateIs(page, '话后整理');
    await page.locator('[data-testid="disposition"]').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('1');
    await page.waitForSelector('.appointment-fields');
    await page.locator('.appointment-fields .ant-picker input').first().click();
    await page.keyboard.type('2026-01-06');
    await page.keyboard.press('Enter');
    await page.click('[data-testid="consultant-sc1"]');
    await page.locator('.appointment-fields .ant-picker input').nth(1).click();
    await page.keyboard.type('10:00');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await page.fill('[data-testid="notes"]', '客户周二上午到店看 Model Y');
    await screenshot(page, '09-appointment-form');
    await page.click('[data-testid="save-disposition"]');
    await page.waitForSelector('[data-testid="disposition-saved"]');
    expect(await page.textContent('[data-testid="disposition-saved"]')).toContain('已邀约到店');
    await screenshot(page, '10-disposition-saved');

    // the consultant's open desk shows the booking at once
    await consultant.waitForSelector('[data-testid="appointment-notice"]', { timeout: 10_000 });
    expect(await consultant.textContent('[data-testid="appointment-notice"]')).toContain('张伟');
    expect(await consultant.textContent('[data-testid="appointment-notice"]')).toContain('desk1');
    await screenshot(consultant, '11-consultant-notice');
    const booked = await t.app.models.Disposition.findOne({ agentUsername: 'desk1', code: 'appointment_set' }).lean();
    expect(booked?.appointment).toMatchObject({ storeId: 'sh-pudong', consultant: 'sc1', at: new Date('2026-01-06T02:00:00Z') });

    // my day: two calls, one visit, one defeated customer won back
    await page.click('[data-testid="tab-my-day"]');
    await page.waitForSelector('[data-testid="stats-chart"] svg');
    await page.waitForSelector('[data-testid="stat-calls"]:has-text("呼入 2 / 外呼 0")');
    expect(await page.textContent('[data-testid="stat-calls"]')).toMatch(/处理通话\s*2/);
    expect(await page.textContent('[data-testid="stat-appointments"]')).toContain('1');
    expect(await page.textContent('[data-testid="stat-won-back"]')).toContain('1');
    await screenshot(page, '12-my-day');
  } finally {
    colleague.close();
    await consultant.close();
    await page.close();
  }
});

test('a second call: after hanging up, the agent cannot go ready before the outcome is saved (the queue requires it)', async () => {
  await user('desk3', '赵敏', ['agent']);
  const page = await openDesk(browser, t.url, 'desk3', 'pw-desk3');
  try {
    await stateIs(page, '小休');
    await page.click('[data-testid="ready"]');
    await stateIs(page, '就绪');
    await callIn(t, '+8613900001111');
    await page.waitForSelector('[data-testid="offer"]');
    // an unknown caller: the 新客户 card with its form
    await page.waitForSelector('[data-testid="new-customer"]');
    await screenshot(page, '13-new-customer-offer');
    await acceptOffer(page);
    await page.click('[data-testid="hangup"]');
    await stateIs(page, '话后整理');
    await page.click('[data-testid="ready"]');
    await page.waitForSelector('.ant-message-notice:has-text("请先保存本通电话的小结，再就绪")');
    expect(await page.textContent('[data-testid="agent-state"]')).toBe('话后整理');
    await screenshot(page, '14-disposition-required');
    await page.click('[data-testid="code-not_interested"]');
    await page.click('[data-testid="save-disposition"]');
    await stateIs(page, '就绪');
  } finally {
    await page.close();
  }
});

test('a reload in the middle of a call brings the call back from the server, with the customer', async () => {
  await user('desk5', '周婷', ['agent']);
  const page = await openDesk(browser, t.url, 'desk5', 'pw-desk5');
  try {
    await stateIs(page, '小休');
    await page.click('[data-testid="ready"]');
    await stateIs(page, '就绪');
    await callIn(t, '+8613800138000');
    await page.waitForSelector('[data-testid="offer"]');
    await acceptOffer(page);
    await page.reload();
    await stateIs(page, '通话中');
    await page.waitForSelector('[data-testid="pop"]:has-text("已从服务器恢复这通电话")');
    expect(await page.textContent('[data-testid="call-number"]')).toBe('+8613800138000');
    expect(await page.textContent('[data-testid="customer-name"]')).toBe('张伟');
    await screenshot(page, '19-restored-after-reload');
    await page.click('[data-testid="hangup"]');
    await stateIs(page, '话后整理');
    await page.click('[data-testid="code-info_given"]');
    await page.click('[data-testid="save-disposition"]');
    await page.waitForSelector('[data-testid="disposition-saved"]');
  } finally {
    await page.close();
  }
});

test('a preview campaign: one lead card dialled (outbound pop with the script), another skipped with a reason', async () => {
  await user('ob1', '孙悦', ['agent'], { queueIds: [] });
  const listed = [
    { _id: 'q4:+8613600000011', listId: 'q4', phone: '+8613600000011', name: '韩梅', grade: 'A', defeatReason: '预算不够' },
    { _id: 'q4:+8613600000012', listId: 'q4', phone: '+8613600000012', name: '李雷', grade: 'B', defeatReason: '选了竞品' },
  ];
  // leads who agreed to be called (a lead without consent is never dialled)
  await t.app.models.Lead.insertMany(listed.map((l) => ({ ...l, status: 'new', timeZone: 'Asia/Shanghai', consent: true })));
  await t.app.models.Campaign.create({
    _id: 'win-back',
    name: '战败回访 Q4',
    storeIds: ['sh-pudong'],
    mode: 'preview',
    callerId: '02158005678',
    listIds: ['q4'],
    agents: ['ob1'],
    window: { days: [1, 2, 3, 4, 5, 6, 7], from: '09:00', to: '20:00' },
    script: '您好，我是浦东4S店的顾问，上次您来看过车，最近有新的购车政策……',
  });
  await t.app.campaigns.start('win-back');
  t.sw.registerEndpoint('+8613600000011', { answer: 'auto', afterMs: 2000 });
  const page = await openDesk(browser, t.url, 'ob1', 'pw-ob1');
  try {
    await stateIs(page, '小休');
    await page.click('[data-testid="ready"]');
    await stateIs(page, '就绪');
    await page.click('[data-testid="tab-outbound"]');
    await page.click('[data-testid="preview-next"]');
    await page.waitForSelector('[data-testid="preview-card"]');
    expect(await page.textContent('[data-testid="preview-name"]')).toBe('韩梅');
    expect(await page.textContent('[data-testid="script"]')).toContain('浦东4S店');
    await screenshot(page, '15-preview-card');
    await page.click('[data-testid="preview-dial"]');
    await advanceUntilShown(page, '[data-testid="pop"] [data-testid="script"]', 'the outbound pop', 100);
    expect(await page.textContent('[data-testid="pop-number"]')).toBe('+8613600000011');
    await stateIs(page, '通话中');
    await screenshot(page, '16-outbound-pop');
    await t.clock.advance(30_000);
    await page.click('[data-testid="hangup"]');
    await stateIs(page, '话后整理');
    await page.click('[data-testid="tab-disposition"]');
    await page.click('[data-testid="code-callback_requested"]');
    await page.click('[data-testid="save-disposition"]');
    await stateIs(page, '就绪');

    // the next lead is skipped, with a reason kept on the lead
    await page.click('[data-testid="tab-outbound"]');
    await page.click('[data-testid="preview-next"]');
    await page.waitForSelector('[data-testid="preview-name"]:text-is("李雷")');
    await page.click('[data-testid="preview-skip"]');
    await page.waitForSelector('.ant-message-notice:has-text("已跳过")');
    await stateIs(page, '就绪');
    const skipped = await t.app.models.Lead.findById('q4:+8613600000012').lean();
    expect(skipped?.skips).toEqual([expect.objectContaining({ agent: 'ob1', reason: 'wrong_time' })]);
    expect(await t.app.models.Lead.findById('q4:+8613600000011').lean()).toMatchObject({ attempts: 1, lastOutcome: 'connected' });
  } finally {
    await page.close();
  }
});

test('the English switch translates everything on the desk, server refusals included; an ended session says why on the login page', async () => {
  await user('desk4', 'Li Na', ['agent'], { extension: '8004' });
  const page = await openDesk(browser, t.url, 'desk4', 'pw-desk4');
  try {
    await stateIs(page, '小休');
    await page.click('[data-testid="lang"]');
    await page.click('.ant-select-item-option[title="English"]');
    await stateIs(page, 'Break');
    expect(await page.textContent('[data-testid="ready"]')).toContain('Ready');
    expect(await page.textContent('[data-testid="tab-disposition"]')).toContain('Outcome');
    expect(await page.textContent('[data-testid="phone-mode"]')).toBe('Softphone · Simulated');
    await page.click('[data-testid="tab-my-day"]');
    await page.waitForSelector('[data-testid="stat-calls"]');
    expect(await chromeTexts(page)).not.toMatch(/[\u4e00-\u9fff]/);
    await screenshot(page, '17-english');
    // a refusal from the server, in English: extending wrap-up with no call
    const refused = await page.evaluate<string>(`(async () => { const r = await fetch('/api/me/stats?range=month', { headers: { authorization: 'Bearer ' + JSON.parse(sessionStorage.getItem('dcc.session')).token } }); return String(r.status); })()`);
    expect(refused).toBe('400');
    // the account is disabled while the desk is open: back to the login page, told why, in English
    t.app.endSessions('desk4', 'account_disabled', 'this account was disabled');
    await page.waitForSelector('[data-testid="login-notice"]');
    expect(await page.textContent('[data-testid="login-notice"]')).toBe('Your session ended: This account is disabled; ask your administrator');
    await screenshot(page, '18-session-ended-english');
    expect(await page.textContent('[data-testid="login-button"]')).toContain('Log in');
  } finally {
    await page.close();
  }
});
