import type Redis from 'ioredis';

/**
 * What Redis keeps about a live call while it lives, so that when the instance running it dies (or
 * its session faults) the sweeper can close it properly: its owner, its last phase, who was on it,
 * what it counted, and — for a queued callback, which has no phone leg to lose — everything needed
 * to carry it on elsewhere.
 */
export type LivePhase = 'answering' | 'queued' | 'callback_waiting' | 'offered' | 'connecting' | 'connected' | 'transferred' | 'wrap_up';

export interface LiveCallState {
  owner: string;
  phase: LivePhase;
  direction: 'inbound' | 'outbound';
  queueId?: string;
  storeId?: string;
  /** Agents the call is offered to (comma-separated), or the one who took it. */
  offeredTo?: string;
  agentId?: string;
  /** The call counts in its queue's active conversations (a -1 is owed at its end). */
  countedActive?: '1';
  connectedAt?: number;
  enqueuedAt?: number;
  /** The session faulted: its owner gave it up to the sweeper. */
  faulted?: '1';
  // a queued callback, enough to carry it on
  from?: string;
  to?: string;
  source?: string;
  receivedAt?: number;
  callbackNumber?: string;
  priority?: number;
  /** JSON: [[skill, minLevel], …] */
  skills?: string;
  preferredAgent?: string;
  customerId?: string;
  /** JSON: the IVR's flow id, path and variables, for the screen-pop. */
  ivr?: string;
  /** An outbound call's customer number (the live board shows it; inbound calls have `from`). */
  customer?: string;
  /** Who monitors the call and how, "supervisor|mode" (the live board shows it). */
  monitor?: string;
}

const NUMERIC = new Set(['connectedAt', 'enqueuedAt', 'receivedAt', 'priority']);

/** Takes a call over from `expected` only if it still is theirs (two sweepers never both act). */
const CLAIM = `
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[2])
redis.call('HDEL', KEYS[1], 'faulted')
return 1
`;

type ClaimRedis = Redis & { liveCallClaim(key: string, expected: string, owner: string): Promise<number> };

export class LiveCalls {
  private readonly redis: ClaimRedis;

  constructor(
    redis: Redis,
    private readonly ns: string,
  ) {
    if (!('liveCallClaim' in redis)) redis.defineCommand('liveCallClaim', { numberOfKeys: 1, lua: CLAIM });
    this.redis = redis as ClaimRedis;
  }

  /** The Redis key of a live call (for writes that must land in the same transaction as its state). */
  keyOf(callId: string): string {
    return `${this.ns}:live:${callId}`;
  }

  private key(callId: string): string {
    return this.keyOf(callId);
  }

  private get index(): string {
    return `${this.ns}:live`;
  }

  /** A new live call (or new facts about one): written before the phase they describe is taken. */
  async set(callId: string, fields: Partial<LiveCallState>): Promise<void> {
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) flat[k] = String(v);
    if (Object.keys(flat).length === 0) return;
    await this.redis.multi().hset(this.key(callId), flat).sadd(this.index, callId).exec();
  }

  async unset(callId: string, ...fields: (keyof LiveCallState)[]): Promise<void> {
    if (fields.length > 0) await this.redis.hdel(this.key(callId), ...fields);
  }

  /** The call is over and its record complete: Redis forgets it. */
  async forget(callId: string): Promise<void> {
    await this.redis.multi().del(this.key(callId)).srem(this.index, callId).exec();
  }

  /** True while Redis still has the call (it ran, or the sweeper has not closed it yet). */
  async exists(callId: string): Promise<boolean> {
    return (await this.redis.exists(this.key(callId))) === 1;
  }

  async get(callId: string): Promise<LiveCallState | undefined> {
    const raw = await this.redis.hgetall(this.key(callId));
    return parse(raw);
  }

  /** Every live call of the deployment with what is known of it. */
  async all(): Promise<Map<string, LiveCallState>> {
    const ids = await this.redis.smembers(this.index);
    const out = new Map<string, LiveCallState>();
    if (ids.length === 0) return out;
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(this.key(id));
    const rows = (await pipe.exec()) ?? [];
    const stale: string[] = [];
    ids.forEach((id, i) => {
      const state = parse((rows[i]?.[1] as Record<string, string> | undefined) ?? {});
      if (state) out.set(id, state);
      else stale.push(id);
    });
    if (stale.length > 0) await this.redis.srem(this.index, ...stale);
    return out;
  }

  /** Moves a call from `expected` (its dead or faulted owner) to `owner`; false when someone else did first. */
  async claim(callId: string, expected: string, owner: string): Promise<boolean> {
    return (await this.redis.liveCallClaim(this.key(callId), expected, owner)) === 1;
  }
}

function parse(raw: Record<string, string>): LiveCallState | undefined {
  if (!raw.owner || !raw.phase) return undefined;
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(raw)) out[k] = NUMERIC.has(k) ? Number(v) : v;
  return out as unknown as LiveCallState;
}
