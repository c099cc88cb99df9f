import type Redis from 'ioredis';
import type { Clock } from '../clock/clock';

/**
 * Since when this process's Redis connection has been up. Decisions that read leases and heartbeats
 * (the sweeper, the reconciler, taking the leader lock) wait `graceMs` after a reconnect: while Redis
 * was away nobody could renew, so expiries read just after it returns are not evidence of a death.
 */
export class RedisHealth {
  /** When the connection came back; -Infinity for the first connection (nothing was missed before it). */
  private upSince: number | undefined;
  private everUp = false;

  constructor(
    redis: Redis,
    private readonly clock: Clock,
    private readonly graceMs: number,
  ) {
    const up = (): void => {
      this.upSince = this.everUp ? this.clock.now() : Number.NEGATIVE_INFINITY;
      this.everUp = true;
    };
    if (redis.status === 'ready') up();
    redis.on('ready', up);
    redis.on('close', () => (this.upSince = undefined));
    redis.on('end', () => (this.upSince = undefined));
  }

  /** True once Redis has been up for the grace period without interruption. */
  settled(): boolean {
    return this.upSince !== undefined && this.clock.now() - this.upSince >= this.graceMs;
  }
}
