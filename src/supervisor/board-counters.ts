import type Redis from 'ioredis';
import { COUNTER_FIELDS, countQueuedCall, emptyCounters, type ContactCounters, type SlTarget } from '../shared/contact-metrics';
import type { AgentState } from '../shared/agent-events';
import { dayOf } from './board-day';

/** Counters of a day are kept this long (the board shows today; the rest is for a late look). */
const KEEP_SECONDS = 3 * 86_400;

/**
 * Adds the last observed state's time to the agent's day counters and remembers the new one.
 * KEYS: seen hash, agent's day hash, board version. ARGV: agentId, state, since, keepSeconds.
 * A report of an older transition than the one seen last is ignored (two instances, late delivery).
 */
const AGENT_TIME = `
local prev = redis.call('HGET', KEYS[1], ARGV[1])
local since = tonumber(ARGV[3])
if prev then
  local st, ps = string.match(prev, '^(.*)|(%d+)$')
  ps = tonumber(ps)
  if since < ps then return 0 end
  if since > ps and st ~= 'logged_out' then
    redis.call('HINCRBY', KEYS[2], st, since - ps)
    redis.call('EXPIRE', KEYS[2], ARGV[4])
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
redis.call('INCR', KEYS[3])
return 1
`;

type TimeRedis = Redis & { boardAgentTime(seen: string, day: string, version: string, agentId: string, state: string, since: string, keep: string): Promise<number> };

/** Milliseconds an agent spent in each state on one day (closed periods only). */
export type AgentDayTimes = Partial<Record<AgentState, number>>;

/**
 * Today's contact-center counters, durable in Redis: one hash per queue per day (HINCRBY as calls are
 * answered, abandoned and finished), one per agent per day (time in each state, added as the state
 * changes). Every app instance adds to the same hashes, and a restart loses nothing. Any change bumps
 * one version number, which the board's publisher watches to recompute only when something changed.
 */
export class BoardCounters {
  private readonly redis: TimeRedis;

  constructor(
    redis: Redis,
    private readonly ns: string,
    private readonly timeZone: string,
  ) {
    if (!('boardAgentTime' in redis)) redis.defineCommand('boardAgentTime', { numberOfKeys: 3, lua: AGENT_TIME });
    this.redis = redis as TimeRedis;
  }

  day(at: number): string {
    return dayOf(at, this.timeZone);
  }

  queueKey(queueId: string, day: string): string {
    return `${this.ns}:board:q:${queueId}:${day}`;
  }

  agentKey(agentId: string, day: string): string {
    return `${this.ns}:board:a:${agentId}:${day}`;
  }

  get versionKey(): string {
    return `${this.ns}:board:version`;
  }

  /** A queued call was answered after waiting waitMs. */
  answered(queueId: string, sl: SlTarget, waitMs: number, at: number): Promise<void> {
    const c = countQueuedCall({ kind: 'answered', waitMs, talkMs: 0, holdMs: 0, acwMs: 0 }, sl);
    // handled and handle time are added when the call's after-call work is done
    return this.add(queueId, { offered: c.offered, answered: c.answered, answeredInSl: c.answeredInSl, answeredWaitMs: c.answeredWaitMs }, at);
  }

  /** The caller hung up while waiting in the queue. */
  abandoned(queueId: string, sl: SlTarget, waitMs: number, at: number): Promise<void> {
    return this.add(queueId, countQueuedCall({ kind: 'abandoned', waitMs }, sl), at);
  }

  /** A queued call left the queue without an agent (overflow, voicemail): offered, neither answered nor abandoned. */
  leftQueue(queueId: string, at: number): Promise<void> {
    return this.add(queueId, { offered: 1 }, at);
  }

  /** An answered call's after-call work is done: its handle time. */
  handled(queueId: string, t: { talkMs: number; holdMs: number; acwMs: number }, at: number): Promise<void> {
    return this.add(queueId, { handled: 1, talkMs: Math.max(0, t.talkMs), holdMs: Math.max(0, t.holdMs), acwMs: Math.max(0, t.acwMs) }, at);
  }

  /** Something the board shows changed (a call entered a queue, a monitor started). */
  async changed(): Promise<void> {
    await this.redis.incr(this.versionKey);
  }

  async version(): Promise<string> {
    return (await this.redis.get(this.versionKey)) ?? '0';
  }

  /** An agent's state changed (any instance): the time in the previous one is added to its day. */
  async agentState(agentId: string, state: AgentState, since: number): Promise<void> {
    await this.redis.boardAgentTime(`${this.ns}:board:seen`, this.agentKey(agentId, this.day(since)), this.versionKey, agentId, state, String(since), String(KEEP_SECONDS));
  }

  async queueCounters(queueIds: readonly string[], day: string): Promise<Map<string, ContactCounters>> {
    const pipe = this.redis.pipeline();
    for (const q of queueIds) pipe.hgetall(this.queueKey(q, day));
    const rows = (await pipe.exec()) ?? [];
    return new Map(queueIds.map((q, i) => [q, parseCounters((rows[i]?.[1] as Record<string, string> | undefined) ?? {})]));
  }

  async agentTimes(agentIds: readonly string[], day: string): Promise<Map<string, AgentDayTimes>> {
    const pipe = this.redis.pipeline();
    for (const a of agentIds) pipe.hgetall(this.agentKey(a, day));
    const rows = (await pipe.exec()) ?? [];
    return new Map(
      agentIds.map((a, i) => {
        const raw = (rows[i]?.[1] as Record<string, string> | undefined) ?? {};
        return [a, Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)])) as AgentDayTimes];
      }),
    );
  }

  private async add(queueId: string, c: Partial<ContactCounters>, at: number): Promise<void> {
    const key = this.queueKey(queueId, this.day(at));
    const m = this.redis.multi();
    for (const f of COUNTER_FIELDS) {
      const v = c[f];
      if (v) m.hincrby(key, f, Math.round(v));
    }
    m.expire(key, KEEP_SECONDS).incr(this.versionKey);
    await m.exec();
  }
}

function parseCounters(raw: Record<string, string>): ContactCounters {
  const c = emptyCounters();
  for (const f of COUNTER_FIELDS) c[f] = Number(raw[f] ?? 0);
  return c;
}
