import type { CustomerCard, ScreenPop } from '../crm/screen-pop';
import type { AgentStatus } from './agent-state';
import type { InCarPop } from '../shared/assist';

import type { AppointmentNotice, CallEndedNotice, OutboundPop, TransferState } from '../shared/agent-events';

export type { AppointmentNotice, CallEndedNotice, OutboundPop, TransferState } from '../shared/agent-events';

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
  /** New data from the car of an in-car call (its driver pop). */
  inCarUpdate?(agentId: string, callId: string, pop: InCarPop): void;
  /** A store visit was booked for this sales consultant (live on their desktop if connected). */
  appointment(username: string, booking: AppointmentNotice): void;
}

