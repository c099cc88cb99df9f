import type { RecentCalls } from './recent-calls';
import type { IvrStep } from '../ivr/ivr-session';
import type { Types } from 'mongoose';
import type { Models } from '../store/models';
import type { CallSource } from '../telephony/switch';

export interface FunnelEntry {
  at: string;
  kind: string;
  storeId?: string;
  model?: string;
  grade?: string;
  note?: string;
}

export interface PastCall {
  callId: string;
  at: string;
  direction: string;
  outcome?: string;
  agent?: string;
  disposition?: string;
  notes?: string;
}

export interface CustomerCard {
  id: string;
  /** The customer's id in the dealer's own CRM, when the card came from there. */
  externalId?: string;
  name: string;
  phones: string[];
  grade?: string;
  status: string;
  defeatReason?: string;
  owningStoreId?: string;
  owningUser?: string;
  modelsConsidered: string[];
  funnel: FunnelEntry[];
  lastCalls: PastCall[];
}

/** Everything the agent's desktop shows the moment a call is offered, in one push. */
export interface ScreenPop {
  callId: string;
  from: string;
  to: string;
  source: CallSource;
  queueId: string;
  queueName: string;
  waitedMs: number;
  offerExpiresAt: number;
  customer: CustomerCard | null;
  dispositionCodes: string[];
  /** The IVR path the caller took (nodes, keys pressed, variables), when the number has a flow. */
  ivr: { flowId: string; path: IvrStep[]; vars: Record<string, string> } | null;
  /** A queued callback: accepting rings the agent first, then the customer. */
  callback: boolean;
  /** The dealer's CRM had not answered within the pop budget: a `call:offer_update` follows. */
  customerPending: boolean;
}

/** What routing and the IVR need to know about a caller. */
export interface CustomerRouting {
  id: Types.ObjectId;
  /** The sales consultant or DCC agent who owns the relationship (preferred agent). */
  owningUser: string | undefined;
  owningStoreId: string | undefined;
  grade: string | undefined;
}

/** The built-in CRM (MongoDB): customers by phone, with their funnel and last calls. */
export class CustomerDirectory {
  constructor(
    private readonly models: Models,
    readonly recent: RecentCalls,
  ) {}

  /** The customer with this number and who owns the relationship (for preferred-agent routing). */
  async findByPhone(e164: string): Promise<CustomerRouting | undefined> {
    const link = await this.models.CustomerPhone.findById(e164).lean();
    if (!link) return undefined;
    const doc = await this.models.Customer.findById(link.customerId, { _id: 1, owningUser: 1, owningStoreId: 1, grade: 1 }).lean();
    return doc ? { id: doc._id, owningUser: doc.owningUser ?? undefined, owningStoreId: doc.owningStoreId ?? undefined, grade: doc.grade ?? undefined } : undefined;
  }

  async card(customerId: Types.ObjectId): Promise<CustomerCard | null> {
    const [c, calls] = await Promise.all([
      this.models.Customer.findById(customerId).lean(),
      this.recent.list(customerId),
    ]);
    if (!c) return null;
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
      lastCalls: calls,
    };
  }
}
