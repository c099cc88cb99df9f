import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AppOptions } from '../src/app';
import type { Clock } from '../src/clock/clock';
import { startEmbeddedFerretDb, startEmbeddedRedis } from '../src/embedded/embedded-stores';
import type { Switch } from '../src/telephony/switch';
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

/**
 * What every in-process benchmark app shares: the bench's stores, an ephemeral HTTP port, a throwaway
 * secret, hour-long tokens, the project root, its clock and switch, warnings only. A bench adds its
 * own namespace, ACD timings and anything else.
 */
export function benchAppOptions(stores: { redisUrl: string; mongodbUri: string }, clock: Clock, sw: Switch, own: Pick<AppOptions, 'redisNamespace' | 'acd'> & Partial<AppOptions>): AppOptions {
  return {
    redisUrl: stores.redisUrl,
    mongodbUri: stores.mongodbUri,
    http: { host: '127.0.0.1', port: 0 },
    authSecret: 'b'.repeat(32),
    tokenTtlMs: 3600_000,
    projectRoot: findProjectRoot(),
    clock,
    sw,
    log: createLogger('warn'),
    ...own,
  };
}
