import type { Logger } from '../log';

/**
 * Logs a repeating error (a job worker's connection while Redis fails over retries every ~100 ms)
 * once per outage rather than once per retry: the first error of a burst is logged, then at most one
 * line per `everyMs` saying how many followed. Pure of timers: `now` is read at each error.
 */
export function quietErrors(log: Logger, msg: string, everyMs = 30_000, now: () => number = Date.now): (err: unknown) => void {
  let lastLogged = -Infinity;
  let suppressed = 0;
  return (err: unknown) => {
    const t = now();
    if (t - lastLogged < everyMs) {
      suppressed += 1;
      return;
    }
    log.warn(suppressed > 0 ? { err, repeatedSinceLastLine: suppressed } : { err }, msg);
    lastLogged = t;
    suppressed = 0;
  };
}
