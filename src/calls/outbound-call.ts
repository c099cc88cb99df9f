import type { Types } from 'mongoose';
import type { AgentChannel } from '../agents/agent-channel';
import type { AgentService } from '../agents/agent-service';
import type { Clock, TimerHandle } from '../clock/clock';
import type { CustomerDirectory } from '../crm/screen-pop';
import type { InflightWrites } from '../lifecycle/inflight';
import type { Logger } from '../log';
import type { Models } from '../store/models';
import { LegGoneError, type HangupCause, type LegId, type RecordingStopped, type Switch } from '../telephony/switch';
import type { CallSession, ControlFields, LiveConversation } from './call-session';
import { CallActionError } from './inbound-call';
import type { DialOutcome } from '../dialer/ports';
import { DispositionError, type DispositionService, type OutcomeDetails } from './dispositions';
import { CallRecorder, type RecordingMeta } from './call-recorder';
import type { CallRecordWriter } from './call-record-writer';

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
  log: Logger;
  bindLeg(legId: LegId, call: CallSession): void;
  forget(call: CallSession): void;
}

export interface OutboundCampaign {
  campaignId: string;
  name: string;
  callerId: string;
  dispositionCodes: string[];
  wrapUpMs: number;
  wrapUpExtendMaxMs: number;
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

/**
 * A lead a person answered, handed to the agent the dialer reserved: the agent's phone (set to
 * answer by itself) is called and bridged at once, the desktop gets the lead's card, and the call
 * then ends, wraps up and takes its outcome like an inbound one. Steps run one at a time.
 */
export class OutboundCall implements CallSession {
  private phase: 'connecting' | 'connected' | 'wrap_up' | 'done' = 'connecting';
  private agentLeg: LegId | undefined;
  private connectedAt = 0;
  /** This conversation's recording, once started. */
  private recording: RecordingMeta | undefined;
  private wrapUntil = 0;
  private extendedMs = 0;
  private wrapTimer: TimerHandle | undefined;
  private customerId: Types.ObjectId | undefined;
  private chain: Promise<unknown> = Promise.resolve();
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
    this.log = ctx.log.child({ callId: this.callId, campaignId: campaign.campaignId, agentId });
  }

  /** Resolves when the agent is talking to the customer, or the connection failed (then the customer heard the safe-harbor message). */
  start(): Promise<boolean> {
    if (this.customerLeg) this.ctx.bindLeg(this.customerLeg, this);
    return this.step(() => this.connect());
  }

  idle(): Promise<void> {
    return this.chain.then(() => undefined);
  }

  legEnded(legId: LegId, cause: HangupCause): Promise<void> {
    return this.step(async () => {
      if (this.phase !== 'connected') return;
      const other = legId === this.customerLeg ? this.agentLeg : this.customerLeg;
      if (other) await this.quietly(() => this.ctx.sw.hangup(other, 'normal_clearing'));
      await this.ended(legId === this.customerLeg ? 'customer' : 'agent', cause);
    });
  }

  agentHangup(agentId: string): Promise<void> {
    return this.step(async () => {
      if (agentId !== this.agentId || this.phase !== 'connected' || !this.agentLeg) throw new CallActionError('not_your_call', 'you are not talking on this call');
      await this.ctx.sw.hangup(this.agentLeg, 'normal_clearing');
    });
  }

  recordingStopped(e: RecordingStopped): void {
    this.recording = CallRecorder.stoppedMeta(this.recording, e);
    this.record({ recording: this.recording });
  }

  handOver(agentId: string, to: string): Promise<void> {
    return this.step(async () => {
      const agentLeg = this.agentLeg;
      if (agentId !== this.agentId || this.phase !== 'connected' || !agentLeg) throw new CallActionError('not_your_call', 'you are not talking on this call');
      this.record({ transferredTo: to });
      await this.ended('agent', 'normal_clearing', 'transferred');
      await this.quietly(() => this.ctx.sw.hangup(agentLeg, 'normal_clearing'));
    });
  }

  amendRecord(fields: ControlFields): void {
    this.record({ ...fields });
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
    return this.step(async () => {
      if (agentId !== this.agentId || this.phase !== 'wrap_up') throw new CallActionError('not_in_wrap_up', 'you can extend wrap-up only for your own call, during wrap-up');
      const granted = Math.min(ms, this.campaign.wrapUpExtendMaxMs - this.extendedMs);
      if (granted <= 0) throw new CallActionError('wrap_up_extension_exhausted', `wrap-up can be extended by at most ${Math.round(this.campaign.wrapUpExtendMaxMs / 1000)} s in total for this campaign`);
      this.extendedMs += granted;
      this.armWrap(this.wrapUntil + granted);
      this.ctx.channel.wrapUpExtended(agentId, this.callId, this.wrapUntil);
      return this.wrapUntil;
    });
  }

  disposition(agentId: string, code: string, notes: string, details: OutcomeDetails = {}): Promise<void> {
    return this.step(async () => {
      if (agentId !== this.agentId || this.phase !== 'wrap_up') throw new CallActionError('not_in_wrap_up', 'you can record an outcome only for your own call, after it ends');
      if (!this.campaign.dispositionCodes.includes(code)) throw new DispositionError(`unknown disposition code "${code}"; this campaign uses: ${this.campaign.dispositionCodes.join(', ')}`);
      const at = details.nextFollowUpAt ? Date.parse(details.nextFollowUpAt) : undefined;
      if (at !== undefined && at <= this.ctx.clock.now()) throw new DispositionError('nextFollowUpAt must be in the future');
      // A lead that is not (yet) a CRM customer still gets its follow-up: on the lead, through the campaign.
      const { nextFollowUpAt, callbackScope, ...forCrm } = details;
      await this.ctx.outcomes.record({ ...(this.customerId ? { ...forCrm, nextFollowUpAt } : forCrm), callId: this.callId, agentId, code, notes, at: new Date(this.ctx.clock.now()), customerId: this.customerId, queueId: `campaign:${this.campaign.campaignId}` });
      if (nextFollowUpAt !== undefined && at !== undefined) await this.campaign.followUp?.(this.lead, at, callbackScope === 'personal' ? agentId : undefined);
      this.ctx.channel.dispositionSaved(agentId, this.callId, code);
      await this.done();
    });
  }

  terminate(): Promise<void> {
    return this.step(async () => {
      if (this.customerLeg) await this.quietly(() => this.ctx.sw.hangup(this.customerLeg as LegId, 'system_shutdown'));
      if (this.agentLeg) await this.quietly(() => this.ctx.sw.hangup(this.agentLeg as LegId, 'system_shutdown'));
      if (this.phase === 'connected') await this.ended('system', 'system_shutdown');
      if (this.phase === 'wrap_up') await this.done();
    });
  }

  // ---- steps ---------------------------------------------------------------------------------

  /** Preview: the agent chose to dial the lead. Their phone first, then the lead's; the result is the lead's outcome. */
  startPreview(): Promise<DialOutcome> {
    return this.step(async () => {
      if (!(await this.agentLegUp())) return 'failed';
      const r = await this.ctx.sw.dial({ to: this.lead.phone, callerId: this.campaign.callerId, purpose: 'customer', ringTimeoutMs: PREVIEW_RING_MS, headers: { 'x-call-id': this.callId } });
      if (r.outcome !== 'answered') {
        await this.quietly(() => this.ctx.sw.hangup(this.agentLeg as LegId, 'normal_clearing'));
        await this.ctx.agents.apply(this.agentId, { type: 'call_gone' });
        const outcome: DialOutcome = r.outcome === 'busy' ? 'busy' : r.outcome === 'no_answer' ? 'no_answer' : 'failed';
        this.record({ status: 'ended', outcome: 'failed', endedAt: new Date(this.ctx.clock.now()), endedBy: 'system', endCause: r.cause });
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
    const customer = await this.ctx.crm.findByPhone(this.lead.phone);
    this.customerId = customer?.id;
    this.record({ direction: 'outbound', source: 'trunk', from: this.campaign.callerId, to: this.lead.phone, status: 'ringing', offeredAt: new Date(clock.now()), queueId: `campaign:${this.campaign.campaignId}`, customerId: this.customerId }, true);
    await agents.apply(this.agentId, { type: 'accept' });
    const leg = await sw.dial({ to: `agent:${this.agentId}`, callerId: this.lead.phone, purpose: 'agent', ringTimeoutMs: AGENT_ANSWER_MS, headers: { 'x-call-id': this.callId } });
    if (leg.outcome === 'answered') {
      this.agentLeg = leg.legId;
      this.ctx.bindLeg(leg.legId, this);
      return true;
    }
    this.log.warn({ outcome: leg.outcome }, 'agent phone did not answer an outbound connection');
    await agents.apply(this.agentId, { type: 'leg_failed' });
    this.record({ status: 'ended', outcome: 'failed', endedAt: new Date(clock.now()), endedBy: 'system' });
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
    this.phase = 'connected';
    this.connectedAt = clock.now();
    await agents.apply(this.agentId, { type: 'connected' });
    await agents.countCall(this.agentId);
    if (this.customerLeg) this.recording = await this.ctx.recorder.record(this.callId, this.customerLeg, this.campaign.storeId, this.connectedAt);
    if (this.recording) this.record({ recording: this.recording });
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
    this.record({ status: 'connected', agentUsername: this.agentId, connectedAt: new Date(this.connectedAt) });
  }

  private async ended(by: 'customer' | 'agent' | 'system', cause: HangupCause, outcome: 'answered' | 'transferred' = 'answered'): Promise<void> {
    const now = this.ctx.clock.now();
    const talkMs = now - this.connectedAt;
    this.phase = 'wrap_up';
    await this.ctx.agents.apply(this.agentId, { type: 'call_ended' });
    this.armWrap(now + this.campaign.wrapUpMs);
    this.record({ status: 'ended', outcome, endedAt: new Date(now), endCause: cause, endedBy: by === 'customer' ? 'caller' : by, talkMs });
    this.ctx.channel.ended(this.agentId, { callId: this.callId, endedBy: by === 'customer' ? 'caller' : by, cause, talkMs, wrapUpUntil: this.wrapUntil, dispositionCodes: this.campaign.dispositionCodes });
  }

  private armWrap(until: number): void {
    this.wrapUntil = until;
    this.ctx.clock.clearTimer(this.wrapTimer);
    this.wrapTimer = this.ctx.clock.setTimer(`outbound:${this.callId}:wrap-up`, Math.max(0, until - this.ctx.clock.now()), () => {
      this.step(() => this.done()).catch(() => undefined); // logged by step's chain
    });
  }

  private async done(): Promise<void> {
    if (this.phase !== 'wrap_up') return;
    this.phase = 'done';
    this.ctx.clock.clearTimer(this.wrapTimer);
    await this.ctx.agents.apply(this.agentId, { type: 'wrap_up_done' });
    this.ctx.forget(this);
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private step<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch((err: unknown) => {
      if (!(err instanceof CallActionError) && !(err instanceof DispositionError)) this.log.error({ err }, 'outbound call step failed');
    });
    return run;
  }

  private async quietly(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (!(err instanceof LegGoneError)) this.log.warn({ err }, 'leg command failed');
    }
  }

  /** Call-record writes, in order, off the call's path (as for inbound calls). */
  private record(fields: Record<string, unknown>, create = false): void {
    this.ctx.records.queue(this.callId, fields, { create });
  }
}
