/**
 * Store opening hours in the store's own time zone, with holidays. Pure: the caller passes the
 * instant, so tests run on a virtual clock and across time zones.
 */

/** 1 = Monday … 7 = Sunday (ISO), each with open intervals "HH:MM-HH:MM". */
export type WeeklyHours = Partial<Record<'1' | '2' | '3' | '4' | '5' | '6' | '7', string[]>>;

export interface StoreCalendar {
  timeZone: string;
  hours: WeeklyHours;
  /** Local dates (YYYY-MM-DD) the store is closed all day. */
  holidays: string[];
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

export interface LocalTime {
  /** YYYY-MM-DD */
  date: string;
  /** 1 = Monday … 7 = Sunday */
  weekday: number;
  /** minutes since local midnight */
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock date, weekday and time of an instant in a time zone. */
export function localTime(at: number, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(at))) parts[p.type] = p.value;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: WEEKDAYS[parts.weekday ?? ''] ?? 1,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** "09:30" → 570; "24:00" → 1440. */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/** Inside [from, to) on one of the days; an interval whose end is before its start runs past midnight. */
export function withinTimeOfDay(t: LocalTime, from: string, to: string, days?: number[]): boolean {
  const a = minutesOf(from);
  const b = minutesOf(to);
  if (a <= b) return (!days || days.includes(t.weekday)) && t.minutes >= a && t.minutes < b;
  // Overnight (e.g. 22:00-06:00): the evening belongs to today, the early hours to yesterday's interval.
  const yesterday = t.weekday === 1 ? 7 : t.weekday - 1;
  if (t.minutes >= a) return !days || days.includes(t.weekday);
  if (t.minutes < b) return !days || days.includes(yesterday);
  return false;
}

export function isHoliday(cal: StoreCalendar, at: number): boolean {
  return cal.holidays.includes(localTime(at, cal.timeZone).date);
}

export function isOpen(cal: StoreCalendar, at: number): boolean {
  const t = localTime(at, cal.timeZone);
  if (cal.holidays.includes(t.date)) return false;
  const intervals = cal.hours[String(t.weekday) as keyof WeeklyHours] ?? [];
  return intervals.some((iv) => {
    const [from, to] = iv.split('-');
    return from !== undefined && to !== undefined && t.minutes >= minutesOf(from) && t.minutes < minutesOf(to);
  });
}

export const INTERVAL_PATTERN = /^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$/;

/** True for an IANA time zone name this runtime knows (e.g. Asia/Shanghai). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
