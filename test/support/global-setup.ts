import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedFerretDb, startEmbeddedRedis } from '../../src/embedded/embedded-stores';
import { createLogger } from '../../src/log';
import { findProjectRoot } from '../../src/util/project-root';
import type { ChildService } from '../../src/embedded/child-service';

declare global {
  var __testServices: { services: ChildService[]; dir: string } | undefined;
}

/**
 * One real redis-server and one real FerretDB for the whole run, on free loopback ports, with
 * data in a temporary folder. Suites isolate themselves by Redis key namespace and database name.
 */
export default async function globalSetup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-test-'));
  const log = createLogger('warn', { test: 'global-setup' });
  const options = { varDir: dir, projectRoot: findProjectRoot(), binaries: { redisServer: process.env.REDIS_SERVER_BIN, ferretdb: process.env.FERRETDB_BIN }, log };
  const redis = await startEmbeddedRedis(options);
  const ferret = await startEmbeddedFerretDb(options, 'unused');
  process.env.TEST_REDIS_URL = redis.url;
  process.env.TEST_MONGODB_BASE = ferret.uri.replace(/\/unused$/, '');
  process.env.TEST_SERVICE_PIDS = [redis.service.pid, ferret.service.pid].join(',');
  globalThis.__testServices = { services: [redis.service, ...ferret.services], dir };
}
