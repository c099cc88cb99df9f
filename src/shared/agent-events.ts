import { z } from 'zod';
import type { InCarPop } from './assist';

/**
 * socket.io namespace `/agent`: the live connection of an agent's desk. The desk connects with
 * `auth: { token }`; a refused connection's `connect_error` carries `data: { code }` (see errors.ts).
 * Every command is answered (acknowledgement) with `CommandAck`.
 */

// ---- what the server pushes ------------------------------------------------------------------

export const AGENT_STATES = ['logged_out', 'not_ready', 'ready', 'reserved', 'ringing', 'talking', 'hold', 'wrap_up', 'outbound'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

export interface AgentStatus {
  state: AgentState;
  /** When the agent entered this state (ms since epoch, server clock). */
  since: number;
  /** Not-ready reason code, or why the system moved the agent. */
  reason: string;
  /** The call the agent is reserved for, talking on or wrapping up. */
  callId: string;
}

export type CallSource = 'trunk' | 'vehicle' | 'agent';
export type MonitorMode = 'listen' | 'whisper' | 'barge';

export interface FunnelEntry {
  at: string;
  kind: string;
  storeId?: string;
  model?: string;
  grade?: string;
  note?: string;
}

export interface PastCall {
  callId: string;
  at: string;
  direction: string;
  outcome?: string;
  agent?: string;
  disposition?: string;
  notes?: string;
}

export interface CustomerCard {
  id: string;
  /** The customer's id in the dealer's own CRM, when the card came from there. */
  externalId?: string;
  name: string;
  phones: string[];
  grade?: string;
  status: string;
  defeatReason?: string;
  owningStoreId?: string;
  owningUser?: string;
  modelsConsidered: string[];
  funnel: FunnelEntry[];
  lastCalls: PastCall[];
}

export interface IvrStepView {
  node: string;
  type: string;
  /** Keys the caller pressed at this node (menus, collects). */
  digits?: string;
  /** What happened: the chosen option, 'invalid', 'no_input', the branch taken... */
  result?: string;
}

/** Everything the agent's desk shows the moment a call is offered, in one push (`call:offer`). */
export interface ScreenPop {
  callId: string;
  from: string;
  to: string;
  source: CallSource;
  queueId: string;
  queueName: string;
  waitedMs: number;
  offerExpiresAt: number;
  customer: CustomerCard | null;
  dispositionCodes: string[];
  /** The IVR path the caller took (nodes, keys pressed, variables), when the number has a flow. */
  ivr: { flowId: string; path: IvrStepView[]; vars: Record<string, string> } | null;
  /** A queued callback: accepting rings the agent first, then the customer. */
  callback: boolean;
  /** The dealer's CRM had not answered within the pop budget: a `call:offer_update` follows. */
  customerPending: boolean;
  /** An in-car call (one-touch button): the driver screen-pop. */
  inCar?: InCarPop;
}

export interface CallEndedNotice {
  callId: string;
  endedBy: 'caller' | 'agent' | 'system';
  cause: string;
  talkMs: number;
  wrapUpUntil: number;
  dispositionCodes: string[];
}

/**
 * dialling: the target's phone rings (the customer holds) · consulting: the agent talks to the target ·
 * completed: the customer is with the target, the agent's part ended · failed: the target did not
 * answer, the customer is back with the agent · cancelled: the agent gave up · consult_ended: the
 * target hung up while consulting (the customer still holds).
 */
export type TransferState = { state: 'dialling' | 'consulting' | 'joined' | 'completed' | 'cancelled' | 'consult_ended' } | { state: 'failed'; reason: string };

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

/** The lead card an agent sees in preview before choosing to dial or skip. */
export interface PreviewLead {
  campaignId: string;
  leadId: string;
  phone: string;
  name: string | undefined;
  grade: string | undefined;
  defeatReason: string | undefined;
  customer: CustomerCard | null;
  script: string | undefined;
}

export type DialOutcomeView = 'connected' | 'no_answer' | 'busy' | 'machine' | 'failed' | 'abandoned';

/** Events the server pushes to a desk, with their payloads. */
export interface AgentServerEvents {
  'agent:state': (s: AgentStatus) => void;
  'call:offer': (pop: ScreenPop) => void;
  'call:offer_update': (u: { callId: string; customer: CustomerCard | null }) => void;
  /** The car sent new data (an MSD update by SIP INFO) during an in-car call. */
  'assist:update': (u: { callId: string; inCar: InCarPop }) => void;
  'call:offer_withdrawn': (w: { callId: string; reason: 'caller_left' | 'timeout' | 'declined' | 'phone_unreachable' | 'taken' }) => void;
  'call:connected': (c: { callId: string; at: number }) => void;
  'call:ended': (n: CallEndedNotice) => void;
  'call:disposition_saved': (d: { callId: string; code: string }) => void;
  'call:wrap_up_extended': (w: { callId: string; wrapUpUntil: number }) => void;
  'call:hold_state': (h: { callId: string; onHold: boolean }) => void;
  'call:transfer_state': (t: TransferState & { callId: string; to: string; kind: 'blind' | 'consult' }) => void;
  'call:monitored': (m: { callId: string; mode: 'whisper' | 'barge' | null }) => void;
  'call:outbound': (pop: OutboundPop) => void;
  'appointment:new': (a: AppointmentNotice) => void;
  'preview:lead': (lead: PreviewLead) => void;
  'preview:result': (r: { leadId: string; outcome: DialOutcomeView }) => void;
  /** The session ends on the server (logged out elsewhere, account disabled, token revoked). */
  'session:ended': (s: { code: 'session_expired' | 'account_disabled'; error: string }) => void;
}

// ---- what a desk sends -----------------------------------------------------------------------

const callRef = z.strictObject({ callId: z.uuid() });
const grade = z.enum(['A', 'B', 'C', 'H', 'O', 'F']);

/** What an agent records after a call, beyond the code and notes. */
export const outcomeDetailsSchema = z.strictObject({
  /** A store visit booked for the customer with a sales consultant, who is told at once. */
  appointment: z
    .strictObject({
      storeId: z.string().min(1).max(60),
      consultant: z.string().min(1).max(64),
      at: z.iso.datetime({ offset: true, error: 'must be an ISO date-time, e.g. 2026-11-28T10:00:00+08:00' }),
    })
    .optional(),
  /** When the customer should be called next (the dialer's follow-up cadence starts from it). */
  nextFollowUpAt: z.iso.datetime({ offset: true, error: 'must be an ISO date-time' }).optional(),
  /** On a campaign call with nextFollowUpAt: personal — this agent makes that call; team (default) — whoever is free. */
  callbackScope: z.enum(['personal', 'team']).optional(),
  /** The customer's new funnel grade, when the conversation changed it. */
  grade: grade.optional(),
});
export type OutcomeDetails = z.infer<typeof outcomeDetailsSchema>;

/** Every command a desk may send on `/agent`, with the schema its payload must meet. */
export const agentCommands = {
  'agent:ready': z.strictObject({}).optional(),
  'agent:not_ready': z.strictObject({ reason: z.string().min(1).max(40) }),
  'agent:logout': z.strictObject({}).optional(),
  'call:accept': callRef,
  'call:decline': callRef,
  'call:hangup': callRef,
  'call:disposition': callRef.extend({ code: z.string().min(1).max(60), notes: z.string().max(4000).default('') }).extend(outcomeDetailsSchema.shape),
  'call:extend_wrap_up': callRef.extend({ seconds: z.number().int().min(10).max(600) }),
  'call:pci_mask': callRef.extend({ masked: z.boolean() }),
  'call:hold': callRef,
  'call:unhold': callRef,
  'call:transfer': callRef.extend({
    to: z.union([z.strictObject({ agent: z.string().min(1).max(60) }), z.strictObject({ number: z.string().min(3).max(32) })]),
    mode: z.enum(['blind', 'consult']),
  }),
  'call:transfer_complete': callRef,
  'call:transfer_cancel': callRef,
  /** Consult: the customer joins the agent and the target (a three-way call, e.g. the in-car concierge). */
  'call:transfer_join': callRef,
  'preview:next': z.strictObject({ campaignId: z.string().min(1).max(60) }),
  'preview:dial': z.strictObject({ leadId: z.string().min(1).max(200) }),
  'preview:skip': z.strictObject({ leadId: z.string().min(1).max(200), reason: z.string().max(60).optional() }),
  /** The agent dials a number from the keypad with one of their campaigns' caller id. Answered with the dial's outcome. */
  'call:dial': z.strictObject({ campaignId: z.string().min(1).max(60), number: z.string().min(3).max(32) }),
  /** The agent calls one of their scheduled callbacks (personal, or the team's) now. Answered with the dial's outcome. */
  'callback:dial': z.strictObject({ leadId: z.string().min(1).max(200) }),
} as const;

export type AgentCommand = keyof typeof agentCommands;
export type AgentCommandPayload<C extends AgentCommand> = z.input<(typeof agentCommands)[C]>;
