import { isHoliday, isOpen, localTime, type StoreCalendar, withinTimeOfDay } from '../org/business-hours';
import type { Condition } from './flow-schema';

/** What the IVR knows about the caller when it branches (from the CRM lookup). */
export interface CallerFacts {
  knownCustomer: boolean;
  grade: string | undefined;
  owningStore: string | undefined;
  owningUser: string | undefined;
}

/** Pure: decides a branch condition from the caller's facts, the flow's variables and the time. */
export function evaluate(c: Condition, facts: CallerFacts, vars: Readonly<Record<string, string>>, now: number, stores: (storeId: string) => StoreCalendar | undefined): boolean {
  if ('knownCustomer' in c) return facts.knownCustomer === c.knownCustomer;
  if ('grade' in c) return facts.grade !== undefined && c.grade.includes(facts.grade);
  if ('owningStore' in c) return facts.owningStore !== undefined && c.owningStore.includes(facts.owningStore);
  if ('storeOpen' in c) {
    const cal = stores(c.storeOpen);
    return cal !== undefined && isOpen(cal, now);
  }
  if ('holiday' in c) {
    const cal = stores(c.holiday);
    return cal !== undefined && isHoliday(cal, now);
  }
  if ('timeOfDay' in c) return withinTimeOfDay(localTime(now, c.timeOfDay.timeZone), c.timeOfDay.from, c.timeOfDay.to, c.timeOfDay.days);
  if ('var' in c) {
    const v = vars[c.var];
    if (v === undefined) return false;
    if (c.equals !== undefined) return v === c.equals;
    if (c.in !== undefined) return c.in.includes(v);
    return c.matches !== undefined && new RegExp(c.matches).test(v);
  }
  if ('all' in c) return c.all.every((x) => evaluate(x, facts, vars, now, stores));
  if ('any' in c) return c.any.some((x) => evaluate(x, facts, vars, now, stores));
  return !evaluate(c.not, facts, vars, now, stores);
}
