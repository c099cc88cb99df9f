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

/** The zone's UTC offset (ms) during the hour containing `at`, cached per zone and hour (Intl is slow). */
const offsets = new Map<string, number>();
function offsetAt(at: number, tz: string): number {
  const hour = Math.floor(at / 3_600_000);
  const key = `${tz}|${hour}`;
  let off = offsets.get(key);
  if (off === undefined) {
    const p: Record<string, string> = {};
    const t = hour * 3_600_000;
    for (const part of formatter(tz).formatToParts(t)) p[part.type] = part.value;
    off = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute)) - t;
    if (offsets.size > 100_000) offsets.clear();
    offsets.set(key, off);
  }
  return off;
}

/** Local wall time "YYYY-MM-DDTHH:mm" of a moment in the zone. */
export function localMinute(at: number, tz = REPORT_TIME_ZONE): string {
  return new Date(at + offsetAt(at, tz)).toISOString().slice(0, 16);
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

/** Stored document id: one document per grain, dimension and interval start, holding every key's counters. */
export function docId(grain: StoredGrain, dim: Dimension, start: string): string {
  return `${grain}|${dim}|${start}`;
}

/** The 15-minute interval starts of a day. */
export function quartersOf(day: string): string[] {
  return Array.from({ length: 96 }, (_, i) => `${day}T${String(Math.floor(i / 4)).padStart(2, '0')}:${String((i % 4) * 15).padStart(2, '0')}`);
}

/** A key as a field name (MongoDB field names may not contain "." or start with "$"). */
export function encodeKey(key: string): string {
  return key.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/^\$/, '%24');
}
export function decodeKey(field: string): string {
  return field.replace(/%2E/g, '.').replace(/%24/g, '$').replace(/%25/g, '%');
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
