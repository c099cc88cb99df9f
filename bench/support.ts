import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedRedis } from '../src/embedded/embedded-stores';
import { createLogger } from '../src/log';
import { findProjectRoot } from '../src/util/project-root';

/** A private redis-server for one benchmark run, removed afterwards. */
export async function benchRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-bench-'));
  const r = await startEmbeddedRedis({ varDir: dir, projectRoot: findProjectRoot(), binaries: { redisServer: process.env.REDIS_SERVER_BIN, ferretdb: undefined }, log: createLogger('warn') });
  return {
    url: r.url,
    stop: async () => {
      await r.service.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor((p / 100) * sortedMs.length))] as number;
}

export function rssMiB(): string {
  return (process.memoryUsage().rss / 1048576).toFixed(0);
}
