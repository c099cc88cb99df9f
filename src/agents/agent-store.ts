import type Redis from 'ioredis';
import { READY_SCORE_LUA } from '../acd/lua-ready-score';
import type { RedisKeys } from '../redis/keys';
import { LOGGED_OUT, nextStatus, type AgentEvent, type AgentState, type AgentStatus, AGENT_STATES } from './agent-state';

/**
 * Writes a new status only if nobody changed the agent since it was read (version check), and in
 * the same step keeps the agent in (state ready) or out of (any other state) the ready set of
 * every queue it serves. Key names here follow RedisKeys.
 */
const CAS_STATUS = `${READY_SCORE_LUA}
local v = redis.call('HGET', KEYS[1], 'version') or '0'
if v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'since', ARGV[3], 'reason', ARGV[4], 'callId', ARGV[5], 'version', tonumber(v) + 1)
for _, q in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local ready = ARGV[6] .. ':q:' .. q .. ':ready'
  if ARGV[2] == 'ready' then redis.call('ZADD', ready, readyScore(ARGV[6], q, ARGV[7], ARGV[3]), ARGV[7]) else redis.call('ZREM', ready, ARGV[7]) end
end
return 1
`;

type CasRedis = Redis & {
  agentCasStatus(agentKey: string, queuesKey: string, version: string, state: string, since: string, reason: string, callId: string, ns: string, agentId: string): Promise<number>;
};

export interface AgentSkill {
  skill: string;
  level: number;
}

export type ApplyResult = { ok: true; status: AgentStatus; previous: AgentStatus } | { ok: false; error: string; status: AgentStatus };

function parseStatus(raw: Record<string, string>): { status: AgentStatus; version: string } {
  const state = raw.state as AgentState | undefined;
  if (!state || !(AGENT_STATES as readonly string[]).includes(state)) return { status: LOGGED_OUT, version: raw.version ?? '0' };
  return {
    status: { state, since: Number(raw.since ?? 0), reason: raw.reason ?? '', callId: raw.callId ?? '' },
    version: raw.version ?? '0',
  };
}

/** Agent statuses in Redis: the shared truth for every app instance. */
export class AgentStore {
  private readonly redis: CasRedis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    if (!('agentCasStatus' in redis)) redis.defineCommand('agentCasStatus', { numberOfKeys: 2, lua: CAS_STATUS });
    this.redis = redis as CasRedis;
  }

  async get(agentId: string): Promise<AgentStatus> {
    return parseStatus(await this.redis.hgetall(this.keys.agent(agentId))).status;
  }

  /**
   * The queues the agent takes calls from and the skills they bring (level 1–10); takes effect for
   * readiness at once.
   */
  async setProfile(agentId: string, queueIds: readonly string[], skills: readonly AgentSkill[]): Promise<void> {
    const queuesKey = this.keys.agentQueues(agentId);
    const skillsKey = this.keys.agentSkills(agentId);
    const old = await this.redis.smembers(queuesKey);
    const tx = this.redis.multi().del(queuesKey, skillsKey);
    if (queueIds.length > 0) tx.sadd(queuesKey, ...queueIds);
    if (skills.length > 0) tx.hset(skillsKey, Object.fromEntries(skills.map((s) => [s.skill, s.level])));
    for (const q of old) tx.zrem(this.keys.queueReady(q), agentId);
    tx.sadd(this.keys.agentsIndex(), agentId);
    await tx.exec();
    // Re-enter the ready sets with the right score for each queue's strategy.
    const { status, version } = parseStatus(await this.redis.hgetall(this.keys.agent(agentId)));
    if (status.state === 'ready') {
      await this.redis.agentCasStatus(this.keys.agent(agentId), queuesKey, version, status.state, String(status.since), status.reason, status.callId, this.keys.ns, agentId);
    }
  }

  /** Every agent this deployment has seen, with their stored status. */
  async listStatuses(): Promise<Map<string, AgentStatus>> {
    const ids = await this.redis.smembers(this.keys.agentsIndex());
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(this.keys.agent(id));
    const rows = (await pipe.exec()) ?? [];
    return new Map(ids.map((id, i) => [id, parseStatus((rows[i]?.[1] as Record<string, string> | undefined) ?? {}).status]));
  }

  /** One more answered call (the fewest-calls strategy orders by this). */
  async countCall(agentId: string): Promise<void> {
    await this.redis.hincrby(this.keys.agent(agentId), 'calls', 1);
  }

  /**
   * Applies an event through the state machine; retries if another writer got there first. With
   * `onlyForCall`, the event applies only while the agent is still on that call (a correction for a
   * call that is gone must not touch an agent who has moved on to another).
   */
  async apply(agentId: string, event: AgentEvent, now: number, onlyForCall?: string): Promise<ApplyResult> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const { status: previous, version } = parseStatus(await this.redis.hgetall(this.keys.agent(agentId)));
      if (onlyForCall !== undefined && previous.callId !== onlyForCall) return { ok: false, error: `no longer on call ${onlyForCall}`, status: previous };
      const t = nextStatus(previous, event, now);
      if (!t.ok) return { ok: false, error: t.error, status: previous };
      if (t.status === previous) return { ok: true, status: previous, previous };
      const s = t.status;
      const written = await this.redis.agentCasStatus(
        this.keys.agent(agentId),
        this.keys.agentQueues(agentId),
        version,
        s.state,
        String(s.since),
        s.reason,
        s.callId,
        this.keys.ns,
        agentId,
      );
      if (written === 1) return { ok: true, status: s, previous };
    }
    throw new Error(`agent ${agentId}: too much contention applying ${event.type}`);
  }
}
