import { Schema, type Connection, type Model } from 'mongoose';
import { REPORT_COUNTER_FIELDS, type ReportCounters } from './call-counts';
import { bucketOf, daysBetween, localMinute, REPORT_TIME_ZONE, type Dimension, type StoredGrain } from './interval-keys';

/**
 * Interval rows in MongoDB: one document per key and interval, with additive counters every
 * finished call $inc's (upserted by _id "<start>|<key>": a primary-key write). FerretDB (the
 * embedded store) scans a collection for any query but a primary-key one, so the rows are
 * partitioned into small collections a report reads whole: day rows by dimension and month
 * (report_day_agent_2026_11: 200 agents × 30 days = 6,000 rows), 15-minute rows by dimension and day
 * (report_15m_queue_2026_11_05). A report's time then depends on its period, never on the history kept.
 */

export interface IntervalRow extends Partial<ReportCounters> {
  _id: string;
  start: string;
  key: string;
}

const rowSchema = new Schema(
  { _id: { type: String, required: true }, start: String, key: String, ...Object.fromEntries(REPORT_COUNTER_FIELDS.map((f) => [f, Number])) },
  { versionKey: false },
);
/** Parts counted once per call ("<callId>:call"): a retry or a second instance never counts twice. */
const markSchema = new Schema({ _id: { type: String, required: true }, at: Date }, { versionKey: false });

/** The collection of a grain, dimension and interval start: by month for day rows, by day for 15-minute rows. */
export function partitionOf(grain: StoredGrain, dim: Dimension, start: string): string {
  return grain === 'day' ? `report_day_${dim}_${start.slice(0, 7).replace('-', '_')}` : `report_15m_${dim}_${start.slice(0, 10).replace(/-/g, '_')}`;
}

export interface IntervalOp {
  collection: string;
  op: { updateOne: { filter: { _id: string }; update: { $inc: Record<string, number>; $setOnInsert: { start: string; key: string } }; upsert: true } };
}

export class IntervalStore {
  readonly Mark: Model<{ _id: string; at: Date }>;

  constructor(
    private readonly conn: Connection,
    readonly timeZone = REPORT_TIME_ZONE,
  ) {
    this.Mark = (conn.models.ReportMark ?? conn.model('ReportMark', markSchema, 'report_marks')) as Model<{ _id: string; at: Date }>;
  }

  model(collection: string): Model<IntervalRow> {
    return (this.conn.models[collection] ?? this.conn.model(collection, rowSchema, collection)) as Model<IntervalRow>;
  }

  /** True the first time a part of a call is counted; false when it was counted already. */
  async firstTime(mark: string, at: number): Promise<boolean> {
    try {
      await this.Mark.create({ _id: mark, at: new Date(at) });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return false;
      throw err;
    }
  }

  /** The upserts that add `inc` at `at` to the 15-minute and day rows of each dimension's key. */
  ops(at: number, rows: readonly { dim: Dimension; key: string }[], inc: Partial<ReportCounters>): IntervalOp[] {
    const minute = localMinute(at, this.timeZone);
    const $inc = Object.fromEntries(Object.entries(inc).filter(([, v]) => typeof v === 'number' && v !== 0)) as Record<string, number>;
    if (Object.keys($inc).length === 0) return [];
    const out: IntervalOp[] = [];
    for (const r of rows) {
      for (const grain of ['15m', 'day'] as const) {
        const start = bucketOf(minute, grain);
        out.push({ collection: partitionOf(grain, r.dim, start), op: { updateOne: { filter: { _id: `${start}|${r.key}` }, update: { $inc, $setOnInsert: { start, key: r.key } }, upsert: true } } });
      }
    }
    return out;
  }

  async add(at: number, rows: readonly { dim: Dimension; key: string }[], inc: Partial<ReportCounters>): Promise<void> {
    for (const o of this.ops(at, rows, inc)) await this.model(o.collection).bulkWrite([o.op]);
  }

  /** Rows of one grain and dimension for the days from..to (inclusive, "YYYY-MM-DD"), optionally of some keys. */
  async read(grain: StoredGrain, dim: Dimension, from: string, to: string, keys?: readonly string[]): Promise<IntervalRow[]> {
    const days = daysBetween(from, to);
    const collections = [...new Set(days.map((d) => partitionOf(grain, dim, d)))];
    const wanted = keys && keys.length > 0 ? new Set(keys) : undefined;
    const end = `${to}~`; // after every start of the last day
    const out: IntervalRow[] = [];
    for (const c of collections) {
      for (const r of await this.model(c).find().lean<IntervalRow[]>()) {
        if (r.start >= from && r.start <= end && (!wanted || wanted.has(r.key))) out.push(r);
      }
    }
    return out;
  }
}
