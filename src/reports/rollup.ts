import { figures, type ContactFigures } from '../shared/contact-metrics';
import { emptyReportCounters, REPORT_COUNTER_FIELDS, type ReportCounters } from './call-counts';
import { bucketOf, type Grain } from './interval-keys';
import type { IntervalRow } from './interval-store';

/** Stored rows rolled up at read time (15 → 30/60 minutes, day → week), figures computed from the sums by contact-metrics. */

export interface ReportRow extends ContactFigures {
  /** Interval start: "YYYY-MM-DDTHH:mm" (15m, 30m, 60m) or "YYYY-MM-DD" (day; week: its Monday); "total" for the period. */
  interval: string;
  key: string;
  counters: ReportCounters;
}

export function sumRows(rows: readonly Partial<ReportCounters>[]): ReportCounters {
  const out = emptyReportCounters();
  for (const r of rows) for (const f of REPORT_COUNTER_FIELDS) out[f] += r[f] ?? 0;
  return out;
}

function row(interval: string, key: string, counters: ReportCounters): ReportRow {
  return { interval, key, ...figures(counters), counters };
}

/** One row per interval of the grain and key, in time order then key order. */
export function rollUp(rows: readonly IntervalRow[], grain: Grain): ReportRow[] {
  const groups = new Map<string, { interval: string; key: string; rows: IntervalRow[] }>();
  for (const r of rows) {
    const interval = grain === '15m' || grain === 'day' ? r.start : bucketOf(r.start.length === 10 ? `${r.start}T00:00` : r.start, grain);
    const id = `${interval}|${r.key}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { interval, key: r.key, rows: [] }));
    g.rows.push(r);
  }
  return [...groups.values()].sort((a, b) => (a.interval === b.interval ? a.key.localeCompare(b.key) : a.interval.localeCompare(b.interval))).map((g) => row(g.interval, g.key, sumRows(g.rows)));
}

/** One row per key over the whole period. */
export function totalsByKey(rows: readonly IntervalRow[]): ReportRow[] {
  const byKey = new Map<string, IntervalRow[]>();
  for (const r of rows) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
  return [...byKey.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, rs]) => row('total', key, sumRows(rs)));
}
