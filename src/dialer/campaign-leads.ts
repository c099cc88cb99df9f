import type Redis from 'ioredis';
import type { Logger } from '../log';
import type { Models } from '../store/models';
import { withWriteRetry } from '../store/retry';
import { afterAttempt, type CallWindow, gradeRank, nextWindowStart, type RetryRules, withinWindow } from './campaign-rules';
import type { DoNotCall } from './dnc';
import type { DialLead, DialOutcome, LeadSource } from './ports';

export interface CampaignLeadConfig {
  campaignId: string;
  listIds: string[];
  window: CallWindow;
  rules: RetryRules;
}

/**
 * Among leads never tried, the more recently in touch come first (a fresh defeat is likelier to be
 * won back): up to an hour of head start for a contact today, none after 180 days. A head start
 * only orders leads that are all due; it never makes a lead due earlier than its time.
 */
export function recencyBonusMs(lastContactAt: number | undefined, now: number): number {
  if (lastContactAt === undefined) return 0;
  const horizon = 180 * 86_400_000;
  const age = Math.min(horizon, Math.max(0, now - lastContactAt));
  return Math.round(((horizon - age) / horizon) * 3600_000);
}

/** Takes the first due lead of the best grade: KEYS = the four grade queues; ARGV = now. */
const POP_DUE = `
for i = 1, #KEYS do
  local m = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', ARGV[1], 'LIMIT', 0, 1)
  if #m > 0 then
    redis.call('ZREM', KEYS[i], m[1])
    return m[1]
  end
end
return false`;

type QueueRedis = Redis & { popDueLead(a: string, b: string, c: string, d: string, now: string): Promise<string | null> };

/**
 * A campaign's leads as the dialer takes them: due times in Redis sorted sets (one per grade, so
 * A-grade leads come first), the lead itself in MongoDB. Every lead is checked again at dial time
 * (do-not-call lists, consent, its own local call window) — a number put on a DNC list or a
 * consent withdrawn after the import is never dialled. Outcomes schedule the next attempt by the
 * campaign's retry rules, the 72 h rule after an abandon, and the grade's follow-up cadence.
 */
export class CampaignLeads implements LeadSource {
  private readonly redis: QueueRedis;

  constructor(
    redis: Redis,
    private readonly ns: string,
    private readonly models: Models,
    private readonly dnc: DoNotCall,
    private readonly c: CampaignLeadConfig,
    private readonly log: Logger,
  ) {
    if (!('popDueLead' in redis)) redis.defineCommand('popDueLead', { numberOfKeys: 4, lua: POP_DUE });
    this.redis = redis as QueueRedis;
  }

  private queues(): [string, string, string, string] {
    const k = (r: number) => `${this.ns}:dialer:${this.c.campaignId}:due:${r}`;
    return [k(0), k(1), k(2), k(3)];
  }

  /** Puts the lists' open leads in the campaign's queues (at their next dial time, or now). Returns how many. */
  async load(now: number): Promise<number> {
    let n = 0;
    const q = this.queues();
    const cursor = this.models.Lead.find({ listId: { $in: this.c.listIds }, status: { $in: ['new', 'in_progress'] } }, { _id: 1, grade: 1, nextDialAt: 1, callbackAgent: 1, lastContactAt: 1 })
      .lean()
      .cursor({ batchSize: 1000 });
    let pipe = this.redis.pipeline();
    for await (const lead of cursor) {
      const due = lead.nextDialAt ? lead.nextDialAt.getTime() : now - recencyBonusMs(lead.lastContactAt?.getTime(), now);
      if (lead.callbackAgent) pipe.zadd(this.personalQueue(lead.callbackAgent), due, lead._id).sadd(this.personalAgents(), lead.callbackAgent);
      else pipe.zadd(q[gradeRank(lead.grade ?? undefined)], due, lead._id);
      if (++n % 1000 === 0) {
        await pipe.exec();
        pipe = this.redis.pipeline();
      }
    }
    await pipe.exec();
    return n;
  }

  async next(now: number): Promise<DialLead | undefined> {
    const [a, b, c, d] = this.queues();
    for (let guard = 0; guard < 100; guard++) {
      const id = await this.redis.popDueLead(a, b, c, d, String(now));
      if (!id) return undefined;
      const lead = await this.checked(id, now, async (at, grade) => {
        await this.redis.zadd(this.queues()[gradeRank(grade)], at, id);
      });
      if (lead) return lead;
    }
    return undefined;
  }

  /**
   * The dial-time checks of a lead taken from a queue: gone, finished or DNC/no consent (marked,
   * dropped), outside its local window (put back for the window's start via `later`).
   */
  private async checked(id: string, now: number, later: (at: number, grade: string | undefined) => Promise<unknown>): Promise<DialLead | undefined> {
    const lead = await this.models.Lead.findById(id).lean();
    if (!lead || lead.status === 'done' || lead.status === 'dnc') return undefined;
    if (!lead.consent || (await this.dnc.blocked(lead.phone, this.c.campaignId))) {
      await withWriteRetry(() => this.models.Lead.updateOne({ _id: id }, { $set: { status: 'dnc' } }).exec());
      this.log.info({ leadId: id }, 'lead skipped at dial time: do not call or no consent');
      return undefined;
    }
    if (!withinWindow(this.c.window, lead.timeZone, now)) {
      const at = nextWindowStart(this.c.window, lead.timeZone, now);
      if (at !== undefined) await later(at, lead.grade ?? undefined);
      return undefined;
    }
    return { leadId: id, phone: lead.phone };
  }

  async outcome(lead: DialLead, outcome: DialOutcome, at: number): Promise<void> {
    const doc = await this.models.Lead.findById(lead.leadId).lean();
    if (!doc) return;
    const customer = outcome === 'connected' ? await this.followUpOf(doc.phone) : undefined;
    const step = afterAttempt({ grade: doc.grade ?? undefined, attempts: doc.attempts, timeZone: doc.timeZone, nextFollowUpAt: customer }, outcome, at, this.c.rules, this.c.window);
    const set: Record<string, unknown> = { attempts: doc.attempts + 1, lastOutcome: outcome, lastAttemptAt: new Date(at) };
    if (step.kind === 'done') set.status = 'done';
    else {
      set.status = 'in_progress';
      set.nextDialAt = new Date(step.at);
      await this.redis.zadd(this.queues()[gradeRank(doc.grade ?? undefined)], step.at, lead.leadId);
    }
    await withWriteRetry(() => this.models.Lead.updateOne({ _id: lead.leadId }, { $set: set }).exec());
  }

  /** A follow-up date the agent set on the customer with this number, if any. */
  private async followUpOf(phone: string): Promise<number | undefined> {
    const link = await this.models.CustomerPhone.findById(phone).lean();
    if (!link) return undefined;
    const c = await this.models.Customer.findById(link.customerId, { nextFollowUpAt: 1 }).lean();
    return c?.nextFollowUpAt?.getTime();
  }

  private personalAgents(): string {
    return `${this.ns}:dialer:${this.c.campaignId}:personal-agents`;
  }

  private personalQueue(agentId: string): string {
    return `${this.ns}:dialer:${this.c.campaignId}:personal:${agentId}`;
  }

  /**
   * The agent's chosen time for the next call: overrides the cadence. For the team, the lead waits
   * in the shared queues; a personal callback waits in that agent's own queue (only they call it).
   */
  async reschedule(lead: DialLead, at: number, agentId?: string): Promise<void> {
    const doc = await this.models.Lead.findById(lead.leadId, { grade: 1 }).lean();
    if (!doc) return;
    await withWriteRetry(() =>
      this.models.Lead.updateOne({ _id: lead.leadId, status: { $ne: 'dnc' } }, { $set: { status: 'in_progress', nextDialAt: new Date(at), callbackAgent: agentId ?? null } }).exec(),
    );
    const shared = this.queues()[gradeRank(doc.grade ?? undefined)];
    if (agentId) await this.redis.multi().zrem(shared, lead.leadId).zadd(this.personalQueue(agentId), at, lead.leadId).sadd(this.personalAgents(), agentId).exec();
    else await this.redis.zadd(shared, at, lead.leadId);
  }

  /** A personal callback of this agent that is due, checked like any dial (DNC, consent, window). */
  async nextPersonal(agentId: string, now: number): Promise<DialLead | undefined> {
    const key = this.personalQueue(agentId);
    for (let guard = 0; guard < 20; guard++) {
      const [id] = await this.redis.zrangebyscore(key, '-inf', now, 'LIMIT', 0, 1);
      if (!id) return undefined;
      await this.redis.zrem(key, id);
      const lead = await this.checked(id, now, (at) => this.redis.zadd(key, at, id));
      if (lead) return lead;
    }
    return undefined;
  }

  /**
   * An agent takes this lead out of the queues to call it now (a scheduled callback from their
   * list): checked like any dial. `refused` says why it may not be called now.
   */
  async take(leadId: string, now: number): Promise<{ lead: DialLead } | { refused: 'gone' | 'do_not_call' | 'outside_call_window'; at?: number }> {
    const agents = await this.redis.smembers(this.personalAgents());
    const doc = await this.models.Lead.findById(leadId, { grade: 1, nextDialAt: 1, callbackAgent: 1, status: 1, consent: 1, phone: 1, timeZone: 1 }).lean();
    if (!doc || doc.status === 'done' || doc.status === 'dnc') return { refused: 'gone' };
    if (!doc.consent || (await this.dnc.blocked(doc.phone, this.c.campaignId))) {
      await withWriteRetry(() => this.models.Lead.updateOne({ _id: leadId }, { $set: { status: 'dnc' } }).exec());
      return { refused: 'do_not_call' };
    }
    if (!withinWindow(this.c.window, doc.timeZone, now)) return { refused: 'outside_call_window', at: nextWindowStart(this.c.window, doc.timeZone, now) };
    const m = this.redis.multi();
    for (const q of this.queues()) m.zrem(q, leadId);
    for (const a of agents) m.zrem(this.personalQueue(a), leadId);
    await m.exec();
    return { lead: { leadId, phone: doc.phone } };
  }

  /** A lead taken but not dialled (skipped in preview) comes up again at `at`. */
  async requeue(lead: DialLead, at: number): Promise<void> {
    const doc = await this.models.Lead.findById(lead.leadId, { grade: 1 }).lean();
    await this.redis.zadd(this.queues()[gradeRank(doc?.grade ?? undefined)], at, lead.leadId);
  }

  /** No lead left in the shared queues nor in any agent's personal callbacks. */
  async exhausted(): Promise<boolean> {
    const agents = await this.redis.smembers(this.personalAgents());
    const counts = await Promise.all([...this.queues(), ...agents.map((a) => this.personalQueue(a))].map((k) => this.redis.zcard(k)));
    return counts.every((n) => n === 0);
  }
}
