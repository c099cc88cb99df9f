import { AgentClient } from '../support/agent-client';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';
import * as steps from '../support/call-steps';
import type { Offer } from '../support/call-steps';

/**
 * One inbound call end to end on the simulated switch (virtual clock), with the real Redis and
 * FerretDB of this test run and a real socket.io client as the agent's desktop.
 */

let t: TestApp;

beforeEach(async () => {
  t = await startTestApp({ offerTimeoutMs: 15_000, wrapUpMs: 60_000 });
});

afterEach(async () => {
  await t.stop();
});

const armed = (owner: string) => steps.armed(t, owner);
const callIn = (from: string) => steps.callIn(t, from);
const readyAgent = (username: string) => steps.readyAgent(t, username);
const acceptAndConnect = (agent: AgentClient, callId: string) => steps.acceptAndConnect(t, agent, callId);

test('a known customer calls, the ready agent gets the screen-pop, talks, wraps up with a disposition, and is ready again', async () => {
  const customer = await t.app.models.Customer.create({
    name: '张伟',
    phones: ['+8613800138000'],
    grade: 'B',
    status: 'defeated',
    defeatReason: '价格',
    owningUser: '1001',
    modelsConsidered: ['Model Y'],
    funnel: [
      { at: new Date('2026-10-01T02:00:00Z'), kind: 'visit', grade: 'C' },
      { at: new Date('2026-10-08T02:00:00Z'), kind: 'grade_change', grade: 'B' },
      { at: new Date('2026-10-20T02:00:00Z'), kind: 'defeat', note: '竞品报价更低' },
    ],
  });
  const agent = await readyAgent('1001');

  const caller = await callIn('13800138000');
  const offer = await agent.next<Offer>('call:offer');
  expect(offer.from).toBe('13800138000');
  expect(offer.queueId).toBe('sales');
  expect(offer.waitedMs).toBe(2000);
  expect(offer.customer?.name).toBe('张伟');
  expect(offer.customer?.defeatReason).toBe('价格');
  expect(offer.customer?.funnel.map((f) => f.grade ?? f.kind)).toEqual(['C', 'B', 'defeat']);
  expect(offer.dispositionCodes).toContain('appointment_set');
  await agent.state('reserved');

  await acceptAndConnect(agent, offer.callId);
  const agentLeg = t.sw.bridgedTo(caller.legId);
  expect(agentLeg).toBeDefined();
  expect(t.sw.isHearingHoldMusic(caller.legId)).toBe(false);

  await t.clock.advance(90_000);
  caller.hangup();
  const ended = await agent.next<{ callId: string; endedBy: string; talkMs: number; wrapUpUntil: number }>('call:ended');
  expect(ended).toMatchObject({ callId: offer.callId, endedBy: 'caller', talkMs: 90_000 });
  await agent.state('wrap_up');
  await eventually(() => t.sw.liveLegCount() === 0, 'the agent leg to be hung up');

  const bad = await agent.send('call:disposition', { callId: offer.callId, code: 'bogus' });
  expect(bad).toMatchObject({ ok: false });
  expect(bad.ok === false && bad.error).toContain('appointment_set');

  expect(await agent.send('call:disposition', { callId: offer.callId, code: 'appointment_set', notes: '周六上午到店试驾' })).toEqual({ ok: true });
  await agent.next('call:disposition_saved');
  await agent.state('ready');

  const record = await t.app.models.CallRecord.findOne({ callId: offer.callId }).lean();
  expect(record).toMatchObject({
    status: 'ended',
    outcome: 'answered',
    endedBy: 'caller',
    agentUsername: '1001',
    talkMs: 90_000,
    waitMs: 300, // queued until the softphone answered
    disposition: { code: 'appointment_set', notes: '周六上午到店试驾', agentUsername: '1001' },
  });
  expect(String(record?.customerId)).toBe(String(customer._id));
  const disposition = await t.app.models.Disposition.findOne({ callId: offer.callId }).lean();
  expect(disposition).toMatchObject({ code: 'appointment_set', agentUsername: '1001', queueId: 'sales' });

  // The same customer calls again: the screen-pop shows the last call and its outcome.
  const again = await callIn('+8613800138000');
  const second = await agent.next<Offer>('call:offer');
  expect(second.customer?.lastCalls).toEqual([expect.objectContaining({ callId: offer.callId, disposition: 'appointment_set', agent: '1001' })]);
  again.hangup();
  await agent.next('call:offer_withdrawn');
  await agent.state('ready');

  // A third call: the abandoned second call is in front (the cached list was updated, not re-read).
  await eventually(async () => (await t.app.models.CallRecord.findById(second.callId).lean())?.status === 'ended', 'the second call to end');
  const third = await callIn('+8613800138000');
  const pop3 = await agent.next<Offer>('call:offer');
  expect(pop3.customer?.lastCalls).toEqual([
    expect.objectContaining({ callId: second.callId, outcome: 'abandoned' }),
    expect.objectContaining({ callId: offer.callId, disposition: 'appointment_set' }),
  ]);
  third.hangup();
});

test('a caller who hangs up while queued is recorded as abandoned and never offered', async () => {
  const caller = await callIn('13900001111');
  await t.clock.advance(30_000);
  caller.hangup();
  const record = await eventually(async () => {
    const r = await t.app.models.CallRecord.findOne({ from: '13900001111' }).lean();
    return r?.status === 'ended' ? r : undefined;
  }, 'the abandoned call record');
  expect(record).toMatchObject({ outcome: 'abandoned', endedBy: 'caller', waitMs: 30_000 });
  expect(record.customerId).toBeUndefined();
  expect(await t.app.queues.waitingCount('sales')).toBe(0);

  const agent = await readyAgent('1002');
  await t.app.calls.idle();
  expect(agent.received.some((r) => r.event === 'call:offer')).toBe(false);
});

test('an offer nobody accepts goes back to the queue and to the next agent; the first is set not ready', async () => {
  const first = await readyAgent('2001');
  await t.clock.advance(1000);
  const second = await readyAgent('2002');
  await callIn('13700001234');
  const offer = await first.next<Offer>('call:offer'); // longest idle first
  await armed(':offer');
  await t.clock.advance(15_000);
  await first.next('call:offer_withdrawn', (p: { reason: string }) => p.reason === 'timeout');
  const missed = await first.state('not_ready');
  expect(missed.reason).toBe('missed_offer');
  const reoffer = await second.next<Offer>('call:offer');
  expect(reoffer.callId).toBe(offer.callId);
  expect(await first.send('call:accept', { callId: offer.callId })).toMatchObject({ ok: false });
});

test('a caller who hangs up while the offer is on screen: the offer is withdrawn and the agent is ready again', async () => {
  const agent = await readyAgent('3001');
  const caller = await callIn('13600002222');
  const offer = await agent.next<Offer>('call:offer');
  await agent.state('reserved');
  caller.hangup();
  await agent.next('call:offer_withdrawn', (p: { callId: string; reason: string }) => p.callId === offer.callId && p.reason === 'caller_left');
  await agent.state('ready');
  expect(await agent.send('call:accept', { callId: offer.callId })).toMatchObject({ ok: false });
});

test('the agent hangs up; wrap-up time runs out; a late disposition is still taken once', async () => {
  const agent = await readyAgent('4001');
  const caller = await callIn('13500003333');
  const offer = await agent.next<Offer>('call:offer');
  await acceptAndConnect(agent, offer.callId);
  await t.clock.advance(45_000);
  expect(await agent.send('call:hangup', { callId: offer.callId })).toEqual({ ok: true });
  const ended = await agent.next<{ endedBy: string; talkMs: number }>('call:ended');
  expect(ended).toMatchObject({ endedBy: 'agent', talkMs: 45_000 });
  await caller.until('ended');
  await agent.state('wrap_up');
  await armed('wrap-up');
  await t.clock.advance(60_000);
  await agent.state('ready');

  expect(await agent.send('call:disposition', { callId: offer.callId, code: 'callback_requested' })).toEqual({ ok: true });
  const twice = await agent.send('call:disposition', { callId: offer.callId, code: 'info_given' });
  expect(twice).toMatchObject({ ok: false });
  expect(twice.ok === false && twice.error).toMatch(/already recorded/);
  const record = await t.app.models.CallRecord.findOne({ callId: offer.callId }).lean();
  expect(record).toMatchObject({ endedBy: 'agent', talkMs: 45_000, disposition: { code: 'callback_requested' } });
});

test('bad input from the desktop gets a clear error and changes nothing', async () => {
  const agent = await readyAgent('5001');
  const notUuid = await agent.send('call:accept', { callId: 'nope' });
  expect(notUuid).toMatchObject({ ok: false });
  expect(notUuid.ok === false && notUuid.error).toMatch(/callId/);
  const noReason = await agent.send('agent:not_ready', {});
  expect(noReason.ok === false && noReason.error).toMatch(/reason/);
  const unknownReason = await agent.send('agent:not_ready', { reason: 'nap' });
  expect(unknownReason).toEqual({ ok: false, code: 'unknown_not_ready_reason', error: 'unknown not-ready reason "nap"; use one of: break, lunch, meeting, training, admin_work, outbound_work' });
  expect((await t.app.agents.get('5001')).state).toBe('ready');
  await expect(AgentClient.connect(t.url, 'forged.token')).rejects.toMatchObject({ message: 'your session has expired: log in again', data: { code: 'session_expired' } });
});

test('a desktop that disconnects stops receiving calls: its agent is made not ready', async () => {
  const agent = await readyAgent('6001');
  agent.close();
  await eventually(async () => (await t.app.agents.get('6001')).state === 'not_ready', 'the agent to be not ready');
  expect((await t.app.agents.get('6001')).reason).toBe('desktop_disconnected');
  expect(await t.app.queues.readyAgents('sales')).toEqual([]);
});

test('shutting down with calls in progress ends them and writes their records before the connections close', async () => {
  const agent = await readyAgent('8001');
  const talking = await callIn('13400004444');
  const offer = await agent.next<Offer>('call:offer');
  await acceptAndConnect(agent, offer.callId);
  const waiting = await callIn('13400005555');
  const { Customer, CallRecord } = t.app.models;
  await t.app.stop(5000);
  expect(talking.state).toBe('ended');
  expect(waiting.state).toBe('ended');
  const mongoose = await import('mongoose');
  const conn = await mongoose.default.createConnection(t.app.options.mongodbUri).asPromise();
  try {
    const records = await conn.collection(CallRecord.collection.name).find({}, { projection: { from: 1, status: 1, outcome: 1, endedBy: 1 } }).toArray();
    expect(records.map(({ from, status, outcome, endedBy }) => ({ from, status, outcome, endedBy })).sort((a, b) => String(a.from).localeCompare(String(b.from)))).toEqual([
      { from: '13400004444', status: 'ended', outcome: 'answered', endedBy: 'system' },
      { from: '13400005555', status: 'ended', outcome: 'shutdown', endedBy: 'system' },
    ]);
    expect(Customer.collection.name).toBe('customers');
  } finally {
    await conn.close();
  }
});
