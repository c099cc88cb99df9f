import net from 'node:net';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { freePort } from '../../src/embedded/free-port';
import { eventually } from '../support/wait';
import { startRealApp, type RealApp } from './app-process';
import { callRecordOf } from './call-records';
import { fsApi, fsChannelCount } from './fs-api';
import { realStackIvrDir } from './ivr-line';
import { realStackEnv } from './realstack-env';
import { killStraySipp, sipp } from './sipp';

// a failed test leaves no SIPp behind holding its ports
afterEach(killStraySipp);

/**
 * SIP that never leaves a caller hanging, on drachtio-server + FreeSWITCH with the app as production
 * starts it (main.js): a G.729-only caller refused with 488 and a Warning, callers cancelling at each
 * step of the setup, re-INVITE hold and unhold answered with FreeSWITCH's SDP, a burst above the
 * admission ceiling shed with 503, a media server that does not connect back answered with 503 — and
 * afterwards no open call record and no FreeSWITCH channel left.
 */

const env = realStackEnv();
const CALLER_PORT = Number(process.env.REALSTACK_CALLER_PORT ?? 25080);
const TRUNK_PORT = Number(process.env.REALSTACK_CUSTOMER_PHONE_PORT ?? 25070);
const LINE = '4008007777';
const drachtio = `${env.drachtioSip.host}:${env.drachtioSip.port}`;
const local = ['-i', env.localAddress, '-p', String(CALLER_PORT)];

let flowsDir: string;
beforeAll(() => {
  flowsDir = realStackIvrDir();
});
afterAll(() => fs.rmSync(flowsDir, { recursive: true, force: true }));

async function noChannelsLeft(): Promise<void> {
  let last = -1;
  try {
    await eventually(async () => (last = await fsChannelCount(env.freeswitch)) === 0, () => `FreeSWITCH to have no channels (it has ${last})`, 45_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await fsApi(env.freeswitch, 'show channels').catch(() => '')}`);
  }
}

async function openRecords(t: RealApp): Promise<number> {
  return t.models.CallRecord.countDocuments({ status: { $ne: 'ended' } });
}

describe('on a working stack', () => {
  let t: RealApp;
  beforeAll(async () => {
    t = await startRealApp(env, { trunkPort: TRUNK_PORT, ivrDir: flowsDir, extra: { ADMISSION_MAX_CPS: '8', ADMISSION_MAX_PENDING: '8', ADMISSION_MIN_IDLE_CPU: '0' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  test('a G.729-only caller gets 488 with a Warning, its record is closed with the SIP cause, no channel stays', async () => {
    const run = await sipp('caller-g729.xml', [...local, '-s', LINE, '-key', 'caller', '13911110001', drachtio], 20_000).done;
    expect(run.output).not.toMatch(/Failed call\s*\|\s*[1-9]/);
    expect(run.code).toBe(0);
    const r = await callRecordOf(t.models, '13911110001', (x) => x.status === 'ended');
    expect(r).toMatchObject({ outcome: 'failed', sipStatus: 488, endCause: 'incompatible_destination', endedBy: 'system' });
    await noChannelsLeft();
  });

  // the app answers within 30–100 ms here (30 ms on a quiet box): a CANCEL later than that meets a 200 OK
  // (then the caller must BYE); the media-connect step is held open on purpose by the stalled event socket below
  test.each([0, 10])('a caller who cancels %i ms after 100 Trying gets 487, and nothing is left open', async (delayMs) => {
    const caller = `1391111${String(1000 + delayMs).padStart(4, '0')}`;
    const run = await sipp('caller-cancels.xml', [...local, '-d', String(delayMs), '-s', LINE, '-key', 'caller', caller, drachtio], 20_000).done;
    if (run.code !== 0) {
      // answered before the CANCEL could be taken: then it must have been ended cleanly by the caller's side; SIPp says why
      throw new Error(`SIPp: ${run.output}`);
    }
    // a cancel that beat the offer to the app leaves no record; one that did not leaves it closed
    await new Promise((r) => setTimeout(r, 2000));
    if (await t.models.CallRecord.exists({ from: caller })) {
      expect(await callRecordOf(t.models, caller, (x) => x.status === 'ended')).toMatchObject({ outcome: 'abandoned', endCause: 'originator_cancel' });
    }
    await noChannelsLeft();
  });

  test("the caller's phone holds (sendonly) and unholds with re-INVITEs: FreeSWITCH's answer comes back (recvonly, inactive, sendrecv) and the record notes the holds", async () => {
    const run = await sipp('caller-hold.xml', [...local, '-s', LINE, '-key', 'caller', '13911110002', drachtio], 30_000).done;
    expect(run.code).toBe(0);
    expect(run.output).not.toMatch(/not a=/);
    const r = await callRecordOf(t.models, '13911110002', (x) => x.status === 'ended');
    expect(r).toMatchObject({ outcome: 'abandoned', customerHoldCount: 1, customerHoldMode: 'inactive' });
    expect(r.customerHoldMs).toBeGreaterThan(2_000);
    await noChannelsLeft();
  });

  test('a burst above the admission ceiling: the surplus gets 503 with Retry-After at once, every INVITE a final response, nothing left open', async () => {
    // 60 callers at 30 calls/s against a ceiling of 8 calls/s; each answered caller listens 1.5 s and hangs up
    const out = await sipp('caller-burst.xml', [...local, '-m', '60', '-l', '60', '-d', '1500', '-r', '30', '-rp', '1000', '-s', LINE, '-key', 'caller', '13922220000', drachtio], 60_000).done;
    // SIPp fails a call that gets anything but 200 or 503, or no final response within -timeout
    expect(out.code).toBe(0);
    const refused = Number(/503 <-+\s+E-RTD\d?\s+(\d+)|503 <-+\s+(\d+)/.exec(out.output)?.slice(1).find((x) => x !== undefined) ?? 0);
    const answered = await t.models.CallRecord.countDocuments({ from: '13922220000' });
    expect(refused).toBeGreaterThan(0);
    expect(answered).toBeGreaterThanOrEqual(8);
    expect(refused + answered).toBe(60);
    await eventually(async () => (await openRecords(t)) === 0, 'every call record to be closed', 20_000);
    await noChannelsLeft();
  });
});

describe('when FreeSWITCH cannot connect back to the app (its event socket stalls)', () => {
  let t: RealApp;
  let hole: net.Server;
  const held: net.Socket[] = [];
  beforeAll(async () => {
    // a listener that takes FreeSWITCH's outbound event socket and never answers it
    hole = net.createServer((s) => held.push(s));
    await new Promise<void>((r) => hole.listen(0, env.localAddress, () => r()));
    const port = (hole.address() as AddressInfo).port;
    t = await startRealApp(env, { trunkPort: TRUNK_PORT, ivrDir: flowsDir, extra: { MEDIA_CONNECT_TIMEOUT_MS: '1500', ESL_LISTEN_PORT: String(await freePort()), ESL_ADVERTISED_PORT: String(port) } });
  });
  afterAll(async () => {
    await t?.stop();
    for (const s of held) s.destroy();
    await new Promise<void>((r) => hole.close(() => r()));
  });

  test('the caller gets 503 with Retry-After once MEDIA_CONNECT_TIMEOUT_MS has passed; the record says why; the channel is released', async () => {
    const started = Date.now();
    const run = await sipp('caller-burst.xml', [...local, '-d', '500', '-s', LINE, '-key', 'caller', '13933330001', drachtio], 20_000).done;
    expect(run.code).toBe(0);
    expect(run.output).toMatch(/503/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    const r = await callRecordOf(t.models, '13933330001', (x) => x.status === 'ended');
    expect(r).toMatchObject({ outcome: 'failed', sipStatus: 503, sipReason: 'media server connect timeout' });
    for (const s of held.splice(0)) s.destroy();
    await noChannelsLeft();
    expect(await openRecords(t)).toBe(0);
  });

  test('a caller who cancels while the media server is connecting back gets 487, and the channel is released', async () => {
    const run = await sipp('caller-cancels.xml', [...local, '-d', '600', '-s', LINE, '-key', 'caller', '13933330002', drachtio], 20_000).done;
    expect(run.code).toBe(0);
    const r = await callRecordOf(t.models, '13933330002', (x) => x.status === 'ended');
    expect(r).toMatchObject({ outcome: 'abandoned', endCause: 'originator_cancel' });
    for (const s of held.splice(0)) s.destroy();
    await noChannelsLeft();
  });
});
