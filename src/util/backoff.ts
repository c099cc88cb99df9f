/** Retry timing for deliveries to the CRM. Pure, so its numbers are tested without waiting. */

export interface BackoffOptions {
  /** First retry after this long. */
  baseMs: number;
  /** No wait between two attempts is longer than this. */
  maxMs: number;
}

/**
 * Wait before retry number `attempt` (1 = first retry): base · 2^(attempt-1), capped at maxMs, with
 * ±20% jitter when `random` is given so that many outcomes queued during one outage do not all
 * knock on the recovered CRM in the same second.
 */
export function retryDelayMs(attempt: number, o: BackoffOptions, random?: () => number): number {
  const exp = Math.min(o.maxMs, o.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 40)));
  if (!random) return Math.round(exp);
  return Math.round(Math.min(o.maxMs, exp * (0.8 + 0.4 * random())));
}

/** How many attempts (the first one included) keep an outcome retrying for at least windowMs. */
export function attemptsToCover(windowMs: number, o: BackoffOptions): number {
  let total = 0;
  let attempts = 1;
  while (total < windowMs) {
    total += retryDelayMs(attempts, o);
    attempts++;
  }
  return attempts;
}
