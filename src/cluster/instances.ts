import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { Clock, TimerHandle } from '../clock/clock';
import type { Logger } from '../log';

/**
 * The app instances of a deployment, each alive while its heartbeat (a sorted-set score: its expiry
 * in the app clock's time) is in the future. Calls, dialogs and campaigns record the instance that
 * owns them; when that instance stops beating, the leader's sweeper takes over what it left.
 */
export class Instances {
  readonly id = randomUUID();
  private timer: TimerHandle | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly clock: Clock,
    private readonly o: { ttlMs: number; beatMs: number; log: Logger },
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.arm();
  }

  private arm(): void {
    this.timer = this.clock.setTimer('instances:heartbeat', this.o.beatMs, async () => {
      try {
        await this.beat();
      } catch (err) {
        this.o.log.warn({ err }, 'instance heartbeat failed');
      }
      this.arm();
    });
  }

  private async beat(): Promise<void> {
    await this.redis.zadd(this.key, this.clock.now() + this.o.ttlMs, this.id);
  }

  /** Stops beating and withdraws at once (a clean shutdown: the sweeper need not wait for the expiry). */
  async stop(): Promise<void> {
    this.clock.clearTimer(this.timer);
    await this.redis.zrem(this.key, this.id).catch(() => undefined);
  }

  /** Of these instance ids, the ones whose heartbeat has run out (or never was). */
  async dead(ids: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Set();
    const scores = await this.redis.zmscore(this.key, ...unique);
    const now = this.clock.now();
    return new Set(unique.filter((_, i) => {
      const s = scores[i];
      return s === null || s === undefined || Number(s) <= now;
    }));
  }

  /** Drops heartbeats that ran out long ago (housekeeping). */
  async prune(olderThanMs: number): Promise<void> {
    await this.redis.zremrangebyscore(this.key, '-inf', this.clock.now() - olderThanMs);
  }
}
