import Redis from 'ioredis';
import { RealClock } from '../../src/clock/clock';
import { createLogger } from '../../src/log';
import { sipPasswordFor } from '../../src/telephony/freeswitch/digest-auth';
import type { FsSwitch } from '../../src/telephony/freeswitch/fs-switch';
import { Registrar } from '../../src/telephony/freeswitch/registrar';
import { readyAgent } from '../support/call-steps';
import { SipPhone } from '../support/sip-phone';
import { startAppOn, testServices, type TestAppOf } from '../support/test-app';
import { eventually } from '../support/wait';
import { realStackEnv, realStackSwitch } from './realstack-env';
import { TcpProxy } from './tcp-proxy';

/**
 * The app loses FreeSWITCH's control connection, then drachtio-server, and gets them back (a relay in
 * front of each is cut and restored): readiness goes red and green again, new calls are refused with
 * 503 meanwhile, and a caller already waiting in the queue stays on the line, reaches an agent after,
 * and their hang-up is noticed although drachtio-server no longer passes it on.
 */

const env = realStackEnv();
const secret = 'realstack-fault-secret-0123456789abcdef';

let t: TestAppOf<FsSwitch, RealClock>;
let redis: Redis;
let phone: SipPhone;
let eslRelay: TcpProxy;
let drachtioRelay: TcpProxy;

beforeAll(async () => {
  const clock = new RealClock();
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn', { test: 'realstack-fault' });
  redis = new Redis(testServices().redisUrl);
  eslRelay = await TcpProxy.start(env.freeswitch);
  drachtioRelay = await TcpProxy.start(env.drachtio);
  phone = await SipPhone.start(env.localAddress);
  let app: TestAppOf<FsSwitch, RealClock> | undefined;
  const registrar = new Registrar({ redis, ns: `rsfault${process.pid}`, clock, log, realm: 'dcc-cti', secret, sipAccount: async (u) => app?.app.sipAccount(u) });
  const relayed = { ...env, drachtio: { ...env.drachtio, host: '127.0.0.1', port: drachtioRelay.port }, freeswitch: { ...env.freeswitch, host: '127.0.0.1', port: eslRelay.port } };
  // FreeSWITCH heartbeats every 5 s (freeswitch/autoload_configs/switch.conf.xml); a hung one is noticed after 12 s here
  const sw = realStackSwitch(relayed, { clock, log, registrar, trunkPort: phone.port, heartbeatTimeoutMs: 12_000 });
  app = await startAppOn({ clock, sw, authSecret: secret });
  t = app;
  if (!sw.isConnected()) throw new Error('the app did not connect to drachtio-server and FreeSWITCH');
});

afterAll(async () => {
  await t?.stop();
  await phone?.close();
  await eslRelay?.close();
  await drachtioRelay?.close();
  await redis?.quit();
});

async function readyz(): Promise<{ status: number; body: Record<string, string | boolean> }> {
  const res = await fetch(`${t.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, string | boolean> };
}

test('FreeSWITCH and drachtio-server lost and back: readiness follows, new calls get 503 meanwhile, a waiting caller stays on and is served', async () => {
  expect(await readyz()).toMatchObject({ status: 200, body: { ready: true, switch: 'up' } });
  const waiting = await phone.call(env.drachtioSip, '+8613800138400', '4008001234');
  await waiting.answered();
  await eventually(() => waiting.rtpReceived > 25, 'hold music reaching the waiting caller', 10_000);

  // FreeSWITCH's control connection goes
  eslRelay.cut();
  await eventually(async () => (await readyz()).status === 503 || undefined, 'readiness to go red without FreeSWITCH', 10_000);
  expect((await readyz()).body).toMatchObject({ ready: false, switch: 'down', redis: 'up', mongodb: 'up' });
  const refused = await phone.call(env.drachtioSip, '+8613800138401', '4008001234');
  expect(await refused.ended()).toEqual({ sipStatus: 503 });
  // the waiting caller is still on the line, hearing the music
  const heard = waiting.rtpReceived;
  await new Promise((r) => setTimeout(r, 1000));
  expect(waiting.state).toBe('up');
  expect(waiting.rtpReceived).toBeGreaterThan(heard + 25);

  eslRelay.restore();
  await eventually(async () => (await readyz()).status === 200 || undefined, 'readiness to go green with FreeSWITCH back', 15_000);

  // drachtio-server goes, and comes back
  drachtioRelay.cut();
  await eventually(async () => (await readyz()).status === 503 || undefined, 'readiness to go red without drachtio-server', 10_000);
  drachtioRelay.restore();
  await eventually(async () => (await readyz()).status === 200 || undefined, 'readiness to go green with drachtio-server back', 20_000);

  // the caller who waited through both is served by an agent whose phone answers
  const agent = await readyAgent(t, 'fault1', { queueIds: ['sales'] });
  phone.behave('fault1', 'answer');
  expect(await phone.register(env.drachtioSip, 'fault1', sipPasswordFor('fault1', secret))).toBe(200);
  const offer = await agent.next<{ callId: string; from: string }>('call:offer', () => true, 15_000);
  expect(offer.from).toBe('+8613800138400');
  expect((await agent.send('call:accept', { callId: offer.callId })).ok).toBe(true);
  await agent.state('talking', 15_000);
  // drachtio-server no longer passes this caller's BYE on (their dialog rode the lost connection): the
  // app learns of it by asking the far end (in-dialog OPTIONS answered 481)
  await waiting.hangup();
  await agent.state('wrap_up', 15_000);
  const record = await eventually(async () => {
    const r = await t.app.models.CallRecord.findById(offer.callId).lean();
    return r?.status === 'ended' ? r : undefined;
  }, 'the call record to end', 10_000);
  expect(record).toMatchObject({ outcome: 'answered', agentUsername: 'fault1', endedBy: 'caller' });
});

test('a FreeSWITCH that hangs (its control connection open, silent) is taken as lost once its heartbeats stop, and reconnected', async () => {
  const changes: { connected: boolean; reason?: string }[] = [];
  t.sw.on('switch.connection', (c) => changes.push(c));
  eslRelay.freeze();
  await eventually(() => changes.length >= 2 || undefined, 'the switch to be lost and found again', 30_000);
  expect(changes[0]).toEqual({ connected: false, reason: 'no heartbeat from FreeSWITCH in 12000 ms' });
  expect(changes[1]).toMatchObject({ connected: true });
  expect(await readyz()).toMatchObject({ status: 200, body: { ready: true } });
});
