import { retryDelayMs } from '../util/backoff';

/**
 * Retries a write the store refused because it was busy (SQLite's lock), with a short doubling delay.
 * An unreachable store fails at once (the caller refuses the request or retries durably); anything
 * else (a validation error, a duplicate key) fails at once too.
 */
export async function withWriteRetry<T>(write: () => Promise<T>, attempts = 5, firstDelayMs = 25): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (attempt >= attempts || !isBusy(err)) throw err;
      await new Promise((r) => setTimeout(r, firstDelayMs * 2 ** (attempt - 1)));
    }
  }
}

/**
 * A write that must land (a call record's end, a lost call's closing): retried on passing errors with
 * a growing delay (0.5 s doubling to 15 s) for as long as `forMs` — a database restarted or stopped
 * for minutes loses nothing; the writes land when it is back.
 */
export async function withDurableRetry<T>(write: () => Promise<T>, forMs = 15 * 60_000, onRetry?: (err: unknown, attempt: number) => void): Promise<T> {
  const deadline = Date.now() + forMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (!isTransient(err) || Date.now() >= deadline) throw err;
      onRetry?.(err, attempt);
      await new Promise((r) => setTimeout(r, retryDelayMs(attempt, { baseMs: 500, maxMs: 15_000 })));
    }
  }
}

const TRANSIENT_NAMES = new Set(['MongoNetworkError', 'MongoServerSelectionError', 'MongooseServerSelectionError', 'MongoNotConnectedError', 'PoolClearedError', 'MongoPoolClearedError', 'MongoNetworkTimeoutError', 'MaxRetriesPerRequestError']);

/** The store refused for now because it is busy (SQLite's write lock): try again in a moment. */
export function isBusy(err: unknown): boolean {
  const e = err as { message?: string; errorLabelSet?: Set<string> } | null;
  return !!e && (e.errorLabelSet?.has('RetryableWriteError') === true || /SQLITE_BUSY|database is locked/.test(e.message ?? ''));
}

/** The store is busy or unreachable for now: trying again later may succeed (MongoDB/FerretDB or Redis). */
export function isTransient(err: unknown): boolean {
  const e = err as { name?: string; message?: string; code?: string } | null;
  if (!e) return false;
  if (isBusy(err)) return true;
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  return /buffering timed out|ECONNREFUSED|ECONNRESET|connection .* closed|Connection is closed|Topology is closed|client was closed/i.test(e.message ?? '') || e.code === 'ECONNREFUSED';
}
