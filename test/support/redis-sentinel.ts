import fs from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { ChildService } from '../../src/embedded/child-service';
import { freePort } from '../../src/embedded/free-port';
import { createLogger } from '../../src/log';
import { eventually } from './wait';

const HOST = '127.0.0.1';

/**
 * A real Redis Sentinel deployment on loopback: a master, a replica and three sentinels (quorum 2,
 * a master unreachable for 1 s is failed over), all redis-server processes this test owns.
 */
export class SentinelDeployment {
  private constructor(
    readonly master: ChildService,
    readonly replica: ChildService,
    readonly sentinels: ChildService[],
    readonly name: string,
  ) {}

  static async start(dir: string, name = 'dccmaster'): Promise<SentinelDeployment> {
    const log = createLogger('warn', { test: 'sentinel' });
    const server = async (role: string, extra: string[]): Promise<ChildService> => {
      const port = await freePort();
      const data = path.join(dir, role);
      fs.mkdirSync(data, { recursive: true });
      const s = new ChildService({ name: role, command: 'redis-server', args: ['--bind', HOST, '--port', String(port), '--dir', data, '--save', '', '--appendonly', 'no', '--logfile', '', ...extra], host: HOST, port, runDir: data, readyTimeoutMs: 15_000 }, log);
      await s.start();
      return s;
    };
    const master = await server('master', []);
    const replica = await server('replica', ['--replicaof', HOST, String(master.spec.port)]);
    const sentinels: ChildService[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const data = path.join(dir, `sentinel-${i}`);
      fs.mkdirSync(data, { recursive: true });
      const conf = path.join(data, 'sentinel.conf');
      fs.writeFileSync(
        conf,
        [
          `bind ${HOST}`,
          `port ${port}`,
          `dir ${data}`,
          `sentinel monitor ${name} ${HOST} ${master.spec.port} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const s = new ChildService({ name: `sentinel-${i}`, command: 'redis-server', args: [conf, '--sentinel'], host: HOST, port, runDir: data, readyTimeoutMs: 15_000 }, log);
      await s.start();
      sentinels.push(s);
    }
    const d = new SentinelDeployment(master, replica, sentinels, name);
    await d.settled();
    return d;
  }

  /** The URL the app is given: its sentinels and the master's name. */
  get url(): string {
    return `redis+sentinel://${this.sentinels.map((s) => s.url).join(',')}/${this.name}`;
  }

  /** Every sentinel knows the replica and the other sentinels, and the replica is in sync. */
  private async settled(): Promise<void> {
    const ask = async (s: ChildService, ...args: string[]): Promise<unknown> => {
      const c = new Redis({ host: HOST, port: s.spec.port, lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await c.connect();
        return await c.call('SENTINEL', ...args);
      } finally {
        c.disconnect();
      }
    };
    await eventually(async () => {
      for (const s of this.sentinels) {
        if (((await ask(s, 'REPLICAS', this.name)) as unknown[]).length !== 1) return false;
        if (((await ask(s, 'SENTINELS', this.name)) as unknown[]).length !== 2) return false;
      }
      const r = new Redis({ host: HOST, port: this.replica.spec.port, maxRetriesPerRequest: 1 });
      const info = await r.info('replication').finally(() => r.disconnect());
      return info.includes('master_link_status:up');
    }, 'the sentinels to know the replica and each other', 30_000);
  }

  /** Which server the sentinels call master now ("host:port"). */
  async currentMaster(): Promise<string> {
    const s = this.sentinels.find((x) => x.pid !== undefined) as ChildService;
    const c = new Redis({ host: HOST, port: s.spec.port, maxRetriesPerRequest: 1 });
    try {
      const [host, port] = (await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name)) as [string, string];
      return `${host}:${port}`;
    } finally {
      c.disconnect();
    }
  }

  killMaster(): void {
    if (this.master.pid) process.kill(this.master.pid, 'SIGKILL');
  }

  async stop(): Promise<void> {
    for (const s of [...this.sentinels, this.replica, this.master]) await s.stop(2000).catch(() => undefined);
  }
}
