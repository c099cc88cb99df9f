/** Pacing: how many new calls a campaign places now. Pure functions of a snapshot. */

export interface PacingSnapshot {
  now: number;
  /** Agents logged in to the campaign (any state). */
  loggedIn: number;
  /** Agents ready and not yet holding a call. */
  ready: number;
  /**
   * For each agent on a call or in wrap-up: the probability they are free within the horizon
   * (about the time a new call takes to be answered).
   */
  soonFree: number[];
  /** Calls in progress not yet with an agent: ringing, or answered by a person and waiting. */
  inFlight: number;
  /**
   * Time-resolved view for the predictive pacer (optional: simpler pacers ignore it):
   * how long each ringing call has rung, how many answered calls wait for an agent now, each busy
   * agent's talk time so far or wrap-up left, and the fitted distributions.
   */
  detail?: PacingDetail;
  /** Share of placed calls answered by a person (live estimate). */
  liveAnswerRate: number;
  /** Agents talking now (VICIdial's INCALL). */
  talking: number;
  /** The campaign's ledger over the rolling 30 days: calls answered by a person, abandoned, their rate; the legal limit (e.g. 0.03). */
  answered30d: number;
  abandoned30d: number;
  abandonRate30d: number;
  abandonLimit: number;
}

export interface PacingDetail {
  ringingElapsedMs: number[];
  waitingLive: number;
  busy: { talkingForMs?: number; wrapLeftMs?: number }[];
  /** P(a person who answers does so within t seconds of the dial), t = 0…60 s. */
  answerDelayCdf: number[];
  /** P(a talk that has lasted a ms ends within the next b ms). */
  talkEndsWithin: (elapsedMs: number, withinMs: number) => number;
  /** How long an answered person may wait for an agent (the 2 s rule). */
  safeHarborMs: number;
}

export interface Pacer {
  readonly name: string;
  /** How many calls to place now (≥ 0). */
  decide(s: PacingSnapshot): number;
}

/** Preview: agents dial themselves from the lead card; the dialer never places calls. */
export const previewPacer: Pacer = { name: 'preview', decide: () => 0 };

/** Progressive: one call per ready agent who has none ringing for them; never abandons by design. */
export const progressivePacer: Pacer = {
  name: 'progressive',
  decide: (s) => Math.max(0, s.ready - s.inFlight),
};

/**
 * Preview: the agent reads the lead card, then dials. Modelled as a pacer that holds each free
 * agent for `reviewMs` before releasing one call for them (stateful: it remembers reviews begun).
 */
export function previewWithReview(reviewMs: number): Pacer {
  const reviews: number[] = [];
  return {
    name: 'preview',
    decide(s: PacingSnapshot): number {
      const idle = Math.max(0, s.ready - s.inFlight);
      while (reviews.length < idle) reviews.push(s.now);
      while (reviews.length > idle) reviews.pop();
      let n = 0;
      while (reviews.length > 0 && s.now - (reviews[0] as number) >= reviewMs) {
        reviews.shift();
        n++;
      }
      return n;
    },
  };
}
