/**
 * Time as the rest of the system sees it. Production uses the real clock; tests and simulations
 * use the virtual clock, which only moves when told to. Every timer names its owner, so a leak
 * (a timer whose owner is gone) can be found with pending().
 */
export interface TimerHandle {
  readonly id: number;
  readonly owner: string;
  readonly dueAt: number;
}

export interface Clock {
  now(): number;
  /** fn may return a promise: the virtual clock waits for it before moving on (the real one does not). */
  setTimer(owner: string, delayMs: number, fn: () => unknown): TimerHandle;
  clearTimer(handle: TimerHandle | undefined): void;
  /** Resolves after delayMs of this clock's time. */
  sleep(owner: string, delayMs: number): Promise<void>;
  /** Timers armed and not yet fired, soonest first. */
  pending(): TimerHandle[];
}

export class RealClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<number, { handle: TimerHandle; timeout: NodeJS.Timeout }>();

  now(): number {
    return Date.now();
  }

  setTimer(owner: string, delayMs: number, fn: () => unknown): TimerHandle {
    const handle: TimerHandle = { id: this.nextId++, owner, dueAt: Date.now() + delayMs };
    const timeout = setTimeout(() => {
      this.timers.delete(handle.id);
      void fn();
    }, Math.max(0, delayMs));
    this.timers.set(handle.id, { handle, timeout });
    return handle;
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const t = this.timers.get(handle.id);
    if (t) {
      clearTimeout(t.timeout);
      this.timers.delete(handle.id);
    }
  }

  sleep(owner: string, delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(owner, delayMs, resolve));
  }

  pending(): TimerHandle[] {
    return [...this.timers.values()].map((t) => t.handle).sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
  }
}

/**
 * `work`'s value, or `otherwise` once `ms` of the clock's time have passed first (work keeps running).
 * The timer is cleared as soon as work settles, so a wait that ends early leaves nothing armed.
 */
export async function within<T, U>(clock: Clock, owner: string, ms: number, work: Promise<T>, otherwise: U): Promise<T | U> {
  let timer: TimerHandle | undefined;
  const timeout = new Promise<U>((resolve) => (timer = clock.setTimer(owner, ms, () => resolve(otherwise))));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clock.clearTimer(timer);
  }
}
