import type { Types } from 'mongoose';
import type { QueueConfig } from '../acd/queue-directory';
import { mergeCards, withinBudget, type ExternalCard, type ExternalCrm } from '../crm/external-crm';
import type { CustomerCard, CustomerDirectory, ScreenPop } from '../crm/screen-pop';
import type { IvrResult } from '../ivr/ivr-session';
import type { CallOffered } from '../telephony/switch';

/**
 * The screen-pop of an offer: the built-in CRM's card at once; the dealer's own CRM's answer merged in
 * when it arrives within the pop budget, else later (`late`, for `call:offer_update`).
 */
export async function buildOfferPop(
  d: { crm: CustomerDirectory; externalCrm: { crm: ExternalCrm; popBudgetMs: number } | undefined },
  call: {
    callId: string;
    offered: CallOffered;
    queue: QueueConfig;
    now: number;
    customerId: Types.ObjectId | undefined;
    ivr: IvrResult | undefined;
    callback: boolean;
    externalLookup: Promise<ExternalCard | null | undefined> | undefined;
  },
): Promise<{ pop: ScreenPop; late: Promise<CustomerCard | null> | undefined }> {
  const builtIn = call.customerId ? await d.crm.card(call.customerId) : null;
  const pop: ScreenPop = {
    callId: call.callId,
    from: call.offered.from,
    to: call.offered.to,
    source: call.offered.source,
    queueId: call.queue.queueId,
    queueName: call.queue.name,
    waitedMs: call.now - call.offered.receivedAt,
    offerExpiresAt: call.now + call.queue.offerTimeoutMs,
    customer: builtIn,
    dispositionCodes: call.queue.dispositionCodes,
    ivr: call.ivr ? { flowId: call.ivr.flowId, path: call.ivr.path, vars: call.ivr.vars } : null,
    callback: call.callback,
    customerPending: false,
  };
  const lookup = call.externalLookup;
  if (!lookup || !d.externalCrm) return { pop, late: undefined };
  const r = await withinBudget(lookup, d.externalCrm.popBudgetMs);
  if (r.done) {
    pop.customer = mergeCards(builtIn, r.value);
    return { pop, late: undefined };
  }
  pop.customerPending = true;
  return { pop, late: lookup.then((ext) => (ext ? mergeCards(builtIn, ext) : builtIn)) };
}

/** The cached card at once; else the CRM's answer (which also fills the cache). Never rejects. */
export async function lookupExternal(crm: ExternalCrm, e164: string, onError: (err: unknown) => void): Promise<ExternalCard | null | undefined> {
  try {
    const cached = await crm.cached(e164);
    return cached !== undefined ? cached : await crm.fetch(e164);
  } catch (err) {
    onError(err);
    return undefined;
  }
}
