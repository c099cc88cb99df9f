import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentClient } from '../support/agent-client';
import { acceptAndConnect, armed, callIn, readyAgent, type Offer } from '../support/call-steps';
import { startTestApp, type TestApp } from '../support/test-app';
import { detach } from '../../src/util/detach';
import { eventually } from '../support/wait';
import type { SimParty } from '../../src/telephony/sim/sim-party';
import { findProjectRoot } from '../../src/util/project-root';

/** The shipped IVR flows (ivr/flows) driven by simulated callers pressing keys, on the virtual clock. */

interface IvrOffer extends Offer {
  ivr: { flowId: string; path: { node: string; digits?: string; result?: string }[]; vars: Record<string, string> } | null;
  callback: boolean;
}

const MAIN_LINE = '4008009999';
const CALLBACK_LINE = '02158005678';
/** Monday 2026-01-05 20:00 in Shanghai: the demo store (09:00-18:00) is closed. */
const EVENING = Date.UTC(2026, 0, 5, 12, 0);

let t: TestApp;
afterEach(async () => {
  await t.stop();
});

/**
 * Advances the virtual clock a second at a time until the condition holds (the clock lets Redis and
 * MongoDB round trips land after each timer: App.settle).
 */
async function advanceUntil(cond: () => boolean, what: string, maxMs = 120_000): Promise<void> {
  for (let waited = 0; !cond(); waited += 1000) {
    if (waited >= maxMs) throw new Error(`still waiting for ${what} after ${maxMs} ms of clock time; timers: ${t.clock.pending().map((h) => h.owner).join(', ')}`);
    await t.clock.advance(1000);
  }
}

async function record(from: string, status?: string) {
  return eventually(async () => {
    const r = await t.app.models.CallRecord.findOne({ from }).lean();
    return r && (!status || r.status === status) ? r : undefined;
  }, `the call record of ${from}${status ? ` (${status})` : ''}`);
}

function heard(p: SimParty, id: string): boolean {
  return p.heard.includes(`prompt:${id}`);
}

test('a new caller presses 1 for sales: a sales-skilled agent gets the call, and the pop shows the menu choice', async () => {
  t = await startTestApp({ ivr: true });
  const sales = await readyAgent(t, 'sa', { queueIds: ['sales'], skills: [{ skill: 'sales', level: 3 }] });
  const caller = t.sw.placeCall({ from: '13900001111', to: MAIN_LINE });
  await eventually(() => heard(caller, 'main_menu'), 'the main menu');
  await caller.sendDigits('1');
  const offer = await sales.next<IvrOffer>('call:offer');
  expect(offer.queueId).toBe('sales');
  expect(offer.ivr?.flowId).toBe('dealer-main');
  expect(offer.ivr?.path.map((s) => s.node)).toEqual(['hours', 'known', 'main_menu', 'sales']);
  expect(offer.ivr?.path.find((s) => s.node === 'main_menu')).toMatchObject({ digits: '1', result: '1' });
  caller.hangup();
  const rec = await record('13900001111', 'ended');
  expect(rec).toMatchObject({ queueId: 'sales', outcome: 'abandoned', ivr: { flowId: 'dealer-main' } });
});

test('a caller who presses nothing hears "no input" twice, then reaches the DCC queue', async () => {
  t = await startTestApp({ ivr: true });
  const dcc = await readyAgent(t, 'dc', { queueIds: ['dcc-inbound'] });
  const caller = t.sw.placeCall({ from: '13900001112', to: MAIN_LINE });
  let o: IvrOffer | undefined;
  dcc.next<IvrOffer>('call:offer', () => true, 20_000).then((x) => (o = x), () => undefined); // advanceUntil fails if it never comes
  await advanceUntil(() => o !== undefined, 'the offer');
  if (!o) throw new Error('no offer');
  expect(caller.heard.filter((h) => h === 'prompt:no_input')).toHaveLength(2);
  expect(caller.heard.filter((h) => h === 'prompt:main_menu')).toHaveLength(3);
  expect(o.queueId).toBe('dcc-inbound');
  expect(o.ivr?.path.find((s) => s.node === 'main_menu')?.result).toBe('failed');
});

test('a wrong key is answered with "invalid choice" and the menu again; * repeats the menu', async () => {
  t = await startTestApp({ ivr: true });
  const sales = await readyAgent(t, 'sb', { queueIds: ['sales'], skills: [{ skill: 'sales', level: 1 }] });
  const caller = t.sw.placeCall({ from: '13900001113', to: MAIN_LINE });
  await eventually(() => heard(caller, 'main_menu'), 'the main menu');
  await caller.sendDigits('9');
  await eventually(() => heard(caller, 'invalid_choice'), 'invalid choice');
  await advanceUntil(() => caller.heard.filter((h) => h === 'prompt:main_menu').length === 2, 'the menu again');
  await caller.sendDigits('*');
  await eventually(() => caller.heard.filter((h) => h === 'prompt:main_menu').length === 3, 'the menu repeated by *');
  await caller.sendDigits('1');
  const offer = await sales.next<IvrOffer>('call:offer');
  expect(offer.ivr?.path.filter((s) => s.node === 'main_menu').map((s) => s.result)).toEqual(['*', '1']);
});

test('service (2) is transferred to the service hotline; the record says transferred when the caller hangs up', async () => {
  t = await startTestApp({ ivr: true });
  t.sw.registerEndpoint('4008005555', { answer: 'auto', afterMs: 1000 });
  const caller = t.sw.placeCall({ from: '13900001114', to: MAIN_LINE });
  await eventually(() => heard(caller, 'main_menu'), 'the main menu');
  await caller.sendDigits('2');
  await advanceUntil(() => t.sw.bridgedTo(caller.legId) !== undefined, 'the bridge to the hotline');
  expect(heard(caller, 'service_transfer')).toBe(true);
  await t.clock.advance(30_000);
  caller.hangup();
  const rec = await record('13900001114', 'ended');
  expect(rec).toMatchObject({ outcome: 'transferred', transferredTo: '4008005555', talkMs: 30_000 });
  expect(t.sw.liveLegCount()).toBe(0);
});

test('after hours the caller leaves a callback, keeps the place, and the next free agent calls them back', async () => {
  t = await startTestApp({ ivr: true, startAt: EVENING });
  t.sw.registerEndpoint('13900002222', { answer: 'auto', afterMs: 3000 });
  const caller = t.sw.placeCall({ from: '13900002222', to: MAIN_LINE });
  await eventually(() => heard(caller, 'closed'), 'the closed message');
  await advanceUntil(() => heard(caller, 'queue_callback_offer'), 'the callback offer');
  await caller.sendDigits('1');
  await advanceUntil(() => caller.state === 'ended', 'the caller to be let go');
  expect(heard(caller, 'callback_confirmed')).toBe(true);
  expect(heard(caller, 'main_menu')).toBe(false);
  const waiting = await record('13900002222', 'callback_waiting');
  expect(waiting.callbackRequestedAt).toBeTruthy();
  expect(await t.app.queues.position(waiting.callId, 'dcc-callback')).toBe(1);

  const agent = await readyAgent(t, 'cb', { queueIds: ['dcc-callback'] });
  const offer = await agent.next<IvrOffer>('call:offer');
  expect(offer).toMatchObject({ callback: true, queueId: 'dcc-callback', from: '13900002222' });
  expect(offer.ivr?.path.map((s) => s.node)).toContain('leave_callback');
  expect((await agent.send('call:accept', { callId: offer.callId })).ok).toBe(true);
  await armed(t, 'auto-answer');
  await t.clock.advance(300); // the agent's softphone answers, then the customer's phone rings
  await agent.state('talking');
  await advanceUntil(() => agent.received.some((r) => r.event === 'call:connected'), 'the customer to answer', 10_000);
  // the clock may have run on past the answer while the test looked: talk is counted from the connect the desk was told of
  const connectedAt = (agent.received.find((r) => r.event === 'call:connected')?.payload as { at: number }).at;
  await t.clock.advance(60_000);
  const hungUpAt = t.clock.now();
  expect((await agent.send('call:hangup', { callId: offer.callId })).ok).toBe(true);
  await agent.state('wrap_up');
  expect((await agent.send('call:disposition', { callId: offer.callId, code: 'appointment_set', notes: '周六到店' })).ok).toBe(true);
  await agent.state('ready');
  const done = await record('13900002222', 'ended');
  expect(hungUpAt - connectedAt).toBeGreaterThanOrEqual(60_000);
  expect(done).toMatchObject({ outcome: 'answered', agentUsername: 'cb', talkMs: hungUpAt - connectedAt, disposition: { code: 'appointment_set' } });
});

test('a callback nobody answers ends in wrap-up for the agent, recorded as callback_failed', async () => {
  t = await startTestApp({ ivr: true, startAt: EVENING });
  const caller = t.sw.placeCall({ from: '13900002223', to: MAIN_LINE });
  await advanceUntil(() => heard(caller, 'queue_callback_offer'), 'the callback offer');
  await caller.sendDigits('1');
  await advanceUntil(() => caller.state === 'ended', 'the caller to be let go');
  t.sw.registerEndpoint('13900002223', { answer: 'never' });
  const agent = await readyAgent(t, 'cf', { queueIds: ['dcc-callback'] });
  const offer = await agent.next<IvrOffer>('call:offer');
  await agent.send('call:accept', { callId: offer.callId });
  await advanceUntil(() => agent.received.some((r) => r.event === 'call:ended'), 'the unanswered callback to end', 60_000);
  await agent.state('wrap_up');
  expect(await record('13900002223', 'ended')).toMatchObject({ outcome: 'callback_failed', agentUsername: 'cf' });
});

test('on a store holiday the main line plays the closed message even in opening hours', async () => {
  t = await startTestApp({ ivr: true, startAt: Date.UTC(2027, 0, 1, 2, 0) }); // 10:00 on New Year's Day
  const caller = t.sw.placeCall({ from: '13900003333', to: MAIN_LINE });
  await eventually(() => heard(caller, 'closed'), 'the closed message');
  expect(heard(caller, 'main_menu')).toBe(false);
});

test('a known A-grade lead skips the menu and waits for the owning agent at high priority', async () => {
  t = await startTestApp({ ivr: true });
  await t.app.models.Customer.create({ name: '陈静', phones: ['+8613900004444'], owningUser: 'own', owningStoreId: 'sh-pudong', status: 'defeated', grade: 'A' });
  const owner = await readyAgent(t, 'own', { queueIds: ['dcc-inbound'] });
  const caller = t.sw.placeCall({ from: '13900004444', to: MAIN_LINE });
  await eventually(() => heard(caller, 'welcome_back'), 'the welcome back');
  const offerP = owner.next<IvrOffer>('call:offer');
  await t.clock.advance(5000);
  const offer = await offerP;
  expect(heard(caller, 'main_menu')).toBe(false);
  expect(offer.ivr?.vars).toEqual({ route: 'owner' });
  expect(offer.customer?.grade).toBe('A');
  expect(await t.app.redis.hget(`${t.app.options.redisNamespace}:call:${offer.callId}`, 'priority')).toBe('10');
});

test('the DCC callback line collects the booking number and shows it on the pop', async () => {
  t = await startTestApp({ ivr: true });
  const agent = await readyAgent(t, 'bk', { queueIds: ['dcc-callback'] });
  const caller = t.sw.placeCall({ from: '13900005555', to: CALLBACK_LINE });
  await eventually(() => heard(caller, 'callback_line'), 'the greeting');
  detach(caller.sendDigits('123456#'), console, 'sending keys failed'); // keys 150 ms apart on the clock; barges in on the greeting, the collect takes the type-ahead
  await advanceUntil(() => agent.received.some((r) => r.event === 'call:offer'), 'the offer', 30_000);
  const offer = await agent.next<IvrOffer>('call:offer');
  expect(offer.ivr?.vars.booking).toBe('123456');
  expect(offer.ivr?.path.find((s) => s.node === 'booking')).toMatchObject({ digits: '123456', result: 'valid' });
});

test('waiting callers hear their position and wait; pressing 1 turns the wait into a callback that keeps the place', async () => {
  t = await startTestApp({ ivr: true });
  const first = await callIn(t, '13900006661');
  const second = await callIn(t, '13900006662');
  await advanceUntil(() => heard(second, 'queue_position_is'), 'the position announcement');
  await advanceUntil(() => heard(second, 'queue_callback_offer'), 'the callback offer');
  const spoken = second.heard.filter((h) => h.startsWith('prompt:'));
  const at = spoken.indexOf('prompt:queue_position_is');
  expect(spoken.slice(at, at + 4)).toEqual(['prompt:queue_position_is', 'prompt:number_1', 'prompt:queue_callers_ahead', 'prompt:queue_wait_is']);
  expect(heard(first, 'queue_position_is')).toBe(true);
  await second.sendDigits('1');
  await advanceUntil(() => second.state === 'ended', 'the second caller to be let go');
  expect(heard(second, 'callback_confirmed')).toBe(true);
  const rec = await record('13900006662', 'callback_waiting');
  expect(await t.app.queues.position(rec.callId, 'dcc-inbound')).toBe(2);
  expect(first.state).toBe('answered');
});

test('an agent may extend wrap-up, up to the queue limit', async () => {
  t = await startTestApp({ wrapUpMs: 30_000, queues: [{ queueId: 'sales', name: '销售', numbers: ['4008001234'], wrapUpExtendMaxMs: 90_000 }] });
  const agent: AgentClient = await readyAgent(t, 'wx');
  const caller = await callIn(t, '13900007777');
  const offer = await agent.next<Offer>('call:offer');
  await acceptAndConnect(t, agent, offer.callId);
  caller.hangup();
  const ended = await agent.next<{ wrapUpUntil: number }>('call:ended');
  await agent.state('wrap_up');
  expect((await agent.send('call:extend_wrap_up', { callId: offer.callId, seconds: 60 })).ok).toBe(true);
  const ext = await agent.next<{ wrapUpUntil: number }>('call:wrap_up_extended');
  expect(ext.wrapUpUntil).toBe(ended.wrapUpUntil + 60_000);
  expect((await agent.send('call:extend_wrap_up', { callId: offer.callId, seconds: 60 })).ok).toBe(true); // 30 s granted of 60
  const capped = await agent.next<{ wrapUpUntil: number }>('call:wrap_up_extended', (p) => p.wrapUpUntil > ext.wrapUpUntil);
  expect(capped.wrapUpUntil).toBe(ended.wrapUpUntil + 90_000);
  const refused = await agent.send('call:extend_wrap_up', { callId: offer.callId, seconds: 30 });
  expect(refused).toMatchObject({ ok: false, code: 'wrap_up_extension_exhausted', error: expect.stringContaining('at most 90 s') });
  await t.clock.advance(30_000 + 89_000);
  await t.app.calls.idle();
  expect((await t.app.agents.get('wx')).state).toBe('wrap_up');
  await t.clock.advance(1_000);
  await agent.state('ready');
});

test('an invalid flow is refused at reload, naming file and node, and the flows in use keep working', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ivr-'));
  fs.cpSync(path.join(findProjectRoot(), 'ivr'), dir, { recursive: true });
  try {
    t = await startTestApp({ ivr: true, ivrDir: dir });
    fs.writeFileSync(path.join(dir, 'flows', 'broken.yaml'), "id: broken\nnumbers: ['4001']\nstart: a\nnodes:\n  a: { type: play, prompt: welcome, next: b }\n");
    await expect(t.app.reloadRouting()).rejects.toThrow('flows/broken.yaml, node "a": next: "b" is not a node of this flow');
    const caller = t.sw.placeCall({ from: '13900008888', to: MAIN_LINE });
    await eventually(() => heard(caller, 'main_menu'), 'the main menu of the flow still in use');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
