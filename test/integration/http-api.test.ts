import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { App } from '../../src/app';
import { VirtualClock } from '../../src/clock/virtual-clock';
import { startEmbeddedRedis } from '../../src/embedded/embedded-stores';
import { createLogger } from '../../src/log';
import { SimSwitch } from '../../src/telephony/sim/sim-switch';
import { findProjectRoot } from '../../src/util/project-root';
import { startTestApp, testServices, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

describe('HTTP API', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
    await t.agent('7001');
    token = (await t.login('7001', 'pw-7001')).body.token as string;
  });
  afterAll(() => t.stop());

  const call = (method: string, route: string, body?: unknown, auth = true) =>
    fetch(`${t.url}${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

  test('healthz says the process is alive; readyz says every part is up', async () => {
    expect((await call('GET', '/healthz', undefined, false)).body.status).toBe('ok');
    expect(await call('GET', '/readyz', undefined, false)).toEqual({ status: 200, body: { ready: true, redis: 'up', mongodb: 'up', switch: 'up', instance: t.app.instanceId, role: 'leader' } });
  });

  test('readyz turns 503 and names the switch while it is disconnected, and 200 again after', async () => {
    t.sw.setConnected(false, 'test');
    expect(await call('GET', '/readyz', undefined, false)).toEqual({ status: 503, body: { ready: false, redis: 'up', mongodb: 'up', switch: 'down', instance: t.app.instanceId, role: 'leader' } });
    t.sw.setConnected(true);
    expect((await call('GET', '/readyz', undefined, false)).status).toBe(200);
  });

  test('login: wrong password 401, missing fields 400 with the field named, and a token that works', async () => {
    expect(await t.login('7001', 'wrong')).toEqual({ status: 401, body: { error: 'wrong username or password', code: 'unauthorized' } });
    const missing = await call('POST', '/api/auth/login', { username: '7001' }, false);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/password/);
    expect(await call('GET', '/api/me')).toMatchObject({ status: 200, body: { username: '7001', roles: ['agent'] } });
    expect((await call('GET', '/api/me', undefined, false)).status).toBe(401);
  });

  test('a simulated call can be placed over the API; bad numbers are refused with the field named', async () => {
    const bad = await call('POST', '/api/sim/calls', { from: 'abc', to: '4008001234' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^from: must be a phone number/);
    const ok = await call('POST', '/api/sim/calls', { from: '13800138000', to: '4008001234' });
    expect(ok.status).toBe(201);
    await eventually(async () => (await t.app.models.CallRecord.countDocuments({ from: '13800138000' })) === 1, 'the call record');
  });

  test('text with a NUL character is refused with 422 (no database keeps it) and nothing is stored', async () => {
    const r = await call('POST', '/api/customers', { name: 'A\u0000B', phone: '13800138999', storeId: 'sh-pudong' });
    expect(r).toEqual({ status: 422, body: { error: 'text may not contain NUL (\\u0000) characters', code: 'invalid_request' } });
    expect(await t.app.models.Customer.countDocuments({ phones: '+8613800138999' })).toBe(0);
  });

  test('unknown API routes are 404 JSON; the agent desktop page is served in Chinese', async () => {
    expect(await call('GET', '/api/nope')).toEqual({ status: 404, body: { error: 'no such API route', code: 'not_found' } });
    const page = await fetch(`${t.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('lang="zh-CN"');
  });
});

test('readyz names Redis while its server is down, and recovers when it is back', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-redis-outage-'));
  const log = createLogger('silent');
  const own = await startEmbeddedRedis({ varDir: dir, projectRoot: findProjectRoot(), binaries: { redisServer: undefined, ferretdb: undefined }, log });
  const clock = new VirtualClock();
  const app = await App.create({
    redisUrl: own.url,
    mongodbUri: `${testServices().mongoBase}/outage_${randomBytes(3).toString('hex')}`,
    redisNamespace: 'outage',
    http: { host: '127.0.0.1', port: 0 },
    authSecret: 'x'.repeat(32),
    tokenTtlMs: 60_000,
    acd: { offerTimeoutMs: 10_000, wrapUpMs: 10_000 },
    projectRoot: findProjectRoot(),
    clock,
    sw: new SimSwitch({ clock }),
    log,
  });
  await app.activate();
  const { port } = await app.listen();
  const readyz = async () => {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: r.status, body: await r.json() };
  };
  try {
    expect((await readyz()).status).toBe(200);
    await own.service.stop();
    await eventually(async () => (await readyz()).status === 503, 'readyz 503');
    expect((await readyz()).body).toEqual({ ready: false, redis: 'down', mongodb: 'up', switch: 'up', instance: app.instanceId, role: 'leader' });
    await own.service.start(); // same port, same data folder
    await eventually(async () => (await readyz()).status === 200, 'readyz 200 after Redis is back', 15_000);
  } finally {
    await app.stop(2000);
    await own.service.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 40_000);
