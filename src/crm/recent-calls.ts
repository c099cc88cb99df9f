import type Redis from 'ioredis';
import type { Types } from 'mongoose';
import type { RedisKeys } from '../redis/keys';
import type { Models } from '../store/models';
import type { PastCall } from './screen-pop';

/** How many past calls a screen-pop shows. */
export const RECENT_CALLS = 5;
const TTL_S = 7 * 86_400;

/** Adds a call in front of a customer's list, only when the list is cached (else the next read rebuilds it from MongoDB). */
const REMEMBER = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('LPUSH', KEYS[1], ARGV[1])
  redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
end
return 1`;

type RecentRedis = Redis & { rememberCall(key: string, entry: string, max: string, ttl: string): Promise<number> };

/**
 * A customer's last calls for the screen-pop, cached in Redis (the call records in MongoDB stay the
 * truth; a missing list is rebuilt from them). This keeps the offer path to key lookups: a query
 * over call records by customer scans the collection on FerretDB's SQLite backend.
 */
export class RecentCalls {
  private readonly redis: RecentRedis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly models: Models,
  ) {
    if (!('rememberCall' in redis)) redis.defineCommand('rememberCall', { numberOfKeys: 1, lua: REMEMBER });
    this.redis = redis as RecentRedis;
  }

  async list(customerId: Types.ObjectId): Promise<PastCall[]> {
    const key = this.keys.recentCalls(String(customerId));
    const cached = await this.redis.lrange(key, 0, RECENT_CALLS - 1);
    if (cached.length > 0) return cached.map((c) => JSON.parse(c) as PastCall);
    const records = await this.models.CallRecord.find({ customerId, status: 'ended' }).sort({ offeredAt: -1 }).limit(RECENT_CALLS).lean();
    const calls: PastCall[] = records.map((r) => ({
      callId: r.callId,
      at: r.offeredAt.toISOString(),
      direction: r.direction,
      outcome: r.outcome ?? undefined,
      agent: r.agentUsername ?? undefined,
      disposition: r.disposition?.code ?? undefined,
      notes: r.disposition?.notes ?? undefined,
    }));
    if (calls.length > 0) await this.redis.multi().del(key).rpush(key, ...calls.map((c) => JSON.stringify(c))).expire(key, TTL_S).exec();
    return calls;
  }

  async remember(customerId: Types.ObjectId, call: PastCall): Promise<void> {
    await this.redis.rememberCall(this.keys.recentCalls(String(customerId)), JSON.stringify(call), String(RECENT_CALLS), String(TTL_S));
  }
}
