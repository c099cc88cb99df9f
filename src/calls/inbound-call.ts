import { randomUUID } from 'node:crypto';
import type { Types } from 'mongoose';
import type { QueueConfig } from '../acd/queue-directory';
import type { QueueStore, SkillRequirement } from '../acd/queue-store';
import type { AgentChannel } from '../agents/agent-channel';
import type { AgentService } from '../agents/agent-service';
import type { Clock, TimerHandle } from '../clock/clock';
import { toE164 } from '../crm/phone';
import type { CustomerDirectory, ScreenPop } from '../crm/screen-pop';
import type { InflightWrites } from '../lifecycle/inflight';
import type { Logger } from '../log';
import type { CallRecordDoc, Models } from '../store/models';
import { withWriteRetry } from '../store/retry';
import { LegGoneError, type CallOffered, type DialResult, type HangupCause, type LegId, type Switch } from '../telephony/switch';
import { DispositionError, writeDisposition } from './dispositions';

export interface CallContext {
  sw: Switch;
  clock: Clock;
  agents: AgentService;
  queues: QueueStore;
  models: Models;
  crm: CustomerDirectory;
  channel: AgentChannel;
  inflight: InflightWrites;
  log: Logger;
  /** Ask the dispatcher to match waiting calls and ready agents of a queue. */
  dispatch(queueId: string): void;
  /** The legs of this call, so switch events reach it. */
  bindLeg(legId: LegId, call: InboundCall): void;
  /** The session is over; drop it. */
  forget(call: InboundCall): void;
  /** Another queue's definition (overflow targets). */
  queueConfig(queueId: string): QueueConfig | undefined;
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
export type CallPhase = 'answering' | 'queued' | 'offered' | 'connecting' | 'connected' | 'wrap_up' | 'done';

export class CallActionError extends Error {}

type RecordUpdate = Partial<Omit<CallRecordDoc, 'callId'>>;

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
    this.log = ctx.log.child({ callId: this.callId, leg: offered.legId });
  }

  get queueId(): string {
    return this.queue.queueId;
  }

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
      if (this.phase !== 'connected' || this.agentId !== agentId || !this.agentLeg) throw new CallActionError('you are not talking on this call');
      await this.ctx.sw.hangup(this.agentLeg, 'normal_clearing');
    });
  }

  disposition(agentId: string, code: string, notes: string): Promise<void> {
    return this.serial(() => this.recordDisposition(agentId, code, notes));
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
    await this.writeRecord(
      {
        direction: 'inbound',
        source: this.offered.source,
        from: this.offered.from,
        to: this.offered.to,
        status: 'ringing',
        offeredAt: new Date(this.offered.receivedAt),
        queueId: this.queue.queueId,
      },
      true,
    );
    const e164 = toE164(this.offered.from);
    const customer = e164 ? await this.ctx.crm.findByPhone(e164) : undefined;
    this.customerId = customer?.id;
    this.owningUser = customer?.owningUser;
    this.routing = { priority: 0, skills: [], preferredAgent: this.owningUser };
    try {
      await sw.answer(this.callerLeg);
      const greeting = await sw.play(this.callerLeg, { id: this.queue.greetingPrompt });
      if (greeting.outcome === 'hangup') return;
      this.enqueuedAt = clock.now();
      await this.enqueue();
      await sw.startHoldMusic(this.callerLeg);
    } catch (err) {
      if (err instanceof LegGoneError) return; // the hang-up event finishes the call
      throw err;
    }
    await this.writeRecord({ status: 'queued', queuedAt: new Date(this.enqueuedAt), customerId: this.customerId });
    this.ctx.dispatch(this.queue.queueId);
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
    if (preferredUntil !== undefined) {
      // When the preferred agent's window closes, any qualified agent may take the call: match again.
      this.preferredTimer = this.ctx.clock.setTimer(`call:${this.callId}:preferred`, this.queue.preferredWaitMs, () => this.ctx.dispatch(this.queue.queueId));
    }
    if (this.queue.maxWaitMs !== undefined) {
      const left = Math.max(0, this.enqueuedAt + this.queue.maxWaitMs - now);
      this.maxWaitTimer = this.ctx.clock.setTimer(`call:${this.callId}:max-wait`, left, () => {
        void this.serial(() => this.overflow());
      });
    }
  }

  /** Waited too long: on to the overflow queue (keeping the place by arrival time), or goodbye. */
  private async overflow(): Promise<void> {
    if (this.phase !== 'queued') return; // being offered or connected: let it be
    const target = this.queue.overflow;
    const next = target?.kind === 'queue' ? this.ctx.queueConfig(target.queueId) : undefined;
    await this.ctx.queues.remove(this.callId, this.queue.queueId);
    this.log.info({ from: this.queue.queueId, to: next?.queueId ?? 'hangup' }, 'queue overflow');
    if (next) {
      this.overflowedFrom.push(this.queue.queueId);
      this.queue = next;
      await this.enqueue();
      await this.writeRecord({ queueId: next.queueId, overflowedFrom: [...this.overflowedFrom] });
      this.ctx.dispatch(next.queueId);
      return;
    }
    this.phase = 'done';
    this.clearTimers();
    const waitMs = this.ctx.clock.now() - this.enqueuedAt;
    try {
      await this.ctx.sw.stopHoldMusic(this.callerLeg);
      await this.ctx.sw.play(this.callerLeg, { id: 'queue_overflow_goodbye' });
    } catch (err) {
      if (!(err instanceof LegGoneError)) throw err;
    }
    await this.hangupQuietly(this.callerLeg, 'normal_clearing');
    await this.writeRecord({ status: 'ended', outcome: 'overflowed', endedAt: new Date(this.ctx.clock.now()), endCause: 'normal_clearing', endedBy: 'system', waitMs, customerId: this.customerId });
    this.ctx.forget(this);
  }

  private clearTimers(): void {
    for (const t of [this.offerTimer, this.preferredTimer, this.maxWaitTimer, this.wrapUpTimer]) this.ctx.clock.clearTimer(t);
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
    const pop: ScreenPop = {
      callId: this.callId,
      from: this.offered.from,
      to: this.offered.to,
      source: this.offered.source,
      queueId: this.queue.queueId,
      queueName: this.queue.name,
      waitedMs: now - this.offered.receivedAt,
      offerExpiresAt: now + this.queue.offerTimeoutMs,
      customer: this.customerId ? await this.ctx.crm.card(this.customerId) : null,
      dispositionCodes: this.queue.dispositionCodes,
    };
    this.offerTimer = this.ctx.clock.setTimer(`call:${this.callId}:offer`, this.queue.offerTimeoutMs, () => {
      void this.serial(() => this.offerExpired());
    });
    for (const agentId of agentIds) this.ctx.channel.offer(agentId, pop);
  }

  private async acceptOffer(agentId: string): Promise<void> {
    if (this.phase !== 'offered' || !this.offeredTo.includes(agentId)) throw new CallActionError('this call is not offered to you (it may have been withdrawn or taken)');
    this.ctx.clock.clearTimer(this.offerTimer);
    const accepted = await this.ctx.agents.apply(agentId, { type: 'accept' });
    if (!accepted.ok) throw new CallActionError(accepted.error);
    this.agentId = agentId;
    await this.releaseOthers(agentId, 'taken');
    this.phase = 'connecting';
    this.dialAbort = new AbortController();
    const dialling = this.ctx.sw.dial(
      { to: `agent:${agentId}`, callerId: this.offered.from, purpose: 'agent', ringTimeoutMs: this.queue.offerTimeoutMs, headers: { 'x-call-id': this.callId } },
      this.dialAbort.signal,
    );
    void dialling.then(
      (result) => this.serial(() => this.agentLegResult(agentId, result)),
      (err: unknown) => this.serial(() => this.agentLegResult(agentId, { outcome: 'failed', cause: 'network_failure', sipStatus: 500 }, err)),
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
    try {
      await this.ctx.sw.stopHoldMusic(this.callerLeg);
      await this.ctx.sw.bridge(this.callerLeg, result.legId);
    } catch (e) {
      if (!(e instanceof LegGoneError)) throw e;
      return; // a leg vanished; its hang-up event is queued behind this step
    }
    this.phase = 'connected';
    this.connectedAt = this.ctx.clock.now();
    this.clearTimers();
    await this.ctx.agents.apply(agentId, { type: 'connected' });
    await this.ctx.agents.countCall(agentId);
    await this.ctx.queues.remove(this.callId, this.queue.queueId);
    this.ctx.channel.connected(agentId, this.callId, this.connectedAt);
    await this.writeRecord({ status: 'connected', agentUsername: agentId, connectedAt: new Date(this.connectedAt), waitMs: this.connectedAt - this.enqueuedAt });
  }

  private async withdrawOffer(agentId: string, reason: 'declined'): Promise<void> {
    if (this.phase !== 'offered' || !this.offeredTo.includes(agentId)) throw new CallActionError('this call is not offered to you');
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
    this.ctx.dispatch(this.queue.queueId);
  }

  private async onLegEnded(legId: LegId, cause: HangupCause): Promise<void> {
    if (legId === this.callerLeg) {
      switch (this.phase) {
        case 'answering':
        case 'queued':
        case 'offered':
        case 'connecting':
          return this.callerLeftBeforeAgent(cause);
        case 'connected':
          await this.hangupQuietly(this.agentLeg, 'normal_clearing');
          return this.conversationEnded(this.terminating ? 'system' : 'caller', cause);
        default:
          return;
      }
    }
    if (legId === this.agentLeg && this.phase === 'connected') {
      await this.hangupQuietly(this.callerLeg, 'normal_clearing');
      return this.conversationEnded(this.terminating ? 'system' : 'agent', cause);
    }
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
    await this.writeRecord({
      status: 'ended',
      outcome: this.terminating ? 'shutdown' : 'abandoned',
      endedAt: new Date(now),
      endCause: cause,
      endedBy: this.terminating ? 'system' : 'caller',
      waitMs: this.enqueuedAt ? now - this.enqueuedAt : 0,
      customerId: this.customerId,
    });
    this.ctx.forget(this);
  }

  private async conversationEnded(endedBy: 'caller' | 'agent' | 'system', cause: HangupCause): Promise<void> {
    const agentId = this.agentId as string;
    const now = this.ctx.clock.now();
    const talkMs = now - this.connectedAt;
    this.phase = 'wrap_up';
    await this.ctx.agents.apply(agentId, { type: 'call_ended' });
    const wrapUpUntil = now + this.queue.wrapUpMs;
    this.wrapUpTimer = this.ctx.clock.setTimer(`call:${this.callId}:wrap-up`, this.queue.wrapUpMs, () => {
      void this.serial(() => this.finishWrapUp());
    });
    await this.writeRecord({ status: 'ended', outcome: 'answered', endedAt: new Date(now), endCause: cause, endedBy, talkMs });
    this.ctx.channel.ended(agentId, { callId: this.callId, endedBy, cause, talkMs, wrapUpUntil, dispositionCodes: this.queue.dispositionCodes });
  }

  private async recordDisposition(agentId: string, code: string, notes: string): Promise<void> {
    if (this.agentId !== agentId || this.phase !== 'wrap_up') throw new CallActionError('you can record an outcome only for your own call, after it ends');
    if (!this.queue.dispositionCodes.includes(code)) throw new DispositionError(`unknown disposition code "${code}"; this queue uses: ${this.queue.dispositionCodes.join(', ')}`);
    await this.ctx.inflight.track(
      writeDisposition(this.ctx.models, { callId: this.callId, agentId, code, notes, at: new Date(this.ctx.clock.now()), customerId: this.customerId, queueId: this.queue.queueId }),
    );
    this.ctx.channel.dispositionSaved(agentId, this.callId, code);
    if (this.phase === 'wrap_up') await this.finishWrapUp();
  }

  private async finishWrapUp(): Promise<void> {
    if (this.phase !== 'wrap_up') return;
    this.ctx.clock.clearTimer(this.wrapUpTimer);
    this.phase = 'done';
    await this.ctx.agents.apply(this.agentId as string, { type: 'wrap_up_done' });
    this.ctx.forget(this);
    this.ctx.dispatch(this.queue.queueId);
  }

  // ---- helpers -----------------------------------------------------------------------------

  private serial<T>(step: () => Promise<T>): Promise<T> {
    const run = this.chain.then(step);
    this.chain = run.catch((err: unknown) => {
      if (!(err instanceof CallActionError) && !(err instanceof DispositionError)) this.log.error({ err }, 'call step failed');
    });
    return run;
  }

  private async hangupQuietly(legId: LegId | undefined, cause: HangupCause): Promise<void> {
    if (!legId) return;
    try {
      await this.ctx.sw.hangup(legId, cause);
    } catch (err) {
      if (!(err instanceof LegGoneError)) this.log.warn({ err, legId }, 'hangup failed');
    }
  }

  private writeRecord(update: RecordUpdate, create = false): Promise<unknown> {
    const { CallRecord } = this.ctx.models;
    const op = withWriteRetry<unknown>(() => (create ? CallRecord.create({ _id: this.callId, callId: this.callId, ...update }) : CallRecord.updateOne({ _id: this.callId }, { $set: update }).exec()));
    return this.ctx.inflight.track(op);
  }
}
