import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { BotDesk, BotLedger } from '../support/bot-desk';
import { TestCrm } from '../support/fake-crm';
import { alive, createUser, deploy, type Deployment } from '../support/deployment';
import { api, kill, login, readyz, type Running } from '../support/server-process';
import { testServices } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * Several app instances on one Redis, as processes started the way production starts them: desks on
 * any instance take calls any instance runs; one instance killed mid-load loses nothing it should not.
 */

const AGENTS = ['aa-1', 'aa-2', 'aa-3', 'aa-4', 'aa-5', 'aa-6'];
const QUEUE_NUMBER = '4008870101';

let dir: string;
let redis: Redis;
let crm: TestCrm;
const servers: Running[] = [];
const bots: BotDesk[] = [];
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-active-'));
  crm = await TestCrm.start();
  redis = new Redis(testServices().redisUrl);
});

afterEach(async () => {
  for (const b of bots.splice(0)) b.close();
  for (const s of servers.splice(0)) if (s.proc.exitCode === null && s.proc.signalCode === null) await kill(s, 'SIGKILL');
  for (const c of cleanups.splice(0)) await c();
});

afterAll(async () => {
  await crm.stop();
  redis.disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Instances sharing Redis and the database, each with its own HTTP port (and data folder). */
function deployAgents(n: number): Promise<Deployment> {
  return deploy({
    n,
    dir,
    redis,
    servers,
    cleanups,
    env: { CRM_URL: crm.url, CRM_RETRY_BASE_MS: '200', CRM_RETRY_MAX_MS: '1000' },
    seed: async (models) => {
      await models.Queue.create({ queueId: 'aa', name: '呼入', storeId: 'sh-pudong', numbers: [QUEUE_NUMBER], wrapUpMs: 30_000 });
      for (const u of AGENTS) await createUser(models, u, { queueIds: ['aa'], storeIds: ['sh-pudong'] });
    },
  });
}

/** Bots spread over the instances in blocks (agents 1–2 on the first, …: not in step with the round-robin callers), all ready. */
async function spreadBots(d: Deployment, ledger: BotLedger, talkMs = 400): Promise<BotDesk[]> {
  const out: BotDesk[] = [];
  for (const [i, u] of AGENTS.entries()) {
    const s = d.servers[Math.floor((i * d.servers.length) / AGENTS.length)] as Running;
    const bot = new BotDesk(u, await login(s.url, u, `pw-${u}`), ledger, { talkMs, code: 'info_given' });
    await bot.connect(s.url);
    expect(await bot.ready()).toEqual({ ok: true });
    bots.push(bot);
    out.push(bot);
  }
  return out;
}

/** Places `count` calls at `perSecond`, round-robin over the instances still alive; resolves with the callers' numbers. */
async function placeCalls(d: Deployment, count: number, perSecond: number, alive: () => Running[], midway?: () => Promise<void>): Promise<{ from: string; via: string }[]> {
  const token = await login(d.servers[0]?.url as string, AGENTS[0] as string, `pw-${AGENTS[0]}`);
  const placed: { from: string; via: string }[] = [];
  for (let i = 0; i < count; i++) {
    if (midway && i === Math.floor(count / 2)) await midway();
    const targets = alive();
    const s = targets[i % targets.length] as Running;
    const from = `1390000${String(i).padStart(4, '0')}`;
    const r = await api(s.url, token, 'POST', '/api/sim/calls', { from, to: QUEUE_NUMBER });
    expect(r.status).toBe(201);
    placed.push({ from, via: s.url });
    await new Promise((res) => setTimeout(res, 1000 / perSecond));
  }
  return placed;
}


async function leader(d: Deployment): Promise<Running | undefined> {
  for (const s of alive(d)) if ((await readyz(s.port))?.body.role === 'leader') return s;
  return undefined;
}

test('three instances on one Redis, desks spread over them: every call offered once, answered once, closed, and its outcome at the CRM once', async () => {
  const d = await deployAgents(3);
  const ledger = new BotLedger();
  const deskOf = new Map<string, string>();
  for (const b of await spreadBots(d, ledger)) deskOf.set(b.username, b.url);
  const placed = await placeCalls(d, 30, 6, () => alive(d));

  await eventually(async () => (await d.models.CallRecord.countDocuments({ from: { $in: placed.map((p) => p.from) }, outcome: 'answered', status: 'ended' })) === 30, 'every call answered and ended', 30_000);
  const records = await d.models.CallRecord.find({ from: { $in: placed.map((p) => p.from) } }).lean();
  expect(records).toHaveLength(30);
  await eventually(() => records.every((r) => crm.accepted(r._id) === 1), 'every outcome at the CRM', 15_000);
  for (const r of records) {
    expect(ledger.offers.get(r._id)).toHaveLength(1);
    expect(ledger.connected.get(r._id)).toEqual([r.agentUsername]);
    expect(ledger.dispositions.get(r._id)).toEqual([r.agentUsername]);
    expect(crm.requests.filter((q) => q.key === r._id && q.status === 201)).toHaveLength(1);
  }
  // calls were taken by desks on other instances than the one that runs the call
  const byCaller = new Map(placed.map((p) => [p.from, p.via]));
  const crossed = records.filter((r) => deskOf.get(r.agentUsername ?? '') !== byCaller.get(r.from)).length;
  expect(crossed).toBeGreaterThanOrEqual(10);
  expect(ledger.refusals).toEqual([]);
  // exactly one instance leads
  await eventually(() => leader(d), 'a leader', 15_000);
  const roles = await Promise.all(d.servers.map(async (s) => (await readyz(s.port))?.body.role));
  expect(roles.filter((r) => r === 'leader')).toHaveLength(1);
  expect(roles.filter((r) => r === 'member')).toHaveLength(2);
}, 120_000);

test('the leading instance SIGKILLed mid-load: its desks move to another, another leads within 5 s, no call goes to two agents, every record is closed, every outcome reaches the CRM once', async () => {
  const d = await deployAgents(3);
  const ledger = new BotLedger();
  const desks = await spreadBots(d, ledger, 1500); // long enough calls that the victim holds some when it dies
  // the first leader is elected once Redis has been up a few seconds for each instance
  const victim = await eventually(() => leader(d), 'a leader', 15_000);
  // a desk whose server goes away reconnects to another one (the load balancer's job)
  for (const b of desks) {
    b.onDrop = () => {
      const lostUrl = b.url;
      const reconnect = async (): Promise<void> => {
        for (let attempt = 0; attempt < 20; attempt++) {
          const next = alive(d).find((s) => s.url !== lostUrl);
          try {
            if (next) return await b.move(next.url);
          } catch {
            // not reachable yet: like the browser, try again shortly
          }
          await new Promise((r) => setTimeout(r, 250));
        }
        ledger.refusals.push({ agent: b.username, event: 'move', code: 'reconnect_failed', error: `no other server took desk ${b.username}` });
      };
      reconnect().catch((err: unknown) => ledger.refusals.push({ agent: b.username, event: 'move', code: 'reconnect_failed', error: String(err) }));
    };
  }
  let killedAt = 0;
  const placed = await placeCalls(d, 40, 8, () => alive(d), async () => {
    await kill(victim, 'SIGKILL');
    killedAt = Date.now();
  });
  await eventually(async () => (await leader(d)) !== undefined, 'a new leader', 10_000);
  expect(Date.now() - killedAt).toBeLessThan(5_000 + 2_000); // + the polling above; the lock lapses after 3 s

  // every call record closed: answered ones ended, the dead instance's calls swept as lost
  const froms = placed.map((p) => p.from);
  let open: unknown[] = [];
  await eventually(async () => {
    open = await d.models.CallRecord.find({ from: { $in: froms }, status: { $ne: 'ended' } }, { status: 1, from: 1, agentUsername: 1, owner: 1 }).lean();
    return open.length === 0 && (await d.models.CallRecord.countDocuments({ from: { $in: froms } })) === placed.length;
  }, () => `every record closed (still open: ${JSON.stringify(open)}; killed ${victim.url}; ${JSON.stringify(ledger.refusals)})`, 40_000);
  const records = await d.models.CallRecord.find({ from: { $in: froms } }).lean();
  expect(records).toHaveLength(placed.length);
  const lost = records.filter((r) => r.outcome === 'lost');
  expect(lost.length).toBeGreaterThan(0); // the killed instance ran calls: they are closed, not left open
  for (const r of records) {
    expect(['answered', 'lost']).toContain(r.outcome);
    expect((ledger.connected.get(r._id) ?? []).length).toBeLessThanOrEqual(1);
  }
  // every outcome a desk saved reached the CRM exactly once, including those saved on a lost call's wrap-up
  const saved = [...ledger.dispositions.keys()];
  expect(saved.length).toBeGreaterThanOrEqual(records.filter((r) => r.outcome === 'answered').length);
  await eventually(() => saved.every((callId) => crm.accepted(callId) === 1), 'every saved outcome at the CRM', 20_000);
  for (const callId of saved) {
    expect(ledger.dispositions.get(callId)).toHaveLength(1);
    expect(crm.requests.filter((q) => q.key === callId && q.status === 201)).toHaveLength(1);
  }
  // and every agent is ready again, wherever its desk is now
  await eventually(async () => {
    const states = await Promise.all(AGENTS.map(async (u) => redis.hget(`${d.env.REDIS_PREFIX}:agent:${u}`, 'state')));
    return states.every((s) => s === 'ready');
  }, 'every agent ready', 20_000);
  expect(desks.every((b) => b.url !== victim.url)).toBe(true);
}, 180_000);
