import type { Clock, TimerHandle } from '../../clock/clock';
import { CallActionError } from '../call-errors';

export interface WrapUpRules {
  wrapUpMs: number;
  /** How much the agent may add in total. */
  extendMaxMs: number;
  /** The agent cannot leave wrap-up (nor be made ready by the timer) before the outcome is saved. */
  requireDisposition: boolean;
  /** What the rules belong to, for messages: "queue" or "campaign". */
  of: 'queue' | 'campaign';
}

/**
 * After-call work of one call: when it ends, extensions up to a limit, and whether the agent may go
 * ready. When the time is up the timer calls `onExpire` — unless a disposition is required and still
 * missing: then the agent stays in wrap-up (overdue) until they save it.
 */
export class WrapUp {
  until = 0;
  private extendedMs = 0;
  private timer: TimerHandle | undefined;
  private disposed = false;

  constructor(
    private readonly clock: Clock,
    private readonly owner: string,
    private rules: WrapUpRules,
    private readonly onExpire: () => void,
  ) {}

  /** The rules of where the call ended up (an overflow may have moved it to another queue). */
  reconfigure(rules: WrapUpRules): void {
    this.rules = rules;
  }

  begin(now: number): number {
    this.until = now + this.rules.wrapUpMs;
    this.arm();
    return this.until;
  }

  /** The agent needs more time: up to the rules' total. Returns the new end. */
  extend(ms: number): number {
    const left = this.rules.extendMaxMs - this.extendedMs;
    if (left <= 0) throw new CallActionError('wrap_up_extension_exhausted', `wrap-up can be extended by at most ${Math.round(this.rules.extendMaxMs / 1000)} s in total for this ${this.rules.of}`);
    const granted = Math.min(ms, left);
    this.extendedMs += granted;
    this.until += granted;
    this.arm();
    return this.until;
  }

  /** The outcome is saved: from now on nothing holds the agent here. */
  dispositionSaved(): void {
    this.disposed = true;
  }

  /** Throws when the agent may not leave wrap-up yet. */
  checkMayLeave(): void {
    if (this.rules.requireDisposition && !this.disposed) throw new CallActionError('disposition_required', 'save the outcome of this call before you go ready');
  }

  /** The time up and nothing holding the agent. */
  get mayEnd(): boolean {
    return !this.rules.requireDisposition || this.disposed;
  }

  /** How long past its end wrap-up may be held open waiting for a required outcome. */
  get overdueLimitMs(): number {
    return this.rules.requireDisposition ? 30 * 60_000 : 0;
  }

  clear(): void {
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.clear();
    this.timer = this.clock.setTimer(this.owner, Math.max(0, this.until - this.clock.now()), () => {
      if (this.mayEnd) this.onExpire();
    });
  }
}
