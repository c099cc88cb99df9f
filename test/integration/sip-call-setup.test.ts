import Redis from 'ioredis';
import { LiveCalls } from '../../src/calls/live-calls';
import { acceptAndConnect, readyAgent, type Offer } from '../support/call-steps';
import { startTestApp, testServices, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * Every inbound call gets a final response and a closed record, whatever goes wrong while it is set
 * up: codecs the media server refuses (488 with a Warning), a media server that never connects (503
 * after the connect timeout), an app error mid-setup (503, closed by the sweeper), the caller
 * cancelling at each step; and the customer's own holds (re-INVITE) noted on the record. Simulated
 * switch, virtual clock, the run's real Redis and FerretDB.
 */

let t: TestApp;
let redis: Redis;
let live: LiveCalls;

beforeEach(async () => {
  t = await startTestApp({ offerTimeoutMs: 15_000, wrapUpMs: 30_000 });
  redis = new Redis(testServices().redisUrl);
  live = new LiveCalls(redis, t.app.options.redisNamespace);
});

afterEach(async () => {
  redis.disconnect();
  await t.stop();
});

async function recordOf(from: string, status = 'ended'): Promise<Record<string, unknown>> {
  return eventually(async () => {
    await t.app.quiesce();
    const r = (await t.app.models.CallRecord.findOne({ from }).lean()) as Record<string, unknown> | null;
    return r && r.status === status ? r : undefined;
  }, `the ${status} record of ${from}`);
}

test('a caller offering only G.729 gets 488 with a Warning; the record is closed as failed with the SIP cause and nothing is left behind', async () => {
  const caller = t.sw.placeCall({ from: '13800000201', to: '4008001234', codecs: ['G729'] });
  await eventually(() => caller.state === 'ended', 'a final response');
  expect(caller.sipStatus).toBe(488);
  expect(caller.sipWarning).toMatch(/^305 .*Incompatible media format/);
  const r = await recordOf('13800000201');
  expect(r).toMatchObject({ status: 'ended', outcome: 'failed', sipStatus: 488, endCause: 'incompatible_destination', endedBy: 'system' });
  expect(String(r.sipReason)).toMatch(/codecs refused/);
  expect(t.sw.liveLegCount()).toBe(0);
  expect(await live.get(String(r._id))).toBeUndefined();
});

test('a caller whose offer includes a codec the server takes is answered as usual', async () => {
  const caller = t.sw.placeCall({ from: '13800000202', to: '4008001234', codecs: ['G729', 'PCMA'] });
  await eventually(() => caller.heard.includes('prompt:welcome'), 'the greeting');
  expect(caller.state).toBe('answered');
  caller.hangup();
  expect(await recordOf('13800000202')).toMatchObject({ outcome: 'abandoned', endedBy: 'caller' });
});

test('a media server that never connects: the caller gets 503 after the connect timeout, the record is closed with it', async () => {
  t.sw.injectFault('answer', 'hang');
  const caller = t.sw.placeCall({ from: '13800000203', to: '4008001234' });
  await eventually(() => t.clock.pending().some((h) => h.owner.includes('media-connect')), 'the media setup to be under way');
  await t.clock.advance(3_900);
  expect(caller.state).toBe('ringing'); // not before the timeout
  await t.clock.advance(200);
  await eventually(() => caller.state === 'ended', 'a final response');
  expect(caller.sipStatus).toBe(503);
  const r = await recordOf('13800000203');
  expect(r).toMatchObject({ outcome: 'failed', sipStatus: 503, endCause: 'temporary_failure', sipReason: 'media server connect timeout' });
  expect(t.sw.liveLegCount()).toBe(0);
});

test('an app error mid-setup: the caller gets 503 (not silence) and the sweeper closes the record', async () => {
  t.sw.injectFault('answer', 'fail');
  const caller = t.sw.placeCall({ from: '13800000204', to: '4008001234' });
  await eventually(() => caller.state === 'ended', 'a final response');
  expect(caller.sipStatus).toBe(503);
  expect(t.sw.liveLegCount()).toBe(0);
  await t.clock.advance(3_000); // the sweeper's pass
  expect(await recordOf('13800000204')).toMatchObject({ status: 'ended', outcome: 'lost', endCause: 'session_failed', lostPhase: 'answering' });
});

test('the caller cancels while the call is being looked up (before the answer): record closed as abandoned, no response but the 487', async () => {
  const caller = t.sw.placeCall({ from: '13800000205', to: '4008001234' });
  // the app has the offer (its session started) and has not answered yet
  const cancel = (): void => {
    t.sw.off('call.offered', cancel);
    caller.hangup();
  };
  t.sw.on('call.offered', cancel);
  await eventually(() => caller.state === 'ended', 'the cancel');
  expect(caller.sipStatus).toBe(487);
  expect(await recordOf('13800000205')).toMatchObject({ outcome: 'abandoned', endCause: 'originator_cancel', endedBy: 'caller' });
  expect(t.sw.liveLegCount()).toBe(0);
});

test('the caller cancels while the media is being connected: the setup stops at once, record abandoned, no 503', async () => {
  t.sw.injectFault('answer', 'hang');
  const caller = t.sw.placeCall({ from: '13800000206', to: '4008001234' });
  await eventually(() => t.clock.pending().some((h) => h.owner.includes('media-connect')), 'the media setup to be under way');
  caller.hangup();
  expect(caller.sipStatus).toBe(487);
  expect(await recordOf('13800000206')).toMatchObject({ outcome: 'abandoned', endCause: 'originator_cancel', endedBy: 'caller' });
  expect(t.clock.pending().some((h) => h.owner.includes('media-connect'))).toBe(false);
  expect(t.sw.liveLegCount()).toBe(0);
});

test('the caller hangs up during the greeting (answered, IVR step): record abandoned, legs released', async () => {
  const caller = t.sw.placeCall({ from: '13800000207', to: '4008001234' });
  await eventually(() => caller.heard.includes('prompt:welcome'), 'the greeting');
  caller.hangup();
  expect(await recordOf('13800000207')).toMatchObject({ outcome: 'abandoned', endCause: 'normal_clearing', endedBy: 'caller' });
  expect(t.sw.liveLegCount()).toBe(0);
});

test("the customer's phone puts the call on hold and takes it off (re-INVITE): the record notes the hold, its mode and length", async () => {
  const agent = await readyAgent(t, 'h1');
  const caller = t.sw.placeCall({ from: '13800000208', to: '4008001234' });
  await eventually(() => caller.heard.includes('prompt:welcome'), 'the greeting');
  await t.clock.advance(2000);
  const offer = await agent.next<Offer>('call:offer');
  await acceptAndConnect(t, agent, offer.callId);
  caller.hold('sendonly');
  await t.clock.advance(7_000);
  caller.hold('off');
  caller.hold('inactive');
  await t.clock.advance(3_000);
  caller.hangup(); // still on hold: counted to the end
  const r = await recordOf('13800000208');
  expect(r).toMatchObject({ outcome: 'answered', customerHoldCount: 2, customerHoldMode: 'inactive' });
  expect(r.customerHoldMs).toBe(10_000);
  expect(r.holdCount ?? 0).toBe(0); // not the agent's holds
});
