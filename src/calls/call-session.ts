import type { HangupCause, LegHangup, LegId, MonitorMode, RecordingStopped } from '../telephony/switch';
import type { OutcomeDetails } from './dispositions';

/** What the in-call controls keep on the call record (totals, so a later write never loses an earlier one). */
export interface ControlFields {
  holdCount?: number;
  holdMs?: number;
  customerHoldCount?: number;
  customerHoldMs?: number;
  customerHoldMode?: 'sendonly' | 'inactive';
  /** The customer's talk with whoever the agent transferred them to. */
  transfer?: { kind: 'blind' | 'consult'; to: string; by: string; at: Date; endedAt?: Date; talkMs?: number };
  monitors?: { supervisorUsername: string; mode: MonitorMode; at: Date }[];
}

export interface LiveConversation {
  callId: string;
  agentId: string;
  customerLeg: LegId;
  agentLeg: LegId;
  /** The store whose call it is (supervisors may monitor their stores' calls). */
  storeId: string | undefined;
  /** The customer's number. */
  customer: string;
  /** The dealer's number on this call (dialled by the customer, or shown to them). */
  dealerNumber: string;
  direction: 'inbound' | 'outbound';
  connectedAt: number;
}

/** What the call center asks of any live call, inbound or outbound. */
export interface CallSession {
  readonly callId: string;
  /** A leg of the call ended; `final` is what the switch says of an unanswered leg it refused (LegHangup). */
  legEnded(legId: LegId, cause: HangupCause, final?: LegHangup): Promise<void>;
  agentHangup(agentId: string): Promise<void>;
  extendWrapUp(agentId: string, ms: number): Promise<number>;
  /** The conversation while it is connected (agent and customer on the line), for in-call controls. */
  liveConversation(): LiveConversation | undefined;
  /** The customer's leg of the conversation this agent is in (throws CallActionError otherwise). */
  customerLegFor(agentId: string): LegId;
  /**
   * The agent transferred the customer to someone else (who is on the line with them now): the
   * conversation ends for the agent (wrap-up, outcome "transferred") and their leg is hung up; the
   * customer's leg is no longer this session's to end.
   */
  handOver(agentId: string, to: string): Promise<void>;
  /** In-call control totals (hold, monitoring) join the call record's ordered writes. */
  amendRecord(fields: ControlFields): void;
  /** The conversation's recording ended: its metadata joins the call record's ordered writes. */
  recordingStopped(e: RecordingStopped): void;
  disposition(agentId: string, code: string, notes: string, details?: OutcomeDetails): Promise<void>;
  /** Shutdown: end the call's legs now. */
  terminate(): Promise<void>;
  /** The agent asks to go ready during this call's wrap-up (refused while a required outcome is missing). */
  leaveWrapUp(agentId: string): Promise<void>;
  /** Still making progress (not failed, no step stuck, within its phase's deadline): its lease is renewed only then. */
  healthy(now: number): boolean;
  /** Stop acting on the call, end its legs, and hand it to the sweeper (a failed step, the watchdog). */
  giveUp(reason: string): void;
  /** Settles when every step queued so far has run. */
  idle(): Promise<void>;
}
