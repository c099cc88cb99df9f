/**
 * Contact-center figures, defined once for the live board, the interval reports and the web app.
 * Pure functions over additive counters: counters of two intervals (or two instances) add up field by
 * field, and every figure is computed from the sums, never averaged from averages.
 *
 * Definitions (the way Genesys Cloud and Amazon Connect state theirs):
 * - offered: calls that entered a queue (inbound) in the interval.
 * - answered: offered calls an agent connected to; abandoned: offered calls the caller ended while waiting.
 * - short abandon: an abandon whose wait was under the queue's short-abandon threshold (default 5 s);
 *   counted in `abandoned` but left out of service level and the abandon rate.
 * - service level (SL %) = answered within the SL threshold ÷ (answered + abandoned − short abandons).
 *   A target such as 80/20 means 80 % answered within 20 s.
 * - ASA (average speed of answer) = total wait of answered calls ÷ answered.
 * - AHT (average handle time) = (talk + hold + after-call work) ÷ handled calls.
 * - abandon rate = (abandoned − short abandons) ÷ (offered − short abandons).
 * - occupancy = handling time (talk + hold + after-call work) ÷ (handling time + ready idle time) of agents.
 */

export interface ContactCounters {
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  /** answered within the queue's SL threshold */
  answeredInSl: number;
  /** sum of the wait of answered calls */
  answeredWaitMs: number;
  /** calls with talk time counted (answered inbound + connected outbound) */
  handled: number;
  talkMs: number;
  holdMs: number;
  acwMs: number;
  /** agents' ready-and-idle time in the interval (for occupancy) */
  idleMs: number;
}

export interface SlTarget {
  /** share to reach, 0..1 (0.8 for 80/20) */
  target: number;
  /** answer threshold in seconds (20 for 80/20) */
  thresholdSec: number;
  /** abandons under this many seconds are short abandons */
  shortAbandonSec: number;
}

export const DEFAULT_SL: SlTarget = { target: 0.8, thresholdSec: 20, shortAbandonSec: 5 };

export function emptyCounters(): ContactCounters {
  return { offered: 0, answered: 0, abandoned: 0, shortAbandoned: 0, answeredInSl: 0, answeredWaitMs: 0, handled: 0, talkMs: 0, holdMs: 0, acwMs: 0, idleMs: 0 };
}

export const COUNTER_FIELDS = Object.keys(emptyCounters()) as (keyof ContactCounters)[];

export function addCounters(a: ContactCounters, b: Partial<ContactCounters>): ContactCounters {
  const out = { ...a };
  for (const f of COUNTER_FIELDS) out[f] += b[f] ?? 0;
  return out;
}

/** What one finished queued call adds to the counters. */
export type QueuedCallOutcome =
  | { kind: 'answered'; waitMs: number; talkMs: number; holdMs: number; acwMs: number }
  | { kind: 'abandoned'; waitMs: number };

export function countQueuedCall(outcome: QueuedCallOutcome, sl: SlTarget = DEFAULT_SL): Partial<ContactCounters> {
  if (outcome.kind === 'abandoned') {
    return { offered: 1, abandoned: 1, shortAbandoned: outcome.waitMs < sl.shortAbandonSec * 1000 ? 1 : 0 };
  }
  return {
    offered: 1,
    answered: 1,
    answeredInSl: outcome.waitMs <= sl.thresholdSec * 1000 ? 1 : 0,
    answeredWaitMs: outcome.waitMs,
    handled: 1,
    talkMs: outcome.talkMs,
    holdMs: outcome.holdMs,
    acwMs: outcome.acwMs,
  };
}

function ratio(num: number, den: number): number | null {
  return den > 0 ? num / den : null;
}

/** SL as a share 0..1, or null when no call counts yet. */
export function serviceLevel(c: ContactCounters): number | null {
  return ratio(c.answeredInSl, c.answered + c.abandoned - c.shortAbandoned);
}

export function averageSpeedOfAnswerMs(c: ContactCounters): number | null {
  return ratio(c.answeredWaitMs, c.answered);
}

export function averageHandleTimeMs(c: ContactCounters): number | null {
  return ratio(c.talkMs + c.holdMs + c.acwMs, c.handled);
}

export function abandonRate(c: ContactCounters): number | null {
  return ratio(c.abandoned - c.shortAbandoned, c.offered - c.shortAbandoned);
}

export function occupancy(c: ContactCounters): number | null {
  const busy = c.talkMs + c.holdMs + c.acwMs;
  return ratio(busy, busy + c.idleMs);
}

export interface ContactFigures {
  offered: number;
  answered: number;
  abandoned: number;
  serviceLevel: number | null;
  asaMs: number | null;
  ahtMs: number | null;
  abandonRate: number | null;
  occupancy: number | null;
}

export function figures(c: ContactCounters): ContactFigures {
  return {
    offered: c.offered,
    answered: c.answered,
    abandoned: c.abandoned,
    serviceLevel: serviceLevel(c),
    asaMs: averageSpeedOfAnswerMs(c),
    ahtMs: averageHandleTimeMs(c),
    abandonRate: abandonRate(c),
    occupancy: occupancy(c),
  };
}
