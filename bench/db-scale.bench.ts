import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, type Collection, type Document, type Filter } from 'mongodb';
import { startEmbeddedFerretDb } from '../src/embedded/embedded-stores';
import { PG_DATABASE, PG_USER, postgresBinDir } from '../src/embedded/embedded-postgres';
import { createLogger } from '../src/log';
import { findProjectRoot } from '../src/util/project-root';
import { percentile } from './support';

/**
 * Does the embedded database slow down with age? `_id` update latency of call records (what the call
 * record writer does for every step of every call) on an empty collection and on one already holding
 * BENCH_RECORDS (default 1,000,000) call records, on the embedded default (FerretDB on PostgreSQL).
 * The large collection is filled by FerretDB with real call-record documents (BENCH_SEED of them), then
 * multiplied inside PostgreSQL with new `_id`s (inserting 1,000,000 documents one by one over the wire
 * would take most of an hour on this box). For comparison the SQLite backend (the former default) at
 * BENCH_SQLITE_RECORDS (default 20,000): its lookups scan, so they grow with the collection.
 */
const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const SEED = Number(process.env.BENCH_SEED ?? 2_000);
const SQLITE_RECORDS = Number(process.env.BENCH_SQLITE_RECORDS ?? 20_000);
const UPDATES = Number(process.env.BENCH_UPDATES ?? 300);

function callRecord(i: number): Document {
  const at = new Date(Date.UTC(2026, 0, 1) + i * 37_000);
  return {
    _id: randomUUID(),
    direction: 'inbound',
    source: 'trunk',
    from: `139${String(i % 100_000_000).padStart(8, '0')}`,
    to: '4008001234',
    queueId: 'sales',
    status: 'ended',
    outcome: i % 5 === 0 ? 'abandoned' : 'answered',
    offeredAt: at,
    queuedAt: at,
    connectedAt: new Date(at.getTime() + 20_000),
    endedAt: new Date(at.getTime() + 200_000),
    endCause: 'normal_clearing',
    endedBy: 'caller',
    waitMs: 20_000,
    talkMs: 180_000,
    agentUsername: `agent${i % 300}`,
    createdAt: at,
    updatedAt: at,
  };
}

async function insertSeed(col: Collection<Document>, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, n - i) }, (_, k) => callRecord(i + k));
    await col.insertMany(batch, { ordered: false });
    for (const d of batch) ids.push(d._id as string);
  }
  return ids;
}

/** `_id` updates of random existing records, as the call record writer makes them; latencies sorted. */
async function updates(col: Collection<Document>, ids: string[]): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < UPDATES; i++) {
    const id = ids[Math.floor(Math.random() * ids.length)] as string;
    const t0 = process.hrtime.bigint();
    const r = await col.updateOne({ _id: id } as unknown as Filter<Document>, { $set: { status: 'ended', updatedAt: new Date(), disposition: { code: 'sold', notes: 'bench' } } } as Document);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.matchedCount !== 1) throw new Error(`update of ${id} matched ${r.matchedCount}`);
  }
  return ms.sort((a, b) => a - b);
}

function line(label: string, count: number, ms: number[]): void {
  process.stdout.write(`${label.padEnd(34)} ${String(count).padStart(9)} records   p50 ${percentile(ms, 50).toFixed(2).padStart(8)} ms   p99 ${percentile(ms, 99).toFixed(2).padStart(8)} ms\n`);
}

async function run(backend: 'postgresql' | 'sqlite', big: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-dbscale-'));
  const log = createLogger('warn');
  const f = await startEmbeddedFerretDb({ varDir: dir, projectRoot: findProjectRoot(), binaries: { redisServer: undefined, ferretdb: process.env.FERRETDB_BIN }, dbBackend: backend, log }, 'bench');
  const client = await MongoClient.connect(f.uri);
  try {
    const db = client.db('bench');
    const small = db.collection('callrecords_empty');
    const smallIds = await insertSeed(small, 100);
    line(`${backend}: _id update, empty`, 100, await updates(small, smallIds));

    const col = db.collection('callrecords');
    const t0 = Date.now();
    const ids = await insertSeed(col, Math.min(SEED, big));
    let count = ids.length;
    if (backend === 'postgresql' && big > count) count = multiplyInPostgres(f.services[0]?.spec.port as number, big);
    else if (big > count) {
      for (let i = count; i < big; i += 1000) await col.insertMany(Array.from({ length: Math.min(1000, big - i) }, (_, k) => callRecord(i + k)), { ordered: false });
      count = big;
    }
    // (FerretDB answers a count by reading every document: the count is the one the fill reports)
    const stored = count;
    process.stdout.write(`  (${backend}: ${stored} call records stored in ${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
    line(`${backend}: _id update, full`, stored, await updates(col, ids));
  } finally {
    await client.close();
    for (const s of [...f.services].reverse()) await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Copies the seeded documents inside PostgreSQL with fresh `_id`s until the collection holds `target`. */
function multiplyInPostgres(port: number, target: number): number {
  const psql = (sql: string): string => execFileSync(path.join(postgresBinDir(process.env.POSTGRES_BIN_DIR), 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', PG_USER, '-d', PG_DATABASE, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim();
  const table = psql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'bench' AND table_name LIKE 'callrecords\\_%' AND table_name NOT LIKE 'callrecords\\_empty%'");
  const count = (): number => Number(psql(`SELECT count(*) FROM bench."${table}"`));
  for (let c = 1, have = count(); have < target; c += 50, have = count()) {
    // 50 copies of the seeded documents at a time, each with its own _id (the original's + "-<copy>")
    psql(`INSERT INTO bench."${table}" (_jsonb) SELECT jsonb_set(_jsonb, '{_id}', to_jsonb((_jsonb->>'_id') || '-' || g)) FROM bench."${table}" s, generate_series(${c}, ${c + 49}) g WHERE (s._jsonb->>'_id') NOT LIKE '%-%-%-%-%-%' LIMIT ${target - have}`);
  }
  // what autovacuum would have done to a table grown over months
  psql(`VACUUM ANALYZE bench."${table}"`);
  // the lookup FerretDB sends for {_id: ...} (SELECT ... WHERE _jsonb->$1 @> $2), planned with the field name as it is with custom plans
  const sample = psql(`SELECT _jsonb->>'_id' FROM bench."${table}" LIMIT 1`);
  const plan = psql(`EXPLAIN SELECT _jsonb FROM bench."${table}" WHERE _jsonb->'_id' @> '${JSON.stringify(sample)}'`);
  process.stdout.write(`  (postgresql plan of an _id lookup: ${plan.split('\n').map((l) => l.trim()).filter((l) => /Scan/.test(l)).join(' / ')})\n`);
  return count();
}

async function main(): Promise<void> {
  process.stdout.write(`db-scale: ${UPDATES} _id updates of random call records per line (the call record writer's query)\n`);
  await run('postgresql', RECORDS);
  if (SQLITE_RECORDS > 0) await run('sqlite', SQLITE_RECORDS);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
