/**
 * Retries a write that failed for a passing reason (the store busy or briefly unreachable), with
 * a short doubling delay. Anything else (a validation error, a duplicate key) fails at once.
 */
export async function withWriteRetry<T>(write: () => Promise<T>, attempts = 5, firstDelayMs = 25): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (attempt >= attempts || !isTransient(err)) throw err;
      await new Promise((r) => setTimeout(r, firstDelayMs * 2 ** (attempt - 1)));
    }
  }
}

export function isTransient(err: unknown): boolean {
  const e = err as { name?: string; message?: string; errorLabelSet?: Set<string> };
  if (e.errorLabelSet?.has('RetryableWriteError')) return true;
  if (e.name === 'MongoNetworkError' || e.name === 'MongoServerSelectionError') return true;
  return /SQLITE_BUSY|database is locked/.test(e.message ?? '');
}
