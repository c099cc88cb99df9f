import { io, type Socket } from 'socket.io-client';
import { App } from '../src/app';
import { hashPassword } from '../src/auth/passwords';
import { RealClock } from '../src/clock/clock';
import { createLogger } from '../src/log';
import type { StoreBoard } from '../src/shared/board-events';
import { SimSwitch } from '../src/telephony/sim/sim-switch';
import { BotDesk, BotLedger } from '../test/support/bot-desk';
import { benchStores, percentile, rssMiB, benchAppOptions } from './support';

/**
 * The live board under load, real time, real Redis and FerretDB, simulated switch: 10 stores, 500 bot
 * agents (socket.io desks that take every call offered, talk, hang up, save the outcome and go ready
 * again: five state changes a call), 50 supervisor boards (5 per store) and 50 calls a second for
 * BENCH_SECONDS. Event-to-board latency: from an agent state change or a call entering a queue (the
 * server's timestamp of it) to the first board:store on a supervisor's socket that shows it, over
 * every supervisor. Server CPU per board update: process CPU time inside the board computations
 * divided by their number (each computes every store's board once), and the whole process's CPU
 * divided by the computations as an upper bound.
 */
const STORES = 10;
const AGENTS = Number(process.env.BENCH_AGENTS ?? 500);
const SUPERVISORS = Number(process.env.BENCH_SUPERVISORS ?? 50);
const CALLS_PER_SECOND = Number(process.env.BENCH_CPS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const TALK_MS = Number(process.env.BENCH_TALK_MS ?? 4000);

async function main(): Promise<void> {
  const stores = await benchStores();
  const clock = new RealClock();
  const sw = new SimSwitch({ clock, promptDurationMs: () => 0 });
  // the embedded FerretDB retries busy call-record writes at this rate: warnings, not failures
  const app = await App.create(benchAppOptions(stores, clock, sw, { redisNamespace: 'benchboard', acd: { offerTimeoutMs: 20_000, wrapUpMs: 60_000 }, recordCalls: false, log: createLogger(process.env.BENCH_LOG_LEVEL ?? 'error') }));
  const bots: BotDesk[] = [];
  const boards: Socket[] = [];
  try {
    const hash = await hashPassword('pw');
    for (let s = 0; s < STORES; s++) {
      await app.models.Store.create({ _id: `s${s}`, groupId: 'g', name: `门店 ${s}`, timeZone: 'Asia/Shanghai' });
      await app.models.Queue.create({ queueId: `q${s}`, name: `DCC ${s}`, storeId: `s${s}`, numbers: [`40080000${String(s).padStart(2, '0')}`], preferredWaitMs: 0, wrapUpMs: 60_000 });
    }
    await app.reloadRouting();
    await app.activate();
    const users = [];
    for (let i = 0; i < AGENTS; i++) users.push({ username: `a${i}`, displayName: `坐席 ${i}`, passwordHash: hash, roles: ['agent'], queueIds: [`q${i % STORES}`], storeIds: [`s${i % STORES}`] });
    for (let i = 0; i < SUPERVISORS; i++) users.push({ username: `sup${i}`, displayName: `主管 ${i}`, passwordHash: hash, roles: ['supervisor'], queueIds: [], storeIds: [`s${i % STORES}`] });
    await app.models.User.insertMany(users);
    const { port } = await app.listen();
    const url = `http://127.0.0.1:${port}`;
    const token = (u: string): string => app.tokens.issue(u, 0).token;

    // boards: when each supervisor first sees each agent state (by its server timestamp) and each waiting call
    const latencies: number[] = [];
    const seen = boardsSeen(latencies);
    for (let i = 0; i < SUPERVISORS; i++) {
      const socket = io(`${url}/board`, { auth: { token: token(`sup${i}`) }, transports: ['websocket'], reconnection: false, forceNew: true });
      const mine = seen();
      socket.on('board:store', (b: StoreBoard) => mine(b, Date.now()));
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      boards.push(socket);
    }
    const ledger = new BotLedger();
    for (let i = 0; i < AGENTS; i++) {
      const bot = new BotDesk(`a${i}`, token(`a${i}`), ledger, { talkMs: TALK_MS, code: 'info_given' });
      await bot.connect(url);
      bots.push(bot);
    }
    for (const b of bots) await b.ready();
    await new Promise((r) => setTimeout(r, 2000));
    latencies.length = 0; // the start-up (logins, first boards) is not measured
    const before = app.boardStats();
    const cpu0 = process.cpuUsage();
    const started = Date.now();

    let placed = 0;
    const everyMs = 1000 / CALLS_PER_SECOND;
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const due = Math.floor((Date.now() - started) / everyMs);
        while (placed < due) {
          const s = placed % STORES;
          const caller = sw.placeCall({ from: `+86139${String(placed).padStart(8, '0')}`, to: `40080000${String(s).padStart(2, '0')}` });
          void caller;
          placed++;
        }
        if (Date.now() - started >= SECONDS * 1000) {
          clearInterval(tick);
          resolve();
        }
      }, 5);
    });
    const loadS = (Date.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const after = app.boardStats();
    const computations = after.computations - before.computations;
    latencies.sort((a, b) => a - b);
    console.log(`board: ${STORES} stores, ${AGENTS} agents, ${SUPERVISORS} supervisor boards, ${placed} calls in ${loadS.toFixed(1)} s (${(placed / loadS).toFixed(1)} calls/s), ${ledger.connected.size} connected to agents`);
    console.log(`event-to-board latency ms (${latencies.length} events seen by supervisors): p50 ${percentile(latencies, 50).toFixed(0)}  p90 ${percentile(latencies, 90).toFixed(0)}  p99 ${percentile(latencies, 99).toFixed(0)}  max ${latencies[latencies.length - 1]?.toFixed(0)}`);
    console.log(`board updates: ${computations} computations (${(computations / loadS).toFixed(1)}/s), ${after.storesSent - before.storesSent} store boards sent; per update (all ${STORES} stores): CPU building and sending ${((after.cpuMicros - before.cpuMicros) / Math.max(1, computations) / 1000).toFixed(2)} ms, reading Redis/MongoDB ${((after.readMs - before.readMs) / Math.max(1, computations)).toFixed(1)} ms wall; the last took ${after.lastComputeMs.toFixed(1)} ms wall`);
    console.log(`whole process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s over ${loadS.toFixed(1)} s (${((cpu.user + cpu.system) / 1e4 / loadS).toFixed(0)} % of one core; bots, boards' sockets and the call logic included); refusals ${ledger.refusals.length}; RSS ${rssMiB()} MiB`);
  } finally {
    for (const b of bots) b.close();
    for (const s of boards) s.disconnect();
    // the embedded FerretDB may still be working off the call records' backlog: give it 20 s, no more
    await Promise.race([app.stop(10_000).catch(() => undefined), new Promise((r) => setTimeout(r, 20_000).unref())]);
    await stores.stop();
  }
}

/**
 * Per supervisor: the first time a board shows an agent's state of a given server timestamp, or a
 * waiting call, the delay from that timestamp is one latency sample.
 */
function boardsSeen(out: number[]): () => (b: StoreBoard, at: number) => void {
  return () => {
    const agentSince = new Map<string, number>();
    const waiting = new Set<string>();
    return (b, at) => {
      for (const a of b.agents) {
        if (a.since > 0 && agentSince.get(a.agentId) !== a.since) {
          if (agentSince.has(a.agentId)) out.push(at - a.since);
          agentSince.set(a.agentId, a.since);
        }
      }
      for (const w of b.waiting) {
        if (!waiting.has(w.callId)) {
          waiting.add(w.callId);
          out.push(at - w.since);
        }
      }
    };
  };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
