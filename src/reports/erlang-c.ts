/**
 * Erlang C staffing, pure: the probability that a call waits with N agents, the service level that
 * gives, and the fewest agents that reach a target service level, then grossed up for shrinkage.
 * Traffic intensity A = calls × AHT ÷ interval length (Erlangs).
 *   P(wait) = (A^N/N! · N/(N−A)) ÷ (Σ_{k<N} A^k/k! + A^N/N! · N/(N−A))
 *   SL(t)   = 1 − P(wait) · e^(−(N−A)·t/AHT)
 *   ASA     = P(wait) · AHT ÷ (N − A)
 */

export interface StaffingInput {
  /** Calls forecast in the interval. */
  calls: number;
  /** Interval length in seconds (900 for 15 minutes). */
  intervalSec: number;
  /** Average handle time in seconds. */
  ahtSec: number;
  /** Target share answered within the threshold, 0..1 (0.8). */
  targetSl: number;
  /** Threshold in seconds (20). */
  thresholdSec: number;
  /** Share of paid time agents are not available (breaks, training, absence), 0..<1. */
  shrinkage: number;
}

export interface StaffingResult {
  /** Traffic intensity in Erlangs. */
  erlangs: number;
  /** Agents on the phones needed for the target. */
  agents: number;
  /** Agents to schedule, with shrinkage: ceil(agents ÷ (1 − shrinkage)). */
  scheduled: number;
  serviceLevel: number;
  asaSec: number;
  occupancy: number;
  probabilityWait: number;
}

/** Erlang C probability of waiting with `n` agents and `a` Erlangs (1 when n ≤ a: the queue grows). */
export function erlangC(n: number, a: number): number {
  if (a <= 0) return 0;
  if (n <= a) return 1;
  // Erlang B by its stable recursion, then C from B
  let b = 1;
  for (let k = 1; k <= n; k++) b = (a * b) / (k + a * b);
  return b / (1 - (a / n) * (1 - b));
}

export function serviceLevelFor(n: number, a: number, ahtSec: number, thresholdSec: number): number {
  if (a <= 0) return 1;
  if (n <= a) return 0;
  return 1 - erlangC(n, a) * Math.exp((-(n - a) * thresholdSec) / ahtSec);
}

export function staffing(i: StaffingInput): StaffingResult {
  if (i.intervalSec <= 0 || i.ahtSec <= 0) throw new RangeError('interval and AHT must be positive');
  if (i.shrinkage < 0 || i.shrinkage >= 1) throw new RangeError('shrinkage is a share from 0 to below 1');
  const a = (i.calls * i.ahtSec) / i.intervalSec;
  if (a === 0) return { erlangs: 0, agents: 0, scheduled: 0, serviceLevel: 1, asaSec: 0, occupancy: 0, probabilityWait: 0 };
  let n = Math.max(1, Math.floor(a) + 1);
  while (serviceLevelFor(n, a, i.ahtSec, i.thresholdSec) < i.targetSl && n < 100_000) n++;
  const pw = erlangC(n, a);
  return {
    erlangs: a,
    agents: n,
    scheduled: Math.ceil(n / (1 - i.shrinkage) - 1e-9),
    serviceLevel: serviceLevelFor(n, a, i.ahtSec, i.thresholdSec),
    asaSec: (pw * i.ahtSec) / (n - a),
    occupancy: a / n,
    probabilityWait: pw,
  };
}
