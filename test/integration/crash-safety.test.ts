import Redis from 'ioredis';
import { LiveCalls } from '../../src/calls/live-calls';
import { QueueStore } from '../../src/acd/queue-store';
import { RedisKeys } from '../../src/redis/keys';
import type { AgentClient } from '../support/agent-client';
import { acceptAndConnect, armed, callIn, readyAgent, type Offer } from '../support/call-steps';
import { startTestApp, testServices, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * A call session that fails or gets stuck never leaves its caller on dead air nor its agent stuck, and
 * a call left by an instance that died is closed (or, a queued callback, carried on) by the sweeper.
 * Simulated switch, virtual clock, the run's real Redis and FerretDB.
 */

let t: TestApp;
let redis: Redis;
let live: LiveCalls;
let queues: QueueStore;

beforeEach(async () => {
  t = await startTestApp({ offerTimeoutMs: 15_000, wrapUpMs: 30_000 });
  redis = new Redis(testServices().redisUrl);
  live = new LiveCalls(redis, t.app.options.redisNamespace);
  queues = new QueueStore(redis, new RedisKeys(t.app.options.redisNamespace));
});

afterEach(async () => {
  redis.disconnect();
  await t.stop();
});

async function record(callId: string): Promise<Record<string, unknown> | null> {
  await t.app.quiesce();
  return (await t.app.models.CallRecord.findById(callId).lean()) as Record<string, unknown> | null;
}

async function offered(agent: AgentClient, from: string): Promise<{ caller: Awaited<ReturnType<typeof callIn>>; offer: Offer }> {
  const caller = await callIn(t, from);
  const offer = await agent.next<Offer>('call:offer');
  return { caller, offer };
}

test('an engine error while connecting the agent ends both legs, closes the record as lost, and frees the agent', async () => {
  const agent = await readyAgent(t, 'f1');
  const { caller, offer } = await offered(agent, '13800000101');
  t.sw.injectFault('bridge', 'fail');
  expect(await agent.send('call:accept', { callId: offer.callId })).toEqual({ ok: true });
  await armed(t, 'auto-answer');
  await t.clock.advance(300); // the softphone answers; the bridge fails
  await eventually(() => caller.state === 'ended', 'the caller to be hung up (no dead air)');
  expect(t.sw.liveLegCount()).toBe(0);
  await t.clock.advance(3_000); // the sweeper's pass
  expect(await record(offer.callId)).toMatchObject({ status: 'ended', outcome: 'lost', lostPhase: 'connecting', endCause: 'session_failed', endedBy: 'system' });
  expect((await t.app.agents.get('f1')).state).toBe('ready');
  await agent.state('ready');
  expect(await live.get(offer.callId)).toBeUndefined();
  expect(await queues.waitingCount('sales')).toBe(0);
  expect(await redis.exists(`${t.app.options.redisNamespace}:call:${offer.callId}`)).toBe(0);
});

test('a wedged engine command: the watchdog gives the call up within two minutes instead of holding the agent for ever', async () => {
  const agent = await readyAgent(t, 'w1');
  const { caller, offer } = await offered(agent, '13800000102');
  t.sw.injectFault('bridge', 'hang');
  await agent.send('call:accept', { callId: offer.callId });
  await armed(t, 'auto-answer');
  await t.clock.advance(300);
  await agent.state('ringing');
  await t.clock.advance(30_000);
  expect(caller.state).not.toBe('ended'); // the agent's phone could still be ringing
  await t.clock.advance(2 * 60_000); // past the connecting phase's deadline
  expect(caller.state).toBe('ended');
  await t.clock.advance(2_000);
  expect(await record(offer.callId)).toMatchObject({ outcome: 'lost', lostPhase: 'connecting', endCause: 'session_failed' });
  expect((await t.app.agents.get('w1')).state).toBe('ready');
});

test('the lease of a call is renewed only while its session is healthy', async () => {
  const agent = await readyAgent(t, 'l1');
  const { offer } = await offered(agent, '13800000103');
  const leaseOf = async () => Number(await redis.zscore(`${t.app.options.redisNamespace}:calls`, offer.callId));
  t.sw.injectFault('bridge', 'hang');
  await agent.send('call:accept', { callId: offer.callId });
  await armed(t, 'auto-answer');
  await t.clock.advance(300);
  await t.clock.advance(2_000);
  expect(await leaseOf()).toBeGreaterThan(t.clock.now()); // connecting, the step is young
  await t.clock.advance(6 * 60_000);
  expect(await redis.zscore(`${t.app.options.redisNamespace}:calls`, offer.callId)).toBeNull();
});

test('a call waiting for a callback, left by an instance that died, is carried on here: an agent takes it and the customer is called', async () => {
  const ns = t.app.options.redisNamespace;
  const callId = '2f0c7d0e-3a8d-4b43-9d7b-5a1f1a0c0a01';
  const enqueuedAt = t.clock.now() - 120_000;
  await t.app.models.CallRecord.create({ _id: callId, callId, direction: 'inbound', source: 'trunk', from: '13900005555', to: '4008001234', status: 'callback_waiting', offeredAt: new Date(enqueuedAt), queueId: 'sales' });
  await queues.enqueue({ callId, queueId: 'sales', legId: 'sim-in-gone', from: '13900005555', priority: 0, enqueuedAt, skills: [] });
  await live.set(callId, { owner: 'an-instance-that-died', phase: 'callback_waiting', direction: 'inbound', queueId: 'sales', from: '13900005555', to: '4008001234', source: 'trunk', receivedAt: enqueuedAt, enqueuedAt, callbackNumber: '13900005555', priority: 0 });
  t.sw.registerEndpoint('13900005555', { answer: 'auto', afterMs: 2000 });
  const agent = await readyAgent(t, 'cb1');
  await t.clock.advance(1_000); // the sweeper's pass takes it over
  const offer = await agent.next<Offer & { callback: boolean }>('call:offer', (o) => o.callId === callId);
  expect(offer.callback).toBe(true);
  expect((await live.get(callId))?.owner).toBe(t.app.instanceId);
  await agent.send('call:accept', { callId });
  await armed(t, 'auto-answer');
  await t.clock.advance(300);
  await armed(t, 'auto-answer');
  await t.clock.advance(2_000); // the customer answers
  await agent.next('call:connected', (c: { callId: string }) => c.callId === callId);
  expect(await record(callId)).toMatchObject({ status: 'connected', agentUsername: 'cb1' });
  expect(await redis.exists(`${ns}:call:${callId}`)).toBe(0);
});

test('a queued call whose instance died is matched by nobody here: its agent is freed, and the sweeper closes it as lost', async () => {
  const callId = '2f0c7d0e-3a8d-4b43-9d7b-5a1f1a0c0a02';
  const enqueuedAt = t.clock.now() - 10_000;
  await t.app.models.CallRecord.create({ _id: callId, callId, direction: 'inbound', source: 'trunk', from: '13900006666', to: '4008001234', status: 'queued', offeredAt: new Date(enqueuedAt), queueId: 'sales' });
  await queues.enqueue({ callId, queueId: 'sales', legId: 'sim-in-gone', from: '13900006666', priority: 0, enqueuedAt, skills: [] });
  await live.set(callId, { owner: 'an-instance-that-died', phase: 'queued', direction: 'inbound', queueId: 'sales', enqueuedAt });
  const agent = await readyAgent(t, 'q1');
  await t.clock.advance(1_000);
  expect(await record(callId)).toMatchObject({ status: 'ended', outcome: 'lost', lostPhase: 'queued', endCause: 'instance_lost' });
  expect(agent.received.some((r) => r.event === 'call:offer')).toBe(false);
  expect((await t.app.agents.get('q1')).state).toBe('ready');
  expect(await queues.waitingCount('sales')).toBe(0);
});

test('an agent talking on a call whose instance died is put in wrap-up, told so, and may still record the outcome', async () => {
  const callId = '2f0c7d0e-3a8d-4b43-9d7b-5a1f1a0c0a03';
  const agent = await readyAgent(t, 't1');
  const connectedAt = t.clock.now() - 60_000;
  await t.app.models.CallRecord.create({ _id: callId, callId, direction: 'inbound', source: 'trunk', from: '13900007777', to: '4008001234', status: 'connected', offeredAt: new Date(connectedAt - 5_000), connectedAt: new Date(connectedAt), queueId: 'sales', agentUsername: 't1' });
  await redis.hset(`${t.app.options.redisNamespace}:agent:t1`, { state: 'talking', callId, since: connectedAt });
  await queues.recordActive('sales', 1, undefined, live.keyOf(callId));
  await live.set(callId, { owner: 'an-instance-that-died', phase: 'connected', direction: 'inbound', queueId: 'sales', agentId: 't1', connectedAt });
  await t.clock.advance(1_000);
  const ended = await agent.next<{ callId: string; cause: string; talkMs: number; dispositionCodes: string[] }>('call:ended');
  expect(ended).toMatchObject({ callId, cause: 'lost', talkMs: 61_000 });
  expect(ended.dispositionCodes).toContain('appointment_set');
  expect(await record(callId)).toMatchObject({ status: 'ended', outcome: 'lost', lostPhase: 'connected', talkMs: 61_000, agentUsername: 't1' });
  expect((await queues.stats('sales')).active).toBe(0);
  await t.clock.advance(2_000);
  expect((await t.app.agents.get('t1')).state).toBe('ready');
  expect(await agent.send('call:disposition', { callId, code: 'callback_requested', notes: '通话中断，稍后回拨' })).toEqual({ ok: true });
  expect(await record(callId)).toMatchObject({ disposition: { code: 'callback_requested' } });
});

test('with a queue that requires the outcome, the agent cannot go ready (nor be made ready by the timer) before saving it', async () => {
  await t.app.models.Queue.create({ queueId: 'dcc-x', name: 'DCC 回访', numbers: ['4008005000'], requireDisposition: true, wrapUpMs: 20_000 });
  await t.app.reloadRouting();
  const agent = await readyAgent(t, 'd1', { queueIds: ['dcc-x'] });
  const caller = await callIn(t, '13800000104', '4008005000');
  const offer = await agent.next<Offer>('call:offer');
  await acceptAndConnect(t, agent, offer.callId);
  caller.hangup();
  await agent.state('wrap_up');
  expect(await agent.send('agent:ready')).toEqual({ ok: false, code: 'disposition_required', error: 'save the outcome of this call before you go ready' });
  await t.clock.advance(60_000);
  expect((await t.app.agents.get('d1')).state).toBe('wrap_up');
  expect(await agent.send('call:disposition', { callId: offer.callId, code: 'info_given' })).toEqual({ ok: true });
  await agent.state('ready');
});

test('without that setting, going ready during wrap-up ends it (and the call is done)', async () => {
  const agent = await readyAgent(t, 'd2');
  const caller = await callIn(t, '13800000105');
  const offer = await agent.next<Offer>('call:offer');
  await acceptAndConnect(t, agent, offer.callId);
  caller.hangup();
  await agent.state('wrap_up');
  expect(await agent.send('agent:ready')).toEqual({ ok: true });
  await agent.state('ready');
  expect(t.app.calls.get(offer.callId)).toBeUndefined();
});

test('a customer who calls again during the previous call\'s wrap-up already sees that call in the screen-pop', async () => {
  await t.app.models.Customer.create({ name: '李娜', phones: ['+8613800000106'], status: 'defeated', grade: 'B' });
  const a = await readyAgent(t, 'h1');
  const b = await readyAgent(t, 'h2');
  const caller = await callIn(t, '13800000106');
  const first = await a.next<Offer>('call:offer');
  await acceptAndConnect(t, a, first.callId);
  caller.hangup();
  await a.state('wrap_up');
  await t.app.quiesce();
  await callIn(t, '13800000106');
  const second = await b.next<Offer>('call:offer');
  expect(second.customer?.lastCalls[0]).toMatchObject({ callId: first.callId, outcome: 'answered', agent: 'h1' });
});
