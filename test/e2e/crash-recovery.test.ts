import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { freePort } from '../../src/embedded/free-port';
import type { Models } from '../../src/store/models';
import type { AgentClient } from '../support/agent-client';
import { api, createUser, desk, kill, login, openDatabase, startServer, waitReady, type Running } from '../support/server-process';
import { testServices } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * The server process killed with SIGKILL — no handler runs, nothing is flushed — while it holds a call
 * queued, one offered, one talking, one in wrap-up and one queued callback; then started again, as a
 * process manager would. Everything through the doors: main.js configured by environment variables,
 * REST, the agent socket and the simulated world's REST API.
 */

interface Offer {
  callId: string;
  callback: boolean;
}

let dir: string;
let db: { models: Models; close: () => Promise<void> };
let redis: Redis;
let env: Record<string, string>;
let prefix: string;
const servers: Running[] = [];
const desks: AgentClient[] = [];

beforeAll(async () => {
  const { redisUrl, mongoBase } = testServices();
  const id = randomBytes(4).toString('hex');
  prefix = `crash${id}`;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-crash-'));
  env = {
    SWITCH: 'sim',
    REDIS_URL: redisUrl,
    MONGODB_URI: `${mongoBase}/crash_${id}`,
    REDIS_PREFIX: prefix,
    AUTH_SECRET: randomBytes(24).toString('hex'),
    DEMO_SEED: 'true', // the shipped IVR flows name the demo queues
    OFFER_TIMEOUT_MS: '60000',
    WRAP_UP_MS: '120000',
    VAR_DIR: dir,
  };
  redis = new Redis(redisUrl);
  db = await openDatabase(env.MONGODB_URI as string);
  await db.models.Queue.create({ queueId: 'crash', name: '呼入', storeId: 'sh-pudong', numbers: ['4008880001'] });
  // waits at most 2 s, then the caller keeps the place as a callback
  await db.models.Queue.create({ queueId: 'crash-cb', name: '回拨', storeId: 'sh-pudong', numbers: ['4008880002'], maxWaitMs: 2000, overflow: { kind: 'callback' } });
  for (const u of ['a-talk', 'a-wrap', 'a-offer']) await createUser(db.models, u, { queueIds: ['crash'], storeIds: ['sh-pudong'] });
  await createUser(db.models, 'a-cb', { queueIds: ['crash-cb'], storeIds: ['sh-pudong'] });
});

afterAll(async () => {
  for (const d of desks) d.close();
  for (const s of servers) if (s.proc.exitCode === null) await kill(s, 'SIGKILL');
  await db.models.User.db.dropDatabase();
  await db.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function started(): Promise<Running> {
  const s = startServer(await freePort(), env);
  servers.push(s);
  await waitReady(s);
  return s;
}

async function agentDesk(s: Running, username: string): Promise<AgentClient> {
  const d = await desk(s.url, await login(s.url, username, `pw-${username}`));
  desks.push(d);
  return d;
}

async function ready(d: AgentClient): Promise<void> {
  expect(await d.send('agent:ready')).toEqual({ ok: true });
  await d.state('ready');
}

async function dial(s: Running, token: string, from: string, to: string): Promise<string> {
  const r = await api<{ legId: string }>(s.url, token, 'POST', '/api/sim/calls', { from, to });
  expect(r.status).toBe(201);
  return r.body.legId;
}

async function record(callId: string): Promise<Record<string, unknown> | null> {
  return (await db.models.CallRecord.findById(callId).lean()) as Record<string, unknown> | null;
}

test('after SIGKILL and a restart: every call is closed or carried on, agents are free within 5 s, outcomes can still be recorded', async () => {
  const s1 = await started();
  const token = await login(s1.url, 'a-talk', 'pw-a-talk');
  const talk = await agentDesk(s1, 'a-talk');
  const wrap = await agentDesk(s1, 'a-wrap');
  const offerDesk = await agentDesk(s1, 'a-offer');

  // talking
  await ready(talk);
  await dial(s1, token, '13900000001', '4008880001');
  const callA = await talk.next<Offer>('call:offer', () => true, 10_000);
  expect(await talk.send('call:accept', { callId: callA.callId })).toEqual({ ok: true });
  await talk.state('talking', 10_000);

  // in wrap-up
  await ready(wrap);
  const legB = await dial(s1, token, '13900000002', '4008880001');
  const callB = await wrap.next<Offer>('call:offer', () => true, 10_000);
  await wrap.send('call:accept', { callId: callB.callId });
  await wrap.state('talking', 10_000);
  expect((await api(s1.url, token, 'POST', `/api/sim/calls/${legB}/hangup`)).status).toBe(200);
  await wrap.state('wrap_up', 10_000);

  // offered (never accepted)
  await ready(offerDesk);
  await dial(s1, token, '13900000003', '4008880001');
  const callC = await offerDesk.next<Offer>('call:offer', () => true, 10_000);

  // queued: nobody is ready any more
  await dial(s1, token, '13900000004', '4008880001');
  await eventually(async () => (await api<{ queueId: string; waiting: number }[]>(s1.url, token, 'GET', '/api/queues')).body.find((q) => q.queueId === 'crash')?.waiting === 1, 'one call waiting', 10_000);
  const queued = await db.models.CallRecord.findOne({ from: '13900000004' }).lean();
  const callD = queued?._id as string;

  // a queued callback: waits 2 s, keeps its place and hangs up
  const legE = await dial(s1, token, '13900000005', '4008880002');
  await eventually(async () => (await api<{ state: string }>(s1.url, token, 'GET', `/api/sim/calls/${legE}`)).body.state === 'ended', 'the callback caller to hang up', 15_000);
  await eventually(async () => (await db.models.CallRecord.findOne({ from: '13900000005' }).lean())?.status === 'callback_waiting', 'the callback recorded', 10_000);
  const callE = (await db.models.CallRecord.findOne({ from: '13900000005' }).lean())?._id as string;

  await kill(s1, 'SIGKILL');
  for (const d of desks.splice(0)) d.close();

  const s2 = await started();
  const readyAt = Date.now();
  // the desks come back (socket.io reconnects them in the browser)
  const talk2 = await agentDesk(s2, 'a-talk');
  const wrap2 = await agentDesk(s2, 'a-wrap');
  const offer2 = await agentDesk(s2, 'a-offer');

  await eventually(async () => (await record(callA.callId))?.outcome === 'lost' && (await record(callC.callId))?.outcome === 'lost' && (await record(callD))?.outcome === 'lost', 'the lost calls closed', 5_000);
  expect(await record(callA.callId)).toMatchObject({ status: 'ended', outcome: 'lost', lostPhase: 'connected', endedBy: 'system', endCause: 'instance_lost', agentUsername: 'a-talk' });
  expect((await record(callA.callId))?.talkMs).toBeGreaterThan(0);
  expect(await record(callC.callId)).toMatchObject({ status: 'ended', outcome: 'lost', lostPhase: 'offered' });
  expect(await record(callD)).toMatchObject({ status: 'ended', outcome: 'lost', lostPhase: 'queued' });
  expect(await record(callB.callId)).toMatchObject({ status: 'ended', outcome: 'answered', agentUsername: 'a-wrap' });

  // agents free within 5 s of the restart
  for (const d of [talk2, wrap2, offer2]) await d.state('ready', Math.max(500, 5_000 - (Date.now() - readyAt)));

  // outcomes of the lost and the wrapped-up call are still taken
  expect(await talk2.send('call:disposition', { callId: callA.callId, code: 'callback_requested', notes: '通话中断' })).toEqual({ ok: true });
  expect(await wrap2.send('call:disposition', { callId: callB.callId, code: 'info_given' })).toEqual({ ok: true });
  await eventually(async () => (await record(callA.callId))?.disposition !== undefined && (await record(callB.callId))?.disposition !== undefined, 'the outcomes on the records');

  // Redis holds nothing of the closed calls; the queue counts nobody active
  expect(await redis.zcard(`${prefix}:q:crash:waiting`)).toBe(0);
  expect(Number((await redis.hget(`${prefix}:q:crash:stats`, 'active')) ?? 0)).toBe(0);
  for (const id of [callA.callId, callB.callId, callC.callId, callD]) {
    expect(await redis.exists(`${prefix}:live:${id}`, `${prefix}:call:${id}`)).toBe(0);
  }

  // the queued callback is called back by the restarted server
  const token2 = await login(s2.url, 'a-cb', 'pw-a-cb');
  expect((await api(s2.url, token2, 'PUT', '/api/sim/phones/13900000005', { answer: 'auto', afterMs: 1000 })).status).toBe(200);
  const cb = await agentDesk(s2, 'a-cb');
  await ready(cb);
  const offerE = await cb.next<Offer>('call:offer', (o) => o.callId === callE, 10_000);
  expect(offerE.callback).toBe(true);
  expect(await cb.send('call:accept', { callId: callE })).toEqual({ ok: true });
  await cb.next('call:connected', (c: { callId: string }) => c.callId === callE, 10_000);
  await eventually(async () => (await record(callE))?.status === 'connected', 'the callback connected on the record');

  s2.proc.kill('SIGTERM');
  expect(await s2.exited).toEqual({ code: 0, signal: null });
}, 120_000);
