import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { QueueStore, type Strategy, type WaitingCall } from '../../src/acd/queue-store';
import type { AgentEvent } from '../../src/agents/agent-state';
import { AgentStore, type AgentSkill } from '../../src/agents/agent-store';
import { RedisKeys } from '../../src/redis/keys';
import { testServices } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * Which call goes to which agent, decided in Redis by one atomic script: priorities, skills,
 * strategies, preferred agents, and two app instances matching at the same time.
 */

let redis: Redis;
let keys: RedisKeys;
let agents: AgentStore;
let queues: QueueStore;

beforeEach(() => {
  redis = new Redis(testServices().redisUrl);
  keys = new RedisKeys(`acd${randomBytes(4).toString('hex')}`);
  agents = new AgentStore(redis, keys);
  queues = new QueueStore(redis, keys);
});

afterEach(async () => {
  const left = await redis.keys(`${keys.ns}:*`);
  if (left.length > 0) await redis.del(...left);
  redis.disconnect();
});

async function apply(agentId: string, events: AgentEvent[], at: number): Promise<void> {
  for (const ev of events) {
    const r = await agents.apply(agentId, ev, at);
    if (!r.ok) throw new Error(`${agentId} ${ev.type}: ${r.error}`);
  }
}

async function readyAgent(agentId: string, at: number, skills: AgentSkill[] = [], queueIds = ['q']): Promise<void> {
  await agents.setProfile(agentId, queueIds, skills);
  await apply(agentId, [{ type: 'login' }, { type: 'ready' }], at);
}

/** The agent takes the reserved call, talks, wraps up and is ready again at `at`. */
async function handleAndReturn(agentId: string, at: number): Promise<void> {
  await apply(agentId, [{ type: 'accept' }, { type: 'connected' }], at);
  await agents.countCall(agentId);
  await apply(agentId, [{ type: 'call_ended' }, { type: 'wrap_up_done' }], at);
}

let seq = 0;
async function waiting(over: Partial<WaitingCall> = {}): Promise<string> {
  const callId = over.callId ?? `c${++seq}`;
  await queues.enqueue({ callId, queueId: 'q', legId: `leg-${callId}`, from: '+8613800000000', priority: 0, enqueuedAt: 1000 + seq, skills: [], ...over });
  return callId;
}

async function strategy(s: Strategy, ringAllMax?: number): Promise<void> {
  await queues.configure('q', ringAllMax === undefined ? { strategy: s } : { strategy: s, ringAllMax });
}

test('higher priority first, then first come first served', async () => {
  await strategy('longest_idle');
  const early = await waiting({ enqueuedAt: 1000 });
  const late = await waiting({ enqueuedAt: 3000 });
  const vip = await waiting({ enqueuedAt: 5000, priority: 5 });
  for (const a of ['a1', 'a2', 'a3']) await readyAgent(a, 100);
  const order = [];
  for (let i = 0; i < 3; i++) order.push((await queues.reserve('q', 10_000, 60_000))?.callId);
  expect(order).toEqual([vip, early, late]);
  expect(await queues.reserve('q', 10_000, 60_000)).toBeUndefined();
});

test('skills: only an agent with every required skill at the minimum level gets the call; a call nobody qualifies for does not block the next', async () => {
  await strategy('longest_idle');
  await readyAgent('novice', 100, [{ skill: 'dcc', level: 3 }]);
  await readyAgent('expert', 200, [{ skill: 'dcc', level: 8 }, { skill: 'ev', level: 2 }]);
  const hard = await waiting({ skills: [{ skill: 'dcc', minLevel: 5 }, { skill: 'ev', minLevel: 1 }] });
  const nobody = await waiting({ skills: [{ skill: 'service', minLevel: 1 }] });
  const easy = await waiting({ skills: [{ skill: 'dcc', minLevel: 1 }] });
  expect(await queues.reserve('q', 10_000, 60_000)).toEqual({ callId: hard, agentIds: ['expert'] });
  expect(await queues.reserve('q', 10_000, 60_000)).toEqual({ callId: easy, agentIds: ['novice'] });
  expect(await queues.reserve('q', 10_000, 60_000)).toBeUndefined();
  expect(await queues.position(nobody, 'q')).toBe(1);
});

test('longest idle: the agent ready the longest is offered first', async () => {
  await strategy('longest_idle');
  await readyAgent('recent', 5000);
  await readyAgent('oldest', 1000);
  await readyAgent('middle', 3000);
  await waiting();
  expect((await queues.reserve('q', 10_000, 60_000))?.agentIds).toEqual(['oldest']);
  expect((await agents.get('oldest')).state).toBe('reserved');
  expect(await queues.readyAgents('q')).toEqual(['middle', 'recent']);
});

test('round robin: calls go around the agents in turn, whoever became ready first', async () => {
  await strategy('round_robin');
  for (const a of ['a', 'b', 'c']) await readyAgent(a, 1000);
  const served: string[] = [];
  for (let i = 0; i < 6; i++) {
    await waiting();
    const r = await queues.reserve('q', 10_000 + i, 60_000);
    const agent = r?.agentIds[0] as string;
    served.push(agent);
    await handleAndReturn(agent, 20_000 - i * 1000); // returning "earlier" must not jump the turn
  }
  expect(served).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
});

test('fewest calls: the agent who answered fewest gets the next call; ties go to the longest idle', async () => {
  await strategy('fewest_calls');
  await readyAgent('busy', 1000);
  await readyAgent('quiet', 3000);
  await readyAgent('quieter', 2000);
  await agents.countCall('busy');
  await agents.countCall('busy');
  await agents.setProfile('busy', ['q'], []); // scores are taken when entering the ready set
  await waiting();
  expect((await queues.reserve('q', 10_000, 60_000))?.agentIds).toEqual(['quieter']);
  await waiting();
  expect((await queues.reserve('q', 10_000, 60_000))?.agentIds).toEqual(['quiet']);
});

test('ring-all: every qualified ready agent (up to the cap) is reserved for the one call', async () => {
  await strategy('ring_all', 3);
  for (const [i, a] of ['a', 'b', 'c', 'd'].entries()) await readyAgent(a, 1000 + i, [{ skill: 'sales', level: 5 }]);
  await readyAgent('unskilled', 500);
  const call = await waiting({ skills: [{ skill: 'sales', minLevel: 1 }] });
  expect(await queues.reserve('q', 10_000, 60_000)).toEqual({ callId: call, agentIds: ['a', 'b', 'c'] });
  for (const a of ['a', 'b', 'c']) expect((await agents.get(a)).state).toBe('reserved');
  expect(await queues.readyAgents('q')).toEqual(['unskilled', 'd']);
});

test('preferred agent: waits for the owner during the window, others take the calls behind it; after the window anyone qualified may', async () => {
  await strategy('longest_idle');
  await readyAgent('other', 1000);
  await agents.setProfile('owner', ['another-queue'], []);
  await apply('owner', [{ type: 'login' }], 1000); // logged in, not ready
  const mine = await waiting({ preferredAgent: 'owner', preferredUntil: 40_000 });
  const next = await waiting();
  expect(await queues.reserve('q', 10_000, 60_000)).toEqual({ callId: next, agentIds: ['other'] });
  await handleAndReturn('other', 11_000);
  expect(await queues.reserve('q', 39_999, 60_000)).toBeUndefined();
  expect(await queues.reserve('q', 40_000, 60_000)).toEqual({ callId: mine, agentIds: ['other'] });
});

test('preferred agent who is ready gets the call at once, even from another queue and without its skills', async () => {
  await strategy('longest_idle');
  await readyAgent('dcc-agent', 1000, [{ skill: 'dcc', level: 9 }]);
  await readyAgent('consultant', 5000, [], ['showroom']);
  const call = await waiting({ preferredAgent: 'consultant', preferredUntil: 99_000, skills: [{ skill: 'dcc', minLevel: 5 }] });
  expect(await queues.reserve('q', 10_000, 60_000)).toEqual({ callId: call, agentIds: ['consultant'] });
  expect(await redis.zrange(keys.queueReady('showroom'), 0, -1)).toEqual([]);
});

test('the reservation expires on its own if nobody clears it', async () => {
  await strategy('longest_idle');
  await readyAgent('a', 1000);
  const call = await waiting();
  await queues.reserve('q', 10_000, 50);
  expect(await redis.get(keys.reservation(call))).toBe('a');
  // Redis's own expiry (PX, real time): polled until it has run out
  await eventually(async () => (await redis.get(keys.reservation(call))) === null, 'the reservation to expire', 2_000);
});

test('two app instances matching at once on one Redis: no call to two agents, no agent with two calls', async () => {
  await strategy('longest_idle');
  const second = new Redis(testServices().redisUrl);
  try {
    const other = new QueueStore(second, keys);
    const n = 200;
    for (let i = 0; i < n; i++) await readyAgent(`agent${i}`, 1000 + i);
    for (let i = 0; i < n; i++) await waiting({ callId: `call${i}` });
    const results: { callId: string; agentIds: string[] }[] = [];
    const worker = async (store: QueueStore): Promise<void> => {
      for (;;) {
        const r = await store.reserve('q', 10_000, 60_000);
        if (!r) return;
        results.push(r);
      }
    };
    await Promise.all([worker(queues), worker(other), worker(queues), worker(other)]);
    expect(results).toHaveLength(n);
    expect(new Set(results.map((r) => r.callId)).size).toBe(n);
    expect(new Set(results.flatMap((r) => r.agentIds)).size).toBe(n);
    expect(results.every((r) => r.agentIds.length === 1)).toBe(true);
  } finally {
    second.disconnect();
  }
});
