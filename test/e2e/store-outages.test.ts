import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildService } from '../../src/embedded/child-service';
import { startEmbeddedFerretDb, startEmbeddedRedis } from '../../src/embedded/embedded-stores';
import { freePort } from '../../src/embedded/free-port';
import { createLogger } from '../../src/log';
import { findProjectRoot } from '../../src/util/project-root';
import type { AgentClient } from '../support/agent-client';
import { api, createUser, desk, kill, login, openDatabase, readyz, startServer, waitReady, type Running } from '../support/server-process';
import { testServices } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * The stores go away under a running server (main.js): Redis restarted in the middle of a
 * conversation, the MongoDB-wire server stopped for a minute. Nothing is silently dropped: writes are
 * retried until the store is back or refused with a clear error, and the call record is complete
 * afterwards.
 */

const log = createLogger('silent');
const dirs: string[] = [];
const services: ChildService[] = [];
const servers: Running[] = [];
const desks: AgentClient[] = [];

afterAll(async () => {
  for (const d of desks) d.close();
  for (const s of servers) if (s.proc.exitCode === null) await kill(s, 'SIGKILL');
  for (const s of services) await s.stop().catch(() => undefined);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(name: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `dcc-${name}-`));
  dirs.push(d);
  return d;
}

async function serve(env: Record<string, string>): Promise<{ s: Running; agent: AgentClient; token: string }> {
  const s = startServer(await freePort(), { SWITCH: 'sim', AUTH_SECRET: randomBytes(24).toString('hex'), DEMO_SEED: 'true', VAR_DIR: tempDir('var'), ...env });
  servers.push(s);
  await waitReady(s);
  const token = await login(s.url, 'o-1', 'pw-o-1');
  const agent = await desk(s.url, token);
  desks.push(agent);
  return { s, agent, token };
}

async function talking(s: Running, agent: AgentClient, token: string, from: string): Promise<{ callId: string; legId: string }> {
  expect(await agent.send('agent:ready')).toEqual({ ok: true });
  const placed = await api<{ legId: string }>(s.url, token, 'POST', '/api/sim/calls', { from, to: '4008860001' });
  expect(placed.status).toBe(201);
  const offer = await agent.next<{ callId: string }>('call:offer', () => true, 10_000);
  expect(await agent.send('call:accept', { callId: offer.callId })).toEqual({ ok: true });
  await agent.state('talking', 10_000);
  return { callId: offer.callId, legId: placed.body.legId };
}

async function seed(mongodbUri: string): Promise<{ models: Awaited<ReturnType<typeof openDatabase>>['models']; close: () => Promise<void> }> {
  const db = await openDatabase(mongodbUri);
  await db.models.Queue.create({ queueId: 'out', name: '呼入', storeId: 'sh-pudong', numbers: ['4008860001'] });
  await createUser(db.models, 'o-1', { queueIds: ['out'], storeIds: ['sh-pudong'] });
  return db;
}

test('Redis restarted in the middle of a conversation: the call goes on, ends, wraps up and is recorded whole', async () => {
  const own = await startEmbeddedRedis({ varDir: tempDir('redis'), projectRoot: findProjectRoot(), binaries: { redisServer: undefined, ferretdb: undefined }, log });
  services.push(own.service);
  const mongodbUri = `${testServices().mongoBase}/redisout_${randomBytes(3).toString('hex')}`;
  const db = await seed(mongodbUri);
  try {
    const { s, agent, token } = await serve({ REDIS_URL: own.url, MONGODB_URI: mongodbUri });
    const { callId, legId } = await talking(s, agent, token, '13800002001');
    await own.service.stop(); // SIGTERM: Redis writes its append-only file and exits
    await eventually(async () => (await readyz(s.port))?.body.redis === 'down', 'readyz to name Redis as down', 10_000);
    await own.service.start(); // same port, same data
    await eventually(async () => (await readyz(s.port))?.status === 200, 'readyz 200 again', 20_000);
    await new Promise((r) => setTimeout(r, 1_500)); // more than a lease: nothing must have swept the live call
    expect((await api(s.url, token, 'POST', `/api/sim/calls/${legId}/hangup`)).status).toBe(200);
    await agent.state('wrap_up', 10_000);
    expect(await agent.send('call:disposition', { callId, code: 'info_given', notes: 'Redis 重启期间通话' })).toEqual({ ok: true });
    await agent.state('ready', 5_000);
    await eventually(async () => (await db.models.CallRecord.findById(callId).lean())?.disposition?.code === 'info_given', 'the record complete');
    expect(await db.models.CallRecord.findById(callId).lean()).toMatchObject({ status: 'ended', outcome: 'answered', endedBy: 'caller', agentUsername: 'o-1' });
    await kill(s, 'SIGTERM');
  } finally {
    await db.models.User.db.dropDatabase();
    await db.close();
  }
}, 120_000);

test('the MongoDB-wire server stopped for 60 s: the call record is written when it is back; meanwhile new callers ring 8 s and are refused, outcomes are refused with a clear error', async () => {
  const ferret = await startEmbeddedFerretDb({ varDir: tempDir('ferret'), projectRoot: findProjectRoot(), binaries: { redisServer: undefined, ferretdb: process.env.FERRETDB_BIN }, log }, 'outage');
  services.push(...ferret.services);
  const db = await seed(ferret.uri);
  const prefix = `mo${randomBytes(3).toString('hex')}`;
  const { s, agent, token } = await serve({ REDIS_URL: testServices().redisUrl, REDIS_PREFIX: prefix, MONGODB_URI: ferret.uri });
  const { callId, legId } = await talking(s, agent, token, '13800002002');
  await db.close();
  await ferret.service.stop();
  const stoppedAt = Date.now();
  await eventually(async () => (await readyz(s.port))?.body.mongodb === 'down', 'readyz to name MongoDB as down', 15_000);

  // the caller hangs up: the end of the call cannot be written now
  expect((await api(s.url, token, 'POST', `/api/sim/calls/${legId}/hangup`)).status).toBe(200);
  await agent.state('wrap_up', 10_000);
  // an outcome is refused, saying why, and nothing is half-written
  expect(await agent.send('call:disposition', { callId, code: 'info_given' })).toEqual({ ok: false, code: 'unavailable', error: expect.stringContaining('database is unreachable') as string });
  // reading the record over REST: 503 with the reason
  const read = await api<{ error: string; code: string }>(s.url, token, 'GET', `/api/calls/${callId}`);
  expect(read.status).toBe(503);
  expect(read.body).toEqual({ error: 'the database is unreachable just now; try again in a moment', code: 'unavailable' });
  // a new caller rings a while (the outage may be a failover of a few seconds), then is refused with 503, not answered and dropped
  const refused = await api<{ legId: string }>(s.url, token, 'POST', '/api/sim/calls', { from: '13800002003', to: '4008860001' });
  expect(refused.status).toBe(201);
  const placedAt = Date.now();
  await new Promise((r) => setTimeout(r, 1000));
  expect((await api<{ state: string; sipStatus?: number }>(s.url, token, 'GET', `/api/sim/calls/${refused.body.legId}`)).body).toMatchObject({ state: 'ringing' });
  await eventually(async () => (await api<{ state: string; sipStatus: number }>(s.url, token, 'GET', `/api/sim/calls/${refused.body.legId}`)).body.sipStatus === 503, 'the new caller refused with 503', 15_000);
  expect(Date.now() - placedAt).toBeGreaterThanOrEqual(7_500);

  await new Promise((r) => setTimeout(r, Math.max(0, 60_000 - (Date.now() - stoppedAt))));
  await ferret.service.start(); // same port, same data
  await eventually(async () => (await readyz(s.port))?.status === 200, 'readyz 200 after MongoDB is back', 30_000);
  const again = await openDatabase(ferret.uri);
  try {
    await eventually(async () => (await again.models.CallRecord.findById(callId).lean())?.status === 'ended', 'the end of the call written once the database is back', 40_000);
    expect(await again.models.CallRecord.findById(callId).lean()).toMatchObject({ status: 'ended', outcome: 'answered', endedBy: 'caller', agentUsername: 'o-1' });
    expect(await agent.send('call:disposition', { callId, code: 'info_given', notes: '库恢复后补录' })).toEqual({ ok: true });
    await eventually(async () => (await again.models.CallRecord.findById(callId).lean())?.disposition?.code === 'info_given', 'the outcome on the record');
  } finally {
    await kill(s, 'SIGTERM');
    await again.models.User.db.dropDatabase();
    await again.close();
  }
}, 180_000);
