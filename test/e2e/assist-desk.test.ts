import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { seedAssistDemo } from '../../src/assist/assist-seed';
import { hashPassword } from '../../src/auth/passwords';
import { seedDemoOrganisation } from '../../src/seed/demo-seed';
import { armed } from '../support/call-steps';
import { openDesk, screenshot, stateIs } from '../support/desk';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * The driver screen-pop (#15) in the agent desk, in Chromium at 1366×768: an automatic crash with an
 * NG eCall MSD is offered to an assistant, whose desk shows the member, the car, the position on the
 * shipped China outline and the close-up map with the nearest stores. Screenshots: test-output/desk/assist-*.png.
 */

jest.setTimeout(120_000);
const MSD = (JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/assist/msd-vectors.json'), 'utf8')) as { scenarios: Record<string, string> }).scenarios;
let t: TestApp;
let browser: Browser;

beforeAll(async () => {
  const executablePath = process.env.CHROMIUM_PATH;
  if (!executablePath) throw new Error('CHROMIUM_PATH is not set: run the tests with npm test, which installs Chromium');
  t = await startTestApp({ queues: [] });
  await seedDemoOrganisation(t.app.models);
  await seedAssistDemo(t.app.models, t.app.assist.models, 'dcc-cti', t.clock.now());
  await t.app.assist.loadSites();
  await t.app.reloadRouting();
  await t.app.models.User.create({ username: 'as1', displayName: '周敏 (一键通)', passwordHash: await hashPassword('pw-as1'), roles: ['agent'], queueIds: ['assist-7x24'], storeIds: ['sh-pudong'], skills: [] });
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--font-render-hinting=none'] });
});

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

test('an automatic crash pops the driver card with the map and the nearest stores; a malformed MSD shows its fault', async () => {
  const page = await openDesk(browser, t.url, 'as1', 'pw-as1');
  await page.click('[data-testid="ready"]');
  await stateIs(page, '就绪');
  const cid = 'msd-1@car.example';
  const car = t.sw.placeCall({
    from: 'LSVAU2180N2183294',
    to: '4008009999',
    source: 'vehicle',
    headers: { 'X-Vehicle-VIN': 'LSVAU2180N2183294', 'Call-Info': `<cid:${cid}>;purpose=EmergencyCallData.eCall.MSD` },
    bodyParts: [{ contentType: 'application/emergencyCallData.eCall.MSD', contentId: cid, body: Buffer.from(MSD.crashShanghai as string, 'hex') }],
  });
  await page.waitForSelector('[data-testid="driver-pop"]');
  expect(await page.textContent('[data-testid="driver-event"]')).toBe('碰撞报警');
  expect(await page.textContent('[data-testid="driver-member"]')).toContain('张伟');
  expect(await page.textContent('[data-testid="driver-member"]')).toContain('金卡');
  const nearest = await page.locator('[data-testid="driver-nearest"] .ant-list-item').allTextContents();
  expect(nearest[0]).toContain('浦东 4S 店');
  expect(nearest).toHaveLength(5);
  expect(await page.locator('[data-testid="assist-map-car"]').count()).toBe(1);
  // the close-up draws the stores within 60 km: the three Shanghai stores (Suzhou, 79 km, only in the list)
  expect(await page.locator('[data-testid="assist-map-store"]').count()).toBe(3);
  expect(await page.locator('[data-testid="assist-overview"] circle').count()).toBe(2);
  await screenshot(page, 'assist-crash-offer');
  await page.click('[data-testid="accept"]');
  await armed(t, 'auto-answer');
  await t.clock.advance(300);
  await stateIs(page, '通话中');
  await screenshot(page, 'assist-crash-talking');
  car.hangup();
  await stateIs(page, '话后整理');
  await page.close();

  const page2 = await openDesk(browser, t.url, 'as1', 'pw-as1', { lang: 'en' });
  await page2.waitForSelector('[data-testid="agent-state"]');
  const ready = page2.locator('[data-testid="ready"]');
  await t.clock.advance(31_000); // wrap-up over
  if (await ready.isVisible()) await ready.click();
  await page2.waitForSelector('[data-testid="agent-state"]:text-is("Ready")');
  const broken = t.sw.placeCall({ from: 'LHGCV1658K8041234', to: '4008009999', source: 'vehicle', headers: { 'X-Vehicle-VIN': 'LHGCV1658K8041234', 'X-Vehicle-Event': 'roadside', 'X-Vehicle-Lat': '95.2', 'X-Vehicle-Lon': 'east' } });
  await page2.waitForSelector('[data-testid="driver-faults"]');
  expect(await page2.textContent('[data-testid="driver-faults"]')).toContain('position not usable');
  expect(await page2.textContent('[data-testid="driver-event"]')).toBe('Roadside help');
  await screenshot(page2, 'assist-fault-offer-en');
  broken.hangup();
  await page2.close();
});
