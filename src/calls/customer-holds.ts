import type { LegHold, LegId } from '../telephony/switch';
import type { ControlFields } from './call-session';

interface Held {
  callId: string;
  count: number;
  ms: number;
  /** On hold since (undefined: not on hold now). */
  since: number | undefined;
  mode: 'sendonly' | 'inactive' | undefined;
}

/**
 * Holds the customer's own phone asks for (re-INVITE sendonly/inactive, then sendrecv again), per leg:
 * what the call record keeps of them — how many, for how long in all (a hold still running when the
 * leg ends counts up to its end), and the last mode.
 */
export class CustomerHolds {
  private readonly legs = new Map<LegId, Held>();

  /** The fields to write for this change, or undefined when it changes nothing. */
  changed(callId: string, e: LegHold): ControlFields | undefined {
    const h = this.legs.get(e.legId) ?? { callId, count: 0, ms: 0, since: undefined, mode: undefined };
    this.legs.set(e.legId, h);
    if (e.hold === 'off') {
      if (h.since === undefined) return undefined;
      h.ms += e.at - h.since;
      h.since = undefined;
    } else {
      if (h.since === undefined) {
        h.count++;
        h.since = e.at;
      }
      h.mode = e.hold;
    }
    return fields(h);
  }

  /** The leg ended: a hold still running ends with it. Returns the call and its final fields, if the leg was ever held. */
  ended(legId: LegId, at: number): { callId: string; fields: ControlFields } | undefined {
    const h = this.legs.get(legId);
    if (!h) return undefined;
    this.legs.delete(legId);
    if (h.since === undefined) return undefined;
    h.ms += at - h.since;
    h.since = undefined;
    return { callId: h.callId, fields: fields(h) };
  }
}

function fields(h: Held): ControlFields {
  return { customerHoldCount: h.count, customerHoldMs: h.ms, ...(h.mode ? { customerHoldMode: h.mode } : {}) };
}
