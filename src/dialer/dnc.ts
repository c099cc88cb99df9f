import type Redis from 'ioredis';

/** Do-not-call numbers (E.164): one global list and one per campaign, in Redis, checked at dial time. */
export class DoNotCall {
  constructor(
    private readonly redis: Redis,
    private readonly ns: string,
  ) {}

  private key(scope: 'global' | { campaignId: string }): string {
    return scope === 'global' ? `${this.ns}:dnc:global` : `${this.ns}:dnc:campaign:${scope.campaignId}`;
  }

  async add(scope: 'global' | { campaignId: string }, phones: string[]): Promise<void> {
    if (phones.length > 0) await this.redis.sadd(this.key(scope), ...phones);
  }

  async remove(scope: 'global' | { campaignId: string }, phones: string[]): Promise<void> {
    if (phones.length > 0) await this.redis.srem(this.key(scope), ...phones);
  }

  /** True when the number is on the global list or the campaign's. */
  async blocked(phone: string, campaignId: string): Promise<boolean> {
    const [g, c] = await Promise.all([this.redis.sismember(this.key('global'), phone), this.redis.sismember(this.key({ campaignId }), phone)]);
    return g === 1 || c === 1;
  }

  /** A page of the list's numbers, sorted, with how many it has; `contains` filters by digits. */
  async list(scope: 'global' | { campaignId: string }, page: { offset: number; limit: number; contains?: string | undefined }): Promise<{ total: number; phones: string[] }> {
    const all = (await this.redis.smembers(this.key(scope))).sort();
    const hits = page.contains ? all.filter((p) => p.includes(page.contains as string)) : all;
    return { total: hits.length, phones: hits.slice(page.offset, page.offset + page.limit) };
  }
}
