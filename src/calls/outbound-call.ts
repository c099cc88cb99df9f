import type { Types } from 'mongoose';
import type { AgentChannel } from '../agents/agent-channel';
import type { AgentService } from '../agents/agent-service';
import type { Clock } from '../clock/clock';
import type { CustomerDirectory } from '../crm/screen-pop';
import type { DialOutcome } from '../dialer/ports';
import type { InflightWrites } from '../lifecycle/inflight';
import type { Logger } from '../log';
import type { Models } from '../store/models';
import { LegGoneError, type HangupCause, type LegId, type RecordingStopped, type Switch } from '../telephony/switch';
import { detach } from '../util/detach';
import { CallActionError } from './call-errors';
import { CallRecorder, type RecordingMeta } from './call-recorder';
import type { CallRecordWriter } from './call-record-writer';
import type { CallSession, ControlFields, LiveConversation } from './call-session';
import { DispositionError, type DispositionService, type OutcomeDetails } from './dispositions';
import type { LiveCalls } from './live-calls';
import { RecordDraft } from './session/record-draft';
import { StepChain } from './session/step-chain';
import { WrapUp } from './session/wrap-up';

export interface OutboundContext {
  sw: Switch;
  clock: Clock;
  agents: AgentService;
  models: Models;
  crm: CustomerDirectory;
  /** Records connected conversations. */
  recorder: CallRecorder;
  channel: AgentChannel;
  outcomes: DispositionService;
  inflight: InflightWrites;
  /** The call record's writes, in order per call. */
  records: CallRecordWriter;
  /** What Redis keeps of each live call, for the sweeper. */
  live: LiveCalls;
  /** This instance. */
  owner: string;
  log: Logger;
  bindLeg(legId: LegId, call: CallSession): void;
  forget(call: CallSession): void;
  abandon(call: CallSession, reason: string): void;
}

export interface OutboundCampaign {
  campaignId: string;
  name: string;
  callerId: string;
  dispositionCodes: string[];
  wrapUpMs: number;
  wrapUpExtendMaxMs: number;
  /** The agent must save an outcome before leaving wrap-up. */
  requireDisposition?: boolean;
  safeHarborPrompt: string;
  script: string | undefined;
  /** The campaign's (first) store: recordings are filed by its local date. */
  storeId?: string;
  /** The agent set the lead's next call: the campaign reschedules the lead, for the team or (agentId) for that agent. */
  followUp?: (lead: { leadId: string; phone: string }, at: number, agentId?: string) => Promise<void>;
}

/** How long a lead's phone rings when an agent dials it from preview. */
const PREVIEW_RING_MS = 30_000;
/** How long the agent's phone may take to answer an outbound connection (auto-answer expected). */
const AGENT_ANSWER_MS = 1500;
/** No outbound call lives longer than this. */
const MAX_CALL_AGE_MS = 8 * 3600_000;
/** Slack past a phase's own deadline before the watchdog acts. */
const WATCHDOG_SLACK_MS = 60_000;

type Phase = 'connecting' | 'connected' | 'wrap_up' | 'done';

/**
 * A lead a person answered, handed to the agent the dialer reserved (or a lead the agent dials from
 * preview): the agent's phone (set to answer by itself) is called and bridged, the desktop gets the
 * lead's card, and the call then ends, wraps up and takes its outcome like an inbound one. Steps run
 * one at a time; a phase changes only after the I/O it depends on.
 */
export class OutboundCall implements CallSession {
  private phase: Phase = 'connecting';
  private agentLeg: LegId | undefined;
  private connectedAt = 0;
  private readonly startedAt: number;
  /** This conversation's recording, once started. */
  private recording: RecordingMeta | undefined;
  private customerId: Types.ObjectId | undefined;
  private readonly wrapUp: WrapUp;
  private readonly chain: StepChain;
  private readonly draft: RecordDraft<Record<string, unknown>>;
  private readonly log: Logger;

  constructor(
    private readonly ctx: OutboundContext,
    private readonly campaign: OutboundCampaign,
    readonly lead: { leadId: string; phone: string },
    /** The answered lead's leg; undefined for a preview call until the agent dials. */
    private customerLeg: LegId | undefined,
    readonly agentId: string,
    /** Reserved with the agent (CallCenter.newOutboundCallId). */
    readonly callId: string,
  ) {
    this.startedAt = ctx.clock.now();
    this.log = ctx.log.child({ callId: this.callId, campaignId: campaign.campaignId, agentId });
    this.chain = new StepChain({ log: this.log, now: () => ctx.clock.now(), onFault: () => this.giveUp('step failed') });
    this.draft = new RecordDraft(this.callId, ctx.records);
    this.wrapUp = new WrapUp(
      ctx.clock,
      `outbound:${this.callId}:wrap-up`,
      { wrapUpMs: campaign.wrapUpMs, extendMaxMs: campaign.wrapUpExtendMaxMs, requireDisposition: campaign.requireDisposition ?? false, of: 'campaign' },
      () => this.chain.background(() => this.done()),
    );
  }

  /** Resolves when the agent is talking to the customer, or the connection failed (then the customer heard the safe-harbor message). */
  start(): Promise<boolean> {
    if (this.customerLeg) this.ctx.bindLeg(this.customerLeg, this);
    return this.chain.run(() => this.connect());
  }

  idle(): Promise<void> {
    return this.chain.idle();
  }

  healthy(now: number): boolean {
    if (this.chain.faulted) return false;
    const deadline = this.phase === 'wrap_up' ? this.wrapUp.until + this.wrapUp.overdueLimitMs + WATCHDOG_SLACK_MS : this.phase === 'connecting' ? this.startedAt + PREVIEW_RING_MS + 2 * WATCHDOG_SLACK_MS : this.startedAt + MAX_CALL_AGE_MS;
    return now <= deadline;
  }

  giveUp(reason: string): void {
    if (this.phase === 'done') return;
    this.log.error({ reason, phase: this.phase }, 'giving up on the call; the sweeper closes it');
    this.phase = 'done';
    this.wrapUp.clear();
    for (const leg of [this.agentLeg, this.customerLeg]) if (leg) detach(this.quietly(() => this.ctx.sw.hangup(leg, 'network_failure')), this.log, 'hang-up of a failed call');
    this.ctx.abandon(this, reason);
  }

  legEnded(legId: LegId, cause: HangupCause): Promise<void> {
    return this.chain.run(async () => {
      if (this.phase !== 'connected') return;
      const other = legId === this.customerLeg ? this.agentLeg : this.customerLeg;
      if (other) await this.quietly(() => this.ctx.sw.hangup(other, 'normal_clearing'));
      await this.ended(legId === this.customerLeg ? 'customer' : 'agent', cause);
    });
  }

  agentHangup(agentId: string): Promise<void> {
    return this.chain.command(async () => {
      if (agentId !== this.agentId || this.phase !== 'connected' || !this.agentLeg) throw new CallActionError('not_your_call', 'you are not talking on this call');
      await this.ctx.sw.hangup(this.agentLeg, 'normal_clearing');
    });
  }

  recordingStopped(e: RecordingStopped): void {
    this.recording = CallRecorder.stoppedMeta(this.recording, e);
    this.draft.write({ recording: this.recording });
  }

  handOver(agentId: string, to: string): Promise<void> {
    return this.chain.command(async () => {
      const agentLeg = this.agentLeg;
      if (agentId !== this.agentId || this.phase !== 'connected' || !agentLeg) throw new CallActionError('not_your_call', 'you are not talking on this call');
      this.draft.defer({ transferredTo: to });
      await this.ended('agent', 'normal_clearing', 'transferred');
      await this.quietly(() => this.ctx.sw.hangup(agentLeg, 'normal_clearing'));
    });
  }

  amendRecord(fields: ControlFields): void {
    this.draft.write({ ...fields });
  }

  liveConversation(): LiveConversation | undefined {
    if (this.phase !== 'connected' || !this.customerLeg || !this.agentLeg) return undefined;
    return { callId: this.callId, agentId: this.agentId, customerLeg: this.customerLeg, agentLeg: this.agentLeg, storeId: this.campaign.storeId, customer: this.lead.phone, dealerNumber: this.campaign.callerId, direction: 'outbound', connectedAt: this.connectedAt };
  }

  customerLegFor(agentId: string): LegId {
    if (agentId !== this.agentId || this.phase !== 'connected' || !this.customerLeg) throw new CallActionError('not_your_call', 'you are not talking on this call');
    return this.customerLeg;
  }

  extendWrapUp(agentId: string, ms: number): Promise<number> {
    return this.chain.command(async () => {
      if (agentId !== this.agentId || this.phase !== 'wrap_up') throw new CallActionError('not_in_wrap_up', 'you can extend wrap-up only for your own call, during wrap-up');
      const until = this.wrapUp.extend(ms);
      this.ctx.channel.wrapUpExtended(agentId, this.callId, until);
      return until;
    });
  }

  leaveWrapUp(agentId: string): Promise<void> {
    return this.chain.command(async () => {
      if (agentId !== this.agentId || this.phase !== 'wrap_up') throw new CallActionError('not_in_wrap_up', 'this call is not in wrap-up');
      this.wrapUp.checkMayLeave();
      await this.done();
    });
  }

  disposition(agentId: string, code: string, notes: string, details: OutcomeDetails = {}): Promise<void> {
    return this.chain.command(async () => {
      if (agentId !== this.agentId || this.phase !== 'wrap_up') throw new CallActionError('not_in_wrap_up', 'you can record an outcome only for your own call, after it ends');
      if (!this.campaign.dispositionCodes.includes(code)) throw new DispositionError(`unknown disposition code "${code}"; this campaign uses: ${this.campaign.dispositionCodes.join(', ')}`);
      const at = details.nextFollowUpAt ? Date.parse(details.nextFollowUpAt) : undefined;
      if (at !== undefined && at <= this.ctx.clock.now()) throw new DispositionError('nextFollowUpAt must be in the future');
      // A lead that is not (yet) a CRM customer still gets its follow-up: on the lead, through the campaign.
      const { nextFollowUpAt, callbackScope, ...forCrm } = details;
      await this.ctx.outcomes.record({ ...(this.customerId ? { ...forCrm, nextFollowUpAt } : forCrm), callId: this.callId, agentId, code, notes, at: new Date(this.ctx.clock.now()), customerId: this.customerId, queueId: `campaign:${this.campaign.campaignId}` });
      if (nextFollowUpAt !== undefined && at !== undefined) await this.campaign.followUp?.(this.lead, at, callbackScope === 'personal' ? agentId : undefined);
      this.wrapUp.dispositionSaved();
      this.ctx.channel.dispositionSaved(agentId, this.callId, code);
      await this.done();
    });
  }

  terminate(): Promise<void> {
    return this.chain.run(async () => {
      if (this.customerLeg) await this.quietly(() => this.ctx.sw.hangup(this.customerLeg as LegId, 'system_shutdown'));
      if (this.agentLeg) await this.quietly(() => this.ctx.sw.hangup(this.agentLeg as LegId, 'system_shutdown'));
      if (this.phase === 'connected') await this.ended('system', 'system_shutdown');
      if (this.phase === 'wrap_up') await this.done();
    });
  }

  // ---- steps ---------------------------------------------------------------------------------

  /** Preview: the agent chose to dial the lead. Their phone first, then the lead's; the result is the lead's outcome. */
  startPreview(): Promise<DialOutcome> {
    return this.chain.run(async () => {
      if (!(await this.agentLegUp())) return 'failed';
      const r = await this.ctx.sw.dial({ to: this.lead.phone, callerId: this.campaign.callerId, purpose: 'customer', ringTimeoutMs: PREVIEW_RING_MS, headers: { 'x-call-id': this.callId } });
      if (r.outcome !== 'answered') {
        await this.quietly(() => this.ctx.sw.hangup(this.agentLeg as LegId, 'normal_clearing'));
        await this.ctx.agents.apply(this.agentId, { type: 'call_gone' });
        const outcome: DialOutcome = r.outcome === 'busy' ? 'busy' : r.outcome === 'no_answer' ? 'no_answer' : 'failed';
        this.draft.write({ status: 'ended', outcome: 'failed', endedAt: new Date(this.ctx.clock.now()), endedBy: 'system', endCause: r.cause });
        this.phase = 'done';
        this.ctx.forget(this);
        return outcome;
      }
      this.customerLeg = r.legId;
      this.ctx.bindLeg(r.legId, this);
      await this.talk();
      return 'connected';
    });
  }

  private async connect(): Promise<boolean> {
    if (!(await this.agentLegUp())) {
      await this.quietly(async () => {
        await this.ctx.sw.play(this.customerLeg as LegId, { id: this.campaign.safeHarborPrompt });
        await this.ctx.sw.hangup(this.customerLeg as LegId, 'normal_clearing');
      });
      return false;
    }
    await this.talk();
    return true;
  }

  /** The call record, then the agent's phone (it answers by itself); false when it does not. */
  private async agentLegUp(): Promise<boolean> {
    const { sw, clock, agents } = this.ctx;
    await this.ctx.live.set(this.callId, { owner: this.ctx.owner, phase: 'connecting', direction: 'outbound', agentId: this.agentId, queueId: `campaign:${this.campaign.campaignId}`, storeId: this.campaign.storeId, customer: this.lead.phone });
    const customer = await this.ctx.crm.findByPhone(this.lead.phone);
    this.customerId = customer?.id;
    this.draft.create({ direction: 'outbound', source: 'trunk', from: this.campaign.callerId, to: this.lead.phone, status: 'ringing', offeredAt: new Date(clock.now()), queueId: `campaign:${this.campaign.campaignId}`, customerId: this.customerId });
    await agents.apply(this.agentId, { type: 'accept' });
    const leg = await sw.dial({ to: `agent:${this.agentId}`, callerId: this.lead.phone, purpose: 'agent', ringTimeoutMs: AGENT_ANSWER_MS, headers: { 'x-call-id': this.callId } });
    if (leg.outcome === 'answered') {
      this.agentLeg = leg.legId;
      this.ctx.bindLeg(leg.legId, this);
      return true;
    }
    this.log.warn({ outcome: leg.outcome }, 'agent phone did not answer an outbound connection');
    await agents.apply(this.agentId, { type: 'leg_failed' });
    this.draft.write({ status: 'ended', outcome: 'failed', endedAt: new Date(clock.now()), endedBy: 'system' });
    this.phase = 'done';
    this.ctx.forget(this);
    return false;
  }

  /** Both legs are up: bridge them, the agent talks, the desktop gets the lead's card. */
  private async talk(): Promise<void> {
    const { sw, clock, agents } = this.ctx;
    try {
      await sw.bridge(this.customerLeg as LegId, this.agentLeg as LegId);
    } catch (err) {
      if (!(err instanceof LegGoneError)) throw err;
    }
    const now = clock.now();
    await agents.apply(this.agentId, { type: 'connected' });
    await agents.countCall(this.agentId);
    await this.ctx.live.set(this.callId, { phase: 'connected', connectedAt: now });
    this.phase = 'connected';
    this.connectedAt = now;
    if (this.customerLeg) this.recording = await this.ctx.recorder.record(this.callId, this.customerLeg, this.campaign.storeId, this.connectedAt);
    if (this.recording) this.draft.defer({ recording: this.recording });
    this.ctx.channel.outbound(this.agentId, {
      callId: this.callId,
      campaignId: this.campaign.campaignId,
      campaignName: this.campaign.name,
      leadId: this.lead.leadId,
      phone: this.lead.phone,
      customer: this.customerId ? await this.ctx.crm.card(this.customerId) : null,
      dispositionCodes: this.campaign.dispositionCodes,
      script: this.campaign.script,
      connectedAt: this.connectedAt,
    });
    this.draft.write({ status: 'connected', agentUsername: this.agentId, connectedAt: new Date(this.connectedAt) });
  }

  private async ended(by: 'customer' | 'agent' | 'system', cause: HangupCause, outcome: 'answered' | 'transferred' = 'answered'): Promise<void> {
    const now = this.ctx.clock.now();
    const talkMs = now - this.connectedAt;
    await this.ctx.agents.apply(this.agentId, { type: 'call_ended' });
    await this.ctx.live.set(this.callId, { phase: 'wrap_up' });
    this.phase = 'wrap_up';
    const until = this.wrapUp.begin(now);
    this.draft.write({ status: 'ended', outcome, endedAt: new Date(now), endCause: cause, endedBy: by === 'customer' ? 'caller' : by, talkMs });
    this.ctx.channel.ended(this.agentId, { callId: this.callId, endedBy: by === 'customer' ? 'caller' : by, cause, talkMs, wrapUpUntil: until, dispositionCodes: this.campaign.dispositionCodes });
  }

  private async done(): Promise<void> {
    if (this.phase !== 'wrap_up') return;
    await this.ctx.agents.apply(this.agentId, { type: 'wrap_up_done' });
    this.wrapUp.clear();
    this.phase = 'done';
    this.ctx.forget(this);
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private async quietly(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (!(err instanceof LegGoneError)) this.log.warn({ err }, 'leg command failed');
    }
  }
}
