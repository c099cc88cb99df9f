import { randomUUID } from 'node:crypto';
import type { AgentService } from '../agents/agent-service';
import type { CallCenter } from '../calls/call-center';
import type { Clock } from '../clock/clock';
import { toE164 } from '../crm/phone';
import type { Logger } from '../log';
import type { Models } from '../store/models';
import { withWriteRetry } from '../store/retry';
import type { CampaignRunner } from './campaign-runner';
import type { DoNotCall } from './dnc';
import type { DialOutcome } from './ports';
import { UserError } from '../util/user-error';

/**
 * Calls an agent places themselves, from the desk: a number typed on the keypad (with one of their
 * campaigns' caller id) and a scheduled callback from their list. Both reuse the preview flow of
 * the call logic (CallCenter.startPreview: the agent's phone first, then the customer's, then the
 * conversation, wrap-up and outcome like any campaign call); this module only checks and reserves.
 */
const refused = (message: string): UserError => new UserError('campaign_refused', message);

export class AgentDialling {
  constructor(
    private readonly d: { models: Models; agents: AgentService; calls: CallCenter; runner: CampaignRunner; dnc: DoNotCall; clock: Clock; log: Logger },
  ) {}

  /** Keypad: dials `number` for the agent with the campaign's caller id. Resolves with the dial's outcome. */
  async manual(agentId: string, campaignId: string, number: string): Promise<DialOutcome> {
    const open = this.campaignOf(agentId, campaignId);
    const phone = toE164(number);
    if (!phone) throw new UserError('not_a_phone_number', `"${number}" is not a phone number`);
    if (await this.d.dnc.blocked(phone, campaignId)) throw new UserError('do_not_call', `${phone} is on a do-not-call list`);
    const callId = await this.reserve(agentId);
    this.d.log.info({ agentId, campaignId, phone, callId }, 'agent dials a number');
    return this.d.calls.startPreview(open.campaign, { leadId: `manual:${randomUUID()}`, phone }, agentId, callId);
  }

  /** A scheduled callback: the lead is taken out of the dialer's queues and dialled for the agent now. */
  async callback(agentId: string, leadId: string): Promise<DialOutcome> {
    const lead = await this.d.models.Lead.findById(leadId, { listId: 1, callbackAgent: 1 }).lean();
    if (!lead) throw refused(`no lead ${leadId}`);
    if (lead.callbackAgent && lead.callbackAgent !== agentId) throw refused(`lead ${leadId} is a personal callback of ${lead.callbackAgent}`);
    const campaigns = await this.d.models.Campaign.find({ listIds: lead.listId, agents: agentId }, { _id: 1 }).lean();
    const campaignId = campaigns.map((c) => c._id).find((id) => this.d.runner.openCampaign(id));
    if (!campaignId) throw refused(`none of your running campaigns calls lead ${leadId}`);
    const open = this.campaignOf(agentId, campaignId);
    const now = this.d.clock.now();
    const taken = await open.leads.take(leadId, now);
    if ('refused' in taken) {
      if (taken.refused === 'do_not_call') throw new UserError('do_not_call', `lead ${leadId} may not be called (do-not-call list or no consent)`);
      if (taken.refused === 'outside_call_window') throw new UserError('outside_call_window', `lead ${leadId} is outside its call window now${taken.at ? ` (next: ${new Date(taken.at).toISOString()})` : ''}`);
      throw refused(`lead ${leadId} is finished`);
    }
    let callId: string;
    try {
      callId = await this.reserve(agentId);
    } catch (err) {
      await open.leads.reschedule(taken.lead, now, lead.callbackAgent ?? undefined);
      throw err;
    }
    this.d.log.info({ agentId, campaignId, leadId, callId }, 'agent calls a scheduled callback');
    const outcome = await this.d.calls.startPreview(open.campaign, taken.lead, agentId, callId);
    await open.leads.outcome(taken.lead, outcome, this.d.clock.now());
    return outcome;
  }

  /** Preview skip with the agent's reason, kept on the lead for the campaign's managers. */
  async skip(agentId: string, leadId: string, reason: string | undefined): Promise<void> {
    await this.d.runner.previewSkip(agentId, leadId);
    if (reason) await withWriteRetry(() => this.d.models.Lead.updateOne({ _id: leadId }, { $push: { skips: { agent: agentId, reason, at: new Date(this.d.clock.now()) } } }).exec());
  }

  private campaignOf(agentId: string, campaignId: string): NonNullable<ReturnType<CampaignRunner['openCampaign']>> {
    const open = this.d.runner.openCampaign(campaignId);
    if (!open) throw refused(`campaign ${campaignId} is not running`);
    if (!open.agents.includes(agentId)) throw refused(`you are not an agent of campaign ${campaignId}`);
    return open;
  }

  /**
   * Reserves the agent for a call of their own: from ready, or from not ready (an agent on outbound
   * work dials while not taking inbound calls), never during a call or while holding a preview lead.
   */
  private async reserve(agentId: string): Promise<string> {
    if (this.d.runner.holdsPreviewLead(agentId)) throw refused('dial or skip the lead you hold first');
    const s = await this.d.agents.get(agentId);
    if (s.state === 'not_ready') {
      const r = await this.d.agents.apply(agentId, { type: 'ready' });
      if (!r.ok) throw new UserError('state_refused', r.error);
    } else if (s.state !== 'ready') throw new UserError('state_refused', `you cannot dial while ${s.state.replace('_', ' ')}`);
    const callId = await this.d.calls.newOutboundCallId();
    const reserved = await this.d.agents.apply(agentId, { type: 'reserve', callId });
    if (!reserved.ok) {
      this.d.calls.dropOutboundCallId(callId);
      throw new UserError('state_refused', `a call was offered to you first (${reserved.error})`);
    }
    return callId;
  }
}
