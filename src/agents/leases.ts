import type Redis from 'ioredis';
import type { RedisKeys } from '../redis/keys';

/**
 * Leases in Redis, timed by the app's clock (so the virtual clock drives them in tests): a member
 * is alive while its expiry, a sorted-set score, is in the future. Holders renew them on a
 * heartbeat; a holder that dies simply stops renewing.
 *  - calls: a live call session (member: callId)
 *  - presence: a connected agent desktop (member: agentId)
 */
export class Leases {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async renew(kind: 'calls' | 'presence', members: readonly string[], expiresAt: number): Promise<void> {
    if (members.length === 0) return;
    const key = this.key(kind);
    const args: (string | number)[] = [];
    for (const m of members) args.push(expiresAt, m);
    await this.redis.zadd(key, 'GT', ...args);
  }

  async release(kind: 'calls' | 'presence', member: string): Promise<void> {
    await this.redis.zrem(this.key(kind), member);
  }

  async alive(kind: 'calls' | 'presence', member: string, now: number): Promise<boolean> {
    const score = await this.redis.zscore(this.key(kind), member);
    return score !== null && Number(score) > now;
  }

  /** Drops expired leases (housekeeping; alive() already ignores them). */
  async sweep(kind: 'calls' | 'presence', now: number): Promise<void> {
    await this.redis.zremrangebyscore(this.key(kind), '-inf', now);
  }

  private key(kind: 'calls' | 'presence'): string {
    return kind === 'calls' ? this.keys.liveCalls() : this.keys.presence();
  }
}
