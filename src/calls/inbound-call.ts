import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import type { CallTally } from '../supervisor/call-tally';
import type { QueueConfig } from '../acd/queue-directory';
import type { QueueStore } from '../acd/queue-store';
import type { AgentChannel } from '../agents/agent-channel';
import type { AgentService } from '../agents/agent-service';
import type { Clock, TimerHandle } from '../clock/clock';
import { toE164 } from '../crm/phone';
import type { ExternalCard, ExternalCrm } from '../crm/external-crm';
import type { CustomerDirectory } from '../crm/screen-pop';
import type { IvrFlow } from '../ivr/flow-schema';
import type { IvrResult } from '../ivr/ivr-session';
import type { InflightWrites } from '../lifecycle/inflight';
import type { Logger } from '../log';
import type { Metrics } from '../observability/metrics';
import type { StoreCalendar } from '../org/business-hours';
import type { CallRecordDoc, Models } from '../store/models';
import { LegGoneError, type CallOffered, type DialRequest, type DialResult, type HangupCause, type LegHangup, type LegId, type RecordingStopped, type Switch } from '../telephony/switch';
import { detach } from '../util/detach';
import { CallActionError } from './call-errors';
import { CallRecorder, type RecordingMeta } from './call-recorder';
import type { CallRecordWriter } from './call-record-writer';
import type { CallSession, ControlFields, LiveConversation } from './call-session';
import { DispositionError, type DispositionService, type OutcomeDetails } from './dispositions';
import { arrive, type RoutingRequest } from './inbound-arrival';
import type { LiveCalls, LiveCallState } from './live-calls';
import { buildOfferPop, lookupExternal } from './offer-pop';
import { announcePosition, overflowPlan, QueueWait } from './queue-wait';
import { RecordDraft } from './session/record-draft';
import { StepChain } from './session/step-chain';
import { WrapUp } from './session/wrap-up';
import { takeVoicemail } from './voicemail-task';
import type { InCarHooks } from './in-car-hooks';
import type { BodyPart } from '../telephony/switch';

export { CallActionError } from './call-errors';
export type { RoutingRequest } from './inbound-arrival';

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
  /** What Redis keeps of each live call, for the sweeper. */
  live: LiveCalls;
  /** This instance (the owner written on every live call it runs). */
  owner: string;
  metrics: Metrics;
  log: Logger;
  /** Ask the dispatcher to match waiting calls and ready agents of a queue. */
  dispatch(queueId: string): void;
  /** The legs of this call, so switch events reach it. */
  bindLeg(legId: LegId, call: CallSession): void;
  /** The session is over; drop it. */
  forget(call: CallSession): void;
  /** The session failed (or its watchdog fired): drop it and hand the call to the sweeper. */
  abandon(call: CallSession, reason: string): void;
  /** Another queue's definition (overflow targets, IVR enqueue nodes). */
  queueConfig(queueId: string): QueueConfig | undefined;
  /** The IVR flow answering a dialled number, if any. */
  flowFor(dialled: string): IvrFlow | undefined;
  storeCalendar(storeId: string): StoreCalendar | undefined;
  /** Today's queue counters for the live board (answered, abandoned, handle time). */
  tally?: CallTally | undefined;
}

/**
 * answering: answered, IVR or greeting playing · queued: waiting with hold music (or, with a callback
 * number, waiting to be called back) · offered: an agent is reserved and sees the offer · connecting:
 * the agent accepted, their phone is being dialled · connected: talking · transferred: the IVR sent
 * the caller to another number · wrap_up: the conversation ended, the agent is writing up · done.
 */
export type CallPhase = 'answering' | 'queued' | 'offered' | 'connecting' | 'connected' | 'transferred' | 'wrap_up' | 'done';

/** How long the customer's phone rings when an agent calls back a queued-callback caller. */
const CALLBACK_RING_MS = 30_000;
/** No call lives longer than this (a forgotten leg, a stuck engine): its watchdog gives it up. */
const MAX_CALL_AGE_MS = 8 * 3600_000;
/** The IVR and greeting must be done within this. */
const MAX_ANSWERING_MS = 30 * 60_000;
/** Slack past a phase's own deadline before the watchdog acts. */
const WATCHDOG_SLACK_MS = 60_000;
/** A single step (a prompt, a dial, a voicemail) running longer than this is stuck. */
const MAX_STEP_MS = 5 * 60_000;

type RecordUpdate = Partial<Omit<CallRecordDoc, 'callId' | 'ivr' | 'monitors'>> & { ivr?: { flowId: string; path: unknown; vars: unknown } } & ControlFields;

/**
 * One inbound call from the first ring to the agent's disposition. Every step runs one at a time
 * (StepChain), and a phase changes only after the I/O it depends on has succeeded; what Redis must
 * know for the sweeper (LiveCalls) is written before the phase it describes is taken.
 */
export class InboundCall implements CallSession {
  readonly callId: string;
  phase: CallPhase = 'answering';
  /** The agent who took the call (set on accept). */
  agentId: string | undefined;
  /** The agents the call is offered to now (several with ring-all). */
  private offeredTo: string[] = [];
  private queue: QueueConfig;
  private readonly overflowedFrom: string[] = [];
  private routing: RoutingRequest = { priority: 0, skills: [], preferredAgent: undefined };
  private agentLeg: LegId | undefined;
  /** The customer's leg: the inbound leg, none while waiting for a callback, then the called-back leg. */
  private customerLeg: LegId | undefined;
  /** This conversation's recording, once started. */
  private recording: RecordingMeta | undefined;
  /** Set when the caller chose to be called back (the number to call). */
  private callbackNumber: string | undefined;
  private ivrResult: IvrResult | undefined;
  private countedActive = false;
  private endedOutcome: { outcome: string | undefined; at: number } | undefined;
  private dispositionCode: string | undefined;
  /** The finished call on the customer's history (written when the conversation ends). */
  private remembered: Promise<void> | undefined;
  private externalLookup: Promise<ExternalCard | null | undefined> | undefined;
  private customerId: Types.ObjectId | undefined;
  private enqueuedAt = 0;
  /** When the conversation ended (after-call work counts from here). */
  private talkEndedAt = 0;
  private connectedAt = 0;
  /** When the current phase started (the watchdog's reference). */
  private phaseSince: number;
  private offerTimer: TimerHandle | undefined;
  private dialAbort: AbortController | undefined;
  private terminating = false;
  private readonly wait: QueueWait;
  private readonly wrapUp: WrapUp;
  private readonly chain: StepChain;
  private readonly draft: RecordDraft<RecordUpdate>;
  private readonly log: Logger;

  constructor(
    private readonly ctx: CallContext,
    readonly offered: CallOffered,
    queue: QueueConfig,
    callId: string = randomUUID(),
    /** An in-car call (#15): no IVR, its own priority, the driver pop, the crash escalation. */
    private readonly inCar?: InCarHooks,
  ) {
    this.callId = callId;
    this.queue = queue;
    this.customerLeg = offered.legId || undefined;
    this.phaseSince = ctx.clock.now();
    this.log = ctx.log.child({ callId: this.callId, leg: offered.legId });
    this.chain = new StepChain({ log: this.log, now: () => ctx.clock.now(), onFault: () => this.giveUp('step failed') });
    this.draft = new RecordDraft(this.callId, ctx.records);
    this.wait = new QueueWait(ctx.clock, this.callId, {
      rematch: (queueId) => ctx.dispatch(queueId),
      maxWait: () => this.chain.background(() => this.overflow()),
      announce: () => this.chain.background(() => this.announce()),
    });
    this.wrapUp = new WrapUp(ctx.clock, `call:${this.callId}:wrap-up`, this.wrapUpRules(queue), () => this.chain.background(() => this.finishWrapUp()));
  }

  /**
   * A queued callback whose instance died: carried on here from what Redis kept (its place in the
   * queue is still there), waiting for an agent as before.
   */
  static resumeCallback(ctx: CallContext, callId: string, s: LiveCallState, queue: QueueConfig): InboundCall {
    const offered: CallOffered = { legId: '', from: s.from ?? s.callbackNumber ?? '', to: s.to ?? '', source: s.source === 'vehicle' ? 'vehicle' : 'trunk', headers: {}, receivedAt: s.receivedAt ?? ctx.clock.now() };
    const call = new InboundCall(ctx, offered, queue, callId);
    call.callbackNumber = s.callbackNumber;
    call.customerLeg = undefined;
    call.enqueuedAt = s.enqueuedAt ?? ctx.clock.now();
    call.routing = { priority: s.priority ?? 0, skills: s.skills ? (JSON.parse(s.skills) as [string, number][]).map(([skill, minLevel]) => ({ skill, minLevel })) : [], preferredAgent: s.preferredAgent || undefined };
    call.customerId = s.customerId && Types.ObjectId.isValid(s.customerId) ? new Types.ObjectId(s.customerId) : undefined;
    call.ivrResult = s.ivr ? (JSON.parse(s.ivr) as IvrResult) : undefined;
    call.phase = 'queued';
    return call;
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
    return this.chain.idle();
  }

  start(): Promise<void> {
    this.ctx.bindLeg(this.callerLeg, this);
    return this.chain.run(() => this.answerAndQueue());
  }

  /** A resumed callback: back in its place in the queue, with its live state owned here. */
  resume(): Promise<void> {
    return this.chain.run(async () => {
      await this.ctx.live.set(this.callId, { owner: this.ctx.owner, phase: 'callback_waiting' });
      await this.ctx.queues.requeue(this.callId, this.queue.queueId);
      this.wait.arm(this.queue, this.enqueuedAt, undefined);
      this.log.info({ queueId: this.queue.queueId, number: this.callbackNumber }, 'queued callback carried on after its instance was lost');
      this.ctx.dispatch(this.queue.queueId);
    });
  }

  /**
   * Whether the session is still making progress: not failed, no step stuck, and within its phase's
   * deadline. The call's lease is renewed only while this holds; the watchdog gives up on it otherwise.
   */
  healthy(now: number): boolean {
    if (this.chain.faulted) return false;
    const busy = this.chain.busyFor(now);
    if (this.phase !== 'answering' && busy > MAX_STEP_MS) return false;
    return now <= this.deadline();
  }

  private deadline(): number {
    switch (this.phase) {
      case 'answering':
        return this.phaseSince + MAX_ANSWERING_MS;
      case 'offered':
        // from when the phase began: the pop is still being built when the heartbeat may look
        return this.phaseSince + this.queue.offerTimeoutMs + WATCHDOG_SLACK_MS;
      case 'connecting':
        return this.phaseSince + this.queue.offerTimeoutMs + CALLBACK_RING_MS + WATCHDOG_SLACK_MS;
      case 'wrap_up':
        return this.wrapUp.until + this.wrapUp.overdueLimitMs + WATCHDOG_SLACK_MS;
      default:
        return this.offered.receivedAt + MAX_CALL_AGE_MS;
    }
  }

  // ---- events from the dispatcher, the agent desktop and the switch --------------------------

  offerTo(agentIds: string[]): Promise<void> {
    return this.chain.run(() => this.makeOffer(agentIds));
  }

  accept(agentId: string): Promise<void> {
    return this.chain.command(() => this.acceptOffer(agentId));
  }

  decline(agentId: string): Promise<void> {
    return this.chain.command(() => this.withdrawOffer(agentId, 'declined'));
  }

  agentHangup(agentId: string): Promise<void> {
    return this.chain.command(async () => {
      if (this.phase !== 'connected' || this.agentId !== agentId || !this.agentLeg) throw new CallActionError('not_your_call', 'you are not talking on this call');
      await this.ctx.sw.hangup(this.agentLeg, 'normal_clearing');
    });
  }

  extendWrapUp(agentId: string, ms: number): Promise<number> {
    return this.chain.command(async () => {
      if (this.agentId !== agentId || this.phase !== 'wrap_up') throw new CallActionError('not_in_wrap_up', 'you can extend wrap-up only for your own call, during wrap-up');
      const until = this.wrapUp.extend(ms);
      this.ctx.channel.wrapUpExtended(agentId, this.callId, until);
      return until;
    });
  }

  /** The agent asks to go ready during this call's wrap-up: refused while a required outcome is missing. */
  leaveWrapUp(agentId: string): Promise<void> {
    return this.chain.command(async () => {
      if (this.agentId !== agentId || this.phase !== 'wrap_up') throw new CallActionError('not_in_wrap_up', 'this call is not in wrap-up');
      this.wrapUp.checkMayLeave();
      await this.finishWrapUp();
    });
  }

  recordingStopped(e: RecordingStopped): void {
    this.recording = CallRecorder.stoppedMeta(this.recording, e);
    this.draft.write({ recording: this.recording });
  }

  handOver(agentId: string, to: string): Promise<void> {
    return this.chain.command(async () => {
      const agentLeg = this.agentLeg;
      if (this.phase !== 'connected' || this.agentId !== agentId || !agentLeg) throw new CallActionError('not_your_call', 'you are not talking on this call');
      this.draft.defer({ transferredTo: to });
      await this.conversationEnded('agent', 'normal_clearing', 'transferred');
      await this.hangupQuietly(agentLeg, 'normal_clearing');
    });
  }

  amendRecord(fields: ControlFields): void {
    this.draft.write(fields);
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
    return this.chain.command(() => this.recordDisposition(agentId, code, notes, details));
  }

  legEnded(legId: LegId, cause: HangupCause, final?: LegHangup): Promise<void> {
    return this.chain.run(() => (final?.by === 'local' && final.sipStatus !== undefined && final.sipStatus >= 400 && legId === this.customerLeg && this.phase === 'answering' ? this.setupFailed(cause, final.sipStatus, final.reason) : this.onLegEnded(legId, cause)));
  }

  /** The switch could not set the caller's media up and refused the call (488, 503): the record says so. */
  private async setupFailed(cause: HangupCause, sipStatus: number, reason: string | undefined): Promise<void> {
    this.clearTimers();
    this.customerLeg = undefined;
    this.phase = 'done';
    this.log.warn({ sipStatus, reason, cause }, 'call refused at setup');
    this.draft.write({ status: 'ended', outcome: 'failed', endedAt: new Date(this.ctx.clock.now()), endCause: cause, endedBy: 'system', sipStatus, ...(reason ? { sipReason: reason } : {}), customerId: this.customerId });
    this.noteEnded('failed');
    await this.done();
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
    await this.chain.run(() => this.finishWrapUp()).catch(() => undefined);
  }

  /**
   * The session failed or its watchdog fired: stop acting, end its legs (no dead air), and hand the
   * call to the sweeper, which closes the record from what Redis knows and frees the agents.
   */
  giveUp(reason: string): void {
    if (this.phase === 'done') return;
    this.log.error({ reason, phase: this.phase }, 'giving up on the call; the sweeper closes it');
    this.phase = 'done';
    this.clearTimers();
    this.dialAbort?.abort();
    for (const leg of [this.agentLeg, this.customerLeg]) if (leg) detach(this.hangupQuietly(leg, 'temporary_failure'), this.log, 'hang-up of a failed call');
    this.ctx.abandon(this, reason);
  }

  // ---- arrival ---------------------------------------------------------------------------------

  private async answerAndQueue(): Promise<void> {
    if (this.inCar) return this.inCarArrival(this.inCar);
    const o = this.offered;
    const flow = this.ctx.flowFor(o.to);
    await this.ctx.live.set(this.callId, { owner: this.ctx.owner, phase: 'answering', direction: 'inbound', queueId: this.queue.queueId, storeId: this.queue.storeId, from: o.from, to: o.to, source: o.source, receivedAt: o.receivedAt });
    this.draft.create({ direction: 'inbound', source: o.source, from: o.from, to: o.to, status: flow ? 'ivr' : 'ringing', offeredAt: new Date(o.receivedAt), queueId: this.queue.queueId });
    const e164 = toE164(o.from);
    const ext = this.ctx.externalCrm;
    if (e164 && ext) this.externalLookup = lookupExternal(ext.crm, e164, (err) => this.log.warn({ err }, 'external CRM lookup failed'));
    const customer = e164 ? await this.ctx.crm.findByPhone(e164) : undefined;
    this.customerId = customer?.id;
    const { arrival, ivr } = await arrive(this.ctx, this.callerLeg, this.queue, flow, customer);
    if (ivr) {
      this.ivrResult = ivr;
      this.draft.defer({ ivr: { flowId: ivr.flowId, path: ivr.path, vars: ivr.vars }, customerId: this.customerId });
    }
    switch (arrival.kind) {
      case 'left':
        return; // the hang-up event finishes the record
      case 'hangup':
        return this.endWithoutAgent('ivr_completed');
      case 'transfer':
        return this.transferOut(arrival.number);
      case 'callback':
        this.queue = arrival.queue;
        this.enqueuedAt = this.ctx.clock.now();
        await this.enqueue();
        return this.becomeCallback(arrival.prompt);
      case 'enqueue':
        this.queue = arrival.queue;
        this.routing = arrival.routing;
        this.enqueuedAt = this.ctx.clock.now();
        await this.enqueue();
        try {
          await this.ctx.sw.startHoldMusic(this.callerLeg);
        } catch (err) {
          if (err instanceof LegGoneError) return;
          throw err;
        }
        this.draft.defer({ status: 'queued', queueId: this.queue.queueId, queuedAt: new Date(this.enqueuedAt), customerId: this.customerId });
        this.ctx.dispatch(this.queue.queueId);
    }
  }

  /** An in-car call: answered at once (no IVR, no greeting), queued with its priority and hold music. */
  private async inCarArrival(inCar: InCarHooks): Promise<void> {
    const o = this.offered;
    await this.ctx.live.set(this.callId, { owner: this.ctx.owner, phase: 'answering', direction: 'inbound', queueId: this.queue.queueId, storeId: this.queue.storeId, from: o.from, to: o.to, source: o.source, receivedAt: o.receivedAt });
    this.draft.create({ direction: 'inbound', source: 'vehicle', from: o.from, to: o.to, status: 'ringing', offeredAt: new Date(o.receivedAt), queueId: this.queue.queueId });
    try {
      await this.ctx.sw.answer(this.callerLeg);
    } catch (err) {
      if (err instanceof LegGoneError) return;
      throw err;
    }
    this.routing = { priority: inCar.priority, skills: [], preferredAgent: undefined };
    this.enqueuedAt = this.ctx.clock.now();
    await this.enqueue();
    try {
      await this.ctx.sw.startHoldMusic(this.callerLeg);
    } catch (err) {
      if (err instanceof LegGoneError) return;
      throw err;
    }
    this.draft.defer({ status: 'queued', queueId: this.queue.queueId, queuedAt: new Date(this.enqueuedAt) });
    inCar.queued(this.callId, this.queue.queueId);
    this.ctx.dispatch(this.queue.queueId);
  }

  /**
   * An in-car press posted over HTTP: the call waits in the queue with no leg; the assistant who takes
   * it is connected first, then the terminal is called back (the queued-callback path).
   */
  startInCarCallback(number: string): Promise<void> {
    const inCar = this.inCar;
    if (!inCar) throw new Error('not an in-car call');
    return this.chain.run(async () => {
      const o = this.offered;
      this.callbackNumber = number;
      this.routing = { priority: inCar.priority, skills: [], preferredAgent: undefined };
      this.enqueuedAt = this.ctx.clock.now();
      await this.ctx.live.set(this.callId, { owner: this.ctx.owner, phase: 'callback_waiting', direction: 'inbound', queueId: this.queue.queueId, storeId: this.queue.storeId, from: o.from, to: o.to, source: o.source, receivedAt: o.receivedAt, callbackNumber: number });
      this.draft.create({ direction: 'inbound', source: 'vehicle', from: o.from, to: o.to, status: 'callback_waiting', offeredAt: new Date(o.receivedAt), queueId: this.queue.queueId, callbackRequestedAt: new Date(this.enqueuedAt) });
      await this.enqueue();
      this.wait.clear(); // no announcements or overflow for a call nobody is on yet
      inCar.queued(this.callId, this.queue.queueId);
      this.ctx.dispatch(this.queue.queueId);
    });
  }

  /** The car sent a SIP INFO (an updated MSD): the assistant offered or talking sees the new data. */
  inCarInfo(parts: BodyPart[], headers: Record<string, string>): Promise<void> {
    return this.chain.run(async () => {
      if (!this.inCar || this.phase === 'done') return;
      const pop = this.inCar.info(this.callId, parts, headers);
      for (const a of this.agentId ? [this.agentId] : this.offeredTo) this.ctx.channel.inCarUpdate?.(a, this.callId, pop);
      await Promise.resolve();
    });
  }

  /** Ends a call no agent took (IVR hang-up, overflow goodbye): hangs up and writes the outcome. */
  private async endWithoutAgent(outcome: 'ivr_completed' | 'overflowed' | 'voicemail', waitMs = 0): Promise<void> {
    this.clearTimers();
    const leg = this.customerLeg;
    this.customerLeg = undefined; // our own hang-up: not an abandon
    this.phase = 'done';
    await this.hangupQuietly(leg, 'normal_clearing');
    this.draft.write({ status: 'ended', outcome, endedAt: new Date(this.ctx.clock.now()), endCause: 'normal_clearing', endedBy: 'system', waitMs, customerId: this.customerId });
    this.noteEnded(outcome);
    await this.done();
  }

  /** The IVR sends the caller to another number (e.g. the service hotline) and stays out of the conversation. */
  private async transferOut(number: string): Promise<void> {
    const result = await this.ctx.sw.dial({ to: number, callerId: this.offered.from, purpose: 'third_party', ringTimeoutMs: 40_000, headers: { 'x-call-id': this.callId } });
    if (result.outcome !== 'answered') {
      this.log.warn({ number, outcome: result.outcome }, 'IVR transfer failed');
      await this.playQuietly('queue_overflow_goodbye');
      return this.endWithoutAgent('ivr_completed');
    }
    this.agentLeg = result.legId; // the far party takes the agent's place in the bridge
    this.ctx.bindLeg(result.legId, this);
    await this.ctx.sw.bridge(this.callerLeg, result.legId);
    const now = this.ctx.clock.now();
    await this.ctx.live.set(this.callId, { phase: 'transferred', connectedAt: now });
    this.enter('transferred');
    this.connectedAt = now;
    this.draft.write({ status: 'connected', connectedAt: new Date(now), transferredTo: number });
  }

  // ---- waiting -----------------------------------------------------------------------------

  /** Into the current queue, keeping the original arrival time; arms the waiting timers. */
  private async enqueue(): Promise<void> {
    const now = this.ctx.clock.now();
    const preferredUntil = this.routing.preferredAgent ? now + this.queue.preferredWaitMs : undefined;
    const skills = this.routing.skills.length > 0 ? JSON.stringify(this.routing.skills.map((s) => [s.skill, s.minLevel])) : undefined;
    await this.ctx.live.set(this.callId, { phase: 'queued', queueId: this.queue.queueId, storeId: this.queue.storeId, enqueuedAt: this.enqueuedAt, priority: this.routing.priority, skills, preferredAgent: this.routing.preferredAgent });
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
    this.enter('queued');
    this.ctx.tally?.changed();
    this.ctx.metrics.callsOffered.inc({ queue: this.queue.queueId });
    this.wait.arm(this.queue, this.enqueuedAt, preferredUntil);
  }

  /**
   * The caller keeps their place but hangs up: confirm, end the inbound leg, and wait in the queue
   * as a callback. The agent who takes it is connected first, then the customer is called.
   */
  private async becomeCallback(prompt: string): Promise<void> {
    const number = this.offered.from;
    await this.ctx.live.set(this.callId, {
      phase: 'callback_waiting',
      callbackNumber: number,
      customerId: this.customerId ? String(this.customerId) : undefined,
      ivr: this.ivrResult ? JSON.stringify({ flowId: this.ivrResult.flowId, path: this.ivrResult.path, vars: this.ivrResult.vars, outcome: this.ivrResult.outcome }) : undefined,
    });
    this.callbackNumber = number;
    this.wait.clear();
    const leg = this.customerLeg;
    this.customerLeg = undefined; // its hang-up is expected, not an abandon
    if (leg) {
      try {
        await this.ctx.sw.stopHoldMusic(leg);
        await this.ctx.sw.play(leg, { id: prompt, language: this.language });
      } catch (err) {
        if (!(err instanceof LegGoneError)) throw err;
      }
    }
    await this.hangupQuietly(leg, 'normal_clearing');
    this.draft.write({ status: 'callback_waiting', callbackRequestedAt: new Date(this.ctx.clock.now()), queueId: this.queue.queueId, customerId: this.customerId });
    this.log.info({ queueId: this.queue.queueId }, 'queued callback');
  }

  private get language(): 'zh-CN' | 'en' {
    return this.ctx.flowFor(this.offered.to)?.language ?? 'zh-CN';
  }

  /** Position and estimated wait; during it the caller may press the callback key. */
  private async announce(): Promise<void> {
    const leg = this.customerLeg;
    if (this.phase !== 'queued' || this.callbackNumber !== undefined || !leg) return;
    let heard: Awaited<ReturnType<typeof announcePosition>>;
    try {
      heard = await announcePosition(this.ctx, leg, this.callId, this.queue, this.language);
    } catch (err) {
      if (err instanceof LegGoneError) return;
      throw err;
    }
    if (heard === 'hangup' || heard === 'not_waiting') return;
    // Only while still waiting: an agent may have been reserved during the announcement.
    if (heard === 'callback' && this.phase === 'queued') return this.becomeCallback('callback_confirmed');
    if (this.phase === 'queued') {
      try {
        await this.ctx.sw.startHoldMusic(leg);
      } catch (err) {
        if (err instanceof LegGoneError) return;
        throw err;
      }
      this.wait.armAnnouncement(this.queue);
    }
  }

  /** Waited too long: on to the overflow queue (keeping the place by arrival time), a callback, voicemail or goodbye. */
  private async overflow(): Promise<void> {
    if (this.phase !== 'queued' || this.callbackNumber !== undefined) return; // offered, connected or already a callback
    const plan = overflowPlan(this.queue, (id) => this.ctx.queueConfig(id));
    if (plan.kind === 'callback') {
      this.log.info({ queueId: this.queue.queueId }, 'queue overflow to a callback');
      return this.becomeCallback('callback_confirmed');
    }
    await this.ctx.queues.remove(this.callId, this.queue.queueId);
    const waitMs = this.ctx.clock.now() - this.enqueuedAt;
    this.ctx.tally?.leftQueue(this.queue, this.ctx.clock.now());
    if (plan.kind === 'voicemail') {
      this.clearTimers();
      const saved = this.customerLeg
        ? await takeVoicemail(this.ctx, this.customerLeg, { callId: this.callId, queueId: this.queue.queueId, storeId: this.queue.storeId, from: this.offered.from, customerId: this.customerId, language: this.language })
        : false;
      this.log.info({ queueId: this.queue.queueId, saved }, 'queue overflow to voicemail');
      return this.endWithoutAgent(saved ? 'voicemail' : 'overflowed', waitMs);
    }
    this.log.info({ from: this.queue.queueId, to: plan.kind === 'queue' ? plan.next.queueId : 'hangup' }, 'queue overflow');
    if (plan.kind === 'queue') {
      this.overflowedFrom.push(this.queue.queueId);
      this.queue = plan.next;
      await this.enqueue();
      this.draft.defer({ queueId: plan.next.queueId, overflowedFrom: [...this.overflowedFrom] });
      this.ctx.dispatch(plan.next.queueId);
      return;
    }
    this.clearTimers();
    await this.stopHoldMusicQuietly();
    await this.playQuietly('queue_overflow_goodbye');
    await this.endWithoutAgent('overflowed', waitMs);
  }

  // ---- the offer -----------------------------------------------------------------------------

  private async makeOffer(agentIds: string[]): Promise<void> {
    if (this.phase !== 'queued') {
      // The reservation raced the caller leaving: give the agents back.
      for (const agentId of agentIds) await this.ctx.agents.apply(agentId, { type: 'call_gone' });
      return;
    }
    await this.ctx.live.set(this.callId, { phase: 'offered', offeredTo: agentIds.join(',') });
    this.enter('offered');
    this.offeredTo = [...agentIds];
    for (const agentId of agentIds) await this.ctx.agents.announce(agentId);
    const now = this.ctx.clock.now();
    const { pop, late } = await buildOfferPop(this.ctx, {
      callId: this.callId,
      offered: this.offered,
      queue: this.queue,
      now,
      customerId: this.customerId,
      ivr: this.ivrResult,
      callback: this.callbackNumber !== undefined,
      externalLookup: this.externalLookup,
    });
    if (this.inCar) pop.inCar = this.inCar.pop();
    if (late) {
      const update = late.then((card) => {
        for (const a of this.agentId ? [this.agentId] : this.offeredTo) this.ctx.channel.offerUpdate(a, this.callId, card);
      });
      detach(update, this.log, 'late screen-pop update failed');
    }
    this.offerTimer = this.ctx.clock.setTimer(`call:${this.callId}:offer`, this.queue.offerTimeoutMs, () => this.chain.background(() => this.offerExpired()));
    for (const agentId of agentIds) this.ctx.channel.offer(agentId, pop);
  }

  private async acceptOffer(agentId: string): Promise<void> {
    if (this.phase !== 'offered' || !this.offeredTo.includes(agentId)) throw new CallActionError('not_offered', 'this call is not offered to you (it may have been withdrawn or taken)');
    const accepted = await this.ctx.agents.apply(agentId, { type: 'accept' });
    if (!accepted.ok) throw new CallActionError('state_refused', accepted.error);
    this.ctx.clock.clearTimer(this.offerTimer);
    this.agentId = agentId;
    await this.releaseOthers(agentId, 'taken');
    await this.ctx.live.set(this.callId, { phase: 'connecting', agentId });
    this.enter('connecting');
    this.dialAside({ to: `agent:${agentId}`, callerId: this.offered.from, purpose: 'agent', ringTimeoutMs: this.queue.offerTimeoutMs }, (result, err) => this.agentLegResult(agentId, result, err));
  }

  /**
   * Places a leg without holding up the call's steps (it may ring for many seconds; a hang-up must
   * still be handled meanwhile); its result comes back as a step. Cancellable through dialAbort.
   */
  private dialAside(request: Omit<DialRequest, 'headers'>, onResult: (result: DialResult, err?: unknown) => Promise<void>): void {
    this.dialAbort = new AbortController();
    this.ctx.sw.dial({ ...request, headers: { 'x-call-id': this.callId } }, this.dialAbort.signal).then(
      (result) => this.chain.background(() => onResult(result)),
      (err: unknown) => this.chain.background(() => onResult({ outcome: 'failed', cause: 'network_failure', sipStatus: 500 }, err)),
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
      const now = this.ctx.clock.now();
      await this.ctx.live.set(this.callId, { phase: 'connected', connectedAt: now });
      this.enter('connected');
      this.connectedAt = now;
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
    const now = this.ctx.clock.now();
    this.clearTimers();
    if (this.callbackNumber === undefined) await this.ctx.agents.apply(agentId, { type: 'connected' }); // a callback's agent is already talking
    await this.ctx.agents.countCall(agentId);
    await this.ctx.live.set(this.callId, { phase: 'connected', agentId, connectedAt: now });
    await this.ctx.queues.recordActive(this.queue.queueId, 1, undefined, this.ctx.live.keyOf(this.callId));
    this.countedActive = true;
    await this.ctx.queues.remove(this.callId, this.queue.queueId);
    this.enter('connected');
    this.connectedAt = now;
    this.ctx.metrics.callsAnswered.inc({ queue: this.queue.queueId });
    this.ctx.tally?.answered(this.queue, now - this.enqueuedAt, now);
    this.inCar?.connected(this.callId, agentId);
    this.ctx.channel.connected(agentId, this.callId, now);
    this.draft.write({ status: 'connected', agentUsername: agentId, connectedAt: new Date(now), waitMs: now - this.enqueuedAt });
    this.recording = await this.ctx.recorder.record(this.callId, this.customerLeg ?? this.callerLeg, this.queue.storeId, now);
    if (this.recording) this.draft.write({ recording: this.recording });
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
    await this.ctx.queues.requeue(this.callId, this.queue.queueId);
    await this.ctx.live.set(this.callId, { phase: this.callbackNumber !== undefined ? 'callback_waiting' : 'queued' });
    await this.ctx.live.unset(this.callId, 'offeredTo', 'agentId');
    this.agentId = undefined;
    this.offeredTo = [];
    this.enter('queued');
    if (this.callbackNumber === undefined) this.wait.armAnnouncement(this.queue);
    this.ctx.dispatch(this.queue.queueId);
  }

  // ---- the end -------------------------------------------------------------------------------

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
    const now = this.ctx.clock.now();
    this.phase = 'done';
    this.draft.write({ status: 'ended', outcome: 'transferred', endedAt: new Date(now), endCause: cause, endedBy, talkMs: now - this.connectedAt, customerId: this.customerId });
    this.noteEnded('transferred');
    await this.done();
  }

  private async callerLeftBeforeAgent(cause: HangupCause): Promise<void> {
    const phase = this.phase;
    this.clearTimers();
    this.dialAbort?.abort();
    if (phase !== 'answering') await this.ctx.queues.remove(this.callId, this.queue.queueId);
    if (phase === 'offered' || phase === 'connecting') {
      await this.releaseOthers(undefined, 'caller_left');
      this.ctx.dispatch(this.queue.queueId);
    }
    this.phase = 'done';
    const now = this.ctx.clock.now();
    const outcome = this.terminating ? 'shutdown' : 'abandoned';
    if (outcome === 'abandoned') this.ctx.metrics.callsAbandoned.inc({ queue: this.queue.queueId });
    if (outcome === 'abandoned' && phase !== 'answering' && this.enqueuedAt) this.ctx.tally?.abandoned(this.queue, now - this.enqueuedAt, now);
    this.draft.write({ status: 'ended', outcome, endedAt: new Date(now), endCause: cause, endedBy: this.terminating ? 'system' : 'caller', waitMs: this.enqueuedAt ? now - this.enqueuedAt : 0, customerId: this.customerId });
    this.noteEnded(outcome);
    await this.done();
  }

  private async conversationEnded(endedBy: 'caller' | 'agent' | 'system', cause: HangupCause, outcome: 'answered' | 'callback_failed' | 'transferred' = 'answered'): Promise<void> {
    const agentId = this.agentId as string;
    const now = this.ctx.clock.now();
    const talkMs = now - this.connectedAt;
    this.talkEndedAt = now;
    await this.ctx.agents.apply(agentId, { type: 'call_ended' });
    await this.ctx.live.set(this.callId, { phase: 'wrap_up' });
    this.enter('wrap_up');
    const until = this.wrapUp.begin(now);
    this.draft.write({ status: 'ended', outcome, endedAt: new Date(now), endCause: cause, endedBy, talkMs, agentUsername: agentId });
    this.noteEnded(outcome);
    this.rememberOnCustomer(); // a customer who calls again during wrap-up already sees this call
    this.ctx.channel.ended(agentId, { callId: this.callId, endedBy, cause, talkMs, wrapUpUntil: until, dispositionCodes: this.queue.dispositionCodes });
  }

  private async recordDisposition(agentId: string, code: string, notes: string, details: OutcomeDetails): Promise<void> {
    if (this.agentId !== agentId || this.phase !== 'wrap_up') throw new CallActionError('not_in_wrap_up', 'you can record an outcome only for your own call, after it ends');
    if (!this.queue.dispositionCodes.includes(code)) throw new DispositionError(`unknown disposition code "${code}"; this queue uses: ${this.queue.dispositionCodes.join(', ')}`);
    await this.remembered; // the history entry the outcome completes
    await this.ctx.outcomes.record({ ...details, callId: this.callId, agentId, code, notes, at: new Date(this.ctx.clock.now()), customerId: this.customerId, queueId: this.queue.queueId });
    this.dispositionCode = code;
    this.wrapUp.dispositionSaved();
    this.ctx.channel.dispositionSaved(agentId, this.callId, code);
    await this.finishWrapUp();
  }

  private async finishWrapUp(): Promise<void> {
    if (this.phase !== 'wrap_up') return;
    const handleMs = this.ctx.clock.now() - this.connectedAt;
    if (this.countedActive) await this.ctx.queues.recordActive(this.queue.queueId, -1, handleMs, this.ctx.live.keyOf(this.callId));
    this.countedActive = false;
    const now = this.ctx.clock.now();
    // talk counts from connect to hang-up (hold included), after-call work from hang-up to now
    this.ctx.tally?.handled(this.queue, { talkMs: this.talkEndedAt - this.connectedAt, holdMs: 0, acwMs: now - this.talkEndedAt }, now);
    await this.ctx.agents.apply(this.agentId as string, { type: 'wrap_up_done' });
    this.wrapUp.clear();
    this.phase = 'done';
    await this.done();
    this.ctx.dispatch(this.queue.queueId);
  }

  // ---- helpers -----------------------------------------------------------------------------

  private wrapUpRules(queue: QueueConfig): ConstructorParameters<typeof WrapUp>[2] {
    return { wrapUpMs: queue.wrapUpMs, extendMaxMs: queue.wrapUpExtendMaxMs, requireDisposition: queue.requireDisposition, of: 'queue' };
  }

  private enter(phase: CallPhase): void {
    this.phase = phase;
    this.phaseSince = this.ctx.clock.now();
    if (phase === 'wrap_up') this.wrapUp.reconfigure(this.wrapUpRules(this.queue));
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

  private clearTimers(): void {
    this.ctx.clock.clearTimer(this.offerTimer);
    this.wait.clear();
    this.wrapUp.clear();
  }

  private noteEnded(outcome: string | undefined): void {
    this.endedOutcome = { outcome, at: this.offered.receivedAt };
  }

  /** The session is over: its record is written; the customer's history has it; Redis forgets it. */
  private async done(): Promise<void> {
    this.clearTimers();
    this.inCar?.ended(this.callId);
    this.rememberOnCustomer();
    this.ctx.forget(this);
  }

  /** Puts the finished call on the customer's recent calls (screen-pop cache); once. */
  private rememberOnCustomer(): void {
    if (!this.customerId || !this.endedOutcome || this.remembered) return;
    const entry = {
      callId: this.callId,
      at: new Date(this.endedOutcome.at).toISOString(),
      direction: 'inbound',
      outcome: this.endedOutcome.outcome,
      agent: this.agentId,
      disposition: this.dispositionCode,
    };
    const work = this.ctx.inflight.track(this.ctx.crm.rememberCall(this.customerId, entry));
    this.remembered = work.catch((err: unknown) => this.log.warn({ err }, 'recent calls cache update failed'));
  }
}
