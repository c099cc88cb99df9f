import type { Logger } from '../../log';
import { UserError } from '../../util/user-error';
import { isTransient } from '../../store/retry';

export const UNAVAILABLE = 'the database is unreachable just now; nothing was changed — try again in a moment';

/**
 * A call session's steps, run strictly one at a time in the order they were asked for, so that a
 * hang-up racing an accept is handled in a defined order. A step that fails for a reason the user
 * cannot act on (a UserError is just a refusal) faults the session: `onFault` runs once, and every
 * later step is refused — the session's owner hands the call to the sweeper, which closes it.
 */
export class StepChain {
  private chain: Promise<unknown> = Promise.resolve();
  private fault: unknown;
  /** When the step running now started (undefined: idle). */
  private runningSince: number | undefined;

  constructor(private readonly o: { log: Logger; now: () => number; onFault: (err: unknown) => void }) {}

  /** How long the step running now has been running (0 when idle). */
  busyFor(now: number): number {
    return this.runningSince === undefined ? 0 : now - this.runningSince;
  }

  get faulted(): boolean {
    return this.fault !== undefined;
  }

  run<T>(step: () => Promise<T>): Promise<T> {
    const run = this.chain.then(async () => {
      if (this.fault !== undefined) throw new UserError('no_such_call', 'this call is no longer handled (it failed and is being closed)');
      this.runningSince = this.o.now();
      try {
        return await step();
      } finally {
        this.runningSince = undefined;
      }
    });
    this.chain = run.catch((err: unknown) => {
      if (err instanceof UserError) return;
      if (this.fault !== undefined) return;
      this.fault = err ?? new Error('step failed');
      this.o.log.error({ err }, 'call step failed; the call is handed to the sweeper');
      this.o.onFault(err);
    });
    return run;
  }

  /**
   * A step a person asked for (a desk command): when the database or Redis is unreachable it is
   * refused with `unavailable` (nothing changed, they can try again) instead of failing the session.
   */
  command<T>(step: () => Promise<T>): Promise<T> {
    return this.run(async () => {
      try {
        return await step();
      } catch (err) {
        if (isTransient(err)) throw new UserError('unavailable', UNAVAILABLE);
        throw err;
      }
    });
  }

  /** A step nobody waits for (a timer's, an event's): its failure is handled by the chain. */
  background(step: () => Promise<unknown>): void {
    this.run(step).catch(() => undefined);
  }

  /** Settles when every step queued so far has run. */
  idle(): Promise<void> {
    return this.chain.then(() => undefined);
  }
}
