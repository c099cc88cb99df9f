import type Redis from 'ioredis';
import type { RedisKeys } from '../redis/keys';
import { READY_SCORE_LUA } from './lua-ready-score';

export type Strategy = 'longest_idle' | 'round_robin' | 'fewest_calls' | 'ring_all';

export interface SkillRequirement {
  skill: string;
  minLevel: number;
}

export interface WaitingCall {
  callId: string;
  queueId: string;
  legId: string;
  from: string;
  priority: number;
  enqueuedAt: number;
  skills: readonly SkillRequirement[];
  /** Username of the agent who should take this call (the customer's owner), if any. */
  preferredAgent?: string;
  /** Until then only the preferred agent may take the call; after, any qualified agent. */
  preferredUntil?: number;
}

export interface Reservation {
  callId: string;
  /** One agent, or several with the ring-all strategy (the first to accept gets the call). */
  agentIds: string[];
}

/**
 * Takes a waiting call and the agent(s) to offer it to, in one atomic step, so two app instances
 * on one Redis can never hand one call to two agents or one agent two calls.
 *
 * Calls are tried in order (priority, then arrival); for each: its preferred agent if ready (any
 * queue); else, unless it is still waiting for that agent, the first ready agent of this queue, in
 * strategy order, whose skills meet every requirement (ring_all: up to ringAllMax of them). A call
 * no ready agent qualifies for does not block the calls behind it. The chosen agents leave every
 * ready set and become `reserved`; a reservation key with an expiry records who holds the call.
 *
 * KEYS: waiting zset, ready zset. ARGV: ns, queueId, now, ttlMs, maxCalls, maxAgents.
 */
const RESERVE = `${READY_SCORE_LUA}
local ns, q, now, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local calls = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[5]) - 1)
if #calls == 0 then return false end
local cfg = ns .. ':q:' .. q .. ':cfg'
local strat = redis.call('HGET', cfg, 'strategy') or 'longest_idle'
local ringMax = tonumber(redis.call('HGET', cfg, 'ringAllMax') or '10')
local candidates = {}
for _, a in ipairs(redis.call('ZRANGE', KEYS[2], 0, tonumber(ARGV[6]) - 1)) do
  if redis.call('HGET', ns .. ':agent:' .. a, 'state') == 'ready' then
    candidates[#candidates + 1] = a
  else
    redis.call('ZREM', KEYS[2], a)
  end
end
local function qualifies(a, skills)
  local sk = ns .. ':agent:' .. a .. ':skills'
  for i = 1, #skills do
    if tonumber(redis.call('HGET', sk, skills[i][1]) or '0') < skills[i][2] then return false end
  end
  return true
end
local function take(call, agents)
  for _, a in ipairs(agents) do
    local akey = ns .. ':agent:' .. a
    for _, aq in ipairs(redis.call('SMEMBERS', akey .. ':queues')) do
      redis.call('ZREM', ns .. ':q:' .. aq .. ':ready', a)
    end
    local v = tonumber(redis.call('HGET', akey, 'version') or '0')
    local seq = redis.call('INCR', ns .. ':q:' .. q .. ':rrseq')
    redis.call('HSET', akey, 'state', 'reserved', 'since', now, 'reason', '', 'callId', call, 'version', v + 1, 'rr:' .. q, seq)
  end
  redis.call('ZREM', KEYS[1], call)
  local list = table.concat(agents, ',')
  redis.call('SET', ns .. ':resv:' .. call, list, 'PX', ttl)
  redis.call('HSET', ns .. ':call:' .. call, 'agents', list, 'reservedAt', now)
  local out = { call }
  for _, a in ipairs(agents) do out[#out + 1] = a end
  return out
end
for _, call in ipairs(calls) do
  local f = redis.call('HMGET', ns .. ':call:' .. call, 'skills', 'preferred', 'preferredUntil')
  local skills = {}
  if f[1] and f[1] ~= '' then skills = cjson.decode(f[1]) end
  local pref = f[2] or ''
  local waitForPreferred = false
  if pref ~= '' then
    if redis.call('HGET', ns .. ':agent:' .. pref, 'state') == 'ready' then return take(call, { pref }) end
    waitForPreferred = now < tonumber(f[3] or '0')
  end
  if not waitForPreferred then
    local chosen = {}
    for _, a in ipairs(candidates) do
      if qualifies(a, skills) then
        chosen[#chosen + 1] = a
        if strat ~= 'ring_all' or #chosen >= ringMax then break end
      end
    end
    if #chosen > 0 then return take(call, chosen) end
  end
end
return false
`;

type ReserveRedis = Redis & {
  acdReserve(waitingKey: string, readyKey: string, ns: string, queueId: string, now: string, ttlMs: string, maxCalls: string, maxAgents: string): Promise<string[] | null>;
};

/** Lower scores are served first: higher priority first, then first come first served. */
export function waitingScore(priority: number, enqueuedAt: number): number {
  return -priority * 1e13 + enqueuedAt;
}

export interface QueueStoreLimits {
  /** Waiting calls looked at per matching step (the head of the queue). */
  maxCalls: number;
  /** Ready agents looked at per matching step (the best by strategy). */
  maxAgents: number;
}

/** Waiting calls and ready agents of every queue, in Redis. */
export class QueueStore {
  private readonly redis: ReserveRedis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly limits: QueueStoreLimits = { maxCalls: 50, maxAgents: 200 },
  ) {
    if (!('acdReserve' in redis)) redis.defineCommand('acdReserve', { numberOfKeys: 2, lua: RESERVE });
    this.redis = redis as ReserveRedis;
  }

  /** The queue's strategy, read by the matching and ready-score scripts. */
  async configure(queueId: string, config: { strategy: Strategy; ringAllMax?: number }): Promise<void> {
    await this.redis.hset(this.keys.queueConfig(queueId), { strategy: config.strategy, ringAllMax: config.ringAllMax ?? 10 });
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
        skills: call.skills.length > 0 ? JSON.stringify(call.skills.map((s) => [s.skill, s.minLevel])) : '',
        preferred: call.preferredAgent ?? '',
        preferredUntil: call.preferredUntil ?? 0,
      })
      .zadd(this.keys.queueWaiting(call.queueId), waitingScore(call.priority, call.enqueuedAt), call.callId)
      .exec();
  }

  /** Puts a call back at its original place (the offer was missed, declined or failed). */
  async requeue(callId: string, queueId: string): Promise<void> {
    const h = await this.redis.hmget(this.keys.call(callId), 'priority', 'enqueuedAt');
    const score = waitingScore(Number(h[0] ?? 0), Number(h[1] ?? 0));
    await this.redis.multi().del(this.keys.reservation(callId)).hdel(this.keys.call(callId), 'agents', 'reservedAt').zadd(this.keys.queueWaiting(queueId), score, callId).exec();
  }

  /**
   * A reservation for a call this instance does not run: the reservation goes, the call stays out of
   * the waiting set (it would be matched again at once) with its hash kept, for the sweeper to close
   * it or put it back (requeue).
   */
  async park(callId: string): Promise<void> {
    await this.redis.multi().del(this.keys.reservation(callId)).hdel(this.keys.call(callId), 'agents', 'reservedAt').exec();
  }

  /** The call leaves the queue for good (connected, abandoned, overflowed). */
  async remove(callId: string, queueId: string): Promise<void> {
    await this.redis.multi().zrem(this.keys.queueWaiting(queueId), callId).del(this.keys.reservation(callId)).del(this.keys.call(callId)).exec();
  }

  async reserve(queueId: string, now: number, ttlMs: number): Promise<Reservation | undefined> {
    const r = await this.redis.acdReserve(
      this.keys.queueWaiting(queueId),
      this.keys.queueReady(queueId),
      this.keys.ns,
      queueId,
      String(now),
      String(ttlMs),
      String(this.limits.maxCalls),
      String(this.limits.maxAgents),
    );
    if (!r || r.length < 2) return undefined;
    const [callId, ...agentIds] = r as [string, ...string[]];
    return { callId, agentIds };
  }

  /** 1-based place in the queue, or undefined when the call is not waiting. */
  async position(callId: string, queueId: string): Promise<number | undefined> {
    const rank = await this.redis.zrank(this.keys.queueWaiting(queueId), callId);
    return rank === null ? undefined : rank + 1;
  }

  async waitingCount(queueId: string): Promise<number> {
    return this.redis.zcard(this.keys.queueWaiting(queueId));
  }

  /**
   * A call of this queue was connected (+1) or its after-call work finished (-1, with its handle time).
   * With `liveKey` the call's live state records, in the same transaction, whether it counts now: a
   * sweeper closing the call after a crash then knows whether a -1 is owed.
   */
  async recordActive(queueId: string, delta: 1 | -1, handleMs?: number, liveKey?: string): Promise<void> {
    const m = this.redis.multi().hincrby(this.keys.queueStats(queueId), 'active', delta);
    if (handleMs !== undefined) m.hincrby(this.keys.queueStats(queueId), 'handled', 1).hincrby(this.keys.queueStats(queueId), 'handleMs', Math.round(handleMs));
    if (liveKey && delta === 1) m.hset(liveKey, 'countedActive', '1');
    if (liveKey && delta === -1) m.hdel(liveKey, 'countedActive');
    await m.exec();
  }

  /** Agents on this queue's calls now, and the average handle time so far (undefined: no history). */
  async stats(queueId: string): Promise<{ active: number; ready: number; avgHandleMs: number | undefined }> {
    const [h, ready] = await Promise.all([this.redis.hmget(this.keys.queueStats(queueId), 'active', 'handled', 'handleMs'), this.redis.zcard(this.keys.queueReady(queueId))]);
    const handled = Number(h[1] ?? 0);
    return { active: Math.max(0, Number(h[0] ?? 0)), ready, avgHandleMs: handled > 0 ? Number(h[2] ?? 0) / handled : undefined };
  }

  async readyAgents(queueId: string): Promise<string[]> {
    return this.redis.zrange(this.keys.queueReady(queueId), 0, -1);
  }
}
