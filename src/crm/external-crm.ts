import type Redis from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../log';
import type { CustomerCard } from './screen-pop';

/**
 * A dealer's own CRM (DMS) over HTTP: GET <baseUrl>/customers?phone=<E.164> answers a customer
 * card (404: unknown). Cards are cached in Redis, so a repeat caller pops at once even when the CRM
 * is slow. Nothing here waits on the app's clock: the budget is about real network time.
 */

const funnel = z.object({ at: z.string(), kind: z.string(), storeId: z.string().optional(), model: z.string().optional(), grade: z.string().optional(), note: z.string().optional() });
export const externalCardSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  phones: z.array(z.string()).default([]),
  grade: z.string().optional(),
  status: z.string().default('prospect'),
  defeatReason: z.string().optional(),
  owningStoreId: z.string().optional(),
  owningUser: z.string().optional(),
  modelsConsidered: z.array(z.string()).default([]),
  funnel: z.array(funnel).default([]),
});
export type ExternalCard = z.infer<typeof externalCardSchema>;

export interface ExternalCrmOptions {
  baseUrl: string;
  token: string | undefined;
  /** How long a card stays cached. */
  cacheTtlMs: number;
  /** A lookup is abandoned after this long (it is then simply missing from the pop). */
  timeoutMs: number;
}

export class ExternalCrm {
  constructor(
    private readonly o: ExternalCrmOptions,
    private readonly redis: Redis,
    private readonly cacheKey: (phone: string) => string,
    private readonly log: Logger,
  ) {}

  /** The cached card, if any (fast path for the pop). */
  async cached(phone: string): Promise<ExternalCard | null | undefined> {
    const raw = await this.redis.get(this.cacheKey(phone));
    if (raw === null) return undefined;
    return raw === '' ? null : (JSON.parse(raw) as ExternalCard);
  }

  /** Asks the CRM; null when it does not know the number, undefined when it could not answer. */
  async fetch(phone: string): Promise<ExternalCard | null | undefined> {
    try {
      const res = await fetch(`${this.o.baseUrl.replace(/\/$/, '')}/customers?phone=${encodeURIComponent(phone)}`, {
        headers: this.o.token ? { authorization: `Bearer ${this.o.token}` } : {},
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      if (res.status === 404) {
        await res.body?.cancel();
        await this.redis.set(this.cacheKey(phone), '', 'PX', this.o.cacheTtlMs);
        return null;
      }
      if (!res.ok) {
        this.log.warn({ status: res.status }, 'external CRM lookup failed');
        await res.body?.cancel();
        return undefined;
      }
      const parsed = externalCardSchema.safeParse(await res.json());
      if (!parsed.success) {
        this.log.warn({ issue: parsed.error.issues[0] }, 'external CRM answered a card we cannot read');
        return undefined;
      }
      await this.redis.set(this.cacheKey(phone), JSON.stringify(parsed.data), 'PX', this.o.cacheTtlMs);
      return parsed.data;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'external CRM unreachable');
      return undefined;
    }
  }
}

/** The external card over the built-in one: the dealer's CRM is the reference; our calls stay ours. */
export function mergeCards(builtIn: CustomerCard | null, external: ExternalCard | null | undefined): CustomerCard | null {
  if (!external) return builtIn;
  return {
    ...external,
    id: builtIn?.id ?? `ext:${external.id}`,
    externalId: external.id,
    funnel: [...external.funnel].sort((a, b) => a.at.localeCompare(b.at)),
    lastCalls: builtIn?.lastCalls ?? [],
  };
}

/** Resolves with the promise's value if it settles within ms, else with `timedOut` (the promise keeps running). */
export async function withinBudget<T>(p: Promise<T>, ms: number): Promise<{ done: true; value: T } | { done: false }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ done: false }>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), ms);
  });
  try {
    return await Promise.race([p.then((value) => ({ done: true as const, value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
