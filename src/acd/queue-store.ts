import type Redis from 'ioredis';
import type { RedisKeys } from '../redis/keys';

/**
 * Takes the best waiting call and the longest-idle ready agent of a queue in one atomic step:
 * both leave the queue, the agent becomes `reserved` for the call, and a reservation key with an
 * expiry records who holds the call. Two app instances on one Redis can never hand one call to
 * two agents, or one agent two calls. Key names follow RedisKeys.
 * KEYS: waiting zset, ready zset. ARGV: ns, now, reservation ttl ms.
 */
const RESERVE = `
local ns, now, ttl = ARGV[1], ARGV[2], ARGV[3]
local call = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
if not call then return false end
for _ = 1, 50 do
  local agent = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if not agent then return false end
  local akey = ns .. ':agent:' .. agent
  if redis.call('HGET', akey, 'state') == 'ready' then
    for _, q in ipairs(redis.call('SMEMBERS', akey .. ':queues')) do
      redis.call('ZREM', ns .. ':q:' .. q .. ':ready', agent)
    end
    redis.call('ZREM', KEYS[1], call)
    local v = tonumber(redis.call('HGET', akey, 'version') or '0')
    redis.call('HSET', akey, 'state', 'reserved', 'since', now, 'reason', '', 'callId', call, 'version', v + 1)
    redis.call('SET', ns .. ':resv:' .. call, agent, 'PX', ttl)
    redis.call('HSET', ns .. ':call:' .. call, 'agent', agent, 'reservedAt', now)
    return {call, agent}
  end
  -- a stale entry: the agent is not ready any more
  redis.call('ZREM', KEYS[2], agent)
end
return false
`;

type ReserveRedis = Redis & {
  acdReserve(waitingKey: string, readyKey: string, ns: string, now: string, ttlMs: string): Promise<[string, string] | null>;
};

export interface WaitingCall {
  callId: string;
  queueId: string;
  legId: string;
  from: string;
  priority: number;
  enqueuedAt: number;
}

/** Lower scores are served first: higher priority first, then first come first served. */
export function waitingScore(priority: number, enqueuedAt: number): number {
  return -priority * 1e13 + enqueuedAt;
}

export class QueueStore {
  private readonly redis: ReserveRedis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    if (!('acdReserve' in redis)) redis.defineCommand('acdReserve', { numberOfKeys: 2, lua: RESERVE });
    this.redis = redis as ReserveRedis;
  }

  async enqueue(call: WaitingCall): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.call(call.callId), {
        queueId: call.queueId,
        legId: call.legId,
        from: call.from,
        priority: call.priority,
        enqueuedAt: call.enqueuedAt,
      })
      .zadd(this.keys.queueWaiting(call.queueId), waitingScore(call.priority, call.enqueuedAt), call.callId)
      .exec();
  }

  /** Puts a call back at its original place (an agent missed or declined the offer). */
  async requeue(callId: string, queueId: string): Promise<void> {
    const h = await this.redis.hmget(this.keys.call(callId), 'priority', 'enqueuedAt');
    const score = waitingScore(Number(h[0] ?? 0), Number(h[1] ?? 0));
    await this.redis.multi().del(this.keys.reservation(callId)).hdel(this.keys.call(callId), 'agent', 'reservedAt').zadd(this.keys.queueWaiting(queueId), score, callId).exec();
  }

  /** The call leaves the queue for good (connected, abandoned, overflowed). */
  async remove(callId: string, queueId: string): Promise<void> {
    await this.redis.multi().zrem(this.keys.queueWaiting(queueId), callId).del(this.keys.reservation(callId)).del(this.keys.call(callId)).exec();
  }

  async reserve(queueId: string, now: number, ttlMs: number): Promise<{ callId: string; agentId: string } | undefined> {
    const r = await this.redis.acdReserve(this.keys.queueWaiting(queueId), this.keys.queueReady(queueId), this.keys.ns, String(now), String(ttlMs));
    return r ? { callId: r[0], agentId: r[1] } : undefined;
  }

  async waitingCount(queueId: string): Promise<number> {
    return this.redis.zcard(this.keys.queueWaiting(queueId));
  }

  async readyAgents(queueId: string): Promise<string[]> {
    return this.redis.zrange(this.keys.queueReady(queueId), 0, -1);
  }
}
