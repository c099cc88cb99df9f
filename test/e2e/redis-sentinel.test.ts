import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/embedded/free-port';
import type { Models } from '../../src/store/models';
import { BotDesk, BotLedger } from '../support/bot-desk';
import { TestCrm } from '../support/fake-crm';
import { SentinelDeployment } from '../support/redis-sentinel';
import { api, createUser, kill, login, openDatabase, startServer, waitReady, type Running } from '../support/server-process';
import { testServices } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * Two app instances on a Redis watched by three sentinels (REDIS_URL=redis+sentinel://…). The master
 * is SIGKILLed under load: the replica is promoted, every connection of the app (commands, pub/sub,
 * job queues, the socket.io stream) follows it, and service resumes within 10 s with nothing lost.
 */

const AGENTS = ['rs-1', 'rs-2', 'rs-3', 'rs-4'];
const NUMBER = '4008870202';

let dir: string;
let sentinel: SentinelDeployment;
let crm: TestCrm;
let db: { models: Models; close: () => Promise<void> };
const servers: Running[] = [];
const bots: BotDesk[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-sentinel-'));
  sentinel = await SentinelDeployment.start(dir);
  crm = await TestCrm.start();
}, 60_000);

afterAll(async () => {
  for (const b of bots) b.close();
  for (const s of servers) if (s.proc.exitCode === null && s.proc.signalCode === null) await kill(s, 'SIGKILL');
  await crm.stop();
  if (db) {
    await db.models.User.db.dropDatabase();
    await db.close();
  }
  await sentinel.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the Redis master SIGKILLed under load: the replica takes over, calls are answered again within 10 s, and no call, state or outcome is lost', async () => {
  const id = randomBytes(4).toString('hex');
  const env = {
    SWITCH: 'sim',
    REDIS_URL: sentinel.url,
    MONGODB_URI: `${testServices().mongoBase}/sentinel_${id}`,
    REDIS_PREFIX: `rs${id}`,
    AUTH_SECRET: randomBytes(24).toString('hex'),
    CRM_URL: crm.url,
    CRM_RETRY_BASE_MS: '200',
    CRM_RETRY_MAX_MS: '1000',
  };
  db = await openDatabase(env.MONGODB_URI);
  await db.models.Queue.create({ queueId: 'rs', name: '呼入', storeId: 'sh-pudong', numbers: [NUMBER], wrapUpMs: 30_000 });
  for (const u of AGENTS) await createUser(db.models, u, { queueIds: ['rs'], storeIds: ['sh-pudong'] });
  for (let i = 0; i < 2; i++) servers.push(startServer(await freePort(), { ...env, VAR_DIR: fs.mkdtempSync(path.join(dir, `app${i}-`)) }));
  for (const s of servers) await waitReady(s);

  const ledger = new BotLedger();
  for (const [i, u] of AGENTS.entries()) {
    const s = servers[i % 2] as Running;
    const bot = new BotDesk(u, await login(s.url, u, `pw-${u}`), ledger, { talkMs: 800, code: 'info_given' });
    await bot.connect(s.url);
    expect(await bot.ready()).toEqual({ ok: true });
    bots.push(bot);
  }
  const token = await login(servers[0]?.url as string, 'rs-1', 'pw-rs-1');
  const masterBefore = await sentinel.currentMaster();

  // callers at 4/s for 16 s; the master dies after 6 s. A caller refused while Redis is away (503) tries again.
  const placed: { from: string; at: number }[] = [];
  let killedAt = 0;
  for (let i = 0; i < 64; i++) {
    if (i === 24) {
      sentinel.killMaster();
      killedAt = Date.now();
    }
    const s = servers[i % 2] as Running;
    const from = `1390001${String(i).padStart(4, '0')}`;
    const r = await api(s.url, token, 'POST', '/api/sim/calls', { from, to: NUMBER }).catch(() => ({ status: 0 }));
    if (r.status === 201) placed.push({ from, at: Date.now() });
    else expect([0, 503]).toContain(r.status);
    await new Promise((res) => setTimeout(res, 250));
  }
  await eventually(async () => (await sentinel.currentMaster()) !== masterBefore, 'the sentinels to promote the replica', 15_000);

  // service resumed: a call placed after the kill was answered within 10 s of the kill
  const answeredAfter = await eventually(async () => {
    const first = await db.models.CallRecord.findOne({ from: { $in: placed.filter((p) => p.at > killedAt).map((p) => p.from) }, connectedAt: { $exists: true } })
      .sort({ connectedAt: 1 })
      .lean();
    return first?.connectedAt;
  }, 'a call answered after the failover', 30_000);
  expect((answeredAfter as Date).getTime() - killedAt).toBeLessThan(10_000);

  // nothing lost: every accepted caller was answered and the call ended; every saved outcome reached the CRM once
  const froms = placed.map((p) => p.from);
  let open: unknown[] = [];
  await eventually(async () => {
    open = await db.models.CallRecord.find({ from: { $in: froms }, $or: [{ status: { $ne: 'ended' } }, { outcome: { $ne: 'answered' } }] }, { from: 1, status: 1, outcome: 1 }).lean();
    return open.length === 0 && (await db.models.CallRecord.countDocuments({ from: { $in: froms } })) === froms.length;
  }, () => `every accepted call answered and ended (not yet: ${JSON.stringify(open)})`, 60_000);
  const records = await db.models.CallRecord.find({ from: { $in: froms } }, { _id: 1, agentUsername: 1 }).lean();
  await eventually(() => records.every((r) => crm.accepted(r._id) === 1), 'every outcome at the CRM', 30_000);
  for (const r of records) {
    expect(ledger.connected.get(r._id)).toEqual([r.agentUsername]);
    expect(ledger.dispositions.get(r._id)).toEqual([r.agentUsername]);
  }
  expect(crm.requests.filter((q) => q.status === 201)).toHaveLength(records.length);
}, 180_000);
