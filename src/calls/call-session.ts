import type { HangupCause, LegId, RecordingStopped } from '../telephony/switch';
import type { OutcomeDetails } from './dispositions';

/** What the call center asks of any live call, inbound or outbound. */
export interface CallSession {
  readonly callId: string;
  legEnded(legId: LegId, cause: HangupCause): Promise<void>;
  agentHangup(agentId: string): Promise<void>;
  extendWrapUp(agentId: string, ms: number): Promise<number>;
  /** The customer's leg of the conversation this agent is in (throws CallActionError otherwise). */
  customerLegFor(agentId: string): LegId;
  /** The conversation's recording ended: its metadata joins the call record's ordered writes. */
  recordingStopped(e: RecordingStopped): void;
  disposition(agentId: string, code: string, notes: string, details?: OutcomeDetails): Promise<void>;
  /** Shutdown: end the call's legs now. */
  terminate(): Promise<void>;
  /** Settles when every step queued so far has run. */
  idle(): Promise<void>;
}
