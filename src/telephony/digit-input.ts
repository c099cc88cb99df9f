import type { Clock, TimerHandle } from '../clock/clock';
import type { CollectOptions, CollectResult } from './switch';

/**
 * The keys a caller pressed on one leg that nobody has consumed yet, and who is waiting for them.
 * Both adapters feed it (the simulator from its parties, the real one from RFC 2833 / SIP INFO
 * events), so digit collection, barge-in and record terminators behave the same on each.
 */
export class DigitInput {
  private readonly pending: string[] = [];
  private readonly watchers = new Set<() => void>();
  private over = false;

  get ended(): boolean {
    return this.over;
  }

  /** The first key not yet consumed, if any. */
  peek(): string | undefined {
    return this.pending[0];
  }

  push(digit: string): void {
    if (this.over) return;
    this.pending.push(digit);
    this.notify();
  }

  /** The leg is gone: every waiter wakes and sees it. */
  end(): void {
    if (this.over) return;
    this.over = true;
    this.notify();
  }

  /** Calls fn on every key and at the end; returns the unsubscribe function. */
  watch(fn: () => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** Consumes keys up to and including the first `key`; false (nothing consumed) when it is not there. */
  consumeThrough(key: string): boolean {
    const i = this.pending.indexOf(key);
    if (i < 0) return false;
    this.pending.splice(0, i + 1);
    return true;
  }

  shift(): string | undefined {
    return this.pending.shift();
  }

  private notify(): void {
    for (const w of [...this.watchers]) w();
  }
}

/** Collects keys per the options: maximum length, terminator, first-digit and inter-digit timeouts. */
export function collectDigits(input: DigitInput, clock: Clock, owner: string, options: Omit<CollectOptions, 'prompt'>): Promise<CollectResult> {
  return new Promise((resolve) => {
    let collected = '';
    let timer: TimerHandle | undefined;
    let unwatch: () => void = () => undefined;
    const finish = (result: CollectResult): void => {
      clock.clearTimer(timer);
      unwatch();
      resolve(result);
    };
    const enough = (): boolean => collected.length >= options.minDigits && collected.length > 0;
    const arm = (ms: number): void => {
      clock.clearTimer(timer);
      timer = clock.setTimer(owner, ms, () => finish(enough() ? { outcome: 'digits', digits: collected, terminated: false } : { outcome: 'timeout', digits: collected }));
    };
    const consume = (): void => {
      if (input.ended) return finish({ outcome: 'hangup', digits: collected });
      for (let d = input.shift(); d !== undefined; d = input.shift()) {
        if (options.terminator !== undefined && d === options.terminator) {
          return finish(collected.length >= options.minDigits ? { outcome: 'digits', digits: collected, terminated: true } : { outcome: 'timeout', digits: collected });
        }
        collected += d;
        if (collected.length >= options.maxDigits) return finish({ outcome: 'digits', digits: collected, terminated: false });
      }
      arm(collected.length === 0 ? options.firstDigitTimeoutMs : options.interDigitTimeoutMs);
    };
    unwatch = input.watch(consume);
    consume();
  });
}

/**
 * Waits until the caller presses `key` (consumed), the leg ends, or `abort` is called; tells which.
 * Used for record terminators and prompt barge-in.
 */
export function waitForKey(input: DigitInput, key: string | undefined): { done: Promise<'key' | 'hangup' | 'aborted'>; abort: () => void } {
  let unwatch: () => void = () => undefined;
  let settle: (v: 'key' | 'hangup' | 'aborted') => void = () => undefined;
  const done = new Promise<'key' | 'hangup' | 'aborted'>((resolve) => {
    settle = (v) => {
      unwatch();
      resolve(v);
    };
    const check = (): void => {
      if (input.ended) settle('hangup');
      else if (key !== undefined && input.consumeThrough(key)) settle('key');
    };
    unwatch = input.watch(check);
    check();
  });
  return { done, abort: () => settle('aborted') };
}
