import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { freePort } from '../../src/embedded/free-port';
import type { Models } from '../../src/store/models';
import type { AgentClient } from '../support/agent-client';
import { TestCrm } from '../support/fake-crm';
import { api, createUser, desk, kill, login, openDatabase, startServer, waitReady, type Running } from '../support/server-process';
import { testServices } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * The production path as processes: an outcome stored just before the process dies still reaches the
 * CRM after the restart, exactly once (the outbox in its disposition document, relayed by the leader).
 * Several instances on one Redis: see active-active.test.ts.
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
  prefix = `ob${id}`;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-outbox-'));
  crm = await TestCrm.start();
  env = {
    SWITCH: 'sim',
    REDIS_URL: redisUrl,
    MONGODB_URI: `${mongoBase}/outbox_${id}`,
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
  const s = startServer(await freePort(), { ...env, ...extra });
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
