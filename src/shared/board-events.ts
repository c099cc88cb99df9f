import { z } from 'zod';
import type { AgentState, MonitorMode } from './agent-events';
import type { ContactCounters, ContactFigures, SlTarget } from './contact-metrics';

/**
 * socket.io namespace `/board`: supervisors' and managers' live view. Connects with `auth: { token }`;
 * commands are answered with `CommandAck`.
 *
 * `board:store` carries one store's whole live board (queues with today's figures, agents, waiting
 * and connected calls), computed once per change by one instance for every viewer of that store, and
 * sent again at least every few seconds. Times are server timestamps (ms since epoch); `at` is the
 * server's clock when the board was computed, so a page counts time in state and waiting time from
 * them whatever its own clock says.
 */

export interface LiveCallView {
  callId: string;
  agentId: string;
  storeId: string | undefined;
  customer: string;
  dealerNumber: string;
  direction: 'inbound' | 'outbound';
  connectedAt: number;
  onHold: boolean;
  monitor: { supervisorId: string; mode: MonitorMode } | undefined;
}

export interface BoardQueue {
  queueId: string;
  name: string;
  /** Calls waiting for an agent now (queued or being offered). */
  waiting: number;
  /** When the longest-waiting call entered the queue (server time), null when none waits. */
  oldestWaitingSince: number | null;
  agentsReady: number;
  agentsOnCalls: number;
  sl: SlTarget;
  /** Today's counters (local day of the board's time zone) and the figures computed from them. */
  counters: ContactCounters;
  figures: ContactFigures;
}

export interface BoardAgent {
  agentId: string;
  name: string;
  teamId: string | null;
  teamName: string | null;
  state: AgentState;
  reason: string;
  /** When the agent entered the state (server time). */
  since: number;
  callId: string | null;
  /** When the current call connected (server time), null when not on a connected call. */
  callSince: number | null;
  queueIds: string[];
  /** Today's occupancy (0..1), null before any time counts. */
  occupancy: number | null;
}

export interface BoardWaitingCall {
  callId: string;
  queueId: string;
  customer: string;
  /** When it entered the queue (server time). */
  since: number;
  phase: 'queued' | 'offered' | 'connecting' | 'callback_waiting';
  offeredTo: string | null;
}

export interface BoardCall {
  callId: string;
  agentId: string;
  queueId: string | null;
  customer: string;
  direction: 'inbound' | 'outbound';
  connectedAt: number;
  monitor: { supervisorId: string; mode: MonitorMode } | null;
}

export interface StoreBoard {
  storeId: string;
  storeName: string;
  /** Server time the board was computed. */
  at: number;
  /** The day its counters are of (YYYY-MM-DD). */
  day: string;
  queues: BoardQueue[];
  /** The store's totals over its queues. */
  totals: { counters: ContactCounters; figures: ContactFigures };
  agents: BoardAgent[];
  waiting: BoardWaitingCall[];
  calls: BoardCall[];
  /** Queued callbacks waiting for an agent. */
  callbacksWaiting: number;
  /** Voicemails nobody has handled yet. */
  voicemailsWaiting: number;
}

export interface AssistAlert {
  callId: string;
  vin: string;
  storeId: string;
  memberName: string;
  waitedMs: number;
  position: { lat: number; lon: number } | null;
  emergencyContact: string | null;
}

export interface BoardServerEvents {
  'board:store': (b: StoreBoard) => void;
  'campaigns:live': (v: { at: number; campaigns: Record<string, unknown>[] }) => void;
  'calls:live': (v: { at: number; calls: LiveCallView[] }) => void;
  'monitor:state': (s: { callId: string } & ({ mode: MonitorMode } | { ended: string })) => void;
  /** An automatic crash (in-car call) nobody answered in time (#15). */
  'assist:alert': (a: AssistAlert) => void;
}

const callRef = z.strictObject({ callId: z.uuid() });

export const FORCE_ACTIONS = ['ready', 'not_ready', 'logout'] as const;
export type ForceAction = (typeof FORCE_ACTIONS)[number];

export const boardCommands = {
  'monitor:start': callRef.extend({ mode: z.enum(['listen', 'whisper', 'barge']) }),
  'monitor:stop': callRef,
  /** A supervisor moves an agent of their stores to ready, not ready or logged out, giving a reason (audited). */
  'agent:force': z.strictObject({ agentId: z.string().min(1).max(100), action: z.enum(FORCE_ACTIONS), reason: z.string().trim().min(1).max(200) }),
} as const;

export type BoardCommand = keyof typeof boardCommands;
