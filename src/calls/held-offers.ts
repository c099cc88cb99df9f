import type { Clock, TimerHandle } from '../clock/clock';
import type { LegId } from '../telephony/switch';

/**
 * New calls that arrive while Redis or MongoDB is unreachable (a Sentinel failover, a restart of the
 * database) are held ringing instead of refused at once: most such outages last a few seconds, and
 * a caller who rings a little longer is better served than one turned away. Each held call is
 * looked at every `everyMs`; it goes on as soon as the stores answer, or is refused once it has
 * waited `maxWaitMs`. A caller who hangs up while held is simply forgotten.
 */
export class HeldOffers {
  private readonly held = new Map<LegId, TimerHandle>();

  constructor(private readonly d: { clock: Clock; storesUp: () => boolean; maxWaitMs: number; everyMs: number }) {}

  get size(): number {
    return this.held.size;
  }

  hold(legId: LegId, go: () => void, refuse: () => void): void {
    const until = this.d.clock.now() + this.d.maxWaitMs;
    const look = (): void => {
      this.held.set(
        legId,
        this.d.clock.setTimer(`held-offer:${legId}`, this.d.everyMs, () => {
          if (!this.held.has(legId)) return;
          if (this.d.storesUp()) {
            this.held.delete(legId);
            go();
          } else if (this.d.clock.now() >= until) {
            this.held.delete(legId);
            refuse();
          } else look();
        }),
      );
    };
    look();
  }

  /** The caller hung up: true when the call was held here (and is now forgotten). */
  drop(legId: LegId): boolean {
    const t = this.held.get(legId);
    if (t === undefined) return false;
    this.d.clock.clearTimer(t);
    this.held.delete(legId);
    return true;
  }

  /** Shutdown: every held call is refused now. */
  refuseAll(refuse: (legId: LegId) => void): void {
    for (const [legId, t] of this.held) {
      this.d.clock.clearTimer(t);
      refuse(legId);
    }
    this.held.clear();
  }
}
