import type Redis from 'ioredis';
import type { Clock, TimerHandle } from '../clock/clock';
import type { Logger } from '../log';
import type { RedisHealth } from './redis-health';

/**
 * Takes the lock when it is free or run out, or renews it when this instance holds it; returns the
 * holder after the attempt. Times are the app clock's (ARGV[2] now, ARGV[3] ttl), kept in the value.
 */
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if v then
  local holder, exp = string.match(v, '^(.*)|(%d+)$')
  if holder ~= ARGV[1] and tonumber(exp) > tonumber(ARGV[2]) then return holder end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. (tonumber(ARGV[2]) + tonumber(ARGV[3])))
return ARGV[1]
`;
const RELEASE = `
local v = redis.call('GET', KEYS[1])
if v and string.match(v, '^(.*)|') == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
`;

type LeaderRedis = Redis & {
  leaderClaim(key: string, id: string, now: string, ttl: string): Promise<string>;
  leaderRelease(key: string, id: string): Promise<number>;
};

export interface LeadershipEvents {
  /** This instance took the lock: it starts running the deployment's upkeep. */
  elected(): Promise<void>;
  /** Another instance holds the lock now (this one's lapsed): the upkeep must stop here at once. */
  deposed(holder: string): void;
}

/**
 * One leader per deployment runs its upkeep (the other instances take calls and desks only). The lock
 * lives in Redis with an expiry renewed every `renewMs`; another instance takes it once it has run
 * out. An instance waits for Redis
 * to have been up for a grace period first, so that a Redis restart does not hand the lock over
 * from a healthy leader that simply could not renew meanwhile.
 */
export class Leadership {
  private timer: TimerHandle | undefined;
  private leading = false;
  private stopped = false;
  private readonly redis: LeaderRedis;

  constructor(
    redis: Redis,
    private readonly key: string,
    private readonly instanceId: string,
    private readonly clock: Clock,
    private readonly health: RedisHealth,
    private readonly o: { ttlMs: number; renewMs: number; log: Logger },
  ) {
    if (!('leaderClaim' in redis)) {
      redis.defineCommand('leaderClaim', { numberOfKeys: 1, lua: CLAIM });
      redis.defineCommand('leaderRelease', { numberOfKeys: 1, lua: RELEASE });
    }
    this.redis = redis as LeaderRedis;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Tries at once, then every renewMs; `events.elected` runs (awaited) when this instance takes the lock. */
  async start(events: LeadershipEvents): Promise<void> {
    await this.attempt(events);
    this.arm(events);
  }

  private arm(events: LeadershipEvents): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimer('leadership:renew', this.o.renewMs, async () => {
      await this.attempt(events);
      this.arm(events);
    });
  }

  private async attempt(events: LeadershipEvents): Promise<void> {
    if (!this.leading && !this.health.settled()) return;
    let holder: string;
    try {
      holder = await this.redis.leaderClaim(this.key, this.instanceId, String(this.clock.now()), String(this.o.ttlMs));
    } catch (err) {
      this.o.log.warn({ err }, 'leader lock not renewed (Redis); trying again');
      return;
    }
    if (holder === this.instanceId) {
      if (this.leading) return;
      this.leading = true;
      this.o.log.info({ instance: this.instanceId }, 'this instance holds the leader lock now');
      try {
        await events.elected();
      } catch (err) {
        this.o.log.error({ err }, 'starting the upkeep as the leader failed');
      }
    } else if (this.leading) {
      this.leading = false;
      this.o.log.error({ holder }, 'another instance took the leader lock: the upkeep stops here');
      events.deposed(holder);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimer(this.timer);
    if (this.leading) await this.redis.leaderRelease(this.key, this.instanceId).catch(() => undefined);
    this.leading = false;
  }
}
