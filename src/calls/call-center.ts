import { randomUUID } from 'node:crypto';
import { Dispatcher, type Match } from '../acd/dispatcher';
import type { QueueConfig, QueueDirectory } from '../acd/queue-directory';
import type { QueueStore } from '../acd/queue-store';
import type { AgentChannel } from '../agents/agent-channel';
import type { AgentService } from '../agents/agent-service';
import type { Leases } from '../agents/leases';
import type { Clock, TimerHandle } from '../clock/clock';
import type { CustomerDirectory } from '../crm/screen-pop';
import type { IvrFlow } from '../ivr/flow-schema';
import type { InflightWrites } from '../lifecycle/inflight';
import type { StoreCalendar } from '../org/business-hours';
import type { Logger } from '../log';
import type { Models } from '../store/models';
import type { CallOffered, LegHangup, LegHold, LegId, LegInfo, MonitorMode, RecordingStopped, Switch } from '../telephony/switch';
import { CustomerHolds } from './customer-holds';
import type { InCarHooks } from './in-car-hooks';
import { DispositionError, type DispositionService, type OutcomeDetails } from './dispositions';
import type { DialOutcome } from '../dialer/ports';
import type { CallRecorder } from './call-recorder';
import type { CallRecordWriter } from './call-record-writer';
import type { CallSession, ControlFields, LiveConversation } from './call-session';
import { CallTransfers, type TransferTarget } from './call-transfers';
import { checkTransfer } from './transfer-policy';
import { ConversationControls, type MonitorNotices } from './conversation-controls';
import { toE164 } from '../crm/phone';
import { CallActionError, InboundCall, type CallContext } from './inbound-call';
import type { LiveCalls, LiveCallState } from './live-calls';
import type { InstanceBus } from '../cluster/instance-bus';
import { HeldOffers } from './held-offers';
import type { Metrics } from '../observability/metrics';
import { persist } from '../util/persist';
import { OutboundCall, type OutboundCampaign } from './outbound-call';
import { detach } from '../util/detach';
import type { CallTally } from '../supervisor/call-tally';

export interface CallCenterDeps {
  /** Recordings after the call (upload, retention), when configured. */
  archive?: { recorded(callId: string, file: string, stoppedAt: Date): Promise<void> } | undefined;
  sw: Switch;
  clock: Clock;
  agents: AgentService;
  queues: QueueStore;
  queueDirectory: QueueDirectory;
  models: Models;
  crm: CustomerDirectory;
  externalCrm: CallContext['externalCrm'];
  channel: AgentChannel;
  inflight: InflightWrites;
  /** The call record's writes, in order per call. */
  records: CallRecordWriter;
  outcomes: DispositionService;
  recorder: CallRecorder;
  leases: Leases;
  /** What Redis keeps of each live call (for the sweeper). */
  live: LiveCalls;
  /** This instance's id, written as the owner of its calls. */
  owner: string;
  metrics: Metrics;
  /** The other instances of the deployment: a match for a call another instance owns is sent there. */
  peers?: InstanceBus;
  /**
   * False while MongoDB or Redis is unreachable: a new call is then held ringing until they answer,
   * and refused (503) after `storeWaitMs` (default 8 s) rather than answered and dropped.
   */
  storesUp?: () => boolean;
  storeWaitMs?: number;
  flowFor(dialled: string): IvrFlow | undefined;
  storeCalendar(storeId: string): StoreCalendar | undefined;
  /** In-car calls (#15): admitted by the assist module, queued in its assistant queue. */
  inCar?: InCarDoor;
  /** A live call's lease lasts this long; it is renewed every heartbeatMs while the session runs. */
  lease: { ttlMs: number; heartbeatMs: number };
  log: Logger;
  /** Today's queue counters for the live board. */
  tally?: CallTally | undefined;
}

/** The in-car door: which queue in-car calls wait in, and whether a terminal's call is taken. */
export interface InCarDoor {
  queueId(): string;
  admit(offer: CallOffered): Promise<{ refuse: 401 | 403; reason: string } | { hooks: InCarHooks }>;
}

/**
 * Takes calls from the switch and runs one InboundCall session per call; routes agent actions
 * from the desktop to the right session; runs the dispatcher.
 */
export class CallCenter {
  private readonly calls = new Map<string, CallSession>();
  /** Calls that ended here whose Redis state is still being removed (the sweeper leaves them alone). */
  private readonly forgetting = new Set<string>();
  /** Outbound call ids reserved for an agent, not yet connected (their leases are renewed too). */
  private readonly pendingOutbound = new Set<string>();
  private readonly byLeg = new Map<LegId, CallSession>();
  private readonly dispatcher: Dispatcher;
  private readonly ctx: CallContext;
  private accepting = true;
  private heartbeat: TimerHandle | undefined;
  private monitorNotices: MonitorNotices = { monitorState: () => undefined };
  /** Hold and supervisor monitoring of connected conversations. */
  private readonly controls: ConversationControls;
  private readonly customerHolds = new CustomerHolds();
  private readonly transfers: CallTransfers;
  private readonly held: HeldOffers;

  constructor(private readonly deps: CallCenterDeps) {
    this.held = new HeldOffers({ clock: deps.clock, storesUp: () => deps.storesUp?.() ?? true, maxWaitMs: deps.storeWaitMs ?? 8_000, everyMs: 100 });
    this.dispatcher = new Dispatcher(
      deps.queues,
      () => deps.clock.now(),
      (queueId) => (deps.queueDirectory.get(queueId)?.offerTimeoutMs ?? 20_000) * 2,
      (m) => this.onMatch(m),
      deps.log,
      (seconds) => deps.metrics.routingSeconds.observe(seconds),
    );
    this.ctx = {
      ...deps,
      dispatch: (queueId) => this.dispatcher.request(queueId),
      bindLeg: (legId, call) => {
        this.byLeg.set(legId, call);
        deps.sw.tagLeg?.(legId, call.callId);
      },
      forget: (call) => this.forget(call),
      abandon: (call, reason) => this.abandon(call, reason),
      queueConfig: (queueId) => deps.queueDirectory.get(queueId),
    };
    this.controls = new ConversationControls({
      sw: deps.sw,
      clock: deps.clock,
      channel: deps.channel,
      notices: { monitorState: (...a) => this.monitorNotices.monitorState(...a) },
      amendRecord: (callId, fields) => this.amendRecord(callId, fields),
      log: deps.log.child({ module: 'controls' }),
    });
    this.transfers = new CallTransfers({
      sw: deps.sw,
      clock: deps.clock,
      controls: this.controls,
      channel: deps.channel,
      amendRecord: (callId, fields) => this.amendRecord(callId, fields),
      log: deps.log.child({ module: 'transfers' }),
    });
  }

  /** Where supervisors are told about the calls they monitor (the live board). */
  setMonitorNotices(notices: MonitorNotices): void {
    this.monitorNotices = notices;
  }

  start(): void {
    // a match made by another instance for a call this one runs
    this.deps.peers?.handle('call.offer', async (m: Match) => {
      if (!(await this.offerHere(m))) await this.releaseMatch(m);
    });
    this.deps.sw.on('call.offered', this.onOffered);
    this.deps.sw.on('leg.hangup', this.onHangup);
    this.deps.sw.on('leg.hold', this.onLegHold);
    this.deps.sw.on('recording.stopped', this.onRecordingStopped);
    this.deps.sw.on('leg.info', this.onInfo);
    this.beat();
  }

  /**
   * The watchdog and the leases: a session that stopped making progress (failed, stuck, past its
   * phase's deadline) is given up (its legs ended, the call handed to the sweeper); the others' leases
   * are renewed, so the reconciler knows they still run.
   */
  private beat(): void {
    this.heartbeat = this.deps.clock.setTimer('call-center:heartbeat', this.deps.lease.heartbeatMs, async () => {
      const now = this.deps.clock.now();
      const healthy: string[] = [...this.pendingOutbound];
      for (const [callId, call] of [...this.calls]) {
        if (call.healthy(now)) healthy.push(callId);
        else call.giveUp('watchdog: no progress within the phase deadline');
      }
      try {
        await this.deps.leases.renew('calls', healthy, now + this.deps.lease.ttlMs);
      } catch (err) {
        this.deps.log.warn({ err }, 'call lease renewal failed');
      }
      this.beat();
    });
  }

  /** True while this instance runs the call or is still removing its Redis state. */
  runsHere(callId: string): boolean {
    return this.calls.has(callId) || this.forgetting.has(callId) || this.pendingOutbound.has(callId);
  }

  /** The sweeper found a queued callback whose instance is gone: it waits for an agent here now. */
  async resumeCallback(callId: string, state: LiveCallState): Promise<boolean> {
    const queue = state.queueId ? this.deps.queueDirectory.get(state.queueId) : undefined;
    if (!queue || !state.callbackNumber || !this.accepting) return false;
    const call = InboundCall.resumeCallback(this.ctx, callId, state, queue);
    this.calls.set(callId, call);
    await call.resume();
    return true;
  }

  /** Calls this instance is handling now. */
  get activeCalls(): number {
    return this.calls.size;
  }

  get(callId: string): CallSession | undefined {
    return this.calls.get(callId);
  }

  /**
   * A call id for an agent the dialer is about to reserve, with its lease already taken: the
   * reconciler sees a reserved agent whose call is alive, not a stale reservation.
   */
  async newOutboundCallId(): Promise<string> {
    const callId = randomUUID();
    await this.deps.leases.renew('calls', [callId], this.deps.clock.now() + this.deps.lease.ttlMs);
    this.pendingOutbound.add(callId);
    return callId;
  }

  /** Preview: the agent (reserved for this lead) dials it; resolves with the lead's outcome. */
  startPreview(campaign: OutboundCampaign, lead: { leadId: string; phone: string }, agentId: string, callId: string): Promise<DialOutcome> {
    this.pendingOutbound.delete(callId);
    const call = new OutboundCall(this.ctx, campaign, lead, undefined, agentId, callId);
    this.calls.set(call.callId, call);
    return call.startPreview();
  }

  /** A reservation the dialer made but will not use (preview skipped): its lease goes. */
  dropOutboundCallId(callId: string): void {
    this.pendingOutbound.delete(callId);
    this.deps.leases.release('calls', callId).catch((err: unknown) => this.deps.log.warn({ err }, 'call lease release failed'));
  }

  /** The dialer connects a person who answered to the agent it reserved; true once they talk. */
  startOutbound(campaign: OutboundCampaign, lead: { leadId: string; phone: string }, customerLeg: LegId, agentId: string, callId: string): Promise<boolean> {
    this.pendingOutbound.delete(callId);
    const call = new OutboundCall(this.ctx, campaign, lead, customerLeg, agentId, callId);
    this.calls.set(call.callId, call);
    return call.start();
  }

  /** Match again every queue the agent serves (after the agent became ready). */
  agentAvailable(queueIds: readonly string[]): void {
    for (const q of queueIds) this.dispatcher.request(q);
  }

  /**
   * The agent asks to leave the wrap-up of this call (go ready): its session decides (a required
   * outcome must be saved first); a call nobody runs any more holds nobody (the state machine decides).
   */
  async leaveWrapUp(agentId: string, callId: string): Promise<void> {
    const session = this.calls.get(callId);
    if (session) return session.leaveWrapUp(agentId);
    const r = await this.deps.agents.apply(agentId, { type: 'ready' });
    if (!r.ok) throw new CallActionError('state_refused', r.error);
  }

  async accept(agentId: string, callId: string): Promise<void> {
    await this.inbound(callId).accept(agentId);
  }

  async decline(agentId: string, callId: string): Promise<void> {
    await this.inbound(callId).decline(agentId);
  }

  /** The agent masks (or unmasks) the recording while the customer reads out card details. */
  async maskRecording(agentId: string, callId: string, masked: boolean): Promise<void> {
    const leg = this.session(callId).customerLegFor(agentId);
    await this.deps.recorder.mask(leg, masked);
  }

  /** The agent puts the customer on hold (hold music) or takes them back. */
  async hold(agentId: string, callId: string, on: boolean): Promise<void> {
    const c = this.conversation(callId);
    if (c.agentId !== agentId) throw new CallActionError('not_your_call', 'you are not talking on this call');
    await this.controls.hold(c, on);
  }

  /** The agent transfers the customer: blind, or after talking to the target first (consult). */
  async transfer(agentId: string, callId: string, target: TransferTarget, kind: 'blind' | 'consult'): Promise<void> {
    const c = this.conversation(callId);
    if (c.agentId !== agentId) throw new CallActionError('not_your_call', 'you are not talking on this call');
    const session = this.session(callId);
    let to: TransferTarget = target;
    if ('number' in target) {
      const e164 = toE164(target.number);
      if (!e164) throw new CallActionError('not_a_phone_number', `"${target.number}" is not a phone number`);
      to = { number: e164 };
    }
    await checkTransfer(this.deps.models, c.storeId, to);
    const label = 'agent' in to ? `agent:${to.agent}` : to.number;
    await this.transfers.start(c, to, kind, () => session.handOver(agentId, label));
  }

  async completeTransfer(agentId: string, callId: string): Promise<void> {
    await this.transfers.complete(callId, agentId);
  }

  async joinTransfer(agentId: string, callId: string): Promise<void> {
    await this.transfers.join(callId, agentId);
  }

  async cancelTransfer(agentId: string, callId: string): Promise<void> {
    await this.transfers.cancel(callId, agentId);
  }

  /**
   * A supervisor listens to, whispers in, or barges into a call of one of their stores ('all' for
   * admins), from their own phone; called again it changes the mode.
   */
  async monitor(supervisorId: string, stores: readonly string[] | 'all', callId: string, mode: MonitorMode): Promise<void> {
    const c = this.conversation(callId, stores);
    if (c.agentId === supervisorId) throw new CallActionError('monitor_refused', 'you cannot monitor your own call');
    await this.controls.monitor(c, supervisorId, mode);
  }

  async stopMonitor(supervisorId: string, callId: string): Promise<void> {
    await this.controls.stopMonitor(callId, supervisorId);
  }

  /** Connected conversations of these stores on this instance, for the supervisors' live board. */
  liveCalls(stores: readonly string[] | 'all'): (LiveConversation & { onHold: boolean; monitor: { supervisorId: string; mode: MonitorMode } | undefined })[] {
    const out = [];
    for (const call of this.calls.values()) {
      const c = call.liveConversation();
      if (!c || !inStores(c.storeId, stores)) continue;
      out.push({ ...c, onHold: this.controls.isHeld(c.callId), monitor: this.controls.monitorOf(c.callId) });
    }
    return out;
  }

  async extendWrapUp(agentId: string, callId: string, ms: number): Promise<number> {
    return this.session(callId).extendWrapUp(agentId, ms);
  }

  async hangup(agentId: string, callId: string): Promise<void> {
    await this.session(callId).agentHangup(agentId);
  }

  async disposition(agentId: string, callId: string, code: string, notes: string, details: OutcomeDetails = {}): Promise<void> {
    const live = this.calls.get(callId);
    if (live) return live.disposition(agentId, code, notes, details);
    // Wrap-up time ran out before the agent saved, or the call was lost with its instance: the
    // outcome is still accepted, once.
    const { CallRecord } = this.deps.models;
    await this.deps.records.settled(callId);
    const record = await CallRecord.findById(callId).lean();
    if (!record || record.agentUsername !== agentId || record.status !== 'ended') throw new CallActionError('not_in_wrap_up', 'you can record an outcome only for your own call, after it ends');
    const queue = this.deps.queueDirectory.get(record.queueId ?? '');
    if (queue && !queue.dispositionCodes.includes(code)) throw new DispositionError(`unknown disposition code "${code}"; this queue uses: ${queue.dispositionCodes.join(', ')}`);
    await this.deps.outcomes.record({ ...details, callId, agentId, code, notes, at: new Date(this.deps.clock.now()), customerId: record.customerId ?? undefined, queueId: record.queueId ?? '' });
    this.deps.channel.dispositionSaved(agentId, callId, code);
    // an agent still in the wrap-up of a call nobody runs any more is done with it
    await this.deps.agents.apply(agentId, { type: 'wrap_up_done' }, callId);
  }

  /** Stop taking calls, end the ones in progress, wait for their records to be written. */
  async stop(timeoutMs: number): Promise<void> {
    this.accepting = false;
    this.deps.sw.setAccepting(false);
    this.held.refuseAll((legId) => {
      this.deps.sw.reject(legId, 503).catch((err: unknown) => this.deps.log.warn({ err, leg: legId }, 'reject failed'));
    });
    const sessions = [...this.calls.values()];
    await Promise.allSettled(sessions.map((c) => c.terminate()));
    const deadline = Date.now() + timeoutMs;
    while (this.calls.size > 0 && Date.now() < deadline) {
      await Promise.allSettled([...this.calls.values()].map((c) => c.idle()));
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.dispatcher.idle();
    this.deps.clock.clearTimer(this.heartbeat);
    this.deps.sw.off('call.offered', this.onOffered);
    this.deps.sw.off('leg.hangup', this.onHangup);
    this.deps.sw.off('leg.hold', this.onLegHold);
    this.deps.sw.off('recording.stopped', this.onRecordingStopped);
    this.deps.sw.off('leg.info', this.onInfo);
  }

  /** Settles when the dispatcher and every session have no step queued (tests). */
  async idle(): Promise<void> {
    await this.dispatcher.idle();
    await Promise.allSettled([...this.calls.values()].map((c) => c.idle()));
  }

  private refuse(offer: CallOffered, reason: 'no_queue' | 'shutting_down' | 'stores_down'): void {
    const log = this.deps.log.child({ leg: offer.legId });
    log.warn({ to: offer.to, reason }, 'refusing call');
    this.deps.metrics.callsRefused.inc({ reason });
    this.deps.sw.reject(offer.legId, reason === 'no_queue' ? 480 : 503).catch((err: unknown) => log.warn({ err }, 'reject failed'));
  }

  private readonly onOffered = (offer: CallOffered): void => {
    const inCar = offer.source === 'vehicle' ? this.deps.inCar : undefined;
    const queue = inCar ? undefined : this.deps.queueDirectory.forDialled(offer.to);
    if (!inCar && !queue) return this.refuse(offer, 'no_queue');
    if (!this.accepting) return this.refuse(offer, 'shutting_down');
    if (!(this.deps.storesUp?.() ?? true)) {
      // Redis or MongoDB away (a failover, a restart): the caller rings a little longer rather than being turned away
      this.deps.log.warn({ leg: offer.legId, to: offer.to }, 'stores unreachable: holding the new call until they answer');
      this.held.hold(
        offer.legId,
        () => this.onOffered(offer),
        () => this.refuse(offer, 'stores_down'),
      );
      return;
    }
    if (inCar) {
      detach(this.admitInCar(offer, inCar), this.deps.log, 'in-car call admission failed', { leg: offer.legId });
      return;
    }
    if (queue) this.take(new InboundCall(this.ctx, offer, queue), offer);
  };

  /** The call's queue when calls are taken now; else the call is refused (480 without a queue, 503 otherwise). */
  private admissible(offer: CallOffered, queue: QueueConfig | undefined): QueueConfig | undefined {
    if (!queue) return void this.refuse(offer, 'no_queue');
    if (!this.accepting) return void this.refuse(offer, 'shutting_down');
    if (!(this.deps.storesUp?.() ?? true)) return void this.refuse(offer, 'stores_down');
    return queue;
  }

  /** A terminal's call: refused (403) for an unknown or disabled device, else queued for an assistant with its pop. */
  private async admitInCar(offer: CallOffered, door: InCarDoor): Promise<void> {
    const queue = this.admissible(offer, this.deps.queueDirectory.get(door.queueId()));
    if (!queue) return;
    const log = this.deps.log.child({ leg: offer.legId });
    let r: Awaited<ReturnType<InCarDoor['admit']>>;
    try {
      r = await door.admit(offer);
    } catch (err) {
      log.error({ err }, 'in-car admission failed; refusing the call');
      await this.deps.sw.reject(offer.legId, 503).catch(() => undefined);
      return;
    }
    if ('refuse' in r) {
      log.warn({ reason: r.reason }, 'in-car call refused');
      this.deps.metrics.callsRefused.inc({ reason: 'vehicle_refused' });
      await this.deps.sw.reject(offer.legId, r.refuse, r.reason).catch((err: unknown) => log.warn({ err }, 'reject failed'));
      return;
    }
    this.take(new InboundCall(this.ctx, offer, queue, undefined, r.hooks), offer);
  }

  /**
   * An in-car press posted over HTTP: queued for an assistant, who is connected first; then the
   * terminal is called back at `number`. Resolves with the call id once it waits.
   */
  async placeInCarCallback(offer: CallOffered, hooks: InCarHooks, number: string, queueId: string): Promise<string> {
    const queue = this.deps.queueDirectory.get(queueId);
    if (!queue || !this.accepting) throw new CallActionError('unavailable', !queue ? `the assistant queue ${queueId} does not exist` : 'this instance is shutting down');
    const call = new InboundCall(this.ctx, offer, queue, undefined, hooks);
    this.calls.set(call.callId, call);
    await this.deps.leases.renew('calls', [call.callId], this.deps.clock.now() + this.deps.lease.ttlMs);
    this.deps.log.info({ callId: call.callId, vin: hooks.vin, queueId }, 'in-car press over HTTP: the car will be called back');
    await call.startInCarCallback(number);
    return call.callId;
  }

  private take(call: InboundCall, offer: CallOffered): void {
    const log = this.deps.log.child({ leg: offer.legId });
    this.calls.set(call.callId, call);
    this.deps.leases.renew('calls', [call.callId], this.deps.clock.now() + this.deps.lease.ttlMs).catch((err: unknown) => log.warn({ err, callId: call.callId }, 'call lease failed'));
    log.info({ callId: call.callId, from: offer.from, to: offer.to, queueId: call.queueId }, 'inbound call');
    call.start().catch(() => undefined); // a failed step gives the call up (StepChain)
  }

  /** A SIP INFO on a call's leg (an in-car terminal's MSD update). */
  private readonly onInfo = (i: LegInfo): void => {
    const call = this.byLeg.get(i.legId);
    if (call instanceof InboundCall) call.inCarInfo(i.parts, i.headers).catch(() => undefined); // a failed step gives the call up (StepChain)
  };

  /** Recordings are named by call id: the live session writes the metadata in order, else it is saved late. */
  private readonly onRecordingStopped = (e: RecordingStopped): void => {
    const call = this.calls.get(e.name);
    if (call) call.recordingStopped(e);
    else this.deps.recorder.saveLate(e);
    const archive = this.deps.archive;
    if (archive) detach(this.deps.inflight.track(archive.recorded(e.name, e.file, new Date(e.at))), this.deps.log, 'recording not queued for the archive', { callId: e.name });
  };

  /** The customer's phone put the call on hold or took it off (not an agent's phone: their holds are the desk's). */
  private readonly onLegHold = (e: LegHold): void => {
    const call = this.byLeg.get(e.legId);
    if (!call || call.liveConversation()?.agentLeg === e.legId) return;
    const fields = this.customerHolds.changed(call.callId, e);
    if (fields) this.amendRecord(call.callId, fields);
  };

  private readonly onHangup = (h: LegHangup): void => {
    if (this.held.drop(h.legId)) return; // a new caller who gave up while the stores were away
    const held = this.customerHolds.ended(h.legId, h.at);
    if (held) this.amendRecord(held.callId, held.fields);
    if (this.transfers.legEnded(h.legId)) return; // a transfer target's phone
    if (this.controls.legEnded(h.legId)) return; // a supervisor's phone
    const call = this.byLeg.get(h.legId);
    if (!call) return;
    this.byLeg.delete(h.legId);
    call.legEnded(h.legId, h.cause, h).catch(() => undefined); // a failed step gives the call up (StepChain)
  };

  private async onMatch(m: Match): Promise<void> {
    if (await this.offerHere(m)) return;
    // Another instance runs the call: the offer is made there (its session holds the caller).
    const owner = this.deps.peers ? (await this.deps.live.get(m.callId))?.owner : undefined;
    if (owner && owner !== this.deps.owner) {
      try {
        await this.deps.peers?.request(owner, 'call.offer', m);
        return;
      } catch (err) {
        this.deps.log.warn({ err: (err as Error).message, callId: m.callId, owner }, 'the instance running the call did not take the offer');
      }
    }
    // Nobody alive runs the call (its instance died; the sweeper has not closed it yet): the agents
    // go back to ready and the call keeps its hash for the sweeper, which closes or carries it on.
    this.deps.log.warn({ ...m, callId: m.callId }, 'reservation for a call no live instance runs; the agents are freed, the sweeper handles the call');
    await this.releaseMatch(m);
  }

  /** Makes the offer if this instance runs the call; false otherwise. */
  private async offerHere(m: Match): Promise<boolean> {
    const call = this.calls.get(m.callId);
    if (!(call instanceof InboundCall)) return false;
    await call.offerTo(m.agentIds);
    this.deps.metrics.offerSeconds.observe(Math.max(0, this.deps.clock.now() - m.reservedAt) / 1000);
    return true;
  }

  private async releaseMatch(m: Match): Promise<void> {
    for (const agentId of m.agentIds) await this.deps.agents.apply(agentId, { type: 'call_gone' }, m.callId);
    await this.deps.queues.park(m.callId);
  }

  private session(callId: string): CallSession {
    const call = this.calls.get(callId);
    if (!call) throw new CallActionError('no_such_call', `no live call ${callId}`);
    return call;
  }

  /** Control totals join the live session's writes (with its deferred fields); a finished call's go to the record writer alone. */
  private amendRecord(callId: string, fields: ControlFields): void {
    const live = this.calls.get(callId);
    if (live) return live.amendRecord(fields);
    this.deps.records.queue(callId, fields);
  }

  /** A connected conversation; a call of another store is "not found", as in the REST API. */
  private conversation(callId: string, stores: readonly string[] | 'all' = 'all'): LiveConversation {
    const c = this.calls.get(callId)?.liveConversation();
    if (!c || !inStores(c.storeId, stores)) throw new CallActionError('no_such_call', `no connected call ${callId}`);
    return c;
  }

  private inbound(callId: string): InboundCall {
    const call = this.session(callId);
    if (!(call instanceof InboundCall)) throw new CallActionError('no_such_call', `call ${callId} is not an offer`);
    return call;
  }

  /** The session is over: forgotten here, then (retried until Redis takes it) in Redis. */
  private forget(call: CallSession): void {
    const callId = call.callId;
    this.calls.delete(callId);
    for (const [leg, c] of this.byLeg) if (c === call) this.byLeg.delete(leg);
    detach(this.controls.callEnded(callId), this.deps.log, 'ending monitoring and hold failed', { callId });
    this.forgetting.add(callId);
    const cleared = persist(async () => {
      await this.deps.live.forget(callId);
      await this.deps.leases.release('calls', callId);
    }).finally(() => this.forgetting.delete(callId));
    detach(this.deps.inflight.track(cleared), this.deps.log, 'a finished call stayed in Redis', { callId });
  }

  /** A session given up: dropped here, its lease let go, and marked for the sweeper (retried until Redis takes it). */
  private abandon(call: CallSession, reason: string): void {
    const callId = call.callId;
    this.calls.delete(callId);
    for (const [leg, c] of this.byLeg) if (c === call) this.byLeg.delete(leg);
    detach(this.controls.callEnded(callId), this.deps.log, 'ending monitoring and hold failed', { callId });
    const marked = persist(async () => {
      await this.deps.live.set(callId, { faulted: '1' });
      await this.deps.leases.release('calls', callId);
    });
    detach(this.deps.inflight.track(marked), this.deps.log, 'a failed call could not be handed to the sweeper', { callId, reason });
  }
}

function inStores(storeId: string | undefined, stores: readonly string[] | 'all'): boolean {
  return stores === 'all' || (storeId !== undefined && stores.includes(storeId));
}
