import type Redis from 'ioredis';
import type { Logger } from '../log';
import { detach } from '../util/detach';
import type { AssistEventDoc, AssistModels } from './assist-models';

export interface TimelineEntry {
  vin: string;
  memberId: string;
  at: number;
  kind: string;
  note: string;
  callId?: string | undefined;
  position?: { lat: number; lon: number } | null | undefined;
}

/** How many recent entries per car the screen-pop reads from Redis. */
const RECENT = 10;

/**
 * The member's timeline: every entry is written to MongoDB (the record), and the last few per car are
 * kept in a Redis list for the screen-pop (on FerretDB a query by VIN would scan the collection).
 */
export class Timeline {
  constructor(
    private readonly models: AssistModels,
    private readonly redis: Redis,
    private readonly ns: string,
    private readonly log: Logger,
  ) {}

  /** Off the call's path; failures are logged. */
  note(e: TimelineEntry): void {
    const doc = { vin: e.vin, memberId: e.memberId, at: new Date(e.at), kind: e.kind, note: e.note, callId: e.callId ?? null, ...(e.position ? { position: e.position } : {}) };
    const key = this.key(e.vin);
    const work = Promise.all([this.models.Event.create(doc), this.redis.multi().lpush(key, JSON.stringify(doc)).ltrim(key, 0, RECENT - 1).exec()]);
    detach(work, this.log, 'member timeline entry not written', { callId: e.callId, vin: e.vin });
  }

  /** The car's latest entries, newest first. */
  async recent(vin: string): Promise<AssistEventDoc[]> {
    const raw = await this.redis.lrange(this.key(vin), 0, RECENT - 1);
    return raw.map((r) => {
      const d = JSON.parse(r) as AssistEventDoc & { at: string };
      return { ...d, at: new Date(d.at) };
    });
  }

  private key(vin: string): string {
    return `${this.ns}:assist:recent:${vin}`;
  }
}
