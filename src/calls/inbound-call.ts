import { randomUUID } from 'node:crypto';
import type { Types } from 'mongoose';
import type { QueueConfig } from '../acd/queue-directory';
import type { QueueStore, SkillRequirement } from '../acd/queue-store';
import type { AgentChannel } from '../agents/agent-channel';
import type { AgentService } from '../agents/agent-service';
import type { Clock, TimerHandle } from '../clock/clock';
import { estimateWaitMinutes, DEFAULT_HANDLE_MS } from '../acd/wait-estimate';
import { toE164 } from '../crm/phone';
import { type ExternalCard, type ExternalCrm, mergeCards, withinBudget } from '../crm/external-crm';
import type { CustomerDirectory, ScreenPop } from '../crm/screen-pop';
import type { IvrFlow } from '../ivr/flow-schema';
import { IvrSession, type IvrResult } from '../ivr/ivr-session';
import { numberPrompts } from '../ivr/prompt-catalog';
import type { InflightWrites } from '../lifecycle/inflight';
import type { StoreCalendar } from '../org/business-hours';
import type { Logger } from '../log';
import type { CallRecordDoc, Models } from '../store/models';
import { withWriteRetry } from '../store/retry';
import { LegGoneError, type CallOffered, type DialRequest, type DialResult, type HangupCause, type LegId, type RecordingStopped, type Switch } from '../telephony/switch';
import { DispositionError, type DispositionService, type OutcomeDetails } from './dispositions';
import { CallRecorder, type RecordingMeta } from './call-recorder';
import type { CallRecordWriter } from './call-record-writer';
import type { ControlFields, LiveConversation } from './call-session';
import { detach } from '../util/detach';
import { UserError } from '../util/user-error';

export interface CallContext {
  sw: Switch;
  clock: Clock;
  agents: AgentService;
  queues: QueueStore;
  models: Models;
  crm: CustomerDirectory;
  /** The dealer's own CRM, when configured: looked up at arrival, awaited at most popBudgetMs at offer. */
  externalCrm: { crm: ExternalCrm; popBudgetMs: number } | undefined;
  channel: AgentChannel;
  inflight: InflightWrites;
  /** The call record's writes, in order per call. */
  records: CallRecordWriter;
  /** Records connected conversations. */
  recorder: CallRecorder;
  outcomes: DispositionService;
  log: Logger;
  /** Ask the dispatcher to match waiting calls and ready agents of a queue. */
  dispatch(queueId: string): void;
  /** The legs of this call, so switch events reach it. */
  bindLeg(legId: LegId, call: InboundCall): void;
  /** The session is over; drop it. */
  forget(call: InboundCall): void;
  /** Another queue's definition (overflow targets, IVR enqueue nodes). */
  queueConfig(queueId: string): QueueConfig | undefined;
  /** The IVR flow answering a dialled number, if any. */
  flowFor(dialled: string): IvrFlow | undefined;
  storeCalendar(storeId: string): StoreCalendar | undefined;
}

/** Where the call waits and for whom: decided by the IVR, or by the defaults of the dialled queue. */
export interface RoutingRequest {
  priority: number;
  skills: SkillRequirement[];
  /** Username of the agent this caller should reach first (the customer's owner). */
  preferredAgent: string | undefined;
}

/**
 * answering: answered, greeting playing · queued: waiting with hold music · offered: an agent is
 * reserved and sees the offer · connecting: the agent accepted, their phone is being dialled ·
 * connected: talking · wrap_up: the conversation ended, the agent is writing up · done.
 */
export type CallPhase = 'answering' | 'queued' | 'offered' | 'connecting' | 'connected' | 'transferred' | 'wrap_up' | 'done';

/** The longest voicemail kept. */
const VOICEMAIL_MAX_MS = 120_000;

/** How long the customer's phone rings when an agent calls back a queued-callback caller. */
const CALLBACK_RING_MS = 30_000;

/** A desk command the call's state refuses (not offered to you, not your call…): answered with its code. */
export class CallActionError extends UserError {}

type RecordUpdate = Partial<Omit<CallRecordDoc, 'callId' | 'ivr' | 'monitors'>> & { ivr?: { flowId: string; path: unknown; vars: unknown } } & ControlFields;

/**
 * One inbound call from the first ring to the agent's disposition. Every step that changes the
 * call runs one at a time (serial), so a hang-up racing an accept is handled in a defined order.
 */
export class InboundCall {
  readonly callId = randomUUID();
  phase: CallPhase = 'answering';
  /** The agent who took the call (set on accept). */
  agentId: string | undefined;
  /** The agents the call is offered to now (several with ring-all). */
  private offeredTo: string[] = [];
  private queue: QueueConfig;
  private readonly overflowedFrom: string[] = [];
  private routing: RoutingRequest = { priority: 0, skills: [], preferredAgent: undefined };
  private owningUser: string | undefined;
  private preferredTimer: TimerHandle | undefined;
  private maxWaitTimer: TimerHandle | undefined;
  private agentLeg: LegId | undefined;
  /** The customer's leg: the inbound leg, none while waiting for a callback, then the called-back leg. */
  private customerLeg: LegId | undefined;
  /** This conversation's recording, once started. */
  private recording: RecordingMeta | undefined;
  /** Set when the caller chose to be called back (the number to call). */
  private callbackNumber: string | undefined;
  private ivrResult: IvrResult | undefined;
  private announceTimer: TimerHandle | undefined;
  private wrapUpUntil = 0;
  private wrapUpExtendedMs = 0;
  private countedActive = false;
  private pendingRecord: RecordUpdate = {};
  private endedOutcome: { outcome: string | undefined; at: number } | undefined;
  private dispositionCode: string | undefined;
  private remembered = false;
  private externalLookup: Promise<ExternalCard | null | undefined> | undefined;
  private customerId: Types.ObjectId | undefined;
  private enqueuedAt = 0;
  private connectedAt = 0;
  private offerTimer: TimerHandle | undefined;
  private wrapUpTimer: TimerHandle | undefined;
  private dialAbort: AbortController | undefined;
  private terminating = false;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(
    private readonly ctx: CallContext,
    readonly offered: CallOffered,
    queue: QueueConfig,
  ) {
    this.queue = queue;
    this.customerLeg = offered.legId;
    this.log = ctx.log.child({ callId: this.callId, leg: offered.legId });
  }

  get queueId(): string {
    return this.queue.queueId;
  }

  /** The inbound leg the call arrived on. */
  get callerLeg(): LegId {
    return this.offered.legId;
  }

  /** Settles when every step queued so far has run. */
  idle(): Promise<void> {
    return this.chain.then(() => undefined);
  }

  start(): Promise<void> {
    this.ctx.bindLeg(this.callerLeg, this);
    return this.serial(() => this.answerAndQueue());
  }

  // ---- events from the dispatcher, the agent desktop and the switch --------------------------

  offerTo(agentIds: string[]): Promise<void> {
    return this.serial(() => this.makeOffer(agentIds));
  }

  accept(agentId: string): Promise<void> {
    return this.serial(() => this.acceptOffer(agentId));
  }

  decline(agentId: string): Promise<void> {
    return this.serial(() => this.withdrawOffer(agentId, 'declined'));
  }

  agentHangup(agentId: string): Promise<void> {
    return this.serial(async () => {
      if (this.phase !== 'connected' || this.agentId !== agentId || !this.agentLeg) throw new CallActionError('not_your_call', 'you are not talking on this call');
      await this.ctx.sw.hangup(this.agentLeg, 'normal_clearing');
    });
  }

  extendWrapUp(agentId: string, ms: number): Promise<number> {
    return this.serial(() => this.extend(agentId, ms));
  }

  recordingStopped(e: RecordingStopped): void {
    this.recording = CallRecorder.stoppedMeta(this.recording, e);
    this.writeRecord({ recording: this.recording });
  }

  handOver(agentId: string, to: string): Promise<void> {
    return this.serial(async () => {
      const agentLeg = this.agentLeg;
      if (this.phase !== 'connected' || this.agentId !== agentId || !agentLeg) throw new CallActionError('not_your_call', 'you are not talking on this call');
      this.writeRecord({ transferredTo: to });
      await this.conversationEnded('agent', 'normal_clearing', 'transferred');
      await this.hangupQuietly(agentLeg, 'normal_clearing');
    });
  }

  amendRecord(fields: ControlFields): void {
    this.writeRecord(fields);
  }

  liveConversation(): LiveConversation | undefined {
    const customerLeg = this.customerLeg ?? this.callerLeg;
    if (this.phase !== 'connected' || !this.agentId || !this.agentLeg) return undefined;
    return { callId: this.callId, agentId: this.agentId, customerLeg, agentLeg: this.agentLeg, storeId: this.queue.storeId, customer: this.callbackNumber ?? this.offered.from, dealerNumber: this.offered.to, direction: 'inbound', connectedAt: this.connectedAt };
  }

  customerLegFor(agentId: string): LegId {
    if (this.phase !== 'connected' || this.agentId !== agentId) throw new CallActionError('not_your_call', 'you are not talking on this call');
    return this.customerLeg ?? this.callerLeg;
  }

  disposition(agentId: string, code: string, notes: string, details: OutcomeDetails = {}): Promise<void> {
    return this.serial(() => this.recordDisposition(agentId, code, notes, details));
  }

  legEnded(legId: LegId, cause: HangupCause): Promise<void> {
    return this.serial(() => this.onLegEnded(legId, cause));
  }

  /**
   * Shutdown: hang up this call's legs at once (not behind a step that may be waiting on a prompt);
   * the hang-up events then finish the records through the usual steps.
   */
  async terminate(): Promise<void> {
    this.terminating = true;
    this.dialAbort?.abort();
    await this.hangupQuietly(this.agentLeg, 'system_shutdown');
    await this.hangupQuietly(this.callerLeg, 'system_shutdown');
    await this.idle();
    // The conversation is over and recorded; do not leave the agent in wrap-up with nobody to end it.
    // A disposition sent later is still taken (CallCenter.disposition, from the call record).
    await this.serial(() => this.finishWrapUp());
  }

  // ---- steps -------------------------------------------------------------------------------

  private async answerAndQueue(): Promise<void> {
    const { sw, clock } = this.ctx;
    const flow = this.ctx.flowFor(this.offered.to);
    this.writeRecord(
      {
        direction: 'inbound',
        source: this.offered.source,
        from: this.offered.from,
        to: this.offered.to,
        status: flow ? 'ivr' : 'ringing',
        offeredAt: new Date(this.offered.receivedAt),
        queueId: this.queue.queueId,
      },
      true,
    );
    const e164 = toE164(this.offered.from);
    if (e164 && this.ctx.externalCrm) this.externalLookup = this.lookupExternal(this.ctx.externalCrm.crm, e164);
    const customer = e164 ? await this.ctx.crm.findByPhone(e164) : undefined;
    this.customerId = customer?.id;
    this.owningUser = customer?.owningUser;
    this.routing = { priority: 0, skills: [], preferredAgent: this.owningUser };
    try {
      await sw.answer(this.callerLeg);
      if (flow) {
        const ivr = await new IvrSession(flow, {
          sw,
          legId: this.callerLeg,
          facts: { knownCustomer: customer !== undefined, grade: customer?.grade, owningStore: customer?.owningStoreId, owningUser: customer?.owningUser },
          now: () => clock.now(),
          stores: (id) => this.ctx.storeCalendar(id),
          log: this.log,
        }).run();
        this.ivrResult = ivr;
        this.deferRecord({ ivr: { flowId: ivr.flowId, path: ivr.path, vars: ivr.vars }, customerId: this.customerId });
        if (!(await this.afterIvr(ivr))) return;
      } else {
        const greeting = await sw.play(this.callerLeg, { id: this.queue.greetingPrompt });
        if (greeting.outcome === 'hangup') return;
      }
      this.enqueuedAt = clock.now();
      await this.enqueue();
      await sw.startHoldMusic(this.callerLeg);
    } catch (err) {
      if (err instanceof LegGoneError) return; // the hang-up event finishes the call
      throw err;
    }
    this.deferRecord({ status: 'queued', queueId: this.queue.queueId, queuedAt: new Date(this.enqueuedAt), customerId: this.customerId });
    this.ctx.dispatch(this.queue.queueId);
  }

  /** The cached card at once; else the CRM's answer (which also fills the cache). Never rejects. */
  private async lookupExternal(crm: ExternalCrm, e164: string): Promise<ExternalCard | null | undefined> {
    try {
      const cached = await crm.cached(e164);
      return cached !== undefined ? cached : await crm.fetch(e164);
    } catch (err) {
      this.log.warn({ err }, 'external CRM lookup failed');
      return undefined;
    }
  }

  /** Acts on how the caller left the IVR; true when the call goes on into a queue (this.queue). */
  private async afterIvr(ivr: IvrResult): Promise<boolean> {
    const o = ivr.outcome;
    switch (o.kind) {
      case 'caller_left':
        return false; // the hang-up event finishes the record
      case 'enqueue':
      case 'callback': {
        const target = this.ctx.queueConfig(o.queueId);
        if (!target) throw new Error(`IVR flow ${ivr.flowId} names queue ${o.queueId}, which no longer exists`);
        this.queue = target;
        if (o.kind === 'enqueue') {
          this.routing = { priority: o.priority, skills: o.skills, preferredAgent: o.preferredAgent };
          return true;
        }
        this.enqueuedAt = this.ctx.clock.now();
        await this.enqueue();
        await this.becomeCallback(o.prompt);
        return false;
      }
      case 'hangup':
        await this.endWithoutAgent('ivr_completed');
        return false;
      case 'transfer':
        await this.transfer(o.number);
        return false;
    }
  }

  /** Ends a call no agent took (IVR hang-up, overflow goodbye): hangs up and writes the outcome. */
  private async endWithoutAgent(outcome: 'ivr_completed' | 'overflowed' | 'voicemail', waitMs = 0): Promise<void> {
    this.phase = 'done';
    this.clearTimers();
    const leg = this.customerLeg;
    this.customerLeg = undefined; // our own hang-up: not an abandon
    await this.hangupQuietly(leg, 'normal_clearing');
    this.writeRecord({ status: 'ended', outcome, endedAt: new Date(this.ctx.clock.now()), endCause: 'normal_clearing', endedBy: 'system', waitMs, customerId: this.customerId });
    this.done();
  }

  /** Sends the caller to another number (e.g. the service hotline) and stays out of the conversation. */
  private async transfer(number: string): Promise<void> {
    const result = await this.ctx.sw.dial({ to: number, callerId: this.offered.from, purpose: 'third_party', ringTimeoutMs: 40_000, headers: { 'x-call-id': this.callId } });
    if (result.outcome !== 'answered') {
      this.log.warn({ number, outcome: result.outcome }, 'IVR transfer failed');
      await this.playQuietly('queue_overflow_goodbye');
      await this.endWithoutAgent('ivr_completed');
      return;
    }
    this.agentLeg = result.legId; // the far party takes the agent's place in the bridge
    this.ctx.bindLeg(result.legId, this);
    await this.ctx.sw.bridge(this.callerLeg, result.legId);
    this.phase = 'transferred';
    this.connectedAt = this.ctx.clock.now();
    this.writeRecord({ status: 'connected', connectedAt: new Date(this.connectedAt), transferredTo: number });
  }

  /**
   * The caller keeps their place but hangs up: confirm, end the inbound leg, and wait in the queue
   * as a callback. The agent who takes it is connected first, then the customer is called.
   */
  private async becomeCallback(prompt: string): Promise<void> {
    this.callbackNumber = this.offered.from;
    this.ctx.clock.clearTimer(this.maxWaitTimer);
    this.ctx.clock.clearTimer(this.announceTimer);
    const leg = this.customerLeg;
    this.customerLeg = undefined; // its hang-up is expected, not an abandon
    try {
      await this.ctx.sw.stopHoldMusic(this.callerLeg);
      await this.ctx.sw.play(this.callerLeg, { id: prompt, language: this.language });
    } catch (err) {
      if (!(err instanceof LegGoneError)) throw err;
    }
    await this.hangupQuietly(leg, 'normal_clearing');
    this.writeRecord({ status: 'callback_waiting', callbackRequestedAt: new Date(this.ctx.clock.now()), queueId: this.queue.queueId, customerId: this.customerId });
    this.log.info({ queueId: this.queue.queueId }, 'queued callback');
  }

  private get language(): 'zh-CN' | 'en' {
    return this.ctx.flowFor(this.offered.to)?.language ?? 'zh-CN';
  }

  /** Position and estimated wait; during it the caller may press the callback key. */
  private async announce(): Promise<void> {
    if (this.phase !== 'queued' || this.callbackNumber !== undefined || !this.customerLeg) return;
    const position = await this.ctx.queues.position(this.callId, this.queue.queueId);
    if (position === undefined) return;
    const stats = await this.ctx.queues.stats(this.queue.queueId);
    const minutes = estimateWaitMinutes(position - 1, stats.avgHandleMs ?? DEFAULT_HANDLE_MS, stats.ready + stats.active);
    const ids = ['queue_position_is', ...numberPrompts(position - 1), 'queue_callers_ahead', 'queue_wait_is', ...numberPrompts(minutes), 'queue_minutes'];
    const key = this.queue.callbackKey;
    if (key) ids.push('queue_callback_offer');
    const leg = this.customerLeg;
    await this.ctx.sw.stopHoldMusic(leg);
    for (const id of ids) {
      const r = await this.ctx.sw.play(leg, { id, language: this.language }, { bargeIn: key !== undefined });
      if (r.outcome === 'hangup') return;
      if (r.outcome === 'interrupted' && r.digit === key) {
        // Only while still waiting: an agent may have been reserved during the announcement.
        if (this.phase === 'queued') return this.becomeCallback('callback_confirmed');
        break;
      }
    }
    if (this.phase === 'queued') {
      await this.ctx.sw.startHoldMusic(leg);
      this.armAnnouncement();
    }
  }

  private armAnnouncement(): void {
    const every = this.queue.announceEveryMs;
    this.ctx.clock.clearTimer(this.announceTimer);
    if (every === undefined || this.callbackNumber !== undefined) return;
    this.announceTimer = this.ctx.clock.setTimer(`call:${this.callId}:announce`, every, () => {
      this.background(async () => {
        try {
          await this.announce();
        } catch (err) {
          if (!(err instanceof LegGoneError)) throw err;
        }
      });
    });
  }

  /** Into the current queue, keeping the original arrival time; arms the preferred-agent and max-wait timers. */
  private async enqueue(): Promise<void> {
    const now = this.ctx.clock.now();
    const preferredUntil = this.routing.preferredAgent ? now + this.queue.preferredWaitMs : undefined;
    await this.ctx.queues.enqueue({
      callId: this.callId,
      queueId: this.queue.queueId,
      legId: this.callerLeg,
      from: this.offered.from,
      priority: this.routing.priority,
      enqueuedAt: this.enqueuedAt,
      skills: this.routing.skills,
      preferredAgent: this.routing.preferredAgent,
      preferredUntil,
    });
    this.phase = 'queued';
    this.ctx.clock.clearTimer(this.preferredTimer);
    this.ctx.clock.clearTimer(this.maxWaitTimer);
    this.armAnnouncement();
    if (preferredUntil !== undefined) {
      // When the preferred agent's window closes, any qualified agent may take the call: match again.
      this.preferredTimer = this.ctx.clock.setTimer(`call:${this.callId}:preferred`, this.queue.preferredWaitMs, () => this.ctx.dispatch(this.queue.queueId));
    }
    if (this.queue.maxWaitMs !== undefined) {
      const left = Math.max(0, this.enqueuedAt + this.queue.maxWaitMs - now);
      this.maxWaitTimer = this.ctx.clock.setTimer(`call:${this.callId}:max-wait`, left, () => {
        this.background(() => this.overflow());
      });
    }
  }

  /** Waited too long: on to the overflow queue (keeping the place by arrival time), or goodbye. */
  private async overflow(): Promise<void> {
    if (this.phase !== 'queued' || this.callbackNumber !== undefined) return; // offered, connected or already a callback
    const target = this.queue.overflow;
    if (target?.kind === 'callback') {
      this.log.info({ queueId: this.queue.queueId }, 'queue overflow to a callback');
      return this.becomeCallback('callback_confirmed');
    }
    if (target?.kind === 'voicemail') return this.leaveVoicemail();
    const next = target?.kind === 'queue' ? this.ctx.queueConfig(target.queueId) : undefined;
    await this.ctx.queues.remove(this.callId, this.queue.queueId);
    this.log.info({ from: this.queue.queueId, to: next?.queueId ?? 'hangup' }, 'queue overflow');
    if (next) {
      this.overflowedFrom.push(this.queue.queueId);
      this.queue = next;
      await this.enqueue();
      this.deferRecord({ queueId: next.queueId, overflowedFrom: [...this.overflowedFrom] });
      this.ctx.dispatch(next.queueId);
      return;
    }
    this.clearTimers();
    const waitMs = this.ctx.clock.now() - this.enqueuedAt;
    await this.stopHoldMusicQuietly();
    await this.playQuietly('queue_overflow_goodbye');
    await this.endWithoutAgent('overflowed', waitMs);
  }

  /** Overflow to voicemail: the caller leaves a message (ended by # or hanging up); it waits for a call back. */
  private async leaveVoicemail(): Promise<void> {
    await this.ctx.queues.remove(this.callId, this.queue.queueId);
    this.clearTimers();
    const waitMs = this.ctx.clock.now() - this.enqueuedAt;
    this.phase = 'done';
    const leg = this.customerLeg;
    let saved = false;
    if (leg) {
      try {
        await this.ctx.sw.stopHoldMusic(leg);
        const intro = await this.ctx.sw.play(leg, { id: 'voicemail_prompt', language: this.language });
        const r = intro.outcome === 'hangup' ? ({ outcome: 'empty' } as const) : await this.ctx.sw.recordMessage(leg, { maxMs: VOICEMAIL_MAX_MS, terminator: '#' });
        if (r.outcome === 'recorded') {
          const at = new Date(this.ctx.clock.now());
          await this.ctx.inflight.track(
            withWriteRetry(() =>
              this.ctx.models.Voicemail.create({ _id: this.callId, callId: this.callId, queueId: this.queue.queueId, storeId: this.queue.storeId, from: this.offered.from, customerId: this.customerId, durationMs: r.durationMs, file: r.file, at }),
            ),
          );
          saved = true;
          if (r.endedBy !== 'hangup') await this.ctx.sw.play(leg, { id: 'voicemail_saved', language: this.language });
        }
      } catch (err) {
        if (!(err instanceof LegGoneError)) throw err;
      }
    }
    this.log.info({ queueId: this.queue.queueId, saved }, 'queue overflow to voicemail');
    await this.endWithoutAgent(saved ? 'voicemail' : 'overflowed', waitMs);
  }

  private clearTimers(): void {
    for (const t of [this.offerTimer, this.preferredTimer, this.maxWaitTimer, this.wrapUpTimer, this.announceTimer]) this.ctx.clock.clearTimer(t);
  }

  private async makeOffer(agentIds: string[]): Promise<void> {
    if (this.phase !== 'queued') {
      // The reservation raced the caller leaving: give the agents back.
      for (const agentId of agentIds) await this.ctx.agents.apply(agentId, { type: 'call_gone' });
      return;
    }
    this.phase = 'offered';
    this.offeredTo = [...agentIds];
    for (const agentId of agentIds) await this.ctx.agents.announce(agentId);
    const now = this.ctx.clock.now();
    const builtIn = this.customerId ? await this.ctx.crm.card(this.customerId) : null;
    const pop: ScreenPop = {
      callId: this.callId,
      from: this.offered.from,
      to: this.offered.to,
      source: this.offered.source,
      queueId: this.queue.queueId,
      queueName: this.queue.name,
      waitedMs: now - this.offered.receivedAt,
      offerExpiresAt: now + this.queue.offerTimeoutMs,
      customer: builtIn,
      dispositionCodes: this.queue.dispositionCodes,
      ivr: this.ivrResult ? { flowId: this.ivrResult.flowId, path: this.ivrResult.path, vars: this.ivrResult.vars } : null,
      callback: this.callbackNumber !== undefined,
      customerPending: false,
    };
    const lookup = this.externalLookup;
    if (lookup && this.ctx.externalCrm) {
      const r = await withinBudget(lookup, this.ctx.externalCrm.popBudgetMs);
      if (r.done) pop.customer = mergeCards(builtIn, r.value);
      else {
        pop.customerPending = true;
        const late = lookup.then((ext) => {
          const recipients = this.agentId ? [this.agentId] : this.offeredTo;
          for (const a of recipients) this.ctx.channel.offerUpdate(a, this.callId, ext ? mergeCards(builtIn, ext) : builtIn);
        });
        detach(late, this.log, 'late screen-pop update failed');
      }
    }
    this.offerTimer = this.ctx.clock.setTimer(`call:${this.callId}:offer`, this.queue.offerTimeoutMs, () => {
      this.background(() => this.offerExpired());
    });
    for (const agentId of agentIds) this.ctx.channel.offer(agentId, pop);
  }

  private async acceptOffer(agentId: string): Promise<void> {
    if (this.phase !== 'offered' || !this.offeredTo.includes(agentId)) throw new CallActionError('not_offered', 'this call is not offered to you (it may have been withdrawn or taken)');
    this.ctx.clock.clearTimer(this.offerTimer);
    const accepted = await this.ctx.agents.apply(agentId, { type: 'accept' });
    if (!accepted.ok) throw new CallActionError('state_refused', accepted.error);
    this.agentId = agentId;
    await this.releaseOthers(agentId, 'taken');
    this.phase = 'connecting';
    this.dialAside({ to: `agent:${agentId}`, callerId: this.offered.from, purpose: 'agent', ringTimeoutMs: this.queue.offerTimeoutMs }, (result, err) => this.agentLegResult(agentId, result, err));
  }

  /**
   * Places a leg without holding up the call's steps (it may ring for many seconds; a hang-up must
   * still be handled meanwhile); its result comes back as a step. Cancellable through dialAbort.
   */
  private dialAside(request: Omit<DialRequest, 'headers'>, onResult: (result: DialResult, err?: unknown) => Promise<void>): void {
    this.dialAbort = new AbortController();
    void this.ctx.sw.dial({ ...request, headers: { 'x-call-id': this.callId } }, this.dialAbort.signal).then(
      (result) => this.serial(() => onResult(result)),
      (err: unknown) => this.serial(() => onResult({ outcome: 'failed', cause: 'network_failure', sipStatus: 500 }, err)),
    );
  }

  private async agentLegResult(agentId: string, result: DialResult, err?: unknown): Promise<void> {
    this.dialAbort = undefined;
    if (this.phase !== 'connecting') {
      // The caller left while the agent's phone rang.
      if (result.outcome === 'answered') await this.hangupQuietly(result.legId, 'originator_cancel');
      return;
    }
    if (result.outcome !== 'answered') {
      this.log.warn({ agentId, outcome: result.outcome, sipStatus: result.sipStatus, err }, 'agent leg failed');
      await this.ctx.agents.apply(agentId, { type: 'leg_failed' });
      this.ctx.channel.offerWithdrawn(agentId, this.callId, 'phone_unreachable');
      await this.backToQueue();
      return;
    }
    this.agentLeg = result.legId;
    this.ctx.bindLeg(result.legId, this);
    if (this.callbackNumber !== undefined && !this.customerLeg) return this.callBack(agentId);
    try {
      await this.ctx.sw.stopHoldMusic(this.callerLeg);
      await this.ctx.sw.bridge(this.callerLeg, result.legId);
    } catch (e) {
      if (!(e instanceof LegGoneError)) throw e;
      return; // a leg vanished; its hang-up event is queued behind this step
    }
    await this.connected(agentId);
  }

  /** Queued callback: the agent is on the line; now ring the customer (outside the serial chain). */
  private async callBack(agentId: string): Promise<void> {
    await this.ctx.agents.apply(agentId, { type: 'connected' });
    this.dialAside({ to: this.callbackNumber as string, callerId: this.offered.to, purpose: 'customer', ringTimeoutMs: CALLBACK_RING_MS }, (r, err) => this.customerAnswered(agentId, r, err));
  }

  private async customerAnswered(agentId: string, result: DialResult, err?: unknown): Promise<void> {
    this.dialAbort = undefined;
    if (this.phase !== 'connecting') {
      if (result.outcome === 'answered') await this.hangupQuietly(result.legId, 'normal_clearing');
      return;
    }
    if (result.outcome !== 'answered') {
      this.log.info({ outcome: result.outcome, err }, 'callback not answered');
      await this.ctx.queues.remove(this.callId, this.queue.queueId);
      this.phase = 'connected';
      this.connectedAt = this.ctx.clock.now();
      await this.hangupQuietly(this.agentLeg, 'normal_clearing');
      return this.conversationEnded('system', result.cause, 'callback_failed');
    }
    this.customerLeg = result.legId;
    this.ctx.bindLeg(result.legId, this);
    try {
      await this.ctx.sw.bridge(result.legId, this.agentLeg as LegId);
    } catch (e) {
      if (!(e instanceof LegGoneError)) throw e;
      return;
    }
    await this.connected(agentId);
  }

  private async connected(agentId: string): Promise<void> {
    this.phase = 'connected';
    this.connectedAt = this.ctx.clock.now();
    this.clearTimers();
    if (this.callbackNumber === undefined) await this.ctx.agents.apply(agentId, { type: 'connected' }); // a callback's agent is already talking
    await this.ctx.agents.countCall(agentId);
    await this.ctx.queues.recordActive(this.queue.queueId, 1);
    this.countedActive = true;
    await this.ctx.queues.remove(this.callId, this.queue.queueId);
    this.ctx.channel.connected(agentId, this.callId, this.connectedAt);
    this.writeRecord({ status: 'connected', agentUsername: agentId, connectedAt: new Date(this.connectedAt), waitMs: this.connectedAt - this.enqueuedAt });
    this.recording = await this.ctx.recorder.record(this.callId, this.customerLeg ?? this.callerLeg, this.queue.storeId, this.connectedAt);
    if (this.recording) this.writeRecord({ recording: this.recording });
  }

  private async withdrawOffer(agentId: string, reason: 'declined'): Promise<void> {
    if (this.phase !== 'offered' || !this.offeredTo.includes(agentId)) throw new CallActionError('not_offered', 'this call is not offered to you');
    await this.ctx.agents.apply(agentId, { type: 'decline' });
    this.ctx.channel.offerWithdrawn(agentId, this.callId, reason);
    this.offeredTo = this.offeredTo.filter((a) => a !== agentId);
    if (this.offeredTo.length > 0) return; // ring-all: the others still see it
    this.ctx.clock.clearTimer(this.offerTimer);
    await this.backToQueue();
  }

  /**
   * Nobody accepted in time. A single agent who let it ring out is made not ready (so the next
   * call does not ring an empty desk); with ring-all nobody in particular missed it, so all go back
   * to ready.
   */
  private async offerExpired(): Promise<void> {
    if (this.phase !== 'offered') return;
    const single = this.offeredTo.length === 1;
    for (const agentId of this.offeredTo) {
      await this.ctx.agents.apply(agentId, single ? { type: 'offer_timeout' } : { type: 'call_gone' });
      this.ctx.channel.offerWithdrawn(agentId, this.callId, 'timeout');
    }
    this.offeredTo = [];
    await this.backToQueue();
  }

  /** Ring-all: the call was taken (or the caller left); the other agents are free again. */
  private async releaseOthers(except: string | undefined, reason: 'taken' | 'caller_left'): Promise<void> {
    for (const other of this.offeredTo) {
      if (other === except) continue;
      await this.ctx.agents.apply(other, { type: 'call_gone' });
      this.ctx.channel.offerWithdrawn(other, this.callId, reason);
    }
    this.offeredTo = except ? [except] : [];
  }

  private async backToQueue(): Promise<void> {
    this.agentId = undefined;
    this.offeredTo = [];
    this.phase = 'queued';
    await this.ctx.queues.requeue(this.callId, this.queue.queueId);
    this.armAnnouncement();
    this.ctx.dispatch(this.queue.queueId);
  }

  private async onLegEnded(legId: LegId, cause: HangupCause): Promise<void> {
    if (legId === this.customerLeg) {
      switch (this.phase) {
        case 'answering':
        case 'queued':
        case 'offered':
        case 'connecting':
          if (this.callbackNumber !== undefined) return; // the called-back customer's dial result handles it
          return this.callerLeftBeforeAgent(cause);
        case 'connected':
          await this.hangupQuietly(this.agentLeg, 'normal_clearing');
          return this.conversationEnded(this.terminating ? 'system' : 'caller', cause);
        case 'transferred':
          await this.hangupQuietly(this.agentLeg, 'normal_clearing');
          return this.transferEnded(cause, 'caller');
        default:
          return;
      }
    }
    if (legId !== this.agentLeg) return;
    if (this.phase === 'connected') {
      await this.hangupQuietly(this.customerLeg, 'normal_clearing');
      return this.conversationEnded(this.terminating ? 'system' : 'agent', cause);
    }
    if (this.phase === 'transferred') {
      await this.hangupQuietly(this.customerLeg, 'normal_clearing');
      return this.transferEnded(cause, 'system');
    }
    // Queued callback: the agent hung up while the customer's phone rang; cancel it (the dial result ends the call).
    if (this.phase === 'connecting' && this.callbackNumber !== undefined) this.dialAbort?.abort();
  }

  private async transferEnded(cause: HangupCause, endedBy: 'caller' | 'system'): Promise<void> {
    this.phase = 'done';
    const now = this.ctx.clock.now();
    this.writeRecord({ status: 'ended', outcome: 'transferred', endedAt: new Date(now), endCause: cause, endedBy, talkMs: now - this.connectedAt, customerId: this.customerId });
    this.done();
  }

  private async callerLeftBeforeAgent(cause: HangupCause): Promise<void> {
    const phase = this.phase;
    this.phase = 'done';
    this.clearTimers();
    this.dialAbort?.abort();
    if (phase !== 'answering') await this.ctx.queues.remove(this.callId, this.queue.queueId);
    if (phase === 'offered' || phase === 'connecting') {
      await this.releaseOthers(undefined, 'caller_left');
      this.ctx.dispatch(this.queue.queueId);
    }
    const now = this.ctx.clock.now();
    this.writeRecord({
      status: 'ended',
      outcome: this.terminating ? 'shutdown' : 'abandoned',
      endedAt: new Date(now),
      endCause: cause,
      endedBy: this.terminating ? 'system' : 'caller',
      waitMs: this.enqueuedAt ? now - this.enqueuedAt : 0,
      customerId: this.customerId,
    });
    this.done();
  }

  private async conversationEnded(endedBy: 'caller' | 'agent' | 'system', cause: HangupCause, outcome: 'answered' | 'callback_failed' | 'transferred' = 'answered'): Promise<void> {
    const agentId = this.agentId as string;
    const now = this.ctx.clock.now();
    const talkMs = now - this.connectedAt;
    this.phase = 'wrap_up';
    await this.ctx.agents.apply(agentId, { type: 'call_ended' });
    this.wrapUpUntil = now + this.queue.wrapUpMs;
    this.armWrapUpTimer();
    this.writeRecord({ status: 'ended', outcome, endedAt: new Date(now), endCause: cause, endedBy, talkMs, agentUsername: agentId });
    this.ctx.channel.ended(agentId, { callId: this.callId, endedBy, cause, talkMs, wrapUpUntil: this.wrapUpUntil, dispositionCodes: this.queue.dispositionCodes });
  }

  private armWrapUpTimer(): void {
    this.ctx.clock.clearTimer(this.wrapUpTimer);
    this.wrapUpTimer = this.ctx.clock.setTimer(`call:${this.callId}:wrap-up`, Math.max(0, this.wrapUpUntil - this.ctx.clock.now()), () => {
      this.background(() => this.finishWrapUp());
    });
  }

  /** The agent needs more after-call time: up to the queue's limit in total. Returns the new end. */
  private async extend(agentId: string, ms: number): Promise<number> {
    if (this.agentId !== agentId || this.phase !== 'wrap_up') throw new CallActionError('not_in_wrap_up', 'you can extend wrap-up only for your own call, during wrap-up');
    const left = this.queue.wrapUpExtendMaxMs - this.wrapUpExtendedMs;
    if (left <= 0) throw new CallActionError('wrap_up_extension_exhausted', `wrap-up can be extended by at most ${Math.round(this.queue.wrapUpExtendMaxMs / 1000)} s in total for this queue`);
    const granted = Math.min(ms, left);
    this.wrapUpExtendedMs += granted;
    this.wrapUpUntil += granted;
    this.armWrapUpTimer();
    this.ctx.channel.wrapUpExtended(agentId, this.callId, this.wrapUpUntil);
    return this.wrapUpUntil;
  }

  private async recordDisposition(agentId: string, code: string, notes: string, details: OutcomeDetails): Promise<void> {
    if (this.agentId !== agentId || this.phase !== 'wrap_up') throw new CallActionError('not_in_wrap_up', 'you can record an outcome only for your own call, after it ends');
    if (!this.queue.dispositionCodes.includes(code)) throw new DispositionError(`unknown disposition code "${code}"; this queue uses: ${this.queue.dispositionCodes.join(', ')}`);
    await this.ctx.outcomes.record({ ...details, callId: this.callId, agentId, code, notes, at: new Date(this.ctx.clock.now()), customerId: this.customerId, queueId: this.queue.queueId });
    this.dispositionCode = code;
    this.ctx.channel.dispositionSaved(agentId, this.callId, code);
    if (this.phase === 'wrap_up') await this.finishWrapUp();
  }

  private async finishWrapUp(): Promise<void> {
    if (this.phase !== 'wrap_up') return;
    this.ctx.clock.clearTimer(this.wrapUpTimer);
    this.phase = 'done';
    if (this.countedActive) await this.ctx.queues.recordActive(this.queue.queueId, -1, this.ctx.clock.now() - this.connectedAt);
    await this.ctx.agents.apply(this.agentId as string, { type: 'wrap_up_done' });
    this.done();
    this.ctx.dispatch(this.queue.queueId);
  }

  // ---- helpers -----------------------------------------------------------------------------

  /** A step nobody waits for (a timer's): its failure is logged by serial's chain. */
  private background(step: () => Promise<unknown>): void {
    this.serial(step).catch(() => undefined);
  }

  private serial<T>(step: () => Promise<T>): Promise<T> {
    const run = this.chain.then(step);
    this.chain = run.catch((err: unknown) => {
      if (!(err instanceof CallActionError) && !(err instanceof DispositionError)) this.log.error({ err }, 'call step failed');
    });
    return run;
  }

  private async playQuietly(id: string): Promise<void> {
    if (!this.customerLeg) return;
    try {
      await this.ctx.sw.play(this.customerLeg, { id, language: this.language });
    } catch (err) {
      if (!(err instanceof LegGoneError)) throw err;
    }
  }

  private async stopHoldMusicQuietly(): Promise<void> {
    if (!this.customerLeg) return;
    try {
      await this.ctx.sw.stopHoldMusic(this.customerLeg);
    } catch (err) {
      if (!(err instanceof LegGoneError)) throw err;
    }
  }

  private async hangupQuietly(legId: LegId | undefined, cause: HangupCause): Promise<void> {
    if (!legId) return;
    try {
      await this.ctx.sw.hangup(legId, cause);
    } catch (err) {
      if (!(err instanceof LegGoneError)) this.log.warn({ err, legId }, 'hangup failed');
    }
  }

  /**
   * Writes to the call record without holding up the call: writes of one call are applied in
   * order (a late "queued" can never overwrite "ended"), retried on transient errors, and tracked
   * so shutdown waits for them.
   */
  /**
   * Fields for the call record that can wait for the next write (queued, IVR path, overflow): the
   * live state of a waiting call is in Redis, and a call that waits and ends then costs two writes
   * (arrival, end), which matters on a write-bound store. Shutdown flushes them.
   */
  private deferRecord(update: RecordUpdate): void {
    this.pendingRecord = { ...this.pendingRecord, ...update };
  }

  private writeRecord(fields: RecordUpdate, create = false): void {
    const update: RecordUpdate = create ? fields : { ...this.pendingRecord, ...fields };
    if (!create) this.pendingRecord = {};
    this.ctx.records.queue(this.callId, update, { create });
    if (update.status === 'ended' && this.customerId) this.endedOutcome = { outcome: update.outcome ?? undefined, at: this.offered.receivedAt };
  }

  /** The session is over: remember it on the customer and drop it. */
  private done(): void {
    this.rememberOnCustomer();
    this.ctx.forget(this);
  }

  /** Puts the finished call on the customer's recent calls (screen-pop cache), with its disposition if any. */
  private rememberOnCustomer(): void {
    if (!this.customerId || !this.endedOutcome || this.remembered) return;
    this.remembered = true;
    const entry = {
      callId: this.callId,
      at: new Date(this.endedOutcome.at).toISOString(),
      direction: 'inbound',
      outcome: this.endedOutcome.outcome,
      agent: this.agentId,
      disposition: this.dispositionCode,
    };
    detach(this.ctx.inflight.track(this.ctx.crm.rememberCall(this.customerId, entry)), this.log, 'recent calls cache update failed');
  }

}
