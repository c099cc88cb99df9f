import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log';
import { ferretdbBinary, redisServerBinary } from './binaries';
import { ChildService } from './child-service';
import { freePort } from './free-port';
import { startEmbeddedPostgres } from './embedded-postgres';

export interface EmbeddedOptions {
  /** Data lives in <varDir>/redis and <varDir>/ferretdb, run files in <varDir>/run. */
  varDir: string;
  projectRoot: string;
  binaries: { redisServer: string | undefined; ferretdb: string | undefined; postgresBinDir?: string | undefined };
  /** What FerretDB stores its data in: PostgreSQL (index-backed lookups; the default) or SQLite (every _id lookup scans). Default: EMBEDDED_DB_BACKEND, else postgresql. */
  dbBackend?: 'postgresql' | 'sqlite';
  log: Logger;
}

const HOST = '127.0.0.1';

export async function startEmbeddedRedis(o: EmbeddedOptions): Promise<{ service: ChildService; url: string }> {
  const dir = path.join(o.varDir, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const service = new ChildService(
    {
      name: 'redis',
      command: redisServerBinary(o.binaries.redisServer),
      // Loopback only; append-only file so agent states and queues survive a restart.
      args: ['--bind', HOST, '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--save', '60 1', '--protected-mode', 'yes', '--daemonize', 'no', '--logfile', ''],
      host: HOST,
      port,
      runDir: path.join(o.varDir, 'run'),
      readyTimeoutMs: 15_000,
    },
    o.log,
  );
  await service.start();
  return { service, url: `redis://${HOST}:${port}` };
}

/**
 * FerretDB (the MongoDB wire protocol) on PostgreSQL (embedded-postgres.ts) or SQLite. `services` are
 * what was started, in start order (stop them in reverse); `service` is FerretDB itself.
 */
export async function startEmbeddedFerretDb(o: EmbeddedOptions, database: string): Promise<{ service: ChildService; services: ChildService[]; uri: string }> {
  const dataDir = path.join(o.varDir, 'ferretdb');
  const stateDir = path.join(o.varDir, 'ferretdb-state');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.mkdirSync(stateDir, { recursive: true });
  const command = ferretdbBinary(o.binaries.ferretdb, o.projectRoot);
  const backend = o.dbBackend ?? (process.env.EMBEDDED_DB_BACKEND === 'sqlite' ? 'sqlite' : 'postgresql');
  const pg = backend === 'postgresql' ? await startEmbeddedPostgres({ varDir: o.varDir, binDir: o.binaries.postgresBinDir ?? process.env.POSTGRES_BIN_DIR, log: o.log }) : undefined;
  const port = await freePort();
  const service = new ChildService(
    {
      name: 'ferretdb',
      command,
      args: [
        ...(pg
          ? ['--handler=postgresql', `--postgresql-url=${pg.url}`]
          : // SQLite allows one writer at a time; wait for the lock instead of failing with SQLITE_BUSY.
            ['--handler=sqlite', `--sqlite-url=file:${dataDir}/?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)`]),
        `--state-dir=${stateDir}`,
        `--listen-addr=${HOST}:${port}`,
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-level=warn',
      ],
      host: HOST,
      port,
      runDir: path.join(o.varDir, 'run'),
      readyTimeoutMs: 30_000,
    },
    o.log,
  );
  try {
    await service.start();
  } catch (err) {
    await pg?.service.stop();
    throw err;
  }
  return { service, services: pg ? [pg.service, service] : [service], uri: `mongodb://${HOST}:${port}/${database}` };
}
