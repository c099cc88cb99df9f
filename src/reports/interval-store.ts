import { Schema, type Connection, type Model } from 'mongoose';
import { REPORT_COUNTER_FIELDS, type ReportCounters } from './call-counts';
import { bucketOf, localMinute, REPORT_TIME_ZONE, rowId, type Dimension, type StoredGrain } from './interval-keys';

/**
 * Interval rows in MongoDB: one per stored grain (15 minutes, day), dimension, interval start and key,
 * with additive counters that every finished call $inc's (upserted by _id: a primary-key write, which
 * FerretDB serves without a scan). Reports read a period of one dimension as one _id range.
 */

export interface IntervalRow extends Partial<ReportCounters> {
  _id: string;
  grain: StoredGrain;
  dim: Dimension;
  start: string;
  key: string;
}

const counterFields = Object.fromEntries(REPORT_COUNTER_FIELDS.map((f) => [f, { type: Number, default: 0 }]));
const rowSchema = new Schema({ _id: { type: String, required: true }, grain: String, dim: String, start: String, key: String, ...counterFields }, { versionKey: false });
/** Parts counted once per call ("<callId>:call", "<callId>:acw"): a retry or a second instance never counts twice. */
const markSchema = new Schema({ _id: { type: String, required: true }, at: Date }, { versionKey: false });

export class IntervalStore {
  readonly Row: Model<IntervalRow>;
  readonly Mark: Model<{ _id: string; at: Date }>;

  constructor(conn: Connection, readonly timeZone = REPORT_TIME_ZONE) {
    this.Row = (conn.models.ReportInterval ?? conn.model('ReportInterval', rowSchema, 'report_intervals')) as Model<IntervalRow>;
    this.Mark = (conn.models.ReportMark ?? conn.model('ReportMark', markSchema, 'report_marks')) as Model<{ _id: string; at: Date }>;
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

  /** The upserts that add `inc` at `at` to the 15-minute and day rows of each dimension. */
  ops(at: number, rows: readonly { dim: Dimension; key: string }[], inc: Partial<ReportCounters>): { updateOne: { filter: { _id: string }; update: object; upsert: true } }[] {
    const minute = localMinute(at, this.timeZone);
    const $inc = Object.fromEntries(Object.entries(inc).filter(([, v]) => typeof v === 'number' && v !== 0));
    if (Object.keys($inc).length === 0) return [];
    const out = [];
    for (const r of rows) {
      for (const grain of ['15m', 'day'] as const) {
        const start = bucketOf(minute, grain === '15m' ? '15m' : 'day');
        out.push({ updateOne: { filter: { _id: rowId(grain, r.dim, start, r.key) }, update: { $inc, $setOnInsert: { grain, dim: r.dim, start, key: r.key } }, upsert: true as const } });
      }
    }
    return out;
  }

  async add(at: number, rows: readonly { dim: Dimension; key: string }[], inc: Partial<ReportCounters>): Promise<void> {
    const ops = this.ops(at, rows, inc);
    if (ops.length > 0) await this.Row.bulkWrite(ops, { ordered: false });
  }

  /** Rows of one grain and dimension whose interval starts in [from, to) ("YYYY-MM-DD…" strings), optionally of some keys. */
  async read(grain: StoredGrain, dim: Dimension, from: string, to: string, keys?: readonly string[]): Promise<IntervalRow[]> {
    const rows = await this.Row.find({ _id: { $gte: `${grain}|${dim}|${from}`, $lt: `${grain}|${dim}|${to}` } }).lean<IntervalRow[]>();
    if (!keys || keys.length === 0) return rows;
    const wanted = new Set(keys);
    return rows.filter((r) => wanted.has(r.key));
  }
}
