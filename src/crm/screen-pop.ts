import type Redis from 'ioredis';
import { Types } from 'mongoose';
import type { RedisKeys } from '../redis/keys';
import type { Models } from '../store/models';

export type { FunnelEntry, PastCall, CustomerCard, ScreenPop } from '../shared/agent-events';
import type { CustomerCard, PastCall } from '../shared/agent-events';

/** What routing and the IVR need to know about a caller. */
export interface CustomerRouting {
  id: Types.ObjectId;
  /** The sales consultant or DCC agent who owns the relationship (preferred agent). */
  owningUser: string | undefined;
  owningStoreId: string | undefined;
  grade: string | undefined;
}

/** Seconds a customer's card and phone link stay cached; writes through this process invalidate at once. */
const CARD_TTL_S = 300;
/** An unknown number is remembered briefly, so a new customer is recognised within a minute. */
const UNKNOWN_TTL_S = 60;

type CachedCard = CustomerCard;

/** How many past calls a screen-pop shows; the stored list is trimmed past TRIM_AT. */
export const RECENT_CALLS = 5;
const TRIM_AT = 50;

/**
 * The built-in CRM (MongoDB): customers by phone, with their funnel and last calls. The offer path
 * reads through a Redis cache (phone → routing facts, customer → card), so a screen-pop costs key
 * lookups, not database queries, while MongoDB stays the record.
 */
export class CustomerDirectory {
  constructor(
    private readonly models: Models,
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** The customer with this number and who owns the relationship (for preferred-agent routing). */
  async findByPhone(e164: string): Promise<CustomerRouting | undefined> {
    const key = this.keys.customerByPhone(e164);
    const cached = await this.redis.get(key);
    if (cached !== null) {
      if (cached === '') return undefined;
      const r = JSON.parse(cached) as Omit<CustomerRouting, 'id'> & { id: string };
      return { ...r, id: new Types.ObjectId(r.id) };
    }
    const link = await this.models.CustomerPhone.findById(e164).lean();
    // The whole customer, once: the card the offer will need is cached on the way.
    const doc = link ? await this.models.Customer.findById(link.customerId).lean() : null;
    const routing = doc ? { id: doc._id, owningUser: doc.owningUser ?? undefined, owningStoreId: doc.owningStoreId ?? undefined, grade: doc.grade ?? undefined } : undefined;
    if (doc && routing) {
      await this.redis
        .multi()
        .set(key, JSON.stringify({ ...routing, id: String(routing.id) }), 'EX', CARD_TTL_S)
        .set(this.keys.customerCard(String(doc._id)), JSON.stringify(toCard(doc as unknown as CustomerLean)), 'EX', CARD_TTL_S)
        .exec();
    } else await this.redis.set(key, '', 'EX', UNKNOWN_TTL_S);
    return routing;
  }

  /** Drops the cached card and phone links of a customer whose record changed. */
  async invalidate(customerId: Types.ObjectId, phones: readonly string[]): Promise<void> {
    await this.redis.del(this.keys.customerCard(String(customerId)), ...phones.map((p) => this.keys.customerByPhone(p)));
  }

  /** Adds a finished call to the customer's recent calls (and drops the cached card). */
  async rememberCall(customerId: Types.ObjectId, call: PastCall): Promise<void> {
    const { Customer } = this.models;
    await Customer.updateOne({ _id: customerId }, { $push: { recentCalls: { ...call, at: new Date(call.at) } } });
    await this.redis.del(this.keys.customerCard(String(customerId)));
  }

  /** Keeps the stored list short; done when a card is read from MongoDB anyway (the store has no $slice). */
  private async trimRecentCalls(c: CustomerLean): Promise<void> {
    const calls = c.recentCalls ?? [];
    if (calls.length <= TRIM_AT) return;
    const keep = [...calls].sort((a, b) => (a.at?.getTime() ?? 0) - (b.at?.getTime() ?? 0)).slice(-RECENT_CALLS * 2);
    await this.models.Customer.updateOne({ _id: c._id }, { $set: { recentCalls: keep } });
  }

  async card(customerId: Types.ObjectId): Promise<CustomerCard | null> {
    const key = this.keys.customerCard(String(customerId));
    const cached = await this.redis.get(key);
    if (cached !== null) return JSON.parse(cached) as CachedCard;
    const c = await this.models.Customer.findById(customerId).lean();
    if (!c) return null;
    const lean = c as unknown as CustomerLean;
    const card = toCard(lean);
    await this.trimRecentCalls(lean);
    await this.redis.set(key, JSON.stringify(card), 'EX', CARD_TTL_S);
    return card;
  }
}

type Opt<T> = T | null | undefined;
/** The fields of a customer document a card is made of (lean reads). */
interface CustomerLean {
  _id: Types.ObjectId;
  name: string;
  phones: string[];
  grade?: Opt<string>;
  status: string;
  defeatReason?: Opt<string>;
  owningStoreId?: Opt<string>;
  owningUser?: Opt<string>;
  modelsConsidered: string[];
  funnel: { at: Date; kind: string; storeId?: Opt<string>; model?: Opt<string>; grade?: Opt<string>; note?: Opt<string> }[];
  recentCalls?: { callId?: Opt<string>; at?: Opt<Date>; direction?: Opt<string>; outcome?: Opt<string>; agent?: Opt<string>; disposition?: Opt<string>; notes?: Opt<string> }[];
}

function toCard(c: CustomerLean): CachedCard {
  const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);
  return {
    id: String(c._id),
    name: c.name,
    phones: c.phones,
    grade: opt(c.grade),
    status: c.status,
    defeatReason: opt(c.defeatReason),
    owningStoreId: opt(c.owningStoreId),
    owningUser: opt(c.owningUser),
    modelsConsidered: c.modelsConsidered,
    funnel: [...c.funnel]
      .sort((a, b) => a.at.getTime() - b.at.getTime())
      .map((f) => ({ at: f.at.toISOString(), kind: f.kind, storeId: opt(f.storeId), model: opt(f.model), grade: opt(f.grade), note: opt(f.note) })),
    lastCalls: [...(c.recentCalls ?? [])]
      .sort((a, b) => (b.at?.getTime() ?? 0) - (a.at?.getTime() ?? 0))
      .slice(0, RECENT_CALLS)
      .map((r) => ({
        callId: r.callId ?? '',
        at: r.at?.toISOString() ?? '',
        direction: r.direction ?? 'inbound',
        outcome: opt(r.outcome),
        agent: opt(r.agent),
        disposition: opt(r.disposition),
        notes: opt(r.notes),
      })),
  };
}
