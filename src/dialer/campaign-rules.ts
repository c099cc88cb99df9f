import { localTime, minutesOf } from '../org/business-hours';
import type { DialOutcome } from './ports';

/**
 * A campaign's dialling rules, pure: when a lead may be called (its own local time), when it is
 * tried again after each outcome, and in which order leads come up. Times are epoch ms.
 */

export interface CallWindow {
  /** ISO weekdays (1 = Monday … 7 = Sunday) on which calls may be placed. */
  days: number[];
  /** Local wall-clock start and end, e.g. "09:00" and "20:00". */
  from: string;
  to: string;
  /** Local dates (YYYY-MM-DD) with no calls. */
  holidays: string[];
}

export interface RetryRules {
  /** Wait after each outcome before the next attempt (machines: to the next day's window). */
  busyMs: number;
  noAnswerMs: number;
  failedMs: number;
  machine: 'next_day';
  maxAttempts: number;
}

/** A person answered and nobody took them: the law says not again within 72 hours. */
export const ABANDON_QUIET_MS = 72 * 3600_000;
const DAY = 86_400_000;

/** Follow-up cadence by funnel grade after a conversation with no date set by the agent. */
export const GRADE_CADENCE_MS: Record<string, number> = { A: DAY, B: 7 * DAY, C: 30 * DAY };

export function withinWindow(w: CallWindow, timeZone: string, at: number): boolean {
  const t = localTime(at, timeZone);
  return w.days.includes(t.weekday) && !w.holidays.includes(t.date) && t.minutes >= minutesOf(w.from) && t.minutes < minutesOf(w.to);
}

/** The first moment at or after `at` inside the window, searched minute by minute over two weeks (undefined: never). */
export function nextWindowStart(w: CallWindow, timeZone: string, at: number): number | undefined {
  if (withinWindow(w, timeZone, at)) return at;
  // Jump to the next minute boundary, then step: to the window's opening when today is still ahead, else a day.
  let t = Math.ceil(at / 60_000) * 60_000;
  for (let i = 0; i < 14 * 24 * 60 && i < 4000; i++) {
    if (withinWindow(w, timeZone, t)) return t;
    const local = localTime(t, timeZone);
    const open = minutesOf(w.from);
    const step = local.minutes < open ? open - local.minutes : 24 * 60 - local.minutes + open;
    t += Math.max(1, step) * 60_000;
  }
  return undefined;
}

export interface LeadState {
  grade: string | undefined;
  attempts: number;
  timeZone: string;
  /** Set by the agent's disposition; overrides the grade cadence. */
  nextFollowUpAt?: number | undefined;
}

export type NextStep = { kind: 'retry'; at: number } | { kind: 'follow_up'; at: number } | { kind: 'done'; reason: 'max_attempts' | 'no_window' };

/** After an attempt: when the lead comes up again, and why. */
export function afterAttempt(lead: LeadState, outcome: DialOutcome, now: number, rules: RetryRules, window: CallWindow): NextStep {
  const attempts = lead.attempts + 1;
  if (outcome === 'connected') {
    const at = lead.nextFollowUpAt ?? now + (GRADE_CADENCE_MS[lead.grade ?? 'C'] ?? GRADE_CADENCE_MS.C ?? 30 * DAY);
    const start = nextWindowStart(window, lead.timeZone, at);
    return start === undefined ? { kind: 'done', reason: 'no_window' } : { kind: 'follow_up', at: start };
  }
  if (attempts >= rules.maxAttempts) return { kind: 'done', reason: 'max_attempts' };
  let earliest: number;
  switch (outcome) {
    case 'abandoned':
      earliest = now + ABANDON_QUIET_MS;
      break;
    case 'busy':
      earliest = now + rules.busyMs;
      break;
    case 'no_answer':
      earliest = now + rules.noAnswerMs;
      break;
    case 'machine': {
      // The next local day, at the window's opening.
      const t = localTime(now, lead.timeZone);
      earliest = now + (24 * 60 - t.minutes) * 60_000;
      break;
    }
    default:
      earliest = now + rules.failedMs;
  }
  const start = nextWindowStart(window, lead.timeZone, earliest);
  return start === undefined ? { kind: 'done', reason: 'no_window' } : { kind: 'retry', at: start };
}

/** Dialling order among leads due now: grade A first, then B, C, the rest (within a grade, the longest overdue). */
export function gradeRank(grade: string | undefined): 0 | 1 | 2 | 3 {
  return grade === 'A' ? 0 : grade === 'B' ? 1 : grade === 'C' ? 2 : 3;
}
