import mongoose from 'mongoose';
import { countCall, type FinishedCall } from '../src/reports/call-counts';
import { IntervalStore } from '../src/reports/interval-store';
import { rollUp, totalsByKey } from '../src/reports/rollup';
import { SeededRandom } from '../src/util/random';
import { benchStores } from './support';

/**
 * 1,000,000 call records over 30 days, 20 stores (2 queues each), 200 agents: each call is counted
 * by the same pure function the running system uses (countCall) into the same upserts
 * (IntervalStore.ops), merged in memory so the documents are written in bulk, then the 30-day reports
 * by queue and by agent are read as the REST route reads them (by _id, rolled up): their times.
 */
const CALLS = Number(process.env.BENCH_CALLS ?? 1_000_000);
const DAYS = 30;
const STORES = 20;
const AGENTS = 200;

async function main(): Promise<void> {
  const stores = await benchStores();
  const conn = await mongoose.createConnection(stores.mongodbUri).asPromise();
  const intervals = new IntervalStore(conn);
  const seeded = new SeededRandom(7);
  const rand = (): number => seeded.next();
  const firstDay = Date.parse('2026-11-01T00:00:00+08:00');
  const docs = new Map<string, Map<string, Record<string, unknown> & { _id: string }>>();
  let t = Date.now();
  for (let i = 0; i < CALLS; i++) {
    const day = Math.floor(rand() * DAYS);
    const at = firstDay + day * 86_400_000 + (9 * 3600 + Math.floor(rand() * 12 * 3600)) * 1000; // 09:00-21:00 local
    const agent = Math.floor(rand() * AGENTS);
    const store = agent % STORES;
    const queueId = `q-${store}-${rand() < 0.7 ? 'dcc' : 'sales'}`;
    const abandoned = rand() < 0.06;
    const waitMs = Math.floor(rand() * (abandoned ? 60_000 : 40_000));
    const talkMs = 60_000 + Math.floor(rand() * 300_000);
    const call: FinishedCall = abandoned
      ? { direction: 'inbound', queueId, outcome: 'abandoned', queuedAt: new Date(at - waitMs), endedAt: new Date(at), waitMs }
      : { direction: 'inbound', queueId, agentUsername: `agent-${agent}`, outcome: 'answered', queuedAt: new Date(at - waitMs - talkMs), connectedAt: new Date(at - talkMs), endedAt: new Date(at), waitMs, talkMs, holdMs: rand() < 0.1 ? 20_000 : 0 };
    const c = countCall(call, abandoned ? 0 : 30_000, `store-${store}`);
    if (!c) continue;
    for (const { collection, op } of intervals.ops(c.at, c.rows, c.inc)) {
      const u = op.updateOne;
      let coll = docs.get(collection);
      if (!coll) docs.set(collection, (coll = new Map()));
      const doc = coll.get(u.filter._id);
      if (!doc) coll.set(u.filter._id, { _id: u.filter._id, ...u.update.$setOnInsert, ...u.update.$inc });
      else for (const [f, v] of Object.entries(u.update.$inc)) doc[f] = ((doc[f] as number | undefined) ?? 0) + v;
    }
  }
  console.log(`counted ${CALLS.toLocaleString('en')} calls into ${[...docs.values()].reduce((n, c) => n + c.size, 0).toLocaleString('en')} interval rows in ${docs.size} collections in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  t = Date.now();
  for (const [collection, rows] of docs) {
    const all = [...rows.values()];
    for (let i = 0; i < all.length; i += 2000) await intervals.model(collection).insertMany(all.slice(i, i + 2000), { ordered: false, lean: true });
  }
  console.log(`wrote them to FerretDB in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  const from = '2026-11-01';
  const to = '2026-11-30';
  for (const dim of ['queue', 'agent'] as const) {
    const times: number[] = [];
    let keys = 0;
    let offered = 0;
    for (let run = 0; run < 3; run++) {
      const s = Date.now();
      const read = await intervals.read('day', dim, from, to);
      const byDay = rollUp(read, 'day');
      const totals = totalsByKey(read);
      times.push(Date.now() - s);
      keys = totals.length;
      offered = byDay.reduce((n, r) => n + r.offered, 0);
    }
    console.log(`30-day report by ${dim} (per day and in total, ${keys} ${dim}s, ${offered.toLocaleString('en')} calls offered): ${times.map((x) => `${x} ms`).join(', ')} (best ${Math.min(...times)} ms; target ≤ 1000 ms)`);
  }
  const s = Date.now();
  const oneDay = rollUp(await intervals.read('15m', 'queue', '2026-11-15', '2026-11-15'), '60m');
  console.log(`one day by queue, 60-minute rows rolled up from 15-minute rows (${oneDay.length} rows): ${Date.now() - s} ms`);
  await conn.close();
  await stores.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
