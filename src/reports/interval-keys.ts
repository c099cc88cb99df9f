/**
 * Report intervals, pure: which 15-minute interval and which day a moment falls in (in the report's
 * time zone: a dealer's day is a local day), how stored rows are named, and how 15-minute rows roll
 * up to 30 and 60 minutes and day rows to weeks at read time.
 */

export const DIMENSIONS = ['queue', 'agent', 'store', 'campaign'] as const;
export type Dimension = (typeof DIMENSIONS)[number];
/** What is stored: 15-minute rows and day rows, both counted as calls end. */
export type StoredGrain = '15m' | 'day';
/** What a report may ask for. */
export const GRAINS = ['15m', '30m', '60m', 'day', 'week'] as const;
export type Grain = (typeof GRAINS)[number];

export const REPORT_TIME_ZONE = 'Asia/Shanghai';

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(tz, f);
  }
  return f;
}

/** Local wall time "YYYY-MM-DDTHH:mm" of a moment in the zone. */
export function localMinute(at: number, tz = REPORT_TIME_ZONE): string {
  const p: Record<string, string> = {};
  for (const part of formatter(tz).formatToParts(at)) p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** The start of the interval a local minute falls in: "YYYY-MM-DDTHH:mm" (15m, 30m, 60m) or "YYYY-MM-DD" (day, week: the Monday). */
export function bucketOf(minute: string, grain: Grain): string {
  const day = minute.slice(0, 10);
  if (grain === 'day') return day;
  if (grain === 'week') return mondayOf(day);
  const step = grain === '15m' ? 15 : grain === '30m' ? 30 : 60;
  const hh = minute.slice(11, 13);
  const mm = Number(minute.slice(14, 16));
  return `${day}T${hh}:${String(Math.floor(mm / step) * step).padStart(2, '0')}`;
}

export function mondayOf(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  const dow = (d.getUTCDay() + 6) % 7; // Monday 0
  return new Date(d.getTime() - dow * 86_400_000).toISOString().slice(0, 10);
}

/** Stored row id: grain, dimension, interval start, key — ordered so a period of one dimension is one _id range. */
export function rowId(grain: StoredGrain, dim: Dimension, start: string, key: string): string {
  return `${grain}|${dim}|${start}|${key}`;
}

/** The stored grain a report reads: 15-minute rows for intervals within a day, day rows for days and weeks. */
export function storedGrainFor(grain: Grain): StoredGrain {
  return grain === 'day' || grain === 'week' ? 'day' : '15m';
}

/** Days from..to (inclusive), "YYYY-MM-DD". */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** The day after a "YYYY-MM-DD". */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
