import type { Models } from '../store/models';
import type { TransferTarget } from './call-transfers';
import { CallActionError } from './inbound-call';

/** What a transfer decision needs to know about the call's store and the colleague asked for. */
export interface TransferFacts {
  /** The store the call belongs to (its queue's or campaign's); undefined: none. */
  storeId: string | undefined;
  /** The store's allow-list of E.164 prefixes for numbers outside the store. */
  transferAllow: readonly string[];
  /** The colleague named by an agent target, as their user record says; undefined: no such user. */
  colleague: { storeIds: readonly string[]; active: boolean } | undefined;
}

/**
 * Why a transfer is refused, or undefined when it may go ahead (pure). A call may go to a colleague
 * (an active user of the call's store) or to a number that starts with one of the store's allowed
 * prefixes; anything else could be toll fraud.
 */
export function transferRefusal(target: TransferTarget, facts: TransferFacts): string | undefined {
  if ('agent' in target) {
    const c = facts.colleague;
    if (!c || !c.active || facts.storeId === undefined || !c.storeIds.includes(facts.storeId)) return `${target.agent} is not a colleague of this call's store`;
    return undefined;
  }
  if (facts.transferAllow.some((prefix) => target.number.startsWith(prefix))) return undefined;
  return `${target.number} is not on this store's transfer list`;
}

/** Loads the facts for a transfer of a call of `storeId` and refuses it (transfer_not_allowed) when the policy says no. */
export async function checkTransfer(models: Models, storeId: string | undefined, target: TransferTarget): Promise<void> {
  const store = storeId ? await models.Store.findById(storeId, { transferAllow: 1 }).lean() : null;
  const user = 'agent' in target ? await models.User.findOne({ username: target.agent }, { storeIds: 1, active: 1 }).lean() : null;
  const refusal = transferRefusal(target, {
    storeId,
    transferAllow: store?.transferAllow ?? [],
    colleague: user ? { storeIds: user.storeIds, active: user.active !== false } : undefined,
  });
  if (refusal) throw new CallActionError('transfer_not_allowed', refusal);
}
