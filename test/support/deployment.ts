import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Redis from 'ioredis';
import { freePort } from '../../src/embedded/free-port';
import type { Models } from '../../src/store/models';
import { createUser, openDatabase, startServer, waitReady, type Running } from './server-process';
import { testServices } from './test-app';

/** Several app instances started as production starts them, sharing one Redis (own prefix) and one database. */
export interface Deployment {
  env: Record<string, string>;
  prefix: string;
  models: Models;
  servers: Running[];
}

export interface DeploymentPlan {
  /** instances to start */
  n: number;
  /** a folder for the instances' data folders */
  dir: string;
  redis: Redis;
  /** extra environment of every instance */
  env?: Record<string, string>;
  /** users, queues… created before the instances start */
  seed?: (models: Models) => Promise<void>;
  /** where this test's processes go when it ends */
  servers: Running[];
  cleanups: (() => Promise<void>)[];
}

export async function deploy(plan: DeploymentPlan): Promise<Deployment> {
  const id = randomBytes(4).toString('hex');
  const prefix = `aa${id}`;
  const { redisUrl, mongoBase } = testServices();
  const env = { SWITCH: 'sim', REDIS_URL: redisUrl, MONGODB_URI: `${mongoBase}/active_${id}`, REDIS_PREFIX: prefix, AUTH_SECRET: randomBytes(24).toString('hex'), ...plan.env };
  const db = await openDatabase(env.MONGODB_URI);
  await plan.seed?.(db.models);
  plan.cleanups.push(async () => {
    await db.models.User.db.dropDatabase();
    await db.close();
    const keys = await plan.redis.keys(`${prefix}:*`);
    if (keys.length > 0) await plan.redis.del(...keys);
  });
  const started: Running[] = [];
  for (let i = 0; i < plan.n; i++) {
    const s = startServer(await freePort(), { ...env, VAR_DIR: fs.mkdtempSync(path.join(plan.dir, `i${i}-`)) });
    plan.servers.push(s);
    started.push(s);
  }
  for (const s of started) await waitReady(s);
  return { env, prefix, models: db.models, servers: started };
}

export function alive(d: Deployment): Running[] {
  return d.servers.filter((s) => s.proc.exitCode === null && s.proc.signalCode === null);
}

export { createUser };
