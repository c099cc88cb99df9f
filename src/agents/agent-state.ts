/**
 * The agent state machine, pure: which event moves an agent from which state to which.
 * Storage (Redis, with leases) and side effects live elsewhere; this module decides only.
 */

import type { AgentState, AgentStatus } from '../shared/agent-events';

export { AGENT_STATES, type AgentState, type AgentStatus } from '../shared/agent-events';

export type AgentEvent =
  | { type: 'login' }
  | { type: 'logout' }
  | { type: 'ready' }
  | { type: 'not_ready'; reason: string }
  | { type: 'reserve'; callId: string }
  /** The agent took the offer; their phone leg is being set up. */
  | { type: 'accept' }
  | { type: 'decline' }
  | { type: 'offer_timeout' }
  /** The agent's leg is answered and bridged to the customer. */
  | { type: 'connected' }
  /** The agent's leg could not be set up. */
  | { type: 'leg_failed' }
  /** The customer left before the agent was connected. */
  | { type: 'call_gone' }
  | { type: 'hold' }
  | { type: 'unhold' }
  | { type: 'call_ended' }
  | { type: 'wrap_up_done' };

export type Transition = { ok: true; status: AgentStatus } | { ok: false; error: string };

export const LOGGED_OUT: AgentStatus = { state: 'logged_out', since: 0, reason: '', callId: '' };

function to(state: AgentState, now: number, reason = '', callId = ''): Transition {
  return { ok: true, status: { state, since: now, reason, callId } };
}

function keepCall(cur: AgentStatus, state: AgentState, now: number, reason = ''): Transition {
  return to(state, now, reason, cur.callId);
}

/** The next status, or why the event is not allowed in the current state. */
export function nextStatus(cur: AgentStatus, ev: AgentEvent, now: number): Transition {
  const s = cur.state;
  const refuse = (): Transition => ({ ok: false, error: `cannot ${ev.type.replace('_', ' ')} while ${s.replace('_', ' ')}` });
  switch (ev.type) {
    case 'login':
      return s === 'logged_out' ? to('not_ready', now, 'login') : refuse();
    case 'logout':
      return s === 'ready' || s === 'not_ready' || s === 'wrap_up' || s === 'logged_out' ? to('logged_out', now) : refuse();
    case 'ready':
      return s === 'not_ready' || s === 'ready' || s === 'wrap_up' ? (s === 'ready' ? { ok: true, status: cur } : to('ready', now)) : refuse();
    case 'not_ready':
      if (!ev.reason) return { ok: false, error: 'a not-ready reason is required' };
      return s === 'ready' || s === 'not_ready' || s === 'wrap_up' ? to('not_ready', now, ev.reason) : refuse();
    case 'reserve':
      return s === 'ready' ? to('reserved', now, '', ev.callId) : refuse();
    case 'accept':
      return s === 'reserved' ? keepCall(cur, 'ringing', now) : refuse();
    case 'decline':
      return s === 'reserved' ? to('not_ready', now, 'declined_offer') : refuse();
    case 'offer_timeout':
      return s === 'reserved' || s === 'ringing' ? to('not_ready', now, 'missed_offer') : refuse();
    case 'leg_failed':
      return s === 'ringing' ? to('not_ready', now, 'phone_unreachable') : refuse();
    case 'call_gone':
      return s === 'reserved' || s === 'ringing' ? to('ready', now) : refuse();
    case 'connected':
      return s === 'ringing' ? keepCall(cur, 'talking', now) : refuse();
    case 'hold':
      return s === 'talking' ? keepCall(cur, 'hold', now) : refuse();
    case 'unhold':
      return s === 'hold' ? keepCall(cur, 'talking', now) : refuse();
    case 'call_ended':
      return s === 'talking' || s === 'hold' || s === 'outbound' ? keepCall(cur, 'wrap_up', now) : refuse();
    case 'wrap_up_done':
      return s === 'wrap_up' ? to('ready', now) : refuse();
  }
}

/** States in which the agent is on, or committed to, a call. */
export function isBusy(state: AgentState): boolean {
  return state === 'reserved' || state === 'ringing' || state === 'talking' || state === 'hold' || state === 'outbound';
}
