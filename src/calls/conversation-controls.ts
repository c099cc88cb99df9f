import type { AgentChannel } from '../agents/agent-channel';
import type { Clock } from '../clock/clock';
import type { Logger } from '../log';
import { LegGoneError, type LegId, type MonitorMode, type Switch } from '../telephony/switch';
import type { ControlFields } from './call-session';
import { hangupQuietly } from './hangup-quietly';
import { CallActionError } from './inbound-call';
import { detach } from '../util/detach';

/** The two parties of a connected conversation. */
export interface Conversation {
  callId: string;
  agentId: string;
  customerLeg: LegId;
  agentLeg: LegId;
}

/** What a supervisor's desk is told about the conversation they monitor. */
export interface MonitorNotices {
  monitorState(supervisorId: string, callId: string, state: { mode: MonitorMode } | { ended: string }): void;
}

/** How long a supervisor's phone rings before monitoring gives up. */
const SUPERVISOR_RING_MS = 20_000;

interface CallControls {
  conv: Conversation;
  heldSince: number | undefined;
  /** Totals for the call record. */
  saved: Required<Pick<ControlFields, 'holdCount' | 'holdMs' | 'monitors'>>;
  supervisor: { id: string; leg: LegId; mode: MonitorMode; since: number } | undefined;
  /** Commands on one call run one at a time. */
  chain: Promise<unknown>;
}

/**
 * In-call controls on top of a connected conversation, for any call (inbound or dialer): the agent
 * puts the customer on hold (hold music; the agent's leg waits in silence) and takes them back; a
 * supervisor listens, whispers or barges in from their own phone. The call sessions keep owning the
 * conversation's start and end; these controls only rearrange its legs while it lasts.
 */
export class ConversationControls {
  private readonly calls = new Map<string, CallControls>();
  private readonly supervisorLegs = new Map<LegId, string>();
  /** The customer's and the agent's legs of calls with controls in use. */
  private readonly partyLegs = new Map<LegId, string>();

  constructor(
    private readonly d: {
      sw: Switch;
      clock: Clock;
      channel: AgentChannel;
      notices: MonitorNotices;
      /** Puts the totals on the call record, in order with the call's other writes. */
      amendRecord: (callId: string, fields: ControlFields) => void;
      log: Logger;
    },
  ) {}

  hold(c: Conversation, on: boolean): Promise<void> {
    return this.serial(c, async (s) => {
      if (on === (s.heldSince !== undefined)) return;
      if (on) {
        await this.d.sw.unbridge(c.customerLeg);
        await this.d.sw.startHoldMusic(c.customerLeg);
        s.heldSince = this.d.clock.now();
      } else {
        await this.d.sw.stopHoldMusic(c.customerLeg);
        await this.d.sw.bridge(c.customerLeg, c.agentLeg);
        this.saveHold(c.callId, s);
        // a supervisor who was monitoring is brought back into the conversation
        if (s.supervisor) await this.d.sw.monitor(s.supervisor.leg, c.agentLeg, s.supervisor.mode);
      }
      this.d.channel.holdState(c.agentId, c.callId, on);
    });
  }

  /** The customer left hold other than by hold(c, false) (joined to a three-way call): the hold time ends. */
  holdEndedElsewhere(c: Conversation): Promise<void> {
    return this.serial(c, async (s) => {
      if (s.heldSince === undefined) return;
      this.saveHold(c.callId, s);
      this.d.channel.holdState(c.agentId, c.callId, false);
      await Promise.resolve();
    });
  }

  /** Rings the supervisor's phone (the first time) and joins them to the conversation in this mode. */
  async monitor(c: Conversation, supervisorId: string, mode: MonitorMode): Promise<void> {
    const s = this.state(c);
    if (s.supervisor && s.supervisor.id !== supervisorId) throw new CallActionError('monitor_refused', `${s.supervisor.id} is already monitoring this call`);
    if (!s.supervisor) {
      const dialled = await this.d.sw.dial({ to: `agent:${supervisorId}`, callerId: c.callId.slice(0, 8), purpose: 'supervisor', ringTimeoutMs: SUPERVISOR_RING_MS });
      if (dialled.outcome !== 'answered') throw new CallActionError('monitor_refused', `your phone did not answer (${dialled.outcome}); monitoring needs your phone registered and answering`);
      const current = this.calls.get(c.callId);
      if (current !== s || s.supervisor) {
        // the call ended, or another supervisor got there first, while the phone rang
        await this.hangup(dialled.legId);
        throw new CallActionError('monitor_refused', 'the call ended before your phone answered');
      }
      s.supervisor = { id: supervisorId, leg: dialled.legId, mode, since: this.d.clock.now() };
      this.supervisorLegs.set(dialled.legId, c.callId);
    }
    return this.serial(c, async (st) => {
      const sup = st.supervisor;
      if (!sup) throw new CallActionError('monitor_refused', 'monitoring ended');
      if (st.heldSince !== undefined) throw new CallActionError('monitor_refused', 'the customer is on hold; try again when the agent takes them back');
      await this.d.sw.monitor(sup.leg, c.agentLeg, mode);
      const changed = sup.mode !== mode;
      sup.mode = mode;
      this.d.notices.monitorState(sup.id, c.callId, { mode });
      // the agent knows when a supervisor speaks to them or joins in; a silent listener is not announced
      if (mode !== 'listen' || changed) this.d.channel.monitored(c.agentId, c.callId, mode === 'listen' ? null : mode);
      st.saved.monitors.push({ supervisorUsername: sup.id, mode, at: new Date(this.d.clock.now()) });
      this.d.amendRecord(c.callId, { monitors: [...st.saved.monitors] });
    });
  }

  /** The supervisor leaves: their leg is hung up; the conversation goes on. */
  async stopMonitor(callId: string, supervisorId: string): Promise<void> {
    const sup = this.calls.get(callId)?.supervisor;
    if (!sup || sup.id !== supervisorId) throw new CallActionError('monitor_refused', 'you are not monitoring this call');
    await this.hangup(sup.leg);
  }

  /**
   * A leg ended. A supervisor's: monitoring of that call is over (true: nobody else cares about the
   * leg). The customer's or the agent's: the conversation is over, the supervisor's leg goes (false:
   * the call session handles it as usual).
   */
  legEnded(legId: LegId): boolean {
    const partyOf = this.partyLegs.get(legId);
    if (partyOf) {
      detach(this.callEnded(partyOf), this.d.log, 'ending monitoring and hold failed', { callId: partyOf });
      return false;
    }
    const callId = this.supervisorLegs.get(legId);
    if (!callId) return false;
    this.supervisorLegs.delete(legId);
    const s = this.calls.get(callId);
    const sup = s?.supervisor;
    if (s && sup?.leg === legId) {
      s.supervisor = undefined;
      this.d.notices.monitorState(sup.id, callId, { ended: 'left' });
      if (sup.mode !== 'listen') this.d.channel.monitored(s.conv.agentId, callId, null);
    }
    return true;
  }

  /** The conversation is over: the supervisor's leg goes, time on hold is saved. */
  async callEnded(callId: string): Promise<void> {
    const s = this.calls.get(callId);
    if (!s) return;
    this.calls.delete(callId);
    this.partyLegs.delete(s.conv.customerLeg);
    this.partyLegs.delete(s.conv.agentLeg);
    this.saveHold(callId, s);
    const sup = s.supervisor;
    if (sup) {
      this.supervisorLegs.delete(sup.leg);
      this.d.notices.monitorState(sup.id, callId, { ended: 'call_ended' });
      await this.hangup(sup.leg);
    }
  }

  /** Who monitors a call now (for the live board). */
  monitorOf(callId: string): { supervisorId: string; mode: MonitorMode } | undefined {
    const sup = this.calls.get(callId)?.supervisor;
    return sup ? { supervisorId: sup.id, mode: sup.mode } : undefined;
  }

  isHeld(callId: string): boolean {
    return this.calls.get(callId)?.heldSince !== undefined;
  }

  private saveHold(callId: string, s: CallControls): void {
    if (s.heldSince === undefined) return;
    s.saved.holdMs += this.d.clock.now() - s.heldSince;
    s.saved.holdCount += 1;
    s.heldSince = undefined;
    this.d.amendRecord(callId, { holdCount: s.saved.holdCount, holdMs: s.saved.holdMs });
  }

  private state(conv: Conversation): CallControls {
    let s = this.calls.get(conv.callId);
    if (!s) {
      s = { conv, heldSince: undefined, saved: { holdCount: 0, holdMs: 0, monitors: [] }, supervisor: undefined, chain: Promise.resolve() };
      this.calls.set(conv.callId, s);
      this.partyLegs.set(conv.customerLeg, conv.callId);
      this.partyLegs.set(conv.agentLeg, conv.callId);
    }
    return s;
  }

  private serial(conv: Conversation, step: (s: CallControls) => Promise<void>): Promise<void> {
    const s = this.state(conv);
    const run = s.chain.then(async () => {
      try {
        await step(s);
      } catch (err) {
        if (err instanceof LegGoneError) throw new CallActionError('monitor_refused', 'the call has ended');
        throw err;
      }
    });
    s.chain = run.catch(() => undefined);
    return run;
  }

  private hangup(legId: LegId): Promise<void> {
    return hangupQuietly(this.d.sw, legId, this.d.log);
  }
}
