import { seedAssistDemo } from '../../src/assist/assist-seed';
import { seedDemoOrganisation } from '../../src/seed/demo-seed';
import type { InCarPop } from '../../src/shared/assist';
import type { SimParty } from '../../src/telephony/sim/sim-party';
import * as steps from '../support/call-steps';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * Theft alarms (#15): posted by the telematics provider; the owner is called with a short IVR
 * ("press 1 if you are with the car"); otherwise an assistant gets a priority task with the track.
 */

let t: TestApp;
const OWNER = '+8613800138000';
const VIN = 'LSVAU2180N2183294';

beforeEach(async () => {
  t = await startTestApp({ assist: { providerInboundToken: 'provider-in-secret' } });
  await seedDemoOrganisation(t.app.models);
  await seedAssistDemo(t.app.models, t.app.assist.models, 'dcc-cti', t.clock.now());
  await t.app.assist.loadSites();
  await t.app.reloadRouting();
});

afterEach(async () => {
  expect(keyError).toBeUndefined();
  keyError = undefined;
  await t.stop();
});

async function alarm(token = 'provider-in-secret', body: Record<string, unknown> = { vin: VIN, lat: 31.2001, lon: 121.4402, note: '车门异常开启' }): Promise<Response> {
  return fetch(`${t.url}/api/assist/theft`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

let keyError: unknown;

function ownerPhone(keys: string | undefined): { party: () => SimParty | undefined } {
  let party: SimParty | undefined;
  t.sw.registerEndpoint(OWNER, {
    answer: 'manual',
    onRing: (p) => {
      const first = party === undefined; // the owner answers the IVR once; a ring-back is a plain call
      party = p;
      p.answer();
      if (keys && first) void p.until('answered').then(async () => {
        await eventually(() => p.heard.includes('prompt:assist_theft_check'), 'the question');
        await p.sendDigits(keys); // during the question (barge-in)
      }, (err: unknown) => { keyError = err; });
    },
  });
  return { party: () => party };
}

/** Moves the virtual clock in small steps (the prompts take clock time) until `done`. */
async function advanceUntil(done: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let waited = 0; !(await done()); waited += 250) {
    if (waited > 120_000) throw new Error(`still waiting for ${what}`);
    await t.clock.advance(250);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const kinds = async (): Promise<string[]> => (await t.app.assist.models.Event.find({ vin: VIN }).sort({ at: 1 }).lean()).map((e) => `${e.kind}: ${e.note}`);

test('the owner presses 1 (with the car): logged, no task', async () => {
  const agent = await steps.readyAgent(t, 'a1', { queueIds: ['assist-7x24'] });
  const owner = ownerPhone('1');
  expect((await alarm()).status).toBe(202);
  await advanceUntil(async () => (await kinds()).some((k) => k.startsWith('theft_owner')), 'the answer logged');
  expect(await kinds()).toEqual(['theft_alarm: 车门异常开启', 'theft_owner: owner pressed 1: with the car']);
  expect(owner.party()?.heard).toEqual(expect.arrayContaining(['prompt:assist_theft_check', 'prompt:assist_theft_ok']));
  await t.clock.advance(5000);
  expect(agent.received.some((r) => r.event === 'call:offer')).toBe(false);
});

test('the owner presses 2 (not with the car): a priority task with the track; taking it rings the owner back', async () => {
  const agent = await steps.readyAgent(t, 'a1', { queueIds: ['assist-7x24'] });
  const owner = ownerPhone('2');
  expect((await alarm()).status).toBe(202);
  await advanceUntil(() => agent.received.some((r) => r.event === 'call:offer'), 'the task offered');
  const offer = await agent.next<{ callId: string; inCar: InCarPop }>('call:offer');
  expect(offer.inCar).toMatchObject({ vin: VIN, eventType: 'theft', activation: 'automatic', way: 'callback', dealer: { policeNumber: '110' } });
  expect(offer.inCar.faults).toEqual(['theft alarm: owner pressed 2: NOT with the car']);
  expect(offer.inCar.position).toEqual({ lat: 31.2001, lon: 121.4402 });
  expect(offer.inCar.recentEvents.map((e) => e.kind)).toContain('theft_alarm');
  expect(owner.party()?.heard).toContain('prompt:assist_theft_followup');
  const first = owner.party();
  expect(await agent.send('call:accept', { callId: offer.callId })).toEqual({ ok: true });
  await steps.armed(t, 'auto-answer');
  await t.clock.advance(300);
  await eventually(() => owner.party() !== first, 'the owner rung back');
  await agent.next('call:connected');
  owner.party()?.hangup();
});

test('the owner does not answer: a priority task ahead of waiting concierge presses; wrong provider token 401', async () => {
  t.sw.registerEndpoint(OWNER, { answer: 'never' });
  const concierge = t.sw.placeCall({ from: 'LFV3A28K8P3012345', to: '4008009999', source: 'vehicle', headers: { 'X-Vehicle-VIN': 'LFV3A28K8P3012345', 'X-Vehicle-Event': 'concierge' } });
  expect((await alarm('wrong')).status).toBe(401);
  expect((await alarm('provider-in-secret', { vin: 'WVWZZZ1JZXW000001' })).status).toBe(404);
  expect((await alarm()).status).toBe(202);
  await steps.armed(t, 'ring-timeout');
  await t.clock.advance(30_000);
  await eventually(async () => (await t.app.queues.waitingCount('assist-7x24')) === 2, 'the task queued');
  const agent = await steps.readyAgent(t, 'a1', { queueIds: ['assist-7x24'] });
  const offer = await agent.next<{ inCar: InCarPop }>('call:offer');
  expect(offer.inCar.eventType).toBe('theft');
  expect(offer.inCar.faults).toEqual(['theft alarm: owner did not answer']);
  concierge.hangup();
});
