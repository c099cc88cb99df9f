import type { Clock } from '../../clock/clock';
import { TypedEmitter } from '../../util/typed-emitter';
import type { CallSource, HangupCause, LegId } from '../switch';

export type PartyState = 'ringing' | 'answered' | 'ended';

export interface PartyEvents {
  answered: { at: number };
  ended: { cause: HangupCause; sipStatus: number; by: 'remote' | 'local'; at: number };
  /** A prompt, tone or hold music the party hears. */
  heard: { what: string; at: number };
}

/** What the simulated switch needs from a party's actions; implemented by SimSwitch. */
export interface PartyLink {
  partyAnswers(legId: LegId): void;
  partyHangsUp(legId: LegId): void;
  partyRejects(legId: LegId, sipStatus: number): void;
  partySendsDigit(legId: LegId, digit: string): void;
  /** The party's phone puts the call on hold (re-INVITE sendonly/inactive) or takes it off (sendrecv). */
  partyHolds(legId: LegId, hold: 'sendonly' | 'inactive' | 'off'): void;
}

export interface PartyInfo {
  legId: LegId;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  source: CallSource;
}

/**
 * The far end of one simulated leg: a caller (inbound) or a phone the switch dialled (outbound).
 * Tests and the demo traffic generator act through it as a person would: answer, press keys,
 * hang up; and they see what the person would: answered, what was played, how it ended.
 */
export class SimParty extends TypedEmitter<PartyEvents> {
  state: PartyState = 'ringing';
  endCause: HangupCause | undefined;
  sipStatus: number | undefined;
  /** The Warning the switch put on its final response, when it refused the call. */
  sipWarning: string | undefined;
  readonly heard: string[] = [];

  constructor(
    readonly info: PartyInfo,
    private readonly link: PartyLink,
    private readonly clock: Clock,
  ) {
    super();
  }

  get legId(): LegId {
    return this.info.legId;
  }

  /** Who answers when this party answers a dialled leg (what machine detection would report). */
  answeredBy: 'human' | 'machine' = 'human';

  /** Answers an outbound leg ringing at this party. */
  answer(): void {
    if (this.info.direction !== 'outbound') throw new Error('only a dialled party answers; an inbound caller waits for the switch');
    if (this.state !== 'ringing') return;
    this.link.partyAnswers(this.legId);
  }

  /** Refuses a dialled leg that rings here (486 busy by default). */
  reject(sipStatus = 486): void {
    if (this.info.direction !== 'outbound' || this.state !== 'ringing') return;
    this.link.partyRejects(this.legId, sipStatus);
  }

  hangup(): void {
    if (this.state === 'ended') return;
    this.link.partyHangsUp(this.legId);
  }

  /** Puts the call on hold from this phone (sendonly, or inactive), or takes it off hold ('off'). */
  hold(mode: 'sendonly' | 'inactive' | 'off'): void {
    if (this.state !== 'answered') return;
    this.link.partyHolds(this.legId, mode);
  }

  /** Presses keys (RFC 2833 events in the real world), one every interDigitMs of clock time. */
  async sendDigits(digits: string, interDigitMs = 150): Promise<void> {
    for (const [i, digit] of [...digits].entries()) {
      if (i > 0) await this.clock.sleep(`party:${this.legId}:dtmf`, interDigitMs);
      if (this.state !== 'answered') return;
      this.link.partySendsDigit(this.legId, digit);
    }
  }

  /** Resolves when the party reaches the state (at once if already there). */
  until(state: 'answered' | 'ended'): Promise<void> {
    if (this.state === state || this.state === 'ended') return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.off('answered', done);
        this.off('ended', done);
        resolve();
      };
      this.on(state === 'answered' ? 'answered' : 'ended', done);
      if (state === 'answered') this.on('ended', done);
    });
  }

  /** Called by the switch. */
  markAnswered(at: number): void {
    if (this.state !== 'ringing') return;
    this.state = 'answered';
    this.emit('answered', { at });
  }

  /** Called by the switch. */
  markEnded(cause: HangupCause, sipStatus: number, by: 'remote' | 'local', at: number, warning?: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.endCause = cause;
    this.sipStatus = sipStatus;
    this.sipWarning = warning;
    this.emit('ended', { cause, sipStatus, by, at });
  }

  /** Called by the switch. */
  markHeard(what: string, at: number): void {
    this.heard.push(what);
    this.emit('heard', { what, at });
  }
}
