import type { Clock, TimerHandle } from './clock';

interface VirtualTimer {
  handle: TimerHandle;
  fn: () => unknown;
}

/** Lets queued promise callbacks and already-completed I/O callbacks run. */
export function flushAsync(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock that moves only when advance() is called. Timers fire in due order (ties by creation);
 * a timer whose callback returns a promise is waited for, and between two timers pending promise
 * work is allowed to run, so code that awaits between timers behaves as it would in real time,
 * deterministically.
 */
export class VirtualClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: VirtualTimer[] = [];
  /** Waits until the work a timer started has run as far as it can without more clock time. */
  private settle: () => Promise<void> = flushAsync;

  constructor(startAt: number = Date.UTC(2026, 0, 5, 1, 0, 0)) {
    this.current = startAt;
  }

  now(): number {
    return this.current;
  }

  setTimer(owner: string, delayMs: number, fn: () => unknown): TimerHandle {
    const handle: TimerHandle = { id: this.nextId++, owner, dueAt: this.current + Math.max(0, delayMs) };
    this.timers.push({ handle, fn });
    this.timers.sort((a, b) => a.handle.dueAt - b.handle.dueAt || a.handle.id - b.handle.id);
    return handle;
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (!handle) return;
    this.timers = this.timers.filter((t) => t.handle.id !== handle.id);
  }

  sleep(owner: string, delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(owner, delayMs, resolve));
  }

  pending(): TimerHandle[] {
    return this.timers.map((t) => t.handle);
  }

  /**
   * What "settled" means for the system this clock drives: by default, queued promise callbacks and
   * completed I/O callbacks have run; an app under test also waits for its database and Redis round
   * trips (App.settle), so that the effects of a timer have landed before the next timer fires.
   */
  setSettle(settle: () => Promise<void>): void {
    this.settle = settle;
  }

  /** Moves time forward by ms, firing every timer that falls due on the way; settles after each. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await this.settle();
    for (;;) {
      const next = this.timers[0];
      if (!next || next.handle.dueAt > target) break;
      this.timers.shift();
      this.current = next.handle.dueAt;
      await next.fn();
      await this.settle();
    }
    this.current = target;
    await this.settle();
  }
}
