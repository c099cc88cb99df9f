import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from '../log';

/**
 * Where Redis is, as one string: `redis://[:password@]host:port[/db]` (or `rediss://`) for one
 * server, or `redis+sentinel://[:password@]host:port,host:port,…/masterName[?db=N&sentinelPassword=…]`
 * for a master watched by Redis Sentinel (ioredis asks the sentinels for the master and follows a
 * failover). One string keeps every connection of the app (commands, pub/sub, job queues, the
 * socket.io adapter) on the same Redis without passing options around.
 */
export function redisOptions(url: string): RedisOptions {
  const m = /^redis\+sentinel:\/\/(?:([^@/]*)@)?([^/?]+)\/([^/?]+)(?:\?(.*))?$/.exec(url);
  if (!m) return parseServerUrl(url);
  const [, auth, hosts = '', name = '', query] = m;
  const params = new URLSearchParams(query ?? '');
  const sentinels = hosts.split(',').map((h) => {
    const [host, port] = h.split(':');
    return { host, port: Number(port || 26379) };
  });
  if (sentinels.some((s) => !s.host || !Number.isInteger(s.port) || s.port <= 0)) throw new Error(`bad sentinel list in ${redactUrl(url)}`);
  const password = auth ? decodeURIComponent(auth.replace(/^[^:]*:/, '')) : undefined;
  return {
    sentinels,
    name: decodeURIComponent(name),
    password: password || undefined,
    sentinelPassword: params.get('sentinelPassword') ?? undefined,
    db: Number(params.get('db') ?? 0),
    // a failover is followed as soon as the sentinels announce it, not at the next command error
    failoverDetector: true,
  };
}

function parseServerUrl(url: string): RedisOptions {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`not a Redis URL: ${redactUrl(url)}`);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
  };
}

/** True when the string names a Redis server or a Sentinel-watched master in a form redisOptions reads. */
export function isRedisUrl(url: string): boolean {
  try {
    const o = redisOptions(url);
    return Boolean(o.sentinels?.length || o.host);
  } catch {
    return false;
  }
}

/** The URL without its passwords, for messages and logs. */
export function redactUrl(url: string): string {
  if (url.startsWith('redis+sentinel://')) return url.replace(/\/\/[^@/]*@/, '//***@').replace(/sentinelPassword=[^&]*/, 'sentinelPassword=***');
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable url)';
  }
}

/** A new client for the Redis the URL names, with these options on top (BullMQ needs its own). */
export function newRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis({ ...redisOptions(url), ...extra });
}

/**
 * A Redis client that reconnects with capped backoff (200 ms doubling to 5 s) and logs
 * connection errors once per outage instead of crashing.
 */
export function connectRedis(url: string, name: string, log: Logger): Redis {
  const redis = newRedis(url, {
    connectionName: name,
    // a command waits through a Redis restart or failover (about a minute of reconnect attempts) instead of failing at once
    maxRetriesPerRequest: 20,
    retryStrategy: (times) => Math.min(200 * 2 ** Math.min(times, 5), 5000),
    // after a Sentinel failover the old master may answer as a read-only replica for a moment: reconnect
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
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
