import type { Pacer, PacingSnapshot } from './pacer';

/**
 * Our predictive pacer. Within the horizon (about the time a call takes to be answered), free
 * agents F = ready + Σ Bernoulli(soonFree_i), the talk-time hazard of each busy agent giving
 * soonFree_i; live answers A ~ Binomial(calls ringing + n, p). For each candidate n it computes
 * the expected abandons E[max(0, A − F)] exactly (small convolutions) and places the largest n
 * whose expected abandon share stays under a target: the aimed share of the legal limit,
 * corrected by the 30-day ledger's slack or excess spread over the next answers. A campaign
 * with abandons to spare dials ahead; one at its limit falls back to progressive (which cannot
 * abandon while agents stay ready). Pure and deterministic.
 */
export interface PredictiveOptions {
  /** Never more than this many calls in progress per logged-in agent. */
  maxLinesPerAgent: number;
  /** Share of the legal limit aimed at (margin for chance). */
  aim: number;
  /** Over how many future answers a slack or an excess in the ledger is evened out. */
  spreadAnswers: number;
  /** Share of the limit at which only progressive calls are placed. */
  guard: number;
}

const DEFAULTS: PredictiveOptions = { maxLinesPerAgent: 4, aim: 0.7, spreadAnswers: 500, guard: 0.88 };
function binomial(n: number, p: number): number[] {
  let dist = [1];
  for (let i = 0; i < n; i++) dist = addBernoulli(dist, p);
  return dist;
}

/** Distribution of free agents: `ready` for sure, plus each busy agent with its own probability. */
export function freeAgentsDistribution(ready: number, soonFree: readonly number[]): number[] {
  let dist = [1];
  for (const q of soonFree) dist = addBernoulli(dist, q);
  return [...new Array<number>(ready).fill(0), ...dist];
}

/** Expected abandons and expected answers if `calls` calls are live with answer rate p. */
export function expectedOutcome(calls: number, p: number, free: readonly number[]): { abandons: number; answers: number } {
  const answers = binomial(calls, p);
  let abandons = 0;
  for (let a = 0; a < answers.length; a++) {
    const pa = answers[a] as number;
    if (pa === 0) continue;
    for (let f = 0; f < free.length && f < a; f++) abandons += pa * (free[f] as number) * (a - f);
  }
  return { abandons, answers: calls * p };
}

/**
 * The abandon share the calls in progress may carry: the aimed rate, corrected by the ledger's
 * slack (or excess) spread over the next `spread` answers, within [0, 2 × limit].
 */
export function abandonTarget(answered: number, abandoned: number, limit: number, aim: number, spread: number): number {
  const t = (aim * limit * (answered + spread) - abandoned) / spread;
  // A young ledger is all noise: a handful of abandons among its first answers is already over
  // the limit and would hold the campaign back for hours. Until it has `spread` answers the
  // campaign paces progressively (no abandons possible), then predictively.
  if (answered < spread) return 0;
  // Slack is not spent faster than the aimed rate: a young ledger's slack is mostly luck.
  return Math.min(aim * limit, Math.max(0, t));
}

/** Adds one Bernoulli(q) to a count distribution (in place growth, trimmed of negligible tails). */
function addBernoulli(dist: number[], q: number): number[] {
  const next = new Array<number>(dist.length + 1).fill(0);
  for (let k = 0; k < dist.length; k++) {
    const v = dist[k] as number;
    next[k] = (next[k] as number) + v * (1 - q);
    next[k + 1] = (next[k + 1] as number) + v * q;
  }
  while (next.length > 1 && (next[next.length - 1] as number) < 1e-12) next.pop();
  return next;
}

function expectedExcess(answers: readonly number[], free: readonly number[]): number {
  let e = 0;
  for (let a = 1; a < answers.length; a++) {
    const pa = answers[a] as number;
    if (pa < 1e-12) continue;
    for (let f = 0; f < free.length && f < a; f++) e += pa * (free[f] as number) * (a - f);
  }
  return e;
}

/** Expected abandons are weighed this much against the ledger's remaining room (bursts, not averages, cross the line). */
const TAIL_FACTOR = 3;

const HORIZONS_S = [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24];

/**
 * Time-resolved check: for each horizon H, persons answering within H (ringing calls by their
 * conditional chance given how long they have rung, new calls by the answer-delay distribution,
 * and those already waiting) against agents free within H + the safe-harbor time (ready now, or
 * wrap-up ending, or talk + wrap-up ending). With agents taken in order, no abandon happens
 * exactly when answers never outrun frees at any H, so the expected abandons are taken as the
 * largest expected excess over the horizons.
 */
function timeResolved(s: PacingSnapshot, p: number, target: number, from: number, cap: number, guardAbandons: number): number {
  const d = s.detail as NonNullable<PacingSnapshot['detail']>;
  const cdf = d.answerDelayCdf;
  const F = (ms: number) => cdf[Math.min(cdf.length - 1, Math.max(0, Math.floor(ms / 1000)))] as number;
  const perH = HORIZONS_S.map((h) => {
    const H = h * 1000;
    let answers = [1];
    for (let i = 0; i < d.waitingLive; i++) answers = addBernoulli(answers, 1);
    for (const e of d.ringingElapsedMs) {
      const done = p * F(e);
      answers = addBernoulli(answers, done >= 1 ? 0 : (p * (F(e + H) - F(e))) / (1 - done));
    }
    let free = [1];
    for (let i = 0; i < s.ready; i++) free = addBernoulli(free, 1);
    const within = H + d.safeHarborMs;
    for (const b of d.busy) free = addBernoulli(free, b.wrapLeftMs !== undefined ? (b.wrapLeftMs <= within ? 1 : 0) : d.talkEndsWithin(b.talkingForMs ?? 0, within));
    return { answers, free, qNew: p * F(H) };
  });
  let best = from;
  const dists = perH.map((x) => x.answers);
  // Calls already placed may still abandon: if they could take the ledger over the guard line, only
  // progressive. Abandons come in bursts, so the expectation is weighed by TAIL_FACTOR.
  const committed = Math.max(...perH.map((h) => expectedExcess(h.answers, h.free)));
  if (TAIL_FACTOR * committed > guardAbandons) return from;
  for (let n = 1; n <= cap; n++) {
    let worst = 0;
    let expected = 0;
    for (let i = 0; i < perH.length; i++) {
      const h = perH[i] as (typeof perH)[number];
      dists[i] = addBernoulli(dists[i] as number[], h.qNew);
      worst = Math.max(worst, expectedExcess(dists[i] as number[], h.free));
      if (i === perH.length - 1) expected = (dists[i] as number[]).reduce((acc, v, k) => acc + v * k, 0);
    }
    if (n > from && ((expected > 0 && worst / expected > target) || TAIL_FACTOR * worst > guardAbandons)) break;
    if (n > from) best = n;
  }
  return best;
}

export function predictivePacer(options: Partial<PredictiveOptions> = {}): Pacer {
  const o = { ...DEFAULTS, ...options };
  return {
    name: 'predictive',
    decide(s: PacingSnapshot): number {
      if (s.loggedIn === 0) return 0;
      const p = Math.min(0.95, Math.max(0.01, s.liveAnswerRate));
      const free = freeAgentsDistribution(s.ready, s.soonFree);
      const cap = Math.max(0, Math.floor(o.maxLinesPerAgent * s.loggedIn) - s.inFlight);
      // Progressive is always allowed: a ready agent with no call ringing for them gets one.
      let best = Math.min(cap, Math.max(0, s.ready - s.inFlight));
      const target = abandonTarget(s.answered30d, s.abandoned30d, s.abandonLimit, o.aim, o.spreadAnswers);
      // Hard guard: abandons the ledger can still take before the guard line (one more would cross it: only progressive calls).
      const guardAbandons = o.guard * s.abandonLimit * (s.answered30d + 1) - s.abandoned30d - 1;
      if (guardAbandons < 0) return best;
      if (s.detail) return timeResolved(s, p, target, best, cap, guardAbandons);
      for (let n = best + 1; n <= cap; n++) {
        const e = expectedOutcome(s.inFlight + n, p, free);
        if (e.answers > 0 && e.abandons / e.answers > target) break;
        best = n;
      }
      return best;
    },
  };
}
