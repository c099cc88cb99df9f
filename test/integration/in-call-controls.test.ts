import { hashPassword } from '../../src/auth/passwords';
import type { SimParty } from '../../src/telephony/sim/sim-party';
import { AgentClient } from '../support/agent-client';
import { acceptAndConnect, callIn, readyAgent, type Offer } from '../support/call-steps';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

/** Hold from the agent's desktop; listen / whisper / barge from a supervisor's live board. */

let t: TestApp;
afterEach(async () => {
  await t.stop();
});

async function connectedCall(username: string, from: string): Promise<{ agent: AgentClient; caller: SimParty; callId: string; agentLeg: string }> {
  const agent = await readyAgent(t, username, { storeIds: ['sh-pudong'] });
  const caller = await callIn(t, from);
  const offer = await agent.next<Offer>('call:offer');
  await acceptAndConnect(t, agent, offer.callId);
  await t.app.calls.idle();
  const agentLeg = t.sw.bridgedTo(caller.legId);
  if (!agentLeg) throw new Error('caller not bridged to the agent');
  return { agent, caller, callId: offer.callId, agentLeg };
}

test('on hold the customer hears music instead of the agent, then the agent again; the call record counts the hold', async () => {
  t = await startTestApp();
  const { agent, caller, callId, agentLeg } = await connectedCall('hold1', '13800006666');
  const stranger = await readyAgent(t, 'hold2');
  expect(await stranger.send('call:hold', { callId })).toMatchObject({ ok: false, code: 'not_your_call', error: 'you are not talking on this call' });
  expect(await agent.send('call:hold', { callId: 'not-a-uuid' })).toMatchObject({ ok: false, code: 'invalid_request', error: expect.stringContaining('invalid call:hold') });

  expect(await agent.send('call:hold', { callId })).toEqual({ ok: true });
  expect(await agent.next('call:hold_state')).toEqual({ callId, onHold: true });
  expect(t.sw.hears(caller.legId)).toEqual([]);
  expect(t.sw.isHearingHoldMusic(caller.legId)).toBe(true);
  await t.clock.advance(45_000);
  expect(await agent.send('call:unhold', { callId })).toEqual({ ok: true });
  expect(await agent.next('call:hold_state')).toEqual({ callId, onHold: false });
  expect(t.sw.hears(caller.legId)).toEqual([agentLeg]);
  expect(t.sw.isHearingHoldMusic(caller.legId)).toBe(false);

  await t.clock.advance(10_000);
  caller.hangup();
  await t.app.calls.idle();
  const record = await eventually(async () => {
    const r = await t.app.models.CallRecord.findById(callId).lean();
    return r?.status === 'ended' && r.holdMs !== undefined ? r : undefined;
  }, 'the ended call record with its hold time');
  expect(record).toMatchObject({ holdCount: 1, holdMs: 45_000, outcome: 'answered' });
});

async function supervisor(username: string, storeIds: string[]): Promise<AgentClient> {
  await t.app.models.User.create({ username, displayName: `Supervisor ${username}`, passwordHash: await hashPassword(`pw-${username}`), roles: ['supervisor'], storeIds, queueIds: [] });
  const { body } = await t.login(username, `pw-${username}`);
  return AgentClient.connect(t.url, body.token as string, 'board');
}

test("a supervisor of the store listens, whispers and barges in from the live board on their own phone; the agent hears of it; the supervisor's phone is released when they leave or the call ends", async () => {
  t = await startTestApp({ queues: [{ queueId: 'sales', name: '销售热线', numbers: ['4008001234'], storeId: 'store-sh' }] });
  const { agent, caller, callId, agentLeg } = await connectedCall('mon1', '13800007777');
  const sup = await supervisor('sup1', ['store-sh']);
  const elsewhere = await supervisor('sup2', ['store-bj']);
  const live = await sup.next<{ calls: { callId: string; agentId: string; customer: string; onHold: boolean }[] }>('calls:live', (p) => p.calls.length > 0);
  expect(live.calls).toEqual([expect.objectContaining({ callId, agentId: 'mon1', customer: '13800007777', onHold: false })]);
  expect((await elsewhere.next<{ calls: unknown[] }>('calls:live')).calls).toEqual([]);

  // the supervisor's desk phone answers when the board rings it
  let supPhone: SimParty | undefined;
  t.sw.registerEndpoint('agent:sup1', { answer: 'manual', onRing: (p) => { supPhone = p; p.answer(); } });
  expect(await sup.send('monitor:start', { callId, mode: 'listen' })).toEqual({ ok: true });
  expect(await sup.next('monitor:state')).toEqual({ callId, mode: 'listen' });
  const supLeg = supPhone?.legId as string;
  expect(t.sw.hears(supLeg).sort()).toEqual([agentLeg, caller.legId].sort());
  expect(t.sw.hears(caller.legId)).toEqual([agentLeg]);
  expect(t.sw.hears(agentLeg)).toEqual([caller.legId]);

  expect(await elsewhere.send('monitor:start', { callId, mode: 'barge' })).toEqual({ ok: false, code: 'no_such_call', error: `no connected call ${callId}` });

  expect(await sup.send('monitor:start', { callId, mode: 'whisper' })).toEqual({ ok: true });
  expect(await agent.next('call:monitored')).toEqual({ callId, mode: 'whisper' });
  expect(t.sw.hears(agentLeg).sort()).toEqual([caller.legId, supLeg].sort());
  expect(t.sw.hears(caller.legId)).toEqual([agentLeg]);

  expect(await sup.send('monitor:start', { callId, mode: 'barge' })).toEqual({ ok: true });
  expect(await agent.next('call:monitored')).toEqual({ callId, mode: 'barge' });
  expect(t.sw.hears(caller.legId).sort()).toEqual([agentLeg, supLeg].sort());

  // holding drops the supervisor to silence; taking the customer back brings them back in
  expect(await agent.send('call:hold', { callId })).toEqual({ ok: true });
  expect(t.sw.hears(supLeg)).toEqual([]);
  expect(await agent.send('call:unhold', { callId })).toEqual({ ok: true });
  expect(t.sw.hears(caller.legId).sort()).toEqual([agentLeg, supLeg].sort());

  expect(await sup.send('monitor:stop', { callId })).toEqual({ ok: true });
  expect(await sup.next('monitor:state', (p: { ended?: string }) => p.ended !== undefined)).toEqual({ callId, ended: 'left' });
  expect(await agent.next('call:monitored')).toEqual({ callId, mode: null });
  expect(supPhone?.state).toBe('ended');
  expect(t.sw.hears(caller.legId)).toEqual([agentLeg]); // the conversation goes on

  expect(await sup.send('monitor:start', { callId, mode: 'listen' })).toEqual({ ok: true });
  const second = supPhone as SimParty;
  expect(second.legId).not.toBe(supLeg);
  caller.hangup();
  await t.app.calls.idle();
  expect(await sup.next('monitor:state', (p: { ended?: string }) => p.ended !== undefined)).toEqual({ callId, ended: 'call_ended' });
  await eventually(() => second.state === 'ended', "the supervisor's phone hung up");
  const record = await eventually(async () => {
    const r = await t.app.models.CallRecord.findById(callId).lean();
    return r && (r.monitors?.length ?? 0) >= 4 ? r : undefined;
  }, 'the monitoring on the call record');
  expect(record.monitors?.map((m) => `${m.supervisorUsername}:${m.mode}`)).toEqual(['sup1:listen', 'sup1:whisper', 'sup1:barge', 'sup1:listen']);
});

interface TransferNotice {
  callId: string;
  state: string;
  to: string;
  kind: string;
  reason?: string;
}

/** A store whose agents may transfer to mobile numbers (+86139…) and to its colleagues, and a queue of it. */
async function transferStore(colleagues: string[] = []): Promise<void> {
  t = await startTestApp({ queues: [{ queueId: 'sales', name: '销售热线', numbers: ['4008001234'], storeId: 'sh-pudong' }] });
  await t.app.models.Store.create({ _id: 'sh-pudong', groupId: 'g', name: '浦东', transferAllow: ['+86139'] });
  for (const c of colleagues) await t.app.models.User.create({ username: c, displayName: c, passwordHash: 'x', roles: ['sales_consultant'], storeIds: ['sh-pudong'] });
}

test('blind transfer to a number: the customer holds while it rings, then talks to it; the agent goes to wrap-up; the record keeps the transfer', async () => {
  await transferStore();
  const { agent, caller, callId, agentLeg } = await connectedCall('xfer1', '13800008888');
  let target: SimParty | undefined;
  t.sw.registerEndpoint('+8613900001111', { answer: 'manual', onRing: (p) => (target = p) });
  expect(await agent.send('call:transfer', { callId, to: { number: 'not a number' }, mode: 'blind' })).toEqual({ ok: false, code: 'not_a_phone_number', error: '"not a number" is not a phone number' });
  expect(await agent.send('call:transfer', { callId, to: { number: '139 0000 1111' }, mode: 'blind' })).toEqual({ ok: true });
  expect(await agent.next<TransferNotice>('call:transfer_state')).toEqual({ callId, state: 'dialling', to: '+8613900001111', kind: 'blind' });
  expect(t.sw.isHearingHoldMusic(caller.legId)).toBe(true);
  expect(t.sw.hears(caller.legId)).toEqual([]);

  await t.clock.advance(4000);
  target?.answer();
  await t.clock.advance(100);
  expect(await agent.next<TransferNotice>('call:transfer_state')).toMatchObject({ state: 'completed' });
  const targetLeg = target?.legId as string;
  expect(t.sw.hears(caller.legId)).toEqual([targetLeg]);
  expect(t.sw.isHearingHoldMusic(caller.legId)).toBe(false);
  await agent.state('wrap_up');
  expect(await agent.next('call:ended')).toMatchObject({ callId, endedBy: 'agent' });
  expect(t.sw.bridgedTo(agentLeg)).toBeUndefined();
  // the agent writes up their part while the customer talks on
  expect(await agent.send('call:disposition', { callId, code: 'info_given', notes: '转销售顾问' })).toEqual({ ok: true });
  await agent.state('ready');

  await t.clock.advance(60_000);
  expect(caller.state).toBe('answered');
  caller.hangup();
  await t.app.calls.idle();
  await eventually(() => target?.state === 'ended', 'the transfer target hung up with the customer');
  const record = await eventually(async () => {
    const r = await t.app.models.CallRecord.findById(callId).lean();
    return r?.transfer?.talkMs !== undefined ? r : undefined;
  }, 'the transfer on the call record');
  expect(record).toMatchObject({ outcome: 'transferred', transferredTo: '+8613900001111', agentUsername: 'xfer1', transfer: { kind: 'blind', to: '+8613900001111', by: 'xfer1', talkMs: 60_100 } });
});

test('consult transfer to a colleague: the agent talks to them first while the customer holds, then hands over; the colleague hanging up ends the call', async () => {
  await transferStore(['consultant1']);
  const { agent, caller, callId, agentLeg } = await connectedCall('xfer2', '13800009999');
  let colleague: SimParty | undefined;
  t.sw.registerEndpoint('agent:consultant1', { answer: 'manual', onRing: (p) => (colleague = p) });
  expect(await agent.send('call:transfer', { callId, to: { agent: 'xfer2' }, mode: 'consult' })).toEqual({ ok: false, code: 'transfer_not_allowed', error: 'you cannot transfer a call to yourself' });
  expect(await agent.send('call:transfer', { callId, to: { agent: 'consultant1' }, mode: 'consult' })).toEqual({ ok: true });
  expect(await agent.next<TransferNotice>('call:transfer_state')).toMatchObject({ state: 'dialling', to: 'agent:consultant1', kind: 'consult' });
  expect(await agent.send('call:transfer', { callId, to: { number: '13900002222' }, mode: 'blind' })).toEqual({ ok: false, code: 'transfer_busy', error: 'a transfer of this call is already under way' });
  expect(await agent.send('call:transfer_complete', { callId })).toEqual({ ok: false, code: 'transfer_busy', error: 'the person you transfer to has not answered yet' });
  colleague?.answer();
  await t.clock.advance(100);
  expect(await agent.next<TransferNotice>('call:transfer_state')).toMatchObject({ state: 'consulting' });
  const colleagueLeg = colleague?.legId as string;
  expect(t.sw.hears(agentLeg)).toEqual([colleagueLeg]);
  expect(t.sw.isHearingHoldMusic(caller.legId)).toBe(true);

  await t.clock.advance(20_000);
  expect(await agent.send('call:transfer_complete', { callId })).toEqual({ ok: true });
  expect(await agent.next<TransferNotice>('call:transfer_state')).toMatchObject({ state: 'completed' });
  expect(t.sw.hears(caller.legId)).toEqual([colleagueLeg]);
  await agent.state('wrap_up');

  await t.clock.advance(30_000);
  colleague?.hangup();
  await t.app.calls.idle();
  await eventually(() => caller.state === 'ended', "the customer's leg hung up with the colleague's");
  const record = await eventually(async () => {
    const r = await t.app.models.CallRecord.findById(callId).lean();
    return r?.transfer?.talkMs !== undefined ? r : undefined;
  }, 'the transfer on the call record');
  expect(record).toMatchObject({ outcome: 'transferred', transfer: { kind: 'consult', to: 'agent:consultant1', by: 'xfer2', talkMs: 30_000 }, holdCount: 1, holdMs: 20_100 });
});

test('a transfer nobody answers, and one the agent cancels, put the customer back with the agent', async () => {
  await transferStore(['consultant2']);
  const { agent, caller, callId, agentLeg } = await connectedCall('xfer3', '13800001212');
  t.sw.registerEndpoint('+8613900003333', { answer: 'never' });
  expect(await agent.send('call:transfer', { callId, to: { number: '13900003333' }, mode: 'blind' })).toEqual({ ok: true });
  await agent.next<TransferNotice>('call:transfer_state', (p) => p.state === 'dialling');
  await t.clock.advance(31_000);
  expect(await agent.next<TransferNotice>('call:transfer_state', (p) => p.state !== 'dialling')).toMatchObject({ state: 'failed', reason: 'no_answer' });
  expect(t.sw.hears(caller.legId)).toEqual([agentLeg]);
  expect(t.sw.isHearingHoldMusic(caller.legId)).toBe(false);

  let colleague: SimParty | undefined;
  t.sw.registerEndpoint('agent:consultant2', { answer: 'manual', onRing: (p) => (colleague = p) });
  expect(await agent.send('call:transfer', { callId, to: { agent: 'consultant2' }, mode: 'consult' })).toEqual({ ok: true });
  colleague?.answer();
  await t.clock.advance(100);
  await agent.next<TransferNotice>('call:transfer_state', (p) => p.state === 'consulting');
  expect(await agent.send('call:transfer_cancel', { callId })).toEqual({ ok: true });
  expect(await agent.next<TransferNotice>('call:transfer_state', (p) => p.state === 'cancelled')).toMatchObject({ to: 'agent:consultant2' });
  expect(colleague?.state).toBe('ended');
  expect(t.sw.hears(caller.legId)).toEqual([agentLeg]);
  expect(await agent.send('call:transfer_cancel', { callId })).toEqual({ ok: false, code: 'transfer_busy', error: 'no transfer of yours is under way on this call' });
  expect((await t.app.agents.get('xfer3')).state).toBe('talking');
});
