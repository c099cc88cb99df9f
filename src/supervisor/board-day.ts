/** The calendar day (YYYY-MM-DD) of an instant in a time zone: today's board counters are keyed by it. */
export function dayOf(at: number, timeZone: string): string {
  return formatter(timeZone).format(new Date(at));
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // en-CA formats dates as YYYY-MM-DD
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}
