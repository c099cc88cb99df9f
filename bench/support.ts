import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedFerretDb, startEmbeddedRedis } from '../src/embedded/embedded-stores';
import { createLogger } from '../src/log';
import { findProjectRoot } from '../src/util/project-root';

function embeddedOptions(dir: string) {
  return { varDir: dir, projectRoot: findProjectRoot(), binaries: { redisServer: process.env.REDIS_SERVER_BIN, ferretdb: process.env.FERRETDB_BIN }, log: createLogger('warn') };
}

/** A private redis-server for one benchmark run, removed afterwards. */
export async function benchRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-bench-'));
  const r = await startEmbeddedRedis(embeddedOptions(dir));
  return {
    url: r.url,
    stop: async () => {
      await r.service.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A private redis-server and FerretDB for one benchmark run, removed afterwards. */
export async function benchStores(): Promise<{ redisUrl: string; mongodbUri: string; stop: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-bench-'));
  const r = await startEmbeddedRedis(embeddedOptions(dir));
  const f = await startEmbeddedFerretDb(embeddedOptions(dir), 'bench');
  return {
    redisUrl: r.url,
    mongodbUri: f.uri,
    stop: async () => {
      for (const s of [...f.services].reverse()) await s.stop();
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
