import type { Pacer, PacingSnapshot } from './pacer';

/**
 * Reference pacer after VICIdial's ADAPT_AVERAGE dial method, written from its public
 * documentation (not its code): a dial level (calls per available agent) that the dialer adjusts
 * every 15 seconds so the campaign's drop rate averages out at the target, raising it while
 * agents wait and the drop rate is under target, lowering it in proportion to the excess when
 * over, bounded between 1.0 and the maximum adapt dial level. Calls placed = level × agents
 * ready or in a call, minus calls already in progress.
 */
export interface AdaptAverageOptions {
  /** Target drop percentage as a share (e.g. 0.03). */
  target: number;
  maxLevel: number;
  /** Seconds between adjustments. */
  intervalMs: number;
  /** Size of one adjustment at full strength. */
  step: number;
}

export function adaptAveragePacer(o: AdaptAverageOptions = { target: 0.03, maxLevel: 4, intervalMs: 15_000, step: 0.2 }): Pacer & { level(): number } {
  let level = 1;
  let lastAdjust = -Infinity;
  return {
    name: 'adapt_average',
    level: () => level,
    decide(s: PacingSnapshot): number {
      if (s.loggedIn === 0) return 0;
      if (s.now - lastAdjust >= o.intervalMs) {
        lastAdjust = s.now;
        const waitingShare = s.ready / s.loggedIn;
        if (s.abandonRate30d > o.target) level -= o.step * Math.min(2, (s.abandonRate30d - o.target) / o.target);
        else level += o.step * waitingShare;
        level = Math.min(o.maxLevel, Math.max(1, level));
      }
      // Lines = level × agents READY or INCALL; the lines already in use are the calls ringing and the calls agents are on.
      return Math.max(0, Math.round(level * (s.ready + s.talking)) - s.inFlight - s.talking);
    },
  };
}
