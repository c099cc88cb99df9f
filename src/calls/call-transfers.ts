import type { AgentChannel, TransferState } from '../agents/agent-channel';
import type { Clock } from '../clock/clock';
import type { Logger } from '../log';
import { LegGoneError, type DialRequest, type LegId, type Switch } from '../telephony/switch';
import type { ControlFields, LiveConversation } from './call-session';
import type { ConversationControls } from './conversation-controls';
import { hangupQuietly } from './hangup-quietly';
import { CallActionError } from './inbound-call';
import { detach } from '../util/detach';

/** Whom the customer is transferred to: a colleague's registered phone, or a phone number. */
export type TransferTarget = { agent: string } | { number: string };

/** How long the transfer target's phone rings. */
const TARGET_RING_MS = 30_000;

interface Pending {
  c: LiveConversation;
  kind: 'blind' | 'consult';
  to: string;
  /** joined: a three-way call (the customer, the agent and the target all hear each other). */
  state: 'dialling' | 'consulting' | 'joined';
  targetLeg: LegId | undefined;
  abort: AbortController;
  /** Ends the conversation for the agent (their session's wrap-up), keeping the customer's leg up. */
  handOver: () => Promise<void>;
}

interface HandedOver {
  callId: string;
  other: LegId;
  /** The target's leg (no session knows it), not the customer's. */
  isTarget: boolean;
  transfer: NonNullable<ControlFields['transfer']>;
}

/**
 * Transfers by the agent. Blind: the customer waits with hold music while the target's phone rings;
 * when it answers, the customer is bridged to it and the conversation ends for the agent. Consult
 * (attended): the agent talks to the target first while the customer holds, then completes (the
 * customer is bridged to the target, the agent leaves) or cancels (the target is hung up, the customer
 * is back with the agent). A target that does not answer puts the customer back with the agent.
 * After a transfer the customer's and the target's legs end together; their talk goes on the record.
 */
export class CallTransfers {
  private readonly pending = new Map<string, Pending>();
  private readonly handedOver = new Map<LegId, HandedOver>();

  constructor(
    private readonly d: {
      sw: Switch;
      clock: Clock;
      controls: ConversationControls;
      channel: AgentChannel;
      amendRecord: (callId: string, fields: ControlFields) => void;
      log: Logger;
    },
  ) {}

  /** Starts a transfer: the customer goes on hold at once; the result comes as call:transfer_state. */
  async start(c: LiveConversation, target: TransferTarget, kind: 'blind' | 'consult', handOver: () => Promise<void>): Promise<void> {
    if (this.pending.has(c.callId)) throw new CallActionError('transfer_busy', 'a transfer of this call is already under way');
    const to = 'agent' in target ? `agent:${target.agent}` : target.number;
    if ('agent' in target && target.agent === c.agentId) throw new CallActionError('transfer_not_allowed', 'you cannot transfer a call to yourself');
    const p: Pending = { c, kind, to, state: 'dialling', targetLeg: undefined, abort: new AbortController(), handOver };
    this.pending.set(c.callId, p);
    try {
      await this.d.controls.hold(c, true);
    } catch (err) {
      this.pending.delete(c.callId);
      throw err;
    }
    this.notify(p, { state: 'dialling' });
    const request: DialRequest =
      'agent' in target
        ? { to, callerId: c.customer, purpose: 'agent', ringTimeoutMs: TARGET_RING_MS, headers: { 'x-call-id': c.callId } }
        : { to, callerId: c.dealerNumber, purpose: 'third_party', ringTimeoutMs: TARGET_RING_MS, headers: { 'x-call-id': c.callId } };
    void this.dial(p, request).catch((err: unknown) => this.d.log.error({ err, callId: c.callId }, 'transfer failed'));
  }

  /** Consult (or a three-way call): the agent hands the customer to the target and drops. */
  async complete(callId: string, agentId: string): Promise<void> {
    const p = this.mine(callId, agentId);
    if (p.state === 'dialling') throw new CallActionError('transfer_busy', 'the person you transfer to has not answered yet');
    await this.connect(p);
  }

  /**
   * Consult: the agent joins the customer (on hold) to the conversation with the target: all three
   * hear each other (a concierge call: the driver, the assistant and the hotel). The agent may then
   * complete (hand the customer over and drop) or cancel (the target goes, the customer stays).
   */
  async join(callId: string, agentId: string): Promise<void> {
    const p = this.mine(callId, agentId);
    if (p.state !== 'consulting') throw new CallActionError('transfer_busy', 'the person you called has not answered yet');
    await this.d.sw.stopHoldMusic(p.c.customerLeg);
    await this.d.sw.monitor(p.c.customerLeg, p.c.agentLeg, 'barge');
    p.state = 'joined';
    await this.d.controls.holdEndedElsewhere(p.c);
    this.notify(p, { state: 'joined' });
  }

  /** The agent gives up the transfer: the target's phone is hung up, the customer is back with the agent. */
  async cancel(callId: string, agentId: string): Promise<void> {
    const p = this.mine(callId, agentId);
    this.pending.delete(callId);
    p.abort.abort();
    if (p.targetLeg) await this.hangup(p.targetLeg);
    await this.backToAgent(p);
    this.notify(p, { state: 'cancelled' });
  }

  /**
   * A leg ended. True when the leg was the target's of a transfer under way (no session knows it);
   * the legs of a handed-over call end together (and the session, in wrap-up, is told as usual).
   */
  legEnded(legId: LegId): boolean {
    const h = this.handedOver.get(legId);
    if (h) {
      this.handedOver.delete(legId);
      this.handedOver.delete(h.other);
      detach(this.hangup(h.other), this.d.log, 'hang-up after a transfer failed', { callId: h.callId });
      const now = this.d.clock.now();
      this.d.amendRecord(h.callId, { transfer: { ...h.transfer, endedAt: new Date(now), talkMs: now - h.transfer.at.getTime() } });
      return h.isTarget;
    }
    for (const p of this.pending.values()) {
      if (legId === p.targetLeg) {
        this.pending.delete(p.c.callId);
        if (p.state === 'joined') {
          // the third party left a three-way call: the customer and the agent talk on
          detach(this.backToAgent(p), this.d.log, 'back to two after a three-way call failed', { callId: p.c.callId });
          this.notify(p, { state: 'cancelled' });
          return true;
        }
        // the target hung up while consulting: the customer stays on hold until the agent takes them back
        this.notify(p, { state: 'consult_ended' });
        return true;
      }
      if (legId === p.c.customerLeg || legId === p.c.agentLeg) {
        // the conversation is over (its session handles that): the transfer goes with it
        this.pending.delete(p.c.callId);
        p.abort.abort();
        if (p.targetLeg) detach(this.hangup(p.targetLeg), this.d.log, 'transfer target hang-up failed', { callId: p.c.callId });
        return false;
      }
    }
    return false;
  }

  private async dial(p: Pending, request: DialRequest): Promise<void> {
    const r = await this.d.sw.dial(request, p.abort.signal);
    if (this.pending.get(p.c.callId) !== p) {
      // cancelled, or the call ended, while it rang
      if (r.outcome === 'answered') await this.hangup(r.legId);
      return;
    }
    if (r.outcome !== 'answered') {
      this.pending.delete(p.c.callId);
      await this.backToAgent(p);
      this.notify(p, { state: 'failed', reason: r.outcome });
      return;
    }
    p.targetLeg = r.legId;
    if (p.kind === 'blind') return this.connect(p);
    p.state = 'consulting';
    try {
      await this.d.sw.bridge(p.c.agentLeg, r.legId);
    } catch (err) {
      if (!(err instanceof LegGoneError)) throw err;
      return; // a leg went meanwhile; its hang-up ends the transfer
    }
    this.notify(p, { state: 'consulting' });
  }

  /** The customer is bridged to the target; the agent's part of the call ends. */
  private async connect(p: Pending): Promise<void> {
    const target = p.targetLeg as LegId;
    this.pending.delete(p.c.callId);
    try {
      await this.d.sw.stopHoldMusic(p.c.customerLeg);
      await this.d.sw.bridge(p.c.customerLeg, target);
    } catch (err) {
      if (!(err instanceof LegGoneError)) throw err;
      await this.hangup(target);
      return;
    }
    // hold time and any supervisor end with the agent's conversation
    await this.d.controls.callEnded(p.c.callId);
    const transfer = { kind: p.kind, to: p.to, by: p.c.agentId, at: new Date(this.d.clock.now()) };
    this.handedOver.set(p.c.customerLeg, { callId: p.c.callId, other: target, isTarget: false, transfer });
    this.handedOver.set(target, { callId: p.c.callId, other: p.c.customerLeg, isTarget: true, transfer });
    this.d.amendRecord(p.c.callId, { transfer });
    this.notify(p, { state: 'completed' });
    await p.handOver();
  }

  private async backToAgent(p: Pending): Promise<void> {
    if (p.state === 'joined') {
      try {
        await this.d.sw.bridge(p.c.customerLeg, p.c.agentLeg);
      } catch (err) {
        if (!(err instanceof LegGoneError)) throw err; // the call ended meanwhile
      }
      return;
    }
    try {
      await this.d.controls.hold(p.c, false);
    } catch (err) {
      if (!(err instanceof CallActionError)) throw err; // the call ended meanwhile
    }
  }

  private mine(callId: string, agentId: string): Pending {
    const p = this.pending.get(callId);
    if (!p || p.c.agentId !== agentId) throw new CallActionError('transfer_busy', 'no transfer of yours is under way on this call');
    return p;
  }

  private notify(p: Pending, state: TransferState): void {
    this.d.channel.transferState(p.c.agentId, p.c.callId, { ...state, to: p.to, kind: p.kind });
  }

  private hangup(legId: LegId): Promise<void> {
    return hangupQuietly(this.d.sw, legId, this.d.log);
  }
}
