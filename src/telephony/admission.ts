/**
 * Admission control for new inbound calls: a pure decision on live figures, so a saturated media
 * server sheds new calls at once with 503 + Retry-After instead of collapsing (connect timeouts,
 * callers without a final response). Calls in progress are never touched by it.
 */

export interface AdmissionLimits {
  /** New calls admitted per second (sliding one-second window); 0: no ceiling. */
  maxCallsPerSecond: number;
  /** Channels on the media server (its own count from the heartbeat, or ours if higher); 0: the server's own Max-Sessions. */
  maxChannels: number;
  /** Below this idle CPU (percent, from the media server's heartbeat) new calls are refused; 0: not checked. */
  minIdleCpu: number;
  /** Calls admitted and not yet answered (their media connects under way): the bounded queue. */
  maxPendingConnects: number;
  /** What Retry-After tells a refused caller (seconds). */
  retryAfterSeconds: number;
}

export const DEFAULT_ADMISSION: AdmissionLimits = { maxCallsPerSecond: 25, maxChannels: 0, minIdleCpu: 0, maxPendingConnects: 40, retryAfterSeconds: 5 };

/** What is known of the media server and the adapter now. */
export interface LiveFigures {
  /** Sessions FreeSWITCH reported in its last heartbeat (undefined before the first). */
  serverSessions: number | undefined;
  /** FreeSWITCH's Max-Sessions (its last heartbeat). */
  serverMaxSessions: number | undefined;
  /** Idle CPU percent in its last heartbeat. */
  idleCpu: number | undefined;
  /** Channels this adapter holds on the server now (answered legs, and legs being set up). */
  ownChannels: number;
  /** Admitted calls not answered yet. */
  pendingConnects: number;
}

export type AdmissionVerdict = { admit: true } | { admit: false; reason: string; retryAfterSeconds: number };

const WINDOW_MS = 1000;

export class AdmissionControl {
  /** When the calls admitted in the last second were admitted, oldest first. */
  private readonly admitted: number[] = [];
  private refusedCount = 0;

  constructor(private readonly limits: AdmissionLimits) {}

  /** Decides for one new call at `now`; an admitted call counts towards the rate from then on. */
  decide(now: number, f: LiveFigures): AdmissionVerdict {
    while (this.admitted.length > 0 && (this.admitted[0] as number) <= now - WINDOW_MS) this.admitted.shift();
    const l = this.limits;
    const refuse = (reason: string): AdmissionVerdict => {
      this.refusedCount++;
      return { admit: false, reason, retryAfterSeconds: l.retryAfterSeconds };
    };
    if (l.maxCallsPerSecond > 0 && this.admitted.length >= l.maxCallsPerSecond) return refuse(`more than ${l.maxCallsPerSecond} new calls per second`);
    if (l.maxPendingConnects > 0 && f.pendingConnects >= l.maxPendingConnects) return refuse(`${f.pendingConnects} calls are still being set up`);
    const channelCeiling = l.maxChannels > 0 ? l.maxChannels : f.serverMaxSessions;
    const channels = Math.max(f.serverSessions ?? 0, f.ownChannels);
    if (channelCeiling !== undefined && channelCeiling > 0 && channels >= channelCeiling) return refuse(`the media server has ${channels} of ${channelCeiling} channels in use`);
    if (l.minIdleCpu > 0 && f.idleCpu !== undefined && f.idleCpu < l.minIdleCpu) return refuse(`the media server's idle CPU is ${f.idleCpu.toFixed(0)} %`);
    this.admitted.push(now);
    return { admit: true };
  }

  /** New calls refused so far. */
  get refused(): number {
    return this.refusedCount;
  }
}
