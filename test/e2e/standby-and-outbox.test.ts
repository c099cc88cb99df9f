import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { io as ioClient } from 'socket.io-client';
import { freePort } from '../../src/embedded/free-port';
import type { Models } from '../../src/store/models';
import type { AgentClient } from '../support/agent-client';
import { TestCrm } from '../support/fake-crm';
import { api, createUser, desk, kill, login, openDatabase, readyz, startServer, waitReady, type Running } from '../support/server-process';
import { testServices } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * Two doors of the production path, as processes: a second instance on the same Redis is a hot
 * standby that takes over within 5 s of the active one's death; and an outcome stored just before the
 * process dies still reaches the CRM, exactly once.
 */

let dir: string;
let db: { models: Models; close: () => Promise<void> };
let redis: Redis;
let crm: TestCrm;
let env: Record<string, string>;
let prefix: string;
const servers: Running[] = [];
const desks: AgentClient[] = [];

beforeAll(async () => {
  const { redisUrl, mongoBase } = testServices();
  const id = randomBytes(4).toString('hex');
  prefix = `sb${id}`;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-standby-'));
  crm = await TestCrm.start();
  env = {
    SWITCH: 'sim',
    REDIS_URL: redisUrl,
    MONGODB_URI: `${mongoBase}/standby_${id}`,
    REDIS_PREFIX: prefix,
    AUTH_SECRET: randomBytes(24).toString('hex'),
    DEMO_SEED: 'true',
    CRM_URL: crm.url,
    CRM_RETRY_BASE_MS: '200',
    CRM_RETRY_MAX_MS: '1000',
    VAR_DIR: dir,
  };
  redis = new Redis(redisUrl);
  db = await openDatabase(env.MONGODB_URI as string);
  await db.models.Queue.create({ queueId: 'sb', name: '呼入', storeId: 'sh-pudong', numbers: ['4008870001'] });
  for (const u of ['s-1', 's-2']) await createUser(db.models, u, { queueIds: ['sb'], storeIds: ['sh-pudong'] });
});

afterAll(async () => {
  for (const d of desks) d.close();
  for (const s of servers) if (s.proc.exitCode === null) await kill(s, 'SIGKILL');
  await crm.stop();
  await db.models.User.db.dropDatabase();
  await db.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function launch(extra: Record<string, string> = {}): Promise<Running> {
  const s = startServer(await freePort(), { ...env, REDIS_PREFIX: `${prefix}${expect.getState().currentTestName?.includes('standby') ? 'a' : 'b'}`, ...extra });
  servers.push(s);
  return s;
}

async function agentDesk(s: Running, username: string): Promise<AgentClient> {
  const d = await desk(s.url, await login(s.url, username, `pw-${username}`));
  desks.push(d);
  return d;
}

/** A call from `from` answered by the agent at `d`, who then hangs up: the agent is in wrap-up. */
async function callAndWrapUp(s: Running, d: AgentClient, from: string): Promise<string> {
  const token = await login(s.url, 's-1', 'pw-s-1');
  expect(await d.send('agent:ready')).toEqual({ ok: true });
  expect((await api(s.url, token, 'POST', '/api/sim/calls', { from, to: '4008870001' })).status).toBe(201);
  const offer = await d.next<{ callId: string }>('call:offer', () => true, 10_000);
  expect(await d.send('call:accept', { callId: offer.callId })).toEqual({ ok: true });
  await d.state('talking', 10_000);
  expect(await d.send('call:hangup', { callId: offer.callId })).toEqual({ ok: true });
  await d.state('wrap_up', 10_000);
  return offer.callId;
}

test('a second instance on the same Redis is a hot standby: it holds no calls nor desks, and serves within 5 s of the active one\'s death', async () => {
  const active = await launch();
  await waitReady(active);
  const standby = await launch();
  await eventually(async () => (await readyz(standby.port))?.status === 503, 'the standby answering', 30_000);
  expect((await readyz(standby.port))?.body).toMatchObject({ ready: false, role: 'standby' });

  const token = await login(standby.url, 's-2', 'pw-s-2'); // REST reads work on either
  const refused = ioClient(`${standby.url}/agent`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  const err = await new Promise<Error & { data?: { code: string } }>((resolve) => refused.once('connect_error', resolve));
  expect(err.data).toEqual({ code: 'standby_instance' });
  refused.close();

  const d1 = await agentDesk(active, 's-1');
  const callId = await callAndWrapUp(active, d1, '13800001001');
  expect(await d1.send('call:disposition', { callId, code: 'info_given' })).toEqual({ ok: true });
  expect(standby.output()).not.toContain(callId); // the standby never touched the call

  await kill(active, 'SIGKILL');
  const died = Date.now();
  await eventually(async () => (await readyz(standby.port))?.status === 200, () => `the standby to take over (output: ${standby.output().slice(-1000)})`, 5_000);
  expect(Date.now() - died).toBeLessThan(5_000);

  // the agent's browser reconnects, now to the instance that is active
  const again = await agentDesk(standby, 's-1');
  const second = await callAndWrapUp(standby, again, '13800001002');
  expect(await again.send('call:disposition', { callId: second, code: 'info_given' })).toEqual({ ok: true });
  await again.state('ready');
  await kill(standby, 'SIGTERM');
}, 120_000);

test('an outcome stored just before the process is killed reaches the CRM after the restart, exactly once', async () => {
  const first = await launch({ DCC_CRASH_POINT: 'after-disposition' });
  await waitReady(first);
  const d = await agentDesk(first, 's-1');
  const callId = await callAndWrapUp(first, d, '13800001003');
  // the process kills itself right after the disposition is stored, before anything reaches the CRM
  const ack = d.send('call:disposition', { callId, code: 'appointment_set', notes: '周六到店' }).catch((e: unknown) => e);
  expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
  await ack;
  expect(crm.requests.filter((r) => r.key === callId)).toEqual([]);
  expect((await db.models.Disposition.findById(callId).lean())?.outbox).toMatchObject({ state: 'pending' });

  const second = await launch();
  await waitReady(second);
  await eventually(() => crm.stored.has(callId), 'the outcome at the CRM', 10_000);
  expect(crm.stored.get(callId)).toMatchObject({ callId, code: 'appointment_set', notes: '周六到店', agentUsername: 's-1' });
  await eventually(async () => (await db.models.Disposition.findById(callId).lean())?.outbox?.state === 'sent', 'the outbox entry marked sent');
  // the relay passes every 5 s: one more pass changes nothing
  await new Promise((r) => setTimeout(r, 6_000));
  expect(crm.requests.filter((r) => r.key === callId)).toEqual([{ key: callId, status: 201 }]);
  await kill(second, 'SIGTERM');
}, 120_000);
