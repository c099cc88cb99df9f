import { io, type Socket } from 'socket.io-client';
import { App } from '../src/app';
import { hashPassword } from '../src/auth/passwords';
import { RealClock } from '../src/clock/clock';
import { SimSwitch } from '../src/telephony/sim/sim-switch';
import type { SimParty } from '../src/telephony/sim/sim-party';
import { benchStores, percentile, rssMiB, benchAppOptions } from './support';

/**
 * Screen-pop latency: from the moment the ACD offers a call to the moment the agent's browser
 * (a socket.io client over loopback) has the offer with the customer's funnel card.
 * 500 agent sockets connected, 50 new calls per second, real time, real Redis and FerretDB.
 * Each caller hangs up as soon as the offer lands, which frees the agent for the next call.
 */
const AGENTS = Number(process.env.BENCH_AGENTS ?? 500);
const RATE = Number(process.env.BENCH_CALLS_PER_SECOND ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const OFFER_TIMEOUT_MS = 20_000;
/** BENCH_WARM=1: customers already in the Redis cache (a repeat caller); default: every caller is new to the cache. */
const WARM = process.env.BENCH_WARM === '1';

interface Pop {
  callId: string;
  from: string;
  offerExpiresAt: number;
  customer: { funnel: unknown[] } | null;
}

async function main(): Promise<void> {
  const stores = await benchStores();
  const clock = new RealClock();
  const sw = new SimSwitch({ clock, promptDurationMs: () => 0 });
  const app = await App.create(benchAppOptions(stores, clock, sw, { redisNamespace: 'bench', acd: { offerTimeoutMs: OFFER_TIMEOUT_MS, wrapUpMs: 60_000 } }));
  await app.models.Queue.create({ queueId: 'dcc', name: 'DCC', numbers: ['4008001234'] });
  await app.queueDirectory.load();
  await app.activate();
  const { port } = await app.listen();
  const url = `http://127.0.0.1:${port}`;

  const hash = await hashPassword('pw');
  await app.models.User.insertMany(Array.from({ length: AGENTS }, (_, i) => ({ username: `b${i}`, displayName: `b${i}`, passwordHash: hash, roles: ['agent'], queueIds: ['dcc'] })));
  const customers = Array.from({ length: 1000 }, (_, i) => ({
    name: `客户${i}`,
    phones: [`+86138${String(i).padStart(8, '0')}`],
    status: 'defeated',
    grade: ['A', 'B', 'C'][i % 3],
    defeatReason: '价格',
    funnel: Array.from({ length: 8 }, (_, k) => ({ at: new Date(Date.UTC(2026, 8, 1 + k)), kind: k % 2 ? 'visit' : 'grade_change', grade: 'B', model: 'Model Y' })),
  }));
  await app.models.Customer.insertMany(customers);
  if (WARM) for (const c of customers) await app.customers.findByPhone(c.phones[0] as string);

  const latencies: number[] = [];
  /** From the caller dialling to the offer on the desktop (includes the customer lookup and queueing). */
  const arrivalToOffer: number[] = [];
  const placedAt = new Map<string, number>();
  const callers = new Map<string, SimParty>();
  let received = 0;
  const sockets: Socket[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const { token } = app.tokens.issue(`b${i}`, 0);
    const s = io(`${url}/agent`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    s.on('call:offer', (pop: Pop) => {
      latencies.push(Date.now() - (pop.offerExpiresAt - OFFER_TIMEOUT_MS));
      arrivalToOffer.push(Date.now() - (placedAt.get(pop.from) ?? Date.now()));
      received++;
      if (pop.customer === null) throw new Error('screen-pop without the customer card');
      callers.get(pop.from)?.hangup();
    });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('connect_error', reject);
    });
    await new Promise<void>((resolve) => s.once('agent:state', () => resolve()));
    const ack = (await s.timeout(5000).emitWithAck('agent:ready', {})) as { ok: boolean };
    if (!ack.ok) throw new Error('agent could not go ready');
    sockets.push(s);
  }
  console.log(`screen-pop: ${AGENTS} agent sockets connected and ready (RSS ${rssMiB()} MiB); customer cache ${WARM ? 'warm' : 'cold'}`);

  const total = RATE * SECONDS;
  const started = Date.now();
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / RATE;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const from = `138${String(n % customers.length).padStart(8, '0')}`;
    placedAt.set(from, Date.now());
    callers.set(from, sw.placeCall({ from, to: '4008001234' }));
  }
  const deadline = Date.now() + 15_000;
  while (received < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const elapsed = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(`calls offered ${received}/${total} over ${elapsed.toFixed(1)} s (${(received / elapsed).toFixed(1)} per second)`);
  console.log(`offer-to-browser latency ms: p50 ${percentile(latencies, 50)}  p90 ${percentile(latencies, 90)}  p99 ${percentile(latencies, 99)}  max ${latencies[latencies.length - 1]}`);
  arrivalToOffer.sort((a, b) => a - b);
  console.log(`arrival-to-offer ms (lookup, queueing, matching): p50 ${percentile(arrivalToOffer, 50)}  p99 ${percentile(arrivalToOffer, 99)}`);
  console.log(`app+clients process RSS ${rssMiB()} MiB`);
  const byStatus = await app.models.CallRecord.aggregate<{ _id: string; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }]);
  console.log(`call records by status: ${byStatus.map((b) => `${b._id} ${b.n}`).join(', ')}; still waiting in Redis: ${await app.queues.waitingCount('dcc')}; ready agents: ${(await app.queues.readyAgents('dcc')).length}`);
  for (const s of sockets) s.disconnect();
  await app.stop(5000);
  await stores.stop();
  if (received < total) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
