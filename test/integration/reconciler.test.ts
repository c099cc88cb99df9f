import Redis from 'ioredis';
import { AgentStore } from '../../src/agents/agent-store';
import { QueueStore } from '../../src/acd/queue-store';
import { RedisKeys } from '../../src/redis/keys';
import { acceptAndConnect, callIn, readyAgent } from '../support/call-steps';
import { startTestApp, testServices, type TestApp } from '../support/test-app';

/**
 * No agent is ever stuck: states the world no longer supports (an instance died holding the call,
 * a desktop vanished) are corrected within 5 s of clock time, through the state machine.
 */

let t: TestApp;
let redis: Redis;
let store: AgentStore;
let queues: QueueStore;

beforeEach(async () => {
  t = await startTestApp();
  redis = new Redis(testServices().redisUrl);
  const keys = new RedisKeys(t.app.options.redisNamespace);
  store = new AgentStore(redis, keys);
  queues = new QueueStore(redis, keys);
});

afterEach(async () => {
  redis.disconnect();
  await t.stop();
});

/** The agent is put on a call that no app instance runs, as if the instance that ran it died. */
async function onGhostCall(agentId: string, upTo: 'reserved' | 'ringing' | 'talking'): Promise<void> {
  const now = t.clock.now();
  await queues.enqueue({ callId: `ghost-${agentId}`, queueId: 'other', legId: 'gone', from: '+8613800000000', priority: 9, enqueuedAt: now, skills: [], preferredAgent: agentId, preferredUntil: now + 1 });
  const r = await queues.reserve('other', now, 60_000);
  expect(r?.agentIds).toEqual([agentId]);
  if (upTo !== 'reserved') await store.apply(agentId, { type: 'accept' }, now);
  if (upTo === 'talking') await store.apply(agentId, { type: 'connected' }, now);
  expect((await store.get(agentId)).state).toBe(upTo);
}

test.each(['reserved', 'ringing', 'talking'] as const)('an agent %s on a call no instance runs is ready again within 5 s, and the desktop is told', async (state) => {
  const agent = await readyAgent(t, `g-${state}`);
  await onGhostCall(`g-${state}`, state);
  await t.clock.advance(5_000);
  expect((await t.app.agents.get(`g-${state}`)).state).toBe('ready');
  await agent.state('ready');
});

test('an agent on a live call is left alone however long the call lasts', async () => {
  const agent = await readyAgent(t, 'live');
  const caller = await callIn(t, '13800009999');
  const offer = await agent.next<{ callId: string }>('call:offer');
  await acceptAndConnect(t, agent, offer.callId);
  await t.clock.advance(30 * 60_000);
  expect((await t.app.agents.get('live')).state).toBe('talking');
  caller.hangup();
  await agent.state('wrap_up');
});

test('a desktop gone past the 10 s grace period: its agent is logged out; one that stays connected is not', async () => {
  const leaving = await readyAgent(t, 'leaver');
  const staying = await readyAgent(t, 'stayer');
  leaving.close();
  await t.clock.advance(9_000);
  expect((await t.app.agents.get('leaver')).state).toBe('not_ready');
  await t.clock.advance(6_000);
  expect((await t.app.agents.get('leaver')).state).toBe('logged_out');
  await t.clock.advance(10 * 60_000);
  expect((await t.app.agents.get('stayer')).state).toBe('ready');
  expect(staying.socket.connected).toBe(true);
});

test('a desktop that reconnects within the grace period keeps the agent logged in', async () => {
  const first = await readyAgent(t, 'flaky');
  first.close();
  await t.clock.advance(5_000);
  const { body } = await t.login('flaky', 'pw-flaky');
  const { AgentClient } = await import('../support/agent-client');
  const again = await AgentClient.connect(t.url, body.token as string);
  try {
    await again.state('not_ready');
    await t.clock.advance(20_000);
    expect((await t.app.agents.get('flaky')).state).toBe('not_ready');
  } finally {
    again.close();
  }
});
