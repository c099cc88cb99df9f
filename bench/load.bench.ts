import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { freePort } from '../src/embedded/free-port';
import { BotDesk, BotLedger } from '../test/support/bot-desk';
import { api, createUser, kill, login, openDatabase, startServer, waitReady, type Running } from '../test/support/server-process';
import { benchStores, percentile } from './support';

/**
 * Load through the product's doors: app instances started as production starts them (node
 * dist/src/main.js, simulated switch) on one Redis and one MongoDB-wire server; bot agents at desks
 * over socket.io, spread over the instances; callers placed through the simulated switch's REST door
 * round-robin over the instances at rising rates. For 1 and for 3 instances, per rate:
 *   placed, offered within 10 s, answered; offer latency (caller placed → offer at a desk) p50/p99;
 *   the instances' CPU seconds per 1,000 calls, their RSS, event-loop lag p99 (prom-client), and the
 *   call record round trips per call (asked and sent after coalescing).
 * Env: BENCH_RATES (calls/s, default 10,20,40), BENCH_SECONDS per rate (default 15), BENCH_AGENTS
 * (default 120), BENCH_TALK_MS (default 2000), BENCH_INSTANCES (default 1,3), BENCH_NODE_OPTIONS (given to the
 * instances, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them).
 */
const RATES = (process.env.BENCH_RATES ?? '10,20,40').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 120);
const TALK_MS = Number(process.env.BENCH_TALK_MS ?? 2000);
const SHAPES = (process.env.BENCH_INSTANCES ?? '1,3').split(',').map(Number);
const NUMBER = '4008860199';
const METRICS_TOKEN = randomBytes(16).toString('hex');
const TICKS = 100; // /proc stat clock ticks per second on Linux

function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime + stime
}

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function scrape(s: Running): Promise<Map<string, number>> {
  const text = await (await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(dcc_nodejs_eventloop_lag_p99_seconds|dcc_call_record_writes\{stage="(asked|sent)"\}) ([0-9.e+-]+)$/.exec(line);
    if (m) out.set(m[2] ?? 'lagP99', Number(m[3]));
    const b = /^dcc_offer_seconds_bucket\{le="([^"]+)"\} ([0-9]+)$/.exec(line);
    if (b) out.set(`le:${b[1]}`, Number(b[2]));
  }
  return out;
}

async function runShape(n: number, stores: { redisUrl: string; mongodbUri: string }, dir: string): Promise<void> {
  const id = randomBytes(4).toString('hex');
  const env = { SWITCH: 'sim', REDIS_URL: stores.redisUrl, MONGODB_URI: `${stores.mongodbUri.replace(/\/[^/?]*(\?|$)/, `/load_${id}$1`)}`, REDIS_PREFIX: `ld${id}`, AUTH_SECRET: randomBytes(24).toString('hex'), METRICS_TOKEN, LOG_LEVEL: 'warn', ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}) };
  const db = await openDatabase(env.MONGODB_URI);
  await db.models.Queue.create({ queueId: 'ld', name: '呼入', storeId: 'sh-pudong', numbers: [NUMBER], wrapUpMs: 30_000 });
  const agents = Array.from({ length: AGENTS }, (_, i) => `ld-${i}`);
  for (const u of agents) await createUser(db.models, u, { queueIds: ['ld'], storeIds: ['sh-pudong'] });
  const servers: Running[] = [];
  for (let i = 0; i < n; i++) servers.push(startServer(await freePort(), { ...env, VAR_DIR: fs.mkdtempSync(path.join(dir, `i${i}-`)) }));
  const bots: BotDesk[] = [];
  try {
    for (const s of servers) await waitReady(s);
    const ledger = new BotLedger();
    for (const [i, u] of agents.entries()) {
      const s = servers[i % n] as Running;
      const bot = new BotDesk(u, await login(s.url, u, `pw-${u}`), ledger, { talkMs: TALK_MS, code: 'info_given' });
      await bot.connect(s.url);
      await bot.ready();
      bots.push(bot);
    }
    const token = await login(servers[0]?.url as string, agents[0] as string, `pw-${agents[0]}`);
    let seq = 0;
    const redis = new Redis(stores.redisUrl);
    const redisCommands = async (): Promise<number> => Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1] ?? 0);
    const redisMemory = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0) / 1048576;
    for (const rate of RATES) {
      const commands0 = await redisCommands();
      const cpu0 = servers.map((s) => cpuSeconds(s.proc.pid as number));
      const writes0 = await Promise.all(servers.map(scrape));
      const placedAt = new Map<string, number>();
      const byFrom = new Map<string, string>();
      const total = rate * SECONDS;
      const started = Date.now();
      const posts: Promise<void>[] = [];
      for (let i = 0; i < total; i++) {
        const due = started + (i * 1000) / rate;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const s = servers[i % n] as Running;
        const from = `139${String(seq++).padStart(8, '0')}`;
        const at = Date.now();
        posts.push(
          api<{ legId: string }>(s.url, token, 'POST', '/api/sim/calls', { from, to: NUMBER }).then((r) => {
            if (r.status === 201) byFrom.set(from, r.body.legId);
            placedAt.set(from, at);
          }),
        );
      }
      await Promise.all(posts);
      // let the last calls be offered and finish
      await new Promise((r) => setTimeout(r, 10_000 + TALK_MS));
      const froms = [...placedAt.keys()].flatMap((f) => [f, `+86${f}`]);
      const commands = (await redisCommands()) - commands0;
      if (process.env.BENCH_COMMANDSTATS) console.log((await redis.info('commandstats')).split('\n').filter((l) => l.startsWith('cmdstat_')).map((l) => l.replace(/,usec=.*$/, '')).join(' '));
      const cpu = servers.reduce((sum, s, i) => sum + cpuSeconds(s.proc.pid as number) - (cpu0[i] as number), 0);
      const writes1 = await Promise.all(servers.map(scrape));
      const records = await db.models.CallRecord.find({ from: { $in: froms } }, { _id: 1, from: 1, connectedAt: 1 }).lean();
      const latencies: number[] = [];
      let offered = 0;
      for (const r of records) {
        const offeredAt = ledger.offeredAt.get(r._id);
        const placed = placedAt.get(String(r.from).replace(/^\+86/, ''));
        if (offeredAt !== undefined && placed !== undefined && offeredAt - placed <= 10_000) {
          offered += 1;
          latencies.push(offeredAt - placed);
        }
      }
      latencies.sort((a, b) => a - b);
      const answered = records.filter((r) => r.connectedAt).length;
      const asked = writes1.reduce((sum, w, i) => sum + (w.get('asked') ?? 0) - (writes0[i]?.get('asked') ?? 0), 0);
      const sent = writes1.reduce((sum, w, i) => sum + (w.get('sent') ?? 0) - (writes0[i]?.get('sent') ?? 0), 0);
      // reservation → offer sent (the server's own histogram): the bucket bound holding the 50th/99th percentile
      const buckets = [...(writes1[0]?.keys() ?? [])].filter((k) => k.startsWith('le:')).map((k) => k.slice(3));
      const counts = buckets.map((le) => writes1.reduce((sum, w, i) => sum + (w.get(`le:${le}`) ?? 0) - (writes0[i]?.get(`le:${le}`) ?? 0), 0));
      const all = counts[counts.length - 1] ?? 0;
      const bound = (q: number): string => buckets[counts.findIndex((c) => c >= q * all)] ?? '?';
      const lag = Math.max(...writes1.map((w) => w.get('lagP99') ?? 0));
      const rss = servers.map((s) => rssMiB(s.proc.pid as number).toFixed(0)).join('/');
      // the next rate starts on an idle system: every call of this one ended (or a minute passed)
      for (let waited = 0; waited < 60_000; waited += 1000) {
        if ((await db.models.CallRecord.countDocuments({ from: { $in: froms }, status: { $ne: 'ended' } })) === 0) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      console.log(
        [
          `instances ${n}`,
          `rate ${rate}/s`,
          `placed ${total}`,
          `accepted ${byFrom.size}`,
          `offered≤10s ${offered}`,
          `answered ${answered}`,
          `caller→offer p50 ${percentile(latencies, 50)} ms p99 ${percentile(latencies, 99)} ms (incl. the 2 s greeting)`,
          `reservation→offer p50 ≤ ${bound(0.5)} s p99 ≤ ${bound(0.99)} s`,
          `CPU-s/1000 calls ${((cpu / Math.max(1, total)) * 1000).toFixed(1)}`,
          `RSS MiB ${rss}`,
          `loop lag p99 ${(lag * 1000).toFixed(1)} ms`,
          `Redis commands/call ${(commands / Math.max(1, total)).toFixed(0)}`,
          `Redis MiB ${(await redisMemory()).toFixed(1)}`,
          `record writes/call asked ${(asked / Math.max(1, total)).toFixed(2)} sent ${(sent / Math.max(1, total)).toFixed(2)}`,
        ].join(' | '),
      );
    }
    redis.disconnect();
  } finally {
    for (const b of bots) b.close();
    for (const s of servers) await kill(s, 'SIGTERM').catch(() => undefined);
    await db.models.User.db.dropDatabase().catch(() => undefined);
    await db.close();
  }
}

async function main(): Promise<void> {
  const stores = await benchStores();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-load-'));
  console.log(`load bench: ${AGENTS} bot agents talking ${TALK_MS} ms, ${SECONDS} s per rate, rates ${RATES.join(', ')} calls/s, on ${os.cpus().length} cores`);
  try {
    for (const n of SHAPES) await runShape(n, stores, dir);
  } finally {
    await stores.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
