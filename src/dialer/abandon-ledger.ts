import type Redis from 'ioredis';
import type { AbandonLedger } from './ports';

const DAY = 86_400_000;
/** The legal window: the abandon rate is measured over the last 30 days (today included). */
export const WINDOW_DAYS = 30;

/** UTC day numbers of the rolling window ending at `now`. */
export function windowDays(now: number): number[] {
  const today = Math.floor(now / DAY);
  return Array.from({ length: WINDOW_DAYS }, (_, i) => today - i);
}

function rateOf(answered: number, abandoned: number): number {
  return answered === 0 ? 0 : abandoned / answered;
}

/** The ledger in Redis: one hash per campaign and day, kept 40 days. Survives restarts; shared by instances. */
export class RedisAbandonLedger implements AbandonLedger {
  constructor(
    private readonly redis: Redis,
    private readonly ns: string,
  ) {}

  private key(campaignId: string, day: number): string {
    return `${this.ns}:dialer:abandon:${campaignId}:${day}`;
  }

  async record(campaignId: string, at: number, e: { answered: number; abandoned: number }): Promise<void> {
    const key = this.key(campaignId, Math.floor(at / DAY));
    await this.redis.multi().hincrby(key, 'answered', e.answered).hincrby(key, 'abandoned', e.abandoned).expire(key, 40 * 86_400).exec();
  }

  /** The UTC day containing `at` alone (the live view's "today"). */
  async day(campaignId: string, at: number): Promise<{ answered: number; abandoned: number; rate: number }> {
    const [a, b] = await this.redis.hmget(this.key(campaignId, Math.floor(at / DAY)), 'answered', 'abandoned');
    return { answered: Number(a ?? 0), abandoned: Number(b ?? 0), rate: rateOf(Number(a ?? 0), Number(b ?? 0)) };
  }

  async rate30d(campaignId: string, now: number): Promise<{ answered: number; abandoned: number; rate: number }> {
    const p = this.redis.pipeline();
    for (const d of windowDays(now)) p.hmget(this.key(campaignId, d), 'answered', 'abandoned');
    const rows = (await p.exec()) ?? [];
    let answered = 0;
    let abandoned = 0;
    for (const [, v] of rows) {
      const [a, b] = (v as (string | null)[]) ?? [];
      answered += Number(a ?? 0);
      abandoned += Number(b ?? 0);
    }
    return { answered, abandoned, rate: rateOf(answered, abandoned) };
  }
}

/** The same ledger in memory, for simulations (the bench runs many days in seconds). */
export class MemoryAbandonLedger implements AbandonLedger {
  private readonly days = new Map<string, { answered: number; abandoned: number }>();

  async record(campaignId: string, at: number, e: { answered: number; abandoned: number }): Promise<void> {
    const k = `${campaignId}:${Math.floor(at / DAY)}`;
    const cur = this.days.get(k) ?? { answered: 0, abandoned: 0 };
    this.days.set(k, { answered: cur.answered + e.answered, abandoned: cur.abandoned + e.abandoned });
  }

  async rate30d(campaignId: string, now: number): Promise<{ answered: number; abandoned: number; rate: number }> {
    let answered = 0;
    let abandoned = 0;
    for (const d of windowDays(now)) {
      const v = this.days.get(`${campaignId}:${d}`);
      answered += v?.answered ?? 0;
      abandoned += v?.abandoned ?? 0;
    }
    return { answered, abandoned, rate: rateOf(answered, abandoned) };
  }
}
