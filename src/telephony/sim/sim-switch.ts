import type { Clock, TimerHandle } from '../../clock/clock';
import { TypedEmitter } from '../../util/typed-emitter';
import { dialFailureForSipStatus, sipStatusForCause } from '../causes';
import { DigitInput, collectDigits, waitForKey } from '../digit-input';
import { hearsInConversation } from '../monitor-audio';
import { recordingPath } from '../recording-path';
import {
  LegGoneError,
  MediaSetupError,
  type BodyPart,
  type CallSource,
  type CollectOptions,
  type CollectResult,
  type DialRequest,
  type DialResult,
  type HangupCause,
  type LegId,
  type MonitorMode,
  type PlayOptions,
  type PlayResult,
  type PromptRef,
  type RecordOptions,
  type RecordResult,
  type RecordingOptions,
  type Switch,
  type SwitchEvents,
} from '../switch';
import { SimParty, type PartyLink } from './sim-party';

/** How a simulated phone behaves when the switch dials it. */
export type EndpointBehaviour =
  | { answer: 'auto'; afterMs: number }
  | { answer: 'busy' }
  | { answer: 'reject'; sipStatus?: number }
  | { answer: 'never' }
  /** The test or a bot decides: it receives the ringing party and may call answer() on it. */
  | { answer: 'manual'; onRing: (party: SimParty) => void };

/** Commands an engine fault can be injected into (tests of how the call logic survives them). */
export type FaultyCommand = 'bridge' | 'startHoldMusic' | 'answer';

/** The codecs the simulated media server takes (what freeswitch/ allows): an offer with none of them is refused with 488. */
export const SIM_CODECS = ['PCMA', 'PCMU', 'G722', 'opus'];

export interface SimSwitchOptions {
  clock: Clock;
  /** Playing time of a prompt, by id; default 2 s. */
  promptDurationMs?: (prompt: PromptRef) => number;
  /** How long answer() waits for a media server that does not come (an injected 'hang' fault on answer) before refusing with 503. */
  mediaConnectTimeoutMs?: number;
}

interface SimLeg {
  party: SimParty;
  state: 'offered' | 'ringing' | 'answered' | 'ended';
  bridgedTo: LegId | undefined;
  holdMusic: boolean;
  /** Keys pressed and not yet consumed; ends with the leg. */
  input: DigitInput;
  recording?: { name: string; file: string; startedAt: number; maskedMs: number; maskedSince: number | undefined };
  /** In a monitored conversation: the agent leg that names it. */
  monitoredBy?: LegId;
  /** The codecs an inbound caller offered (undefined: a usual offer). */
  codecs?: string[];
}

/** A conversation a supervisor joined, named by the agent's leg. */
interface SimMonitored {
  customer: LegId | undefined;
  agent: LegId;
  supervisors: Map<LegId, MonitorMode>;
}

/**
 * The simulated telephony engine: in-process, deterministic under a virtual clock.
 * It is the embedded default, the CI workhorse and the engine of capacity and dialer simulations.
 */
export class SimSwitch extends TypedEmitter<SwitchEvents> implements Switch, PartyLink {
  readonly kind = 'sim' as const;
  private readonly clock: Clock;
  private readonly promptDurationMs: (prompt: PromptRef) => number;
  private readonly mediaConnectTimeoutMs: number;
  private readonly legs = new Map<LegId, SimLeg>();
  private readonly endpoints = new Map<string, EndpointBehaviour>();
  private readonly monitored = new Map<LegId, SimMonitored>();
  private nextLeg = 1;
  /** Engine faults armed for the next command of a kind (see injectFault). */
  private readonly faults = new Map<FaultyCommand, 'fail' | 'hang'>();
  private connected = false;
  private accepting = true;

  constructor(options: SimSwitchOptions) {
    super();
    this.clock = options.clock;
    this.promptDurationMs = options.promptDurationMs ?? (() => 2000);
    this.mediaConnectTimeoutMs = options.mediaConnectTimeoutMs ?? 4000;
  }

  // ---- lifecycle -------------------------------------------------------------------------

  async start(): Promise<void> {
    this.setConnected(true);
  }

  async stop(): Promise<void> {
    this.accepting = false;
    for (const legId of [...this.legs.keys()]) this.endLeg(legId, 'system_shutdown', 'local');
    this.setConnected(false, 'stopped');
  }

  isConnected(): boolean {
    return this.connected;
  }

  setAccepting(accepting: boolean): void {
    this.accepting = accepting;
  }

  /**
   * Simulates an engine fault on the next command of this kind: 'fail' rejects it with an engine error
   * (not a gone leg), 'hang' never answers it — what a wedged media server does.
   */
  injectFault(command: FaultyCommand, kind: 'fail' | 'hang'): void {
    this.faults.set(command, kind);
  }

  private async faultOf(command: FaultyCommand): Promise<void> {
    const kind = this.faults.get(command);
    if (!kind) return;
    this.faults.delete(command);
    if (kind === 'fail') throw new Error(`simulated engine failure in ${command}`);
    await new Promise<never>(() => undefined);
  }

  /** Simulates losing or regaining the engine (FreeSWITCH/drachtio down in the real adapter). */
  setConnected(connected: boolean, reason?: string): void {
    if (this.connected === connected) return;
    this.connected = connected;
    this.emit('switch.connection', reason === undefined ? { connected } : { connected, reason });
  }

  // ---- the simulated world: callers and phones -------------------------------------------

  /** A phone the switch can dial, e.g. `agent:<userId>` for an agent's softphone or an E.164 number. */
  registerEndpoint(address: string, behaviour: EndpointBehaviour): void {
    this.endpoints.set(address, behaviour);
  }

  unregisterEndpoint(address: string): void {
    this.endpoints.delete(address);
  }

  hasEndpoint(address: string): boolean {
    return this.endpoints.has(address);
  }

  /** A caller dials in. The returned party rings until the application answers or rejects. */
  placeCall(call: {
    from: string;
    to: string;
    source?: CallSource;
    headers?: Record<string, string>;
    bodyParts?: BodyPart[];
    /** The codecs the caller's offer lists (default: a usual PCMA/PCMU offer). */
    codecs?: string[];
  }): SimParty {
    const legId = this.newLegId('in');
    const source = call.source ?? 'trunk';
    const party = new SimParty({ legId, direction: 'inbound', from: call.from, to: call.to, source }, this, this.clock);
    if (!this.connected || !this.accepting) {
      party.markEnded('system_shutdown', 503, 'local', this.clock.now());
      return party;
    }
    this.legs.set(legId, { party, state: 'offered', bridgedTo: undefined, holdMusic: false, input: new DigitInput(), ...(call.codecs ? { codecs: call.codecs } : {}) });
    const headers = Object.fromEntries(Object.entries(call.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const offered = { legId, from: call.from, to: call.to, source, headers, ...(call.bodyParts ? { bodyParts: call.bodyParts } : {}), receivedAt: this.clock.now() };
    // a caller who hung up at once never reaches the app (drachtio answers the CANCEL itself)
    queueMicrotask(() => {
      if (this.legs.has(legId)) this.emit('call.offered', offered);
    });
    return party;
  }

  /** The far end of a live leg sends a SIP INFO with these body parts (an in-car terminal's MSD update). */
  sendInfo(legId: LegId, parts: BodyPart[], headers: Record<string, string> = {}): void {
    if (!this.legs.has(legId)) return;
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    queueMicrotask(() => this.emit('leg.info', { legId, parts, headers: lower, at: this.clock.now() }));
  }

  /** Live legs (for inspection in tests and the capacity simulation). */
  liveLegCount(): number {
    return this.legs.size;
  }

  bridgedTo(legId: LegId): LegId | undefined {
    return this.legs.get(legId)?.bridgedTo;
  }

  /** Whom a leg hears now: its bridge partner, or the members of the monitored conversation it is in (tests). */
  hears(legId: LegId): LegId[] {
    const leg = this.legs.get(legId);
    if (!leg) return [];
    if (leg.bridgedTo) return [leg.bridgedTo];
    const conv = leg.monitoredBy ? this.monitored.get(leg.monitoredBy) : undefined;
    return conv ? hearsInConversation(conv, legId) : [];
  }

  isHearingHoldMusic(legId: LegId): boolean {
    return this.legs.get(legId)?.holdMusic ?? false;
  }

  // ---- PartyLink: what parties do --------------------------------------------------------

  partyAnswers(legId: LegId): void {
    const leg = this.legs.get(legId);
    if (!leg || leg.state !== 'ringing') return;
    this.markAnswered(legId, leg);
  }

  partyHangsUp(legId: LegId): void {
    const leg = this.legs.get(legId);
    if (!leg) return;
    const cause: HangupCause = leg.state === 'answered' ? 'normal_clearing' : 'originator_cancel';
    this.endLeg(legId, cause, 'remote');
  }

  partyRejects(legId: LegId, sipStatus: number): void {
    const leg = this.legs.get(legId);
    if (!leg || leg.state !== 'ringing') return;
    this.endLeg(legId, dialFailureForSipStatus(sipStatus).cause, 'remote', sipStatus);
  }

  partyHolds(legId: LegId, hold: 'sendonly' | 'inactive' | 'off'): void {
    const leg = this.legs.get(legId);
    if (!leg || leg.state !== 'answered') return;
    this.emit('leg.hold', { legId, hold, at: this.clock.now() });
  }

  partySendsDigit(legId: LegId, digit: string): void {
    const leg = this.legs.get(legId);
    if (!leg || leg.state !== 'answered') return;
    this.emit('leg.dtmf', { legId, digit, at: this.clock.now() });
    leg.input.push(digit);
  }

  // ---- Switch commands -------------------------------------------------------------------

  /**
   * Answers as the real adapter does, failures included: an offer without a codec the media server
   * takes is refused with 488 and a Warning; a media server that never connects (fault 'hang') with
   * 503 after the connect timeout, unless the caller cancels first; fault 'fail' is an engine error.
   */
  async answer(legId: LegId): Promise<void> {
    const leg = this.live(legId);
    if (leg.state === 'answered') return;
    if (leg.codecs && !leg.codecs.some((c) => SIM_CODECS.some((ok) => ok.toLowerCase() === c.toLowerCase()))) {
      return this.refuseSetup(legId, 'incompatible_destination', 488, `codecs refused by the media server: ${leg.codecs.join(', ')}`, '305 sim "Incompatible media format"');
    }
    const fault = this.faults.get('answer');
    if (fault === 'hang') {
      this.faults.delete('answer');
      const cancelled = await new Promise<boolean>((resolve) => {
        const key = waitForKey(leg.input, undefined);
        const timer = this.clock.setTimer(`sim:${legId}:media-connect`, this.mediaConnectTimeoutMs, () => {
          key.abort();
          resolve(false);
        });
        key.done.then(
          (r) => {
            if (r !== 'hangup') return;
            this.clock.clearTimer(timer);
            resolve(true);
          },
          () => resolve(true),
        );
      });
      if (cancelled || leg.state === 'ended') throw new LegGoneError(legId);
      return this.refuseSetup(legId, 'temporary_failure', 503, 'media server connect timeout', '399 sim "media server connect timeout"');
    }
    await this.faultOf('answer');
    if (leg.state !== 'offered') throw new LegGoneError(legId);
    this.markAnswered(legId, leg);
  }

  private refuseSetup(legId: LegId, cause: HangupCause, sipStatus: number, reason: string, warning: string): never {
    this.endLeg(legId, cause, 'local', sipStatus, { reason, warning });
    throw new MediaSetupError(legId, sipStatus, reason);
  }

  async reject(legId: LegId, sipStatus: number): Promise<void> {
    const leg = this.live(legId);
    if (leg.state === 'answered') throw new Error(`leg ${legId} is answered; hang it up instead of rejecting`);
    this.endLeg(legId, dialFailureForSipStatus(sipStatus).cause, 'local', sipStatus);
  }

  play(legId: LegId, prompt: PromptRef, options: PlayOptions = {}): Promise<PlayResult> {
    const leg = this.live(legId);
    leg.party.markHeard(`prompt:${prompt.id}`, this.clock.now());
    const pressed = leg.input.peek();
    if (options.bargeIn && pressed !== undefined) return Promise.resolve({ outcome: 'interrupted', digit: pressed });
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      let unwatch: () => void = () => undefined;
      const finish = (result: PlayResult): void => {
        this.clock.clearTimer(timer);
        unwatch();
        resolve(result);
      };
      unwatch = leg.input.watch(() => {
        const key = leg.input.peek();
        if (leg.input.ended) finish({ outcome: 'hangup' });
        else if (options.bargeIn && key !== undefined) finish({ outcome: 'interrupted', digit: key });
      });
      timer = this.clock.setTimer(`sim:${legId}:play`, this.promptDurationMs(prompt), () => finish({ outcome: 'completed' }));
    });
  }

  async collectDigits(legId: LegId, options: CollectOptions): Promise<CollectResult> {
    const leg = this.live(legId);
    if (options.prompt) {
      const played = await this.play(legId, options.prompt, { bargeIn: true });
      if (played.outcome === 'hangup') return { outcome: 'hangup', digits: '' };
    }
    return collectDigits(leg.input, this.clock, `sim:${legId}:collect`, options);
  }

  /** Records from now until the terminator, the limit or the hang-up; under one second counts as empty. */
  recordMessage(legId: LegId, options: RecordOptions): Promise<RecordResult> {
    const leg = this.live(legId);
    const started = this.clock.now();
    leg.party.markHeard('record:start', started);
    const wait = waitForKey(leg.input, options.terminator);
    const timer = this.clock.setTimer(`sim:${legId}:record`, options.maxMs, () => wait.abort());
    return wait.done.then((how) => {
      this.clock.clearTimer(timer);
      const durationMs = this.clock.now() - started;
      const endedBy = how === 'key' ? 'terminator' : how === 'hangup' ? 'hangup' : 'max';
      return durationMs < 1000 ? { outcome: 'empty' } : { outcome: 'recorded', durationMs, file: `sim://recordings/${legId}-${started}.wav`, endedBy };
    });
  }

  async startHoldMusic(legId: LegId): Promise<void> {
    await this.faultOf('startHoldMusic');
    const leg = this.live(legId);
    if (leg.holdMusic) return;
    leg.holdMusic = true;
    leg.party.markHeard('music:hold', this.clock.now());
  }

  async stopHoldMusic(legId: LegId): Promise<void> {
    this.live(legId).holdMusic = false;
  }

  dial(request: DialRequest, signal?: AbortSignal): Promise<DialResult> {
    const behaviour = this.endpoints.get(request.to);
    if (signal?.aborted) return Promise.resolve({ outcome: 'cancelled', cause: 'originator_cancel', sipStatus: 487 });
    if (!this.connected) return Promise.resolve(dialFailureForSipStatus(503));
    if (!behaviour) return Promise.resolve(dialFailureForSipStatus(404));
    const legId = this.newLegId('out');
    const party = new SimParty({ legId, direction: 'outbound', from: request.callerId, to: request.to, source: 'trunk' }, this, this.clock);
    const leg: SimLeg = { party, state: 'ringing', bridgedTo: undefined, holdMusic: false, input: new DigitInput() };
    this.legs.set(legId, leg);
    return new Promise((resolve) => {
      const timers: TimerHandle[] = [];
      let cancelled = false;
      const onAbort = (): void => {
        cancelled = true;
        this.endLeg(legId, 'originator_cancel', 'local', 487);
      };
      const settle = (result: DialResult): void => {
        for (const t of timers) this.clock.clearTimer(t);
        party.off('answered', onAnswered);
        party.off('ended', onEnded);
        signal?.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const onAnswered = ({ at }: { at: number }): void => settle(request.detectMachine ? { outcome: 'answered', legId, at, answeredBy: party.answeredBy } : { outcome: 'answered', legId, at });
      const onEnded = ({ sipStatus }: { sipStatus: number }): void =>
        settle(cancelled ? { outcome: 'cancelled', cause: 'originator_cancel', sipStatus } : dialFailureForSipStatus(sipStatus));
      party.on('answered', onAnswered);
      party.on('ended', onEnded);
      signal?.addEventListener('abort', onAbort, { once: true });
      timers.push(this.clock.setTimer(`sim:${legId}:ring-timeout`, request.ringTimeoutMs, () => this.endLeg(legId, 'no_answer', 'local', 487)));
      switch (behaviour.answer) {
        case 'auto':
          timers.push(this.clock.setTimer(`sim:${legId}:auto-answer`, behaviour.afterMs, () => party.answer()));
          break;
        case 'busy':
          queueMicrotask(() => this.endLeg(legId, 'user_busy', 'remote', 486));
          break;
        case 'reject':
          queueMicrotask(() => this.endLeg(legId, 'call_rejected', 'remote', behaviour.sipStatus ?? 603));
          break;
        case 'never':
          break;
        case 'manual':
          queueMicrotask(() => behaviour.onRing(party));
          break;
      }
    });
  }

  async bridge(a: LegId, b: LegId): Promise<void> {
    await this.faultOf('bridge');
    const legA = this.live(a);
    const legB = this.live(b);
    if (legA.state !== 'answered' || legB.state !== 'answered') throw new Error(`cannot bridge ${a} and ${b}: both legs must be answered`);
    for (const [id, leg, other] of [
      [a, legA, b],
      [b, legB, a],
    ] as const) {
      if ((leg.bridgedTo && leg.bridgedTo !== other) || leg.monitoredBy) this.detach(id, leg);
      leg.bridgedTo = other;
      leg.holdMusic = false;
    }
  }

  async unbridge(legId: LegId): Promise<void> {
    this.detach(legId, this.live(legId));
  }

  async monitor(supervisorLeg: LegId, agentLeg: LegId, mode: MonitorMode): Promise<void> {
    const sup = this.live(supervisorLeg);
    const agent = this.live(agentLeg);
    if (sup.state !== 'answered' || agent.state !== 'answered') throw new Error('monitoring needs the supervisor and the agent on the line');
    let conv = agent.monitoredBy ? this.monitored.get(agent.monitoredBy) : undefined;
    if (!conv) {
      if (!agent.bridgedTo) throw new Error(`leg ${agentLeg} is not in a conversation`);
      const customer = agent.bridgedTo;
      this.detach(agentLeg, agent);
      conv = { customer, agent: agentLeg, supervisors: new Map() };
      this.monitored.set(agentLeg, conv);
      agent.monitoredBy = agentLeg;
      this.live(customer).monitoredBy = agentLeg;
    }
    if (sup.monitoredBy !== agentLeg) this.detach(supervisorLeg, sup);
    sup.monitoredBy = agentLeg;
    conv.supervisors.set(supervisorLeg, mode);
  }

  async hangup(legId: LegId, cause: HangupCause = 'normal_clearing'): Promise<void> {
    if (!this.legs.has(legId)) return;
    this.endLeg(legId, cause, 'local');
  }

  async startRecording(legId: LegId, options: RecordingOptions): Promise<{ file: string }> {
    const leg = this.live(legId);
    if (leg.state !== 'answered') throw new Error(`leg ${legId} is not answered; nothing to record`);
    const now = this.clock.now();
    const file = recordingPath('sim://recordings', options.name, now, options.timeZone);
    leg.recording = { name: options.name, file, startedAt: now, maskedMs: 0, maskedSince: undefined };
    return { file };
  }

  async setRecordingMasked(legId: LegId, masked: boolean): Promise<void> {
    const r = this.live(legId).recording;
    if (!r) throw new Error(`leg ${legId} is not being recorded`);
    const now = this.clock.now();
    if (masked && r.maskedSince === undefined) r.maskedSince = now;
    if (!masked && r.maskedSince !== undefined) {
      r.maskedMs += now - r.maskedSince;
      r.maskedSince = undefined;
    }
  }

  /** Whether a leg is being recorded now (tests). */
  isRecording(legId: LegId): boolean {
    return this.legs.get(legId)?.recording !== undefined;
  }

  // ---- internals -------------------------------------------------------------------------

  private newLegId(prefix: string): LegId {
    return `sim-${prefix}-${this.nextLeg++}`;
  }

  private live(legId: LegId): SimLeg {
    const leg = this.legs.get(legId);
    if (!leg) throw new LegGoneError(legId);
    return leg;
  }

  private markAnswered(legId: LegId, leg: SimLeg): void {
    leg.state = 'answered';
    const at = this.clock.now();
    leg.party.markAnswered(at);
    this.emit('leg.answered', { legId, at });
  }

  /** Out of its bridge or monitored conversation (a party leaving dissolves it; supervisors stay, alone). */
  private detach(legId: LegId, leg: SimLeg): void {
    const other = leg.bridgedTo ? this.legs.get(leg.bridgedTo) : undefined;
    if (other) other.bridgedTo = undefined;
    leg.bridgedTo = undefined;
    const conv = leg.monitoredBy ? this.monitored.get(leg.monitoredBy) : undefined;
    delete leg.monitoredBy;
    if (!conv) return;
    if (conv.supervisors.delete(legId)) return; // a supervisor left; the conversation goes on
    this.monitored.delete(conv.agent);
    for (const id of [conv.customer, conv.agent]) {
      const l = id ? this.legs.get(id) : undefined;
      if (l) delete l.monitoredBy;
    }
  }

  private endLeg(legId: LegId, cause: HangupCause, by: 'remote' | 'local', sipStatus: number = sipStatusForCause(cause), refusal?: { reason: string; warning: string }): void {
    const leg = this.legs.get(legId);
    if (!leg) return;
    this.legs.delete(legId);
    const unanswered = leg.state !== 'answered';
    leg.state = 'ended';
    this.detach(legId, leg);
    const at = this.clock.now();
    leg.party.markEnded(cause, sipStatus, by, at, refusal?.warning);
    leg.input.end();
    const r = leg.recording;
    if (r) {
      const maskedMs = r.maskedMs + (r.maskedSince !== undefined ? at - r.maskedSince : 0);
      this.emit('recording.stopped', { legId, name: r.name, file: r.file, durationMs: at - r.startedAt, channels: 2, maskedMs, at });
    }
    // an inbound call refused or cancelled before it was answered: the final response the caller got
    const final = unanswered && leg.party.info.direction === 'inbound' && sipStatus >= 400 ? { sipStatus, ...(refusal ? { reason: refusal.reason } : {}) } : {};
    this.emit('leg.hangup', { legId, cause, by, at, ...final });
  }
}
