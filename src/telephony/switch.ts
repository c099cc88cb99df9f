/**
 * The one seam between call logic and a telephony engine. Everything above src/telephony talks
 * to this interface only; adapters: `sim` (in-process, virtual clock) and `freeswitch`
 * (drachtio-srf + drachtio-fsmrf + ESL).
 *
 * Legs are identified by opaque ids. An adapter never hangs up a leg on its own initiative except
 * when the far end hangs up or the engine fails; when one side of a bridge ends, the survivor
 * stays up (unbridged) until the call logic decides what to do with it.
 */

export type LegId = string;

/** Where an inbound call came from: a carrier trunk, an in-car terminal, or an agent's phone. */
export type { CallSource, MonitorMode } from '../shared/agent-events';
import type { CallSource, MonitorMode } from '../shared/agent-events';

export interface CallOffered {
  legId: LegId;
  /** Caller number as received (E.164 where the carrier sends it). */
  from: string;
  /** Dialled number. */
  to: string;
  source: CallSource;
  /** SIP headers of interest (lower-cased names), e.g. vehicle identity from an in-car terminal. */
  headers: Record<string, string>;
  /** The INVITE's body parts other than the SDP (RFC 8147 NG eCall: the MSD, referenced from Call-Info). */
  bodyParts?: BodyPart[];
  receivedAt: number;
}

/** A part of a SIP message body (multipart/mixed), e.g. application/emergencyCallData.eCall.MSD. */
export interface BodyPart {
  contentType: string;
  /** Content-ID without the angle brackets, as Call-Info references it (cid:...). */
  contentId?: string;
  body: Uint8Array;
}

/** A SIP INFO on a live leg carrying data (an updated MSD), its body parts. */
export interface LegInfo {
  legId: LegId;
  parts: BodyPart[];
  headers: Record<string, string>;
  at: number;
}

/** Why a leg ended, in the engine-neutral terms the call logic uses. */
export type HangupCause =
  | 'normal_clearing'
  | 'user_busy'
  | 'no_answer'
  | 'call_rejected'
  | 'originator_cancel'
  | 'unallocated_number'
  | 'network_failure'
  | 'media_timeout'
  | 'system_shutdown'
  /** The media engine could not take the offer (no common codec): SIP 488. */
  | 'incompatible_destination'
  /** The engine or the app could not set the call up just now (media server slow, a failed step, overload): SIP 503. */
  | 'temporary_failure';

export interface LegHangup {
  legId: LegId;
  cause: HangupCause;
  /** remote: the far end hung up; local: this application asked for it. */
  by: 'remote' | 'local';
  at: number;
  /**
   * An inbound leg that ended before it was answered: the final response the caller got from the
   * adapter (488, 503, ...) and why (the Warning/Reason text), so the call record can say it.
   */
  sipStatus?: number;
  reason?: string;
}

/** The far end changed its media with a re-INVITE/UPDATE: on hold (sendonly/inactive) or back (sendrecv). */
export interface LegHold {
  legId: LegId;
  /** off: media flows both ways again. */
  hold: 'sendonly' | 'inactive' | 'off';
  at: number;
}

/** A call recording ended (the leg ended or it was stopped): the adapter's file and what it holds. */
export interface RecordingStopped {
  legId: LegId;
  /** The name given when it started (the call id). */
  name: string;
  file: string;
  durationMs: number;
  /** Stereo: the recorded leg on the left, whoever it is bridged to on the right. */
  channels: 2;
  /** Time recorded as silence while masked (card numbers read out, PCI). */
  maskedMs: number;
  at: number;
}

export interface RecordingOptions {
  /** Names the file: the call id. */
  name: string;
  /** Recordings are filed in date folders of this time zone (the store's). */
  timeZone: string;
}

export interface SwitchEvents {
  'call.offered': CallOffered;
  'recording.stopped': RecordingStopped;
  'leg.answered': { legId: LegId; at: number };
  'leg.dtmf': { legId: LegId; digit: string; at: number };
  'leg.info': LegInfo;
  'leg.hangup': LegHangup;
  'leg.hold': LegHold;
  'switch.connection': { connected: boolean; reason?: string };
}

export interface PromptRef {
  /** A prompt id from ivr/prompts, or 'tone:...' / 'silence:ms'. */
  id: string;
  /** zh-CN by default. */
  language?: 'zh-CN' | 'en';
}

export interface PlayOptions {
  /** Stop the prompt when the caller presses a key (the key is kept for a following collect). */
  bargeIn?: boolean;
}

export type PlayResult = { outcome: 'completed' } | { outcome: 'interrupted'; digit: string } | { outcome: 'hangup' };

export interface CollectOptions {
  minDigits: number;
  maxDigits: number;
  /** Time allowed for the first digit. */
  firstDigitTimeoutMs: number;
  /** Time allowed between digits. */
  interDigitTimeoutMs: number;
  /** Ends collection early; not included in the digits. */
  terminator?: string;
  prompt?: PromptRef;
}

export type CollectResult =
  | { outcome: 'digits'; digits: string; terminated: boolean }
  | { outcome: 'timeout'; digits: string }
  | { outcome: 'hangup'; digits: string };

export interface RecordOptions {
  /** Longest message kept. */
  maxMs: number;
  /** A key that ends the recording (not part of it), e.g. '#'. */
  terminator?: string;
}

export type RecordResult =
  | { outcome: 'recorded'; durationMs: number; /** Where the adapter stored the audio (file path or URI). */ file: string; endedBy: 'terminator' | 'max' | 'hangup' }
  | { outcome: 'empty' };

export type DialPurpose = 'agent' | 'customer' | 'third_party' | 'supervisor';

/*
 * MonitorMode (shared): how a supervisor joins an agent's conversation: listen (hears both sides,
 * heard by nobody), whisper (heard by the agent only: coaching), barge (heard by both).
 */

export interface DialRequest {
  /** An agent endpoint (`agent:<userId>`) or a phone number. */
  to: string;
  callerId: string;
  purpose: DialPurpose;
  ringTimeoutMs: number;
  headers?: Record<string, string>;
  /** Run answering-machine detection; the answered result then says who answered. */
  detectMachine?: boolean;
}

export type DialResult =
  | { outcome: 'answered'; legId: LegId; at: number; answeredBy?: 'human' | 'machine' }
  | { outcome: 'busy' | 'no_answer' | 'rejected' | 'failed' | 'cancelled'; cause: HangupCause; sipStatus: number };

export interface Switch {
  readonly kind: 'sim' | 'freeswitch';
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True while the engine is reachable and able to take calls. */
  isConnected(): boolean;
  /**
   * The app tells an engine whose calls outlive a crash of this process (the real stack) which
   * instance it is and how to tell dead instances: legs are kept under this instance, and the legs of
   * dead ones are ended.
   */
  setOwner?(owner: { id: string; dead(ids: string[]): Promise<Set<string>> }): void;
  /** The call a leg belongs to, so that what the engine logs about the leg names the call too. */
  tagLeg?(legId: LegId, callId: string): void;
  /** The engine's parts and whether each is reachable now (named in /readyz), e.g. drachtio and FreeSWITCH with their addresses. */
  parts?(): Record<string, 'up' | 'down'>;
  /** When false, new inbound calls are refused with 503 (used while shutting down). */
  setAccepting(accepting: boolean): void;

  on<K extends keyof SwitchEvents & string>(event: K, listener: (payload: SwitchEvents[K]) => void): this;
  off<K extends keyof SwitchEvents & string>(event: K, listener: (payload: SwitchEvents[K]) => void): this;

  /**
   * Answers an inbound leg. When the engine cannot set its media up (no common codec, the media
   * server not ready within its connect timeout) the adapter itself sends the caller the final
   * response (488 with a Warning, 503), ends the leg ('leg.hangup' with that status) and rejects with
   * a MediaSetupError; when the caller cancels meanwhile it rejects with LegGoneError.
   */
  answer(legId: LegId): Promise<void>;
  reject(legId: LegId, sipStatus: number, reason?: string): Promise<void>;
  play(legId: LegId, prompt: PromptRef, options?: PlayOptions): Promise<PlayResult>;
  collectDigits(legId: LegId, options: CollectOptions): Promise<CollectResult>;
  /** Records what the caller says (a voicemail), until the terminator key, the limit, or their hang-up. */
  recordMessage(legId: LegId, options: RecordOptions): Promise<RecordResult>;
  startHoldMusic(legId: LegId): Promise<void>;
  stopHoldMusic(legId: LegId): Promise<void>;
  /** Places an outbound leg; aborting the signal before answer cancels it (outcome 'cancelled'). */
  dial(request: DialRequest, signal?: AbortSignal): Promise<DialResult>;
  bridge(a: LegId, b: LegId): Promise<void>;
  /**
   * Takes a leg out of its conversation (a bridge, or a monitored conversation): it and its partner
   * stay up hearing nothing (or hold music, when started) until bridged again. A supervisor who
   * was monitoring is left alone in the silence.
   */
  unbridge(legId: LegId): Promise<void>;
  /**
   * A supervisor's answered leg joins the conversation the agent's leg is in (bridged, or already
   * monitored); called again it changes the mode. When the supervisor's leg ends the conversation
   * goes on. The agent's partner is whoever their leg was bridged to.
   */
  monitor(supervisorLeg: LegId, agentLeg: LegId, mode: MonitorMode): Promise<void>;
  hangup(legId: LegId, cause?: HangupCause): Promise<void>;
  /**
   * Records the conversation on this leg in stereo (this leg left, its bridge partner right) until the
   * leg ends; then 'recording.stopped' tells where it is and how long it runs.
   */
  startRecording(legId: LegId, options: RecordingOptions): Promise<{ file: string }>;
  /** Masks (silences) the recording while a customer reads out card details, and unmasks it. */
  setRecordingMasked(legId: LegId, masked: boolean): Promise<void>;
}

/** Raised by a command on a leg that no longer exists (hung up meanwhile); callers usually ignore it. */
export class LegGoneError extends Error {
  constructor(readonly legId: LegId) {
    super(`leg ${legId} is gone`);
    this.name = 'LegGoneError';
  }
}

/** answer() could not set the media up: the caller got `sipStatus` (the leg is ended already). */
export class MediaSetupError extends LegGoneError {
  constructor(
    legId: LegId,
    readonly sipStatus: number,
    readonly reason: string,
  ) {
    super(legId);
    this.name = 'MediaSetupError';
    this.message = `leg ${legId}: media setup failed (${sipStatus} ${reason})`;
  }
}
