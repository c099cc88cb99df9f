import Redis from 'ioredis';
import type { Logger } from '../log';

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable url)';
  }
}

/**
 * A Redis client that reconnects with capped backoff (200 ms doubling to 5 s) and logs
 * connection errors once per outage instead of crashing.
 */
export function connectRedis(url: string, name: string, log: Logger): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    // a command waits through a Redis restart (about a minute of reconnect attempts) instead of failing at once
    maxRetriesPerRequest: 20,
    retryStrategy: (times) => Math.min(200 * 2 ** Math.min(times, 5), 5000),
  });
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down) log.warn({ err: err.message, redis: redactUrl(url) }, 'redis connection lost; reconnecting');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info({ redis: redactUrl(url) }, 'redis connection back');
    down = false;
  });
  return redis;
}

/** Resolves when Redis answers, or rejects naming the server and the last error. */
export async function waitForRedis(redis: Redis, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  const onError = (err: Error): void => {
    last = err.message;
  };
  redis.on('error', onError);
  try {
    while (Date.now() < deadline) {
      try {
        // a command waits through reconnects (maxRetriesPerRequest): give each ping only the time left
        const left = Math.max(100, deadline - Date.now());
        let timer: NodeJS.Timeout | undefined;
        const pong = await Promise.race([redis.ping(), new Promise<string>((r) => (timer = setTimeout(() => r('timeout'), left)))]).finally(() => clearTimeout(timer));
        if (pong === 'PONG') return;
      } catch (err) {
        last ||= (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    redis.off('error', onError);
  }
  throw new Error(`Redis at ${redactUrl(url)} is unreachable${last ? ` (${last})` : ''}`);
}
