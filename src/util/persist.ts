import { retryDelayMs } from './backoff';

/**
 * Runs `work` until it succeeds, waiting longer between attempts (0.2 s doubling to 10 s), for at most
 * `forMs` (then the last error is thrown). For small writes whose loss would leave state behind
 * (Redis bookkeeping of a call that ended) when the store is briefly unreachable.
 */
export async function persist<T>(work: () => Promise<T>, forMs = 10 * 60_000): Promise<T> {
  const deadline = Date.now() + forMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, retryDelayMs(attempt, { baseMs: 200, maxMs: 10_000 })));
    }
  }
}
