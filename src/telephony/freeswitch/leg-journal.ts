import type Redis from 'ioredis';

/** What Redis keeps of a live leg on the real stack, so a restarted instance can end it. */
export interface LegTrace {
  /** The app instance that runs the leg. */
  owner: string;
  /** drachtio's id of the far end's dialog (caller, agent phone, customer). */
  dialog: string;
  /** drachtio's id of the dialog with FreeSWITCH carrying the leg's media. */
  mediaDialog?: string;
  /** FreeSWITCH's channel. */
  uuid?: string;
}

/**
 * The dialog identities and channel uuids of every live leg, in Redis while the leg lives: when the
 * instance running a call dies (SIGKILL, a crash) its calls' dialogs stay up in drachtio-server and
 * the caller would hear dead air for minutes. The next instance finds them here and ends them.
 */
export class LegJournal {
  constructor(
    private readonly redis: Redis,
    private readonly ns: string,
  ) {}

  private get key(): string {
    return `${this.ns}:sw:legs`;
  }

  async record(legId: string, trace: LegTrace): Promise<void> {
    await this.redis.hset(this.key, legId, JSON.stringify(trace));
  }

  async forget(legId: string): Promise<void> {
    await this.redis.hdel(this.key, legId);
  }

  /** Legs whose owner is not alive any more. */
  async orphans(isDead: (owners: string[]) => Promise<Set<string>>): Promise<{ legId: string; trace: LegTrace }[]> {
    const all = Object.entries(await this.redis.hgetall(this.key)).flatMap(([legId, raw]) => {
      try {
        return [{ legId, trace: JSON.parse(raw) as LegTrace }];
      } catch {
        return [];
      }
    });
    if (all.length === 0) return [];
    const dead = await isDead([...new Set(all.map((l) => l.trace.owner))]);
    return all.filter((l) => dead.has(l.trace.owner));
  }
}
