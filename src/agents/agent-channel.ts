import type { CustomerCard, ScreenPop } from '../crm/screen-pop';
import type { AgentStatus } from './agent-state';

export interface CallEndedNotice {
  callId: string;
  endedBy: 'caller' | 'agent' | 'system';
  cause: string;
  talkMs: number;
  wrapUpUntil: number;
  dispositionCodes: string[];
}

/** What the call logic tells an agent's desktop(s). Implemented over socket.io by the gateway. */
export interface AgentChannel {
  state(agentId: string, status: AgentStatus): void;
  offer(agentId: string, pop: ScreenPop): void;
  /** The rest of a pop that was sent before the dealer's CRM answered. */
  offerUpdate(agentId: string, callId: string, customer: CustomerCard | null): void;
  offerWithdrawn(agentId: string, callId: string, reason: 'caller_left' | 'timeout' | 'declined' | 'phone_unreachable' | 'taken'): void;
  connected(agentId: string, callId: string, at: number): void;
  ended(agentId: string, notice: CallEndedNotice): void;
  dispositionSaved(agentId: string, callId: string, code: string): void;
  wrapUpExtended(agentId: string, callId: string, wrapUpUntil: number): void;
  /** The customer was put on hold (hold music) or taken back. */
  holdState(agentId: string, callId: string, onHold: boolean): void;
  /** How the agent's transfer goes. */
  transferState(agentId: string, callId: string, state: TransferState & { to: string; kind: 'blind' | 'consult' }): void;
  /** A supervisor whispers to the agent or has joined the conversation (null: no longer). */
  monitored(agentId: string, callId: string, mode: 'whisper' | 'barge' | null): void;
  /** A lead the dialer connected to this agent: the lead's card, at once. */
  outbound(agentId: string, pop: OutboundPop): void;
  /** A store visit was booked for this sales consultant (live on their desktop if connected). */
  appointment(username: string, booking: AppointmentNotice): void;
}

/**
 * dialling: the target's phone rings (the customer holds) · consulting: the agent talks to the target ·
 * completed: the customer is with the target, the agent's part ended · failed: the target did not
 * answer, the customer is back with the agent · cancelled: the agent gave up · consult_ended: the
 * target hung up while consulting (the customer still holds).
 */
export type TransferState =
  | { state: 'dialling' | 'consulting' | 'completed' | 'cancelled' | 'consult_ended' }
  | { state: 'failed'; reason: string };

export interface AppointmentNotice {
  callId: string;
  customerId: string | undefined;
  storeId: string;
  at: string;
  bookedBy: string;
  notes: string;
}

export interface OutboundPop {
  callId: string;
  campaignId: string;
  campaignName: string;
  leadId: string;
  phone: string;
  customer: CustomerCard | null;
  dispositionCodes: string[];
  /** The campaign's call script for the agent. */
  script: string | undefined;
  connectedAt: number;
}
