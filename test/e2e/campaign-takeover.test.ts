import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { alive, createUser, deploy, type Deployment } from '../support/deployment';
import { BotDesk, BotLedger } from '../support/bot-desk';
import { api, kill, login, readyz, type Running } from '../support/server-process';
import { testServices } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * A campaign dials on one instance of several (its owner, in Redis); the managers' commands reach it
 * whichever instance they are sent to, and when the owner dies another instance takes the campaign
 * over within seconds and dials on (not only at a restart).
 */

const LEADS = 40;
let dir: string;
let redis: Redis;
const servers: Running[] = [];
const bots: BotDesk[] = [];
const cleanups: (() => Promise<void>)[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-takeover-'));
  redis = new Redis(testServices().redisUrl);
});

afterEach(async () => {
  for (const b of bots.splice(0)) b.close();
  for (const s of servers.splice(0)) if (s.proc.exitCode === null && s.proc.signalCode === null) await kill(s, 'SIGKILL');
  for (const c of cleanups.splice(0)) await c();
});

afterAll(() => {
  redis.disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Leads of the list that have been dialled (at least once). */
async function dialled(d: Deployment): Promise<number> {
  return d.models.Lead.countDocuments({ listId: 'q4', attempts: { $gt: 0 } });
}

test('commands reach the owning instance wherever they are sent; its death hands the campaign to another instance, which dials on', async () => {
  const d = await deploy({
    n: 3,
    dir,
    redis,
    servers,
    cleanups,
    seed: async (models) => {
      await models.Store.create({ _id: 'sh-pudong', groupId: 'g', name: '浦东' });
      await createUser(models, 'cm', { roles: ['manager'], storeIds: ['sh-pudong'] });
      await createUser(models, 'ob1', { storeIds: ['sh-pudong'] });
    },
  });
  const [a, b, c] = d.servers as [Running, Running, Running];
  const token = await login(a.url, 'cm', 'pw-cm');
  // every lead is busy: a dial ends at once, frees the agent, and is retried only after a minute
  const phones = Array.from({ length: LEADS }, (_, i) => `1360000${String(i).padStart(4, '0')}`);
  for (const p of phones) expect((await api(a.url, token, 'PUT', `/api/sim/phones/%2B86${p}`, { answer: 'busy' })).status).toBe(200);
  const csv = `phone,grade\n${phones.map((p) => `${p},A`).join('\n')}\n`;
  const imported = await fetch(`${a.url}/api/lead-lists/q4/import?storeId=sh-pudong&consent=all`, { method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body: csv });
  expect(imported.status).toBe(200);
  const created = await api(a.url, token, 'POST', '/api/campaigns', {
    campaignId: 'win',
    name: '战败回访',
    storeIds: ['sh-pudong'],
    mode: 'progressive',
    callerId: '02158005678',
    listIds: ['q4'],
    agents: ['ob1'],
    window: { days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '23:59' },
    retry: { busyMs: 3_600_000, noAnswerMs: 3_600_000, failedMs: 3_600_000, maxAttempts: 3 },
  });
  expect(created.status).toBe(201);

  // started through B: B owns it
  expect((await api(b.url, token, 'POST', '/api/campaigns/win/start')).body).toMatchObject({ status: 'running' });
  const instanceOf = new Map<string, Running>();
  for (const s of d.servers) instanceOf.set(String((await readyz(s.port))?.body.instance), s);
  const ownerKey = `${d.prefix}:dialer:win:owner`;
  const firstOwner = instanceOf.get(String(await redis.get(ownerKey)));
  expect(firstOwner?.url).toBe(b.url);

  // the agent's desk is on C; the campaign dials on B
  const bot = new BotDesk('ob1', await login(c.url, 'ob1', 'pw-ob1'), new BotLedger(), { talkMs: 200, code: 'info_given' });
  bots.push(bot);
  await bot.connect(c.url);
  expect(await bot.ready()).toEqual({ ok: true });
  await eventually(async () => (await dialled(d)) >= 4, 'a few leads dialled by the owner', 30_000);
  // the live view (the engine's own counters, on B) read through A
  const live = await api<{ placed: number; status: string }>(a.url, token, 'GET', '/api/campaigns/win');
  expect(live.body.status).toBe('running');
  expect(live.body.placed).toBeGreaterThanOrEqual(4);

  // B dies without a word; A or C takes the campaign over within the owner key's life and a look (15 s + 2 s)
  await kill(b, 'SIGKILL');
  const killedAt = Date.now();
  const before = await dialled(d);
  await eventually(async () => {
    const owner = await redis.get(ownerKey);
    return owner !== null && instanceOf.get(owner) !== b;
  }, 'a new owner', 30_000);
  const tookOverMs = Date.now() - killedAt;
  expect(tookOverMs).toBeLessThan(25_000);
  await eventually(async () => (await dialled(d)) >= before + 3, 'the new owner dialling on', 45_000);
  const newOwner = instanceOf.get(String(await redis.get(ownerKey))) as Running;
  expect(alive(d)).toContain(newOwner);

  // stop sent to the instance that does not own it reaches the owner: nothing more is dialled
  const other = alive(d).find((s) => s !== newOwner) as Running;
  expect((await api(other.url, token, 'POST', '/api/campaigns/win/stop')).status).toBe(200);
  await eventually(async () => (await api<{ status: string }>(newOwner.url, token, 'GET', '/api/campaigns/win')).body.status === 'stopped', 'stopped', 10_000);
  const atStop = await dialled(d);
  await new Promise((r) => setTimeout(r, 4000));
  expect(await dialled(d)).toBe(atStop);
  await eventually(async () => (await redis.get(ownerKey)) === null, 'the owner key released', 10_000);
  // no lead was dialled twice (each busy lead waits an hour before its retry)
  expect(await d.models.Lead.countDocuments({ listId: 'q4', attempts: { $gt: 1 } })).toBe(0);
}, 180_000);
