import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import Redis from 'ioredis';
import { hashPassword } from '../../src/auth/passwords';
import { RealClock } from '../../src/clock/clock';
import { createLogger } from '../../src/log';
import type { FsSwitch } from '../../src/telephony/freeswitch/fs-switch';
import { Registrar } from '../../src/telephony/freeswitch/registrar';
import { openDesk, screenshot, stateIs } from '../support/desk';
import { startAppOn, testServices, type TestAppOf } from '../support/test-app';
import { callRecordOf, recordingStopped } from './call-records';
import { realStackIvrDir } from './ivr-line';
import { realStackEnv, realStackSwitch } from './realstack-env';
import { killStraySipp, sipp } from './sipp';
import { SipPhone } from '../support/sip-phone';
import { rms, soxi } from './wav';

// a failed test leaves no SIPp behind holding its ports
afterEach(killStraySipp);

/**
 * The agent desk in Chromium on the real stack: the agent logs in to the web app (/desk), its softphone
 * registers over WebSocket through drachtio, a SIPp caller presses 1 in the IVR, the agent accepts
 * the offer on the desk and the app dials the browser (late offer: the browser offers DTLS-SRTP with
 * ICE, FreeSWITCH answers). Checked where people notice: the desk's texts, audio both ways (the
 * browser's packets and energy, the agent's side of the stereo recording), the call record.
 * Needs DRACHTIO_WS_URI (drachtio's WebSocket contact) and CHROMIUM_PATH; scripts/test-realstack.cjs
 * finds Chromium and leaves this suite out, saying why, when either is missing.
 */

const env = realStackEnv();
const wsUri = process.env.DRACHTIO_WS_URI ?? '';
const chromiumPath = process.env.CHROMIUM_PATH ?? '';
const secret = 'realstack-webrtc-secret-0123456789abcdef';
const CALLER_PORT = Number(process.env.REALSTACK_CALLER_PORT ?? 25080) + 5;
const drachtio = `${env.drachtioSip.host}:${env.drachtioSip.port}`;

let t: TestAppOf<FsSwitch, RealClock>;
let redis: Redis;
let flowsDir: string;
let browser: Browser;

beforeAll(async () => {
  if (!wsUri || !chromiumPath) throw new Error('DRACHTIO_WS_URI and CHROMIUM_PATH are needed (npm run test:realstack sets CHROMIUM_PATH when it finds Chromium)');
  const clock = new RealClock();
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn', { test: 'realstack-webrtc' });
  redis = new Redis(testServices().redisUrl);
  flowsDir = realStackIvrDir();
  const recordings = fs.existsSync(env.recordingsDir) ? { switchDir: env.recordingsDir, localDir: env.recordingsDir, upload: undefined, retentionDays: 180 } : undefined;
  let app: TestAppOf<FsSwitch, RealClock> | undefined;
  const registrar = new Registrar({ redis, ns: `rswebrtc${process.pid}`, clock, log, realm: 'dcc-cti', secret, sipAccount: async (u) => app?.app.sipAccount(u) });
  const sw = realStackSwitch(env, { clock, log, registrar, trunkPort: 25099 });
  app = await startAppOn({ clock, sw, authSecret: secret }, { ivr: true, ivrDir: flowsDir, recordings, sip: { realm: 'dcc-cti', wsUri } });
  t = app;
  if (!sw.isConnected()) throw new Error('the app did not connect to drachtio-server and FreeSWITCH');
  browser = await chromium.launch({
    executablePath: chromiumPath,
    // a fake microphone (Chromium's beep), no permission prompt, and ICE candidates on loopback
    args: ['--no-sandbox', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required'],
  });
});

afterAll(async () => {
  await browser?.close();
  await t?.stop();
  await redis?.quit();
  if (flowsDir) fs.rmSync(flowsDir, { recursive: true, force: true });
});

async function deskOf(username: string): Promise<Page> {
  await t.app.models.User.create({ username, displayName: `坐席 ${username}`, passwordHash: await hashPassword(`pw-${username}`), roles: ['agent'], queueIds: ['sales'], skills: [] });
  return openDesk(browser, t.url, username, `pw-${username}`);
}

interface MediaStats {
  ice: string;
  packetsReceived: number;
  packetsSent: number;
  energy: number;
}

async function mediaStats(page: Page): Promise<MediaStats | null> {
  // evaluated in the page (this project compiles without the DOM library)
  return page.evaluate<MediaStats | null>('window.softphone ? window.softphone.stats() : null');
}

test('an agent on the browser desk takes an IVR caller over WebRTC: both hear each other, the call is recorded', async () => {
  const page = await deskOf('web1');
  // zh-CN first: the softphone says it registered, the agent goes ready
  await page.waitForSelector('[data-testid="phone-state"][data-state="registered"]', { timeout: 15_000 });
  expect(await page.textContent('[data-testid="phone-state"]')).toBe('网页电话 · 已注册');
  expect(await page.textContent('[data-testid="phone-mode"]')).toBe('软电话 · 网页电话');
  await page.click('[data-testid="ready"]');
  await stateIs(page, '就绪');

  const caller = sipp('caller-ivr-dtmf.xml', ['-i', env.localAddress, '-p', String(CALLER_PORT), '-s', '4008007777', '-key', 'caller', '+8613800138300', '-d', '12000', drachtio]);
  await page.waitForSelector('[data-testid="offer"]', { timeout: 20_000 });
  expect(await page.textContent('[data-testid="offer-from"]')).toContain('8613800138300');
  // the pop shows the IVR path with the key the caller pressed
  expect(await page.textContent('[data-testid="ivr-path"]')).toContain('按键 1');
  await page.click('[data-testid="accept"]');
  // the app dials the browser; the softphone answers by itself and the desk shows the conversation
  await page.waitForSelector('[data-testid="phone-call"][data-state="talking"]', { timeout: 15_000 });
  await stateIs(page, '通话中');
  await screenshot(page, 'realstack-webrtc-talking');

  // media over DTLS-SRTP: after a few seconds the browser has received the caller's speech and sent its microphone
  await new Promise((r) => setTimeout(r, 5000));
  const stats = await mediaStats(page);
  expect(stats).not.toBeNull();
  expect(stats?.ice).toMatch(/connected|completed/);
  expect(stats?.packetsReceived).toBeGreaterThan(150);
  expect(stats?.packetsSent).toBeGreaterThan(150);
  expect(stats?.energy).toBeGreaterThan(0.05);

  expect((await caller.done).code).toBe(0);
  await stateIs(page, '话后整理');
  await page.waitForSelector('[data-testid="phone-call"][data-state="ended"]', { state: 'attached', timeout: 10_000 });

  const record = await callRecordOf(t.app.models, '+8613800138300', recordingStopped);
  expect(record).toMatchObject({ outcome: 'answered', agentUsername: 'web1', status: 'ended' });
  const recording = record.recording as { file: string; durationMs: number; channels: number };
  expect(recording.channels).toBe(2);
  expect(recording.durationMs).toBeGreaterThan(6000);
  if (fs.existsSync(recording.file)) {
    expect(soxi('-c', recording.file)).toBe(2);
    // right channel: what the agent's browser sent (Chromium's fake microphone beeps); left: the caller
    expect(rms(recording.file, 2, 1, 5)).toBeGreaterThan(0.01);
    expect(rms(recording.file, 1, 1, 5)).toBeGreaterThan(0.01);
  }
  await page.close();
});

test("an agent's browser tab that dies mid-call (no BYE) is ended by FreeSWITCH's media timeout, and the caller is let go", async () => {
  const page = await deskOf('web2');
  await page.waitForSelector('[data-testid="phone-state"][data-state="registered"]', { timeout: 15_000 });
  await page.click('[data-testid="ready"]');
  await stateIs(page, '就绪');
  const phone = await SipPhone.start(env.localAddress);
  try {
    const caller = await phone.call(env.drachtioSip, '+8613800138301', '4008007777');
    await caller.answered();
    // the menu is playing: the caller presses 1 for sales
    for (let i = 0; i < 100 && caller.rtpReceived < 50; i++) await new Promise((r) => setTimeout(r, 50));
    await caller.sendDigits('1');
    await page.waitForSelector('[data-testid="offer"]', { timeout: 20_000 });
    await page.click('[data-testid="accept"]');
    await page.waitForSelector('[data-testid="phone-call"][data-state="talking"]', { timeout: 15_000 });
    // the tab's renderer dies: no BYE, no more media from the browser
    const cdp = await page.context().newCDPSession(page);
    const diedAt = Date.now();
    void cdp.send('Page.crash').catch(() => undefined);
    // the dialplan gives browser legs a 30 s media timeout; the app then ends the conversation
    expect(await Promise.race([caller.ended(), new Promise((r) => setTimeout(() => r('still up'), 50_000))])).toEqual({ sipStatus: 200 });
    const waited = Date.now() - diedAt;
    expect(waited).toBeGreaterThan(25_000);
    const record = await callRecordOf(t.app.models, '+8613800138301', (r) => r.status === 'ended');
    expect(record).toMatchObject({ outcome: 'answered', agentUsername: 'web2', endCause: 'media_timeout' });
  } finally {
    await phone.close();
  }
});
