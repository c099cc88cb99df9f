import type { AgentEvent, AgentStatus } from './agent-state';

/** What the reconciler knows about an agent besides the stored status. */
export interface AgentFacts {
  /** Some app instance holds a live session for the agent's call (its lease is fresh). */
  callLive: boolean;
  /** Some app instance holds a connected desktop for the agent (its lease is fresh). */
  present: boolean;
  /** How long the agent has been in this state. */
  inStateMs: number;
  /** How long after-call work may last when nobody runs the call any more (its owner would have ended it). */
  orphanWrapUpMs: number;
}

/**
 * The correction for an agent whose stored state the world no longer supports, or undefined.
 * Pure: applied through the state machine, so a correction racing a real event is refused by the
 * version check rather than overwriting it.
 *  - reserved / ringing for a call nobody runs → ready (call_gone)
 *  - talking / on hold on a call nobody runs → wrap-up (call_ended), so the outcome can still be written
 *  - wrap-up for a call nobody runs (its owner, who would end wrap-up, is gone) → ready once
 *    orphanWrapUpMs has passed (the app frees such agents at once: the outcome can still be recorded
 *    afterwards, from the call record)
 *  - ready / not ready / wrap-up with no desktop anywhere past the grace period → logged out
 */
export function correction(status: AgentStatus, facts: AgentFacts): AgentEvent | undefined {
  switch (status.state) {
    case 'reserved':
    case 'ringing':
      return facts.callLive ? undefined : { type: 'call_gone' };
    case 'talking':
    case 'hold':
    case 'outbound':
      return facts.callLive ? undefined : { type: 'call_ended' };
    case 'wrap_up':
      if (!facts.callLive && facts.inStateMs >= facts.orphanWrapUpMs) return { type: 'wrap_up_done' };
      return undefined;
    case 'ready':
    case 'not_ready':
      return facts.present ? undefined : { type: 'logout' };
    case 'logged_out':
      return undefined;
  }
}
