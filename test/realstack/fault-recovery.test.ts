import { SipPhone } from '../support/sip-phone';
import { eventually } from '../support/wait';
import { startRealApp, type RealApp } from './app-process';
import { realStackEnv } from './realstack-env';
import { TcpProxy } from './tcp-proxy';

/**
 * The app (main.js, as production runs it) started before drachtio-server and FreeSWITCH answer, then
 * losing FreeSWITCH's control connection, then drachtio-server, and getting them back (a relay in front
 * of each is cut and restored): readiness follows, new calls are refused with 503 meanwhile, and a
 * caller already waiting in the queue stays on the line, reaches an agent after, and their hang-up is
 * noticed although drachtio-server no longer passes it on.
 */

const env = realStackEnv();

let t: RealApp;
let phone: SipPhone;
let eslRelay: TcpProxy;
let drachtioRelay: TcpProxy;

beforeAll(async () => {
  eslRelay = await TcpProxy.start(env.freeswitch);
  drachtioRelay = await TcpProxy.start(env.drachtio);
  phone = await SipPhone.start(env.localAddress);
  // both are unreachable when the app starts
  eslRelay.cut();
  drachtioRelay.cut();
  // FreeSWITCH heartbeats every 5 s (freeswitch/autoload_configs/switch.conf.xml); a hung one is noticed after 12 s here
  t = await startRealApp(env, {
    trunkPort: phone.port,
    drachtio: { host: '127.0.0.1', port: drachtioRelay.port },
    freeswitch: { host: '127.0.0.1', port: eslRelay.port },
    extra: { FREESWITCH_HEARTBEAT_TIMEOUT_MS: '12000' },
    noWait: true,
  });
});

afterAll(async () => {
  await t?.stop();
  await phone?.close();
  await eslRelay?.close();
  await drachtioRelay?.close();
});

async function readyz(): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${t.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('started before drachtio-server and FreeSWITCH are reachable, the app becomes ready once they are', async () => {
  const waiting = await eventually(async () => {
    const r = await readyz().catch(() => undefined);
    return r && r.body.role === 'leader' && r.body.switch === 'down' ? r : undefined;
  }, 'the app to run and wait for the switch', 60_000);
  expect(waiting.status).toBe(503);
  expect(Object.values(waiting.body.switchParts as Record<string, string>)).toEqual(['down', 'down']);
  eslRelay.restore();
  drachtioRelay.restore();
  await eventually(async () => (await readyz()).status === 200 || undefined, 'readiness once both are reachable', 30_000);
});

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
  const agent = await t.agent('fault1', { queueIds: ['dcc-inbound'] }); // 4008001234 is the demo DCC line
  await agent.state('not_ready');
  expect(await agent.send('agent:ready')).toEqual({ ok: true });
  phone.behave('fault1', 'answer');
  expect(await phone.register(env.drachtioSip, 'fault1', await t.sipPassword('fault1'))).toBe(200);
  const offer = await agent.next<{ callId: string; from: string }>('call:offer', () => true, 15_000);
  expect(offer.from).toBe('+8613800138400');
  expect((await agent.send('call:accept', { callId: offer.callId })).ok).toBe(true);
  await agent.state('talking', 15_000);
  // drachtio-server no longer passes this caller's BYE on (their dialog rode the lost connection): the
  // app learns of it by asking the far end (in-dialog OPTIONS answered 481)
  await waiting.hangup();
  await agent.state('wrap_up', 15_000);
  const record = await eventually(async () => {
    const r = await t.models.CallRecord.findById(offer.callId).lean();
    return r?.status === 'ended' ? r : undefined;
  }, 'the call record to end', 10_000);
  expect(record).toMatchObject({ outcome: 'answered', agentUsername: 'fault1', endedBy: 'caller' });
});

test('a FreeSWITCH that hangs (its control connection open, silent) is taken as lost once its heartbeats stop, and reconnected', async () => {
  eslRelay.freeze();
  await eventually(async () => (await readyz()).status === 503 || undefined, 'the silent FreeSWITCH taken as lost', 30_000);
  expect(t.s.output()).toContain('no heartbeat from FreeSWITCH in 12000 ms');
  await eventually(async () => (await readyz()).status === 200 || undefined, 'the adapter reconnected', 30_000);
});
