import Redis from 'ioredis';
import { QueueStore, type SkillRequirement } from '../src/acd/queue-store';
import { AgentStore } from '../src/agents/agent-store';
import { RedisKeys } from '../src/redis/keys';
import { SeededRandom } from '../src/util/random';
import { benchRedis, percentile, rssMiB } from './support';

/**
 * Routing-decision latency: one atomic match (QueueStore.reserve) with 2,000 agents and 5,000
 * waiting calls in Redis. In steady state every matched agent becomes ready again and every
 * matched call is replaced by a new one, so the populations stay at their sizes.
 * Prints p50/p99 of the decision round trip and decisions per second.
 */
const AGENTS = Number(process.env.BENCH_AGENTS ?? 2000);
const CALLS = Number(process.env.BENCH_CALLS ?? 5000);
const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 20000);

async function main(): Promise<void> {
  const server = await benchRedis();
  const redis = new Redis(server.url);
  const keys = new RedisKeys('bench');
  const agents = new AgentStore(redis, keys);
  const queues = new QueueStore(redis, keys);
  const rnd = new SeededRandom(42);
  const skills = ['sales', 'service', 'dcc', 'ev'];
  await queues.configure('q', { strategy: 'longest_idle' });
  let now = Date.UTC(2026, 0, 5, 1);
  for (let i = 0; i < AGENTS; i++) {
    const id = `a${i}`;
    await agents.setProfile(id, ['q'], skills.filter(() => rnd.next() < 0.6).map((s) => ({ skill: s, level: rnd.int(1, 10) })));
    await agents.apply(id, { type: 'login' }, now);
    await agents.apply(id, { type: 'ready' }, now + i);
  }
  let seq = 0;
  const newCall = async (): Promise<void> => {
    const need: SkillRequirement[] = rnd.next() < 0.5 ? [{ skill: rnd.pick(skills), minLevel: rnd.int(1, 6) }] : [];
    const id = `c${seq++}`;
    await queues.enqueue({ callId: id, queueId: 'q', legId: id, from: '+8613800000000', priority: rnd.next() < 0.1 ? 5 : 0, enqueuedAt: now + seq, skills: need });
  };
  for (let i = 0; i < CALLS; i++) await newCall();
  // Busy agents: the rest stay ready, so each decision scans real candidates.
  const samples: number[] = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < DECISIONS; i++) {
    now += 10;
    const t0 = process.hrtime.bigint();
    const r = await queues.reserve('q', now, 60_000);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (!r) throw new Error('no match found: the population ran dry');
    await queues.remove(r.callId, 'q');
    for (const a of r.agentIds) {
      await agents.apply(a, { type: 'call_gone' }, now);
    }
    await newCall();
  }
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  samples.sort((a, b) => a - b);
  const waiting = await queues.waitingCount('q');
  const ready = (await queues.readyAgents('q')).length;
  console.log(`acd routing: ${AGENTS} agents (${ready} ready), ${waiting} waiting calls, ${DECISIONS} decisions`);
  console.log(`decision latency ms: p50 ${percentile(samples, 50).toFixed(3)}  p90 ${percentile(samples, 90).toFixed(3)}  p99 ${percentile(samples, 99).toFixed(3)}  max ${samples[samples.length - 1]?.toFixed(3)}`);
  console.log(`decision throughput (sequential, with the bookkeeping around each): ${(DECISIONS / wallS).toFixed(0)} per second; decisions alone: ${(1000 / (samples.reduce((a, b) => a + b, 0) / samples.length)).toFixed(0)} per second`);
  console.log(`bench process RSS ${rssMiB()} MiB`);
  redis.disconnect();
  await server.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
