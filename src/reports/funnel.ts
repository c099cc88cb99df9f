import type { Models } from '../store/models';
import { campaignOf } from './call-counts';

/**
 * The DCC outcome funnel per agent, store or campaign over a period: contacts (conversations, from
 * the interval rows) → appointments booked (outcomes with an appointment) → store visits (the
 * customer's funnel shows a visit after the appointment was booked) → won back (the customer bought:
 * status customer). And the follow-up cadence of graded leads: A daily, B weekly, C monthly — the
 * share of a campaign's or store's A/B/C leads tried within their cadence before the period's end
 * (leads imported within it are not due yet and count as on time).
 */

export type FunnelBy = 'agent' | 'store' | 'campaign';
export const CADENCE_DAYS = { A: 1, B: 7, C: 30 } as const;
type Grade = keyof typeof CADENCE_DAYS;

export interface FunnelRow {
  key: string;
  contacts: number;
  appointments: number;
  visits: number;
  wonBack: number;
  cadence: Record<Grade, { leads: number; onTime: number; share: number | null }> | null;
}

export async function funnel(models: Models, by: FunnelBy, from: Date, to: Date, contacts: Map<string, number>, storeOfQueue: (queueId: string | undefined) => Promise<string | undefined>): Promise<FunnelRow[]> {
  const rows = new Map<string, FunnelRow>();
  const rowOf = (key: string): FunnelRow => {
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { key, contacts: 0, appointments: 0, visits: 0, wonBack: 0, cadence: null }));
    return r;
  };
  for (const [key, n] of contacts) rowOf(key).contacts = n;

  const booked = await models.Disposition.find({ at: { $gte: from, $lt: to }, 'appointment.at': { $exists: true } }, { agentUsername: 1, queueId: 1, customerId: 1, at: 1, appointment: 1 }).lean();
  const customerIds = [...new Set(booked.map((b) => b.customerId).filter((c) => c !== undefined && c !== null).map(String))];
  const customers = new Map((await models.Customer.find({ _id: { $in: customerIds } }, { status: 1, funnel: 1 }).lean()).map((c) => [String(c._id), c]));
  for (const b of booked) {
    const key = by === 'agent' ? b.agentUsername : by === 'campaign' ? campaignOf(b.queueId) : (b.appointment?.storeId ?? (await storeOfQueue(b.queueId ?? undefined)));
    if (!key) continue;
    const r = rowOf(key);
    r.appointments++;
    const c = b.customerId ? customers.get(String(b.customerId)) : undefined;
    if (!c) continue;
    if (c.funnel.some((f) => f.kind === 'visit' && f.at >= b.at)) r.visits++;
    if (c.status === 'customer') r.wonBack++;
  }

  if (by !== 'agent') {
    const lists = await models.LeadList.find({}, { storeId: 1 }).lean();
    const listStore = new Map(lists.map((l) => [l._id, l.storeId]));
    const campaigns = by === 'campaign' ? await models.Campaign.find({}, { listIds: 1 }).lean() : [];
    const leads = await models.Lead.find({ grade: { $in: ['A', 'B', 'C'] } }, { listId: 1, grade: 1, lastAttemptAt: 1, createdAt: 1, status: 1 }).lean();
    const keysOf = (listId: string): string[] => (by === 'store' ? [listStore.get(listId) ?? ''].filter(Boolean) : campaigns.filter((c) => c.listIds.includes(listId)).map((c) => c._id));
    for (const l of leads) {
      if (l.status === 'dnc') continue;
      const grade = l.grade as Grade;
      const window = CADENCE_DAYS[grade] * 86_400_000;
      const onTime = (l.lastAttemptAt !== undefined && l.lastAttemptAt !== null && to.getTime() - l.lastAttemptAt.getTime() <= window) || to.getTime() - (l.createdAt as Date).getTime() <= window;
      for (const key of keysOf(l.listId)) {
        const r = rowOf(key);
        r.cadence ??= { A: { leads: 0, onTime: 0, share: null }, B: { leads: 0, onTime: 0, share: null }, C: { leads: 0, onTime: 0, share: null } };
        const g = r.cadence[grade];
        g.leads++;
        if (onTime) g.onTime++;
        g.share = g.onTime / g.leads;
      }
    }
  }
  return [...rows.values()].sort((a, b) => a.key.localeCompare(b.key));
}
