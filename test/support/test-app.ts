import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { App, type AppOptions } from '../../src/app';
import { hashPassword } from '../../src/auth/passwords';
import { VirtualClock } from '../../src/clock/virtual-clock';
import { createLogger } from '../../src/log';
import type { Role } from '../../src/store/models';
import { seedDemoOrganisation } from '../../src/seed/demo-seed';
import { SimSwitch } from '../../src/telephony/sim/sim-switch';
import type { Switch } from '../../src/telephony/switch';
import type { Clock } from '../../src/clock/clock';
import { findProjectRoot } from '../../src/util/project-root';
import { AgentClient } from './agent-client';

export interface TestAppOf<S extends Switch, C extends Clock> {
  /** Names this deployment's Redis namespace and database. */
  id: string;
  app: App;
  clock: C;
  sw: S;
  url: string;
  /** Creates a user who serves the given queues (unless they exist, with password pw-<username>) and returns a logged-in desktop. */
  agent(username: string, opts?: { queueIds?: string[]; roles?: Role[]; skills?: { skill: string; level: number }[]; storeIds?: string[] }): Promise<AgentClient>;
  login(username: string, password: string): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

/** The usual test app: simulated switch, virtual clock. */
export type TestApp = TestAppOf<SimSwitch, VirtualClock>;

export function testServices(): { redisUrl: string; mongoBase: string } {
  const redisUrl = process.env.TEST_REDIS_URL;
  const mongoBase = process.env.TEST_MONGODB_BASE;
  if (!redisUrl || !mongoBase) throw new Error('test services are not running (jest globalSetup sets TEST_REDIS_URL and TEST_MONGODB_BASE)');
  return { redisUrl, mongoBase };
}

/** A full app on the simulated switch and a virtual clock, against the run's real Redis and FerretDB. */
export interface TestAppOptions {
  offerTimeoutMs?: number;
  wrapUpMs?: number;
  queues?: ({ queueId: string; name: string; numbers: string[] } & Record<string, unknown>)[];
  /** Run the shipped IVR (ivr/) over the demo organisation and queues, instead of `queues`. */
  ivr?: boolean;
  /** An external CRM (URL of a test HTTP server) for outcome write-back, with fast retries. */
  crmUrl?: string;
  /** With ivr: read flows and prompts from this folder instead of ivr/. */
  ivrDir?: string;
  /** A second instance of the same deployment: same Redis namespace and database, no queues created. */
  sameDeploymentAs?: TestApp;
  /** Virtual clock start (default Monday 2026-01-05 09:00 in Shanghai). */
  startAt?: number;
  /** Recordings after the call (the real-stack suite: FreeSWITCH's folder on this host, a test archive). */
  recordings?: AppOptions['recordings'];
  /** Agents' phones: the WebSocket address browsers register at (the real-stack WebRTC suite). */
  sip?: AppOptions['sip'];
  /** How long an access token lasts (default 1 h). */
  tokenTtlMs?: number;
  /** GET /metrics answers to this bearer token. */
  metricsToken?: string;
  /** Failed logins allowed (default: the app's). */
  loginLimits?: AppOptions['loginLimits'];
  /** The in-car assistant's settings (default: the app's). */
  assist?: AppOptions['assist'];
}

export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const clock = new VirtualClock(opts.startAt);
  return startAppOn({ clock, sw: new SimSwitch({ clock }) }, opts);
}

/** A full app on the given switch and clock (the real-stack suites pass the drachtio/FreeSWITCH adapter and the real clock). */
export async function startAppOn<S extends Switch, C extends Clock>(engine: { clock: C; sw: S; authSecret?: string }, opts: Omit<TestAppOptions, 'sameDeploymentAs' | 'startAt'> & { sameDeploymentAs?: { id: string } } = {}): Promise<TestAppOf<S, C>> {
  const { redisUrl, mongoBase } = testServices();
  const id = opts.sameDeploymentAs?.id ?? randomBytes(4).toString('hex');
  const { clock, sw } = engine;
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', { test: id });
  const app = await App.create({
    redisUrl,
    mongodbUri: `${mongoBase}/t_${id}`,
    redisNamespace: `t${id}`,
    http: { host: '127.0.0.1', port: 0 },
    // one secret per deployment: instances of the same deployment accept each other's tokens
    authSecret: engine.authSecret ?? `test-deployment-secret-${id}`,
    tokenTtlMs: opts.tokenTtlMs ?? 3600_000,
    acd: { offerTimeoutMs: opts.offerTimeoutMs ?? 15_000, wrapUpMs: opts.wrapUpMs ?? 60_000 },
    projectRoot: findProjectRoot(),
    crm: opts.crmUrl ? { url: opts.crmUrl, token: 'test-crm-token', timeoutMs: 2000, backoff: { baseMs: 50, maxMs: 400 }, surviveMs: 30_000, popBudgetMs: 300, cacheTtlMs: 60_000 } : undefined,
    ivrDir: opts.ivr ? (opts.ivrDir ?? path.join(findProjectRoot(), 'ivr')) : undefined,
    recordings: opts.recordings,
    sip: opts.sip,
    loginLimits: opts.loginLimits,
    assist: opts.assist,
    clock,
    sw,
    trackIo: true,
    metricsToken: opts.metricsToken,
    log,
  });
  // between two timers of the virtual clock, the first one's database and Redis work lands
  if (clock instanceof VirtualClock) clock.setSettle(() => app.settle());
  if (opts.sameDeploymentAs) {
    /* the first instance created the queues */
  } else if (opts.ivr) await seedDemoOrganisation(app.models);
  else for (const q of opts.queues ?? [{ queueId: 'sales', name: '销售热线', numbers: ['4008001234'] }]) await app.models.Queue.create(q);
  await app.reloadRouting();
  await app.activate();
  const address = await app.listen();
  const url = `http://127.0.0.1:${address.port}`;
  const clients: AgentClient[] = [];

  const login = async (username: string, password: string) => {
    const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  return {
    id,
    app,
    clock,
    sw,
    url,
    login,
    async agent(username, o = {}) {
      // a user the test made already (e.g. named in a campaign first) keeps their record
      if (!(await app.models.User.exists({ username }))) await app.models.User.create({
        username,
        displayName: `Agent ${username}`,
        passwordHash: await hashPassword(`pw-${username}`),
        roles: o.roles ?? ['agent'],
        queueIds: o.queueIds ?? ['sales'],
        skills: o.skills ?? [],
        storeIds: o.storeIds ?? [],
      });
      const { body } = await login(username, `pw-${username}`);
      const client = await AgentClient.connect(url, body.token as string);
      clients.push(client);
      return client;
    },
    async stop() {
      for (const c of clients) c.close();
      await app.stop(5000).catch(() => undefined);
      const admin = new Redis(redisUrl);
      const keys = await admin.keys(`t${id}:*`);
      if (keys.length > 0) await admin.del(...keys);
      admin.disconnect();
      const m = await import('mongoose');
      const conn = await m.default.createConnection(`${mongoBase}/t_${id}`).asPromise();
      await conn.dropDatabase();
      await conn.close();
    },
  };
}
