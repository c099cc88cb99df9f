import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { freePort } from '../../src/embedded/free-port';
import type { Models, Role } from '../../src/store/models';
import type { AgentClient } from '../support/agent-client';
import { api, createUser, desk, kill, login, openDatabase, startServer, type Running } from '../support/server-process';
import { testServices } from '../support/test-app';
import type { RealStackEnv } from './realstack-env';

/**
 * The app on the real stack as production runs it: `node dist/src/main.js` with SWITCH=freeswitch,
 * configured only by environment variables (as docker-compose configures it), pointed at the real
 * drachtio-server and FreeSWITCH. Tests reach it through its doors (REST, the agent socket, SIP) and
 * set up users in its database.
 */
export interface RealApp {
  s: Running;
  url: string;
  models: Models;
  /** The deployment's Redis key prefix. */
  prefix: string;
  env: Record<string, string>;
  /** A user with a desk connected (socket.io), roles and queues as given. */
  agent(username: string, o?: { roles?: Role[]; queueIds?: string[] }): Promise<AgentClient>;
  /** A user's token (REST). */
  token(username: string): Promise<string>;
  /** The SIP password GET /api/me/sip gives the user for their desk phone. */
  sipPassword(username: string): Promise<string>;
  /** Kills the process (SIGKILL by default). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the same deployment again (same database, Redis prefix, secret), in a new process. */
  restart(): Promise<Running>;
  stop(): Promise<void>;
}

export interface RealAppOptions {
  /** Where numbers are dialled (a test phone on this host), which also counts as the carrier trunk. */
  trunkPort: number;
  ivrDir?: string;
  /** drachtio / FreeSWITCH admin addresses, when a relay stands in front of them. */
  drachtio?: { host: string; port: number };
  freeswitch?: { host: string; port: number };
  recordings?: { localDir: string; uploadUrl: string; token: string };
  wsUri?: string;
  extra?: Record<string, string>;
  /** Do not wait for readiness (the stack may be unreachable on purpose). */
  noWait?: boolean;
}

export async function startRealApp(env: RealStackEnv, o: RealAppOptions): Promise<RealApp> {
  const { redisUrl, mongoBase } = testServices();
  const id = randomBytes(4).toString('hex');
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-app-'));
  const vars: Record<string, string> = {
    NODE_ENV: 'development',
    SWITCH: 'freeswitch',
    REDIS_URL: redisUrl,
    REDIS_PREFIX: `rs${id}`,
    MONGODB_URI: `${mongoBase}/rs_${id}`,
    AUTH_SECRET: randomBytes(24).toString('hex'),
    DEMO_SEED: 'true',
    VAR_DIR: varDir,
    DRACHTIO_HOST: o.drachtio?.host ?? env.drachtio.host,
    DRACHTIO_PORT: String(o.drachtio?.port ?? env.drachtio.port),
    DRACHTIO_SECRET: env.drachtio.secret,
    FREESWITCH_HOST: o.freeswitch?.host ?? env.freeswitch.host,
    FREESWITCH_PORT: String(o.freeswitch?.port ?? env.freeswitch.port),
    FREESWITCH_SECRET: env.freeswitch.secret,
    ESL_LISTEN_ADDRESS: env.localAddress,
    FREESWITCH_SOUND_DIR: env.soundDir,
    FREESWITCH_RECORDINGS_DIR: env.recordingsDir,
    SIP_TRUNK_URI: `sip:{number}@${env.localAddress}:${o.trunkPort}`,
    SIP_TRUNK_CIDRS: `${env.localAddress}/32`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    ...(o.ivrDir ? { IVR_DIR: o.ivrDir } : {}),
    ...(o.recordings ? { RECORDINGS_LOCAL_DIR: o.recordings.localDir, RECORDING_UPLOAD_URL: o.recordings.uploadUrl, RECORDING_UPLOAD_TOKEN: o.recordings.token } : {}),
    ...(o.wsUri ? { SIP_WS_URI: o.wsUri } : {}),
    ...o.extra,
  };
  const db = await openDatabase(vars.MONGODB_URI as string);
  let s = startServer(await freePort(), vars);
  const waitActive = async (run: Running): Promise<void> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await fetch(`${run.url}/readyz`).then((x) => x.json() as Promise<Record<string, unknown>>, () => undefined);
      if (r?.ready === true) return;
      if (Date.now() > deadline) throw new Error(`the app did not become ready on the real stack: ${JSON.stringify(r)}\n${run.output().slice(-3000)}`);
      if (run.proc.exitCode !== null) throw new Error(`the app exited: ${run.output().slice(-3000)}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  };
  if (!o.noWait) {
    try {
      await waitActive(s);
    } catch (err) {
      await kill(s, 'SIGKILL');
      await db.close();
      throw err;
    }
  }
  const desks: AgentClient[] = [];
  const app: RealApp = {
    get s() {
      return s;
    },
    get url() {
      return s.url;
    },
    models: db.models,
    prefix: vars.REDIS_PREFIX as string,
    env: vars,
    async agent(username, a = {}) {
      if (!(await db.models.User.exists({ username }))) await createUser(db.models, username, { roles: a.roles ?? ['agent'], queueIds: a.queueIds ?? ['sales'], storeIds: ['sh-pudong'] });
      const d = await desk(s.url, await login(s.url, username, `pw-${username}`));
      desks.push(d);
      return d;
    },
    token: (username) => login(s.url, username, `pw-${username}`),
    async sipPassword(username) {
      const r = await api<{ password: string }>(s.url, await login(s.url, username, `pw-${username}`), 'GET', '/api/me/sip');
      return r.body.password;
    },
    async kill(signal = 'SIGKILL') {
      for (const d of desks.splice(0)) d.close();
      await kill(s, signal);
    },
    async restart() {
      s = startServer(await freePort(), vars);
      await waitActive(s);
      return s;
    },
    async stop() {
      for (const d of desks.splice(0)) d.close();
      if (s.proc.exitCode === null) await kill(s, 'SIGTERM');
      // REALSTACK_APP_LOG_DIR: keep what the app logged, for a failure's post-mortem
      const logDir = process.env.REALSTACK_APP_LOG_DIR;
      if (logDir) fs.writeFileSync(path.join(logDir, `${vars.REDIS_PREFIX}.log`), s.output());
      await db.models.User.db.dropDatabase().catch(() => undefined);
      await db.close();
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`${vars.REDIS_PREFIX}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      fs.rmSync(varDir, { recursive: true, force: true });
    },
  };
  return app;
}
