import type Redis from 'ioredis';
import type { Connection } from 'mongoose';

/**
 * Knows whether the app has database or Redis round trips under way — commands sent and not yet
 * answered — so that a test's virtual clock can let the effects of one timer land before it fires the
 * next (what real time does on its own). MongoDB commands are counted from the driver's command events
 * (the connection must be opened with monitorCommands); Redis from the client's queues.
 */
export class IoTracker {
  private mongo = 0;
  private readonly redis: Redis[] = [];

  watchMongo(conn: Connection): void {
    const client = conn.getClient();
    client.on('commandStarted', () => this.mongo++);
    client.on('commandSucceeded', () => this.mongo--);
    client.on('commandFailed', () => this.mongo--);
  }

  watchRedis(redis: Redis): void {
    this.redis.push(redis);
  }

  busy(): boolean {
    if (this.mongo > 0) return true;
    return this.redis.some((r) => {
      const q = r as unknown as { commandQueue?: { length: number }; offlineQueue?: { length: number } };
      return (q.commandQueue?.length ?? 0) > 0 || (q.offlineQueue?.length ?? 0) > 0;
    });
  }
}

/**
 * Resolves once `busy` has stayed false across two turns of the event loop (a finished round trip's
 * continuation may start the next one), or after maxMs of real time.
 */
export async function untilQuiet(busy: () => boolean, maxMs = 2000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let quiet = 0;
  while (quiet < 2 && Date.now() < deadline) {
    await new Promise((r) => setImmediate(r));
    quiet = busy() ? 0 : quiet + 1;
  }
}
