import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { LoginLimits } from '../config/env';

/**
 * Failed logins counted in Redis per user name and per client address (every try costs a scrypt):
 * past either limit, logins are refused until the window has passed, before any password is checked.
 * A successful login clears the user name's count.
 */
export class LoginLimiter {
  private readonly byUser: RateLimiterRedis;
  private readonly byAddress: RateLimiterRedis;

  constructor(
    redis: Redis,
    ns: string,
    private readonly limits: LoginLimits,
  ) {
    const duration = Math.max(1, Math.ceil(limits.windowMs / 1000));
    this.byUser = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${ns}:login-fail:user`, points: limits.perUser, duration });
    this.byAddress = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${ns}:login-fail:addr`, points: limits.perAddress, duration });
  }

  /** How long until this user name and address may try again; undefined: they may now. */
  async blockedFor(username: string, address: string): Promise<number | undefined> {
    const [u, a] = await Promise.all([this.byUser.get(userKey(username)), this.byAddress.get(address)]);
    const waits = [
      u && u.consumedPoints >= this.limits.perUser ? u.msBeforeNext : 0,
      a && a.consumedPoints >= this.limits.perAddress ? a.msBeforeNext : 0,
    ];
    const wait = Math.max(...waits);
    return wait > 0 ? wait : undefined;
  }

  async failed(username: string, address: string): Promise<void> {
    await Promise.all([swallowLimit(this.byUser.consume(userKey(username))), swallowLimit(this.byAddress.consume(address))]);
  }

  async succeeded(username: string): Promise<void> {
    await this.byUser.delete(userKey(username));
  }
}

function userKey(username: string): string {
  return username.trim().toLowerCase();
}

/** consume() rejects with a RateLimiterRes once the limit is reached: that is counted, not an error. */
async function swallowLimit(p: Promise<RateLimiterRes>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
  }
}
