import type { InCarPop } from '@shared/assist';
import type {
  AgentStatus,
  AppointmentNotice,
  CallEndedNotice,
  CustomerCard,
  IvrStepView,
  OutboundPop,
  PreviewLead,
  ScreenPop,
  TransferState,
} from '@shared/agent-events';

/**
 * The desk's state as a pure reducer of what the server pushes (and a few local facts): one call
 * slot that goes offered → connecting → talking → wrap-up, the agent's status, the preview lead,
 * appointment notices. Components render it; tests drive it without a browser.
 */

export type CallPhase = 'offered' | 'connecting' | 'talking' | 'wrap_up' | 'done';

export interface TransferView {
  to: string;
  kind: 'blind' | 'consult';
  state: TransferState['state'];
  reason?: string;
}

export interface CallView {
  callId: string;
  direction: 'inbound' | 'outbound';
  phase: CallPhase;
  /** The customer's number. */
  customerNumber: string;
  /** The number the customer dialled (inbound) or the caller id shown (outbound). */
  dealerNumber: string;
  queueName: string;
  campaignName: string | undefined;
  script: string | undefined;
  waitedMs: number;
  offerExpiresAt: number | undefined;
  callback: boolean;
  ivr: { flowId: string; path: IvrStepView[]; vars: Record<string, string> } | null;
  customer: CustomerCard | null;
  /** An in-car call: the driver pop (#15). */
  inCar?: InCarPop;
  /** The dealer's CRM is still looking the caller up (a call:offer_update follows). */
  customerPending: boolean;
  dispositionCodes: string[];
  connectedAt: number | undefined;
  onHold: boolean;
  muted: boolean;
  masked: boolean;
  transfer: TransferView | undefined;
  monitored: 'whisper' | 'barge' | null;
  wrapUpUntil: number | undefined;
  ended: Pick<CallEndedNotice, 'endedBy' | 'cause' | 'talkMs'> | undefined;
  savedCode: string | undefined;
  /** Rebuilt from the server after a reload (details the offer had may be missing). */
  restored: boolean;
  /** What the campaign's lead list says of a lead the CRM does not know (the new-customer form starts from it). */
  lead: { name: string | undefined; grade: string | undefined } | undefined;
}

export interface DeskState {
  status: AgentStatus | undefined;
  call: CallView | undefined;
  preview: PreviewLead | undefined;
  notices: (AppointmentNotice & { receivedAt: number })[];
}

export const initialDesk: DeskState = { status: undefined, call: undefined, preview: undefined, notices: [] };

export type DeskEvent =
  | { type: 'agent:state'; status: AgentStatus }
  | { type: 'call:offer'; pop: ScreenPop }
  | { type: 'call:offer_update'; callId: string; customer: CustomerCard | null }
  | { type: 'assist:update'; callId: string; inCar: InCarPop }
  | { type: 'call:offer_withdrawn'; callId: string }
  | { type: 'call:accepted'; callId: string }
  | { type: 'call:connected'; callId: string; at: number }
  | { type: 'call:outbound'; pop: OutboundPop }
  | { type: 'call:ended'; notice: CallEndedNotice }
  | { type: 'call:hold_state'; callId: string; onHold: boolean }
  | { type: 'call:transfer_state'; callId: string; transfer: TransferView }
  | { type: 'call:monitored'; callId: string; mode: 'whisper' | 'barge' | null }
  | { type: 'call:wrap_up_extended'; callId: string; wrapUpUntil: number }
  | { type: 'call:disposition_saved'; callId: string; code: string }
  | { type: 'local:muted'; muted: boolean }
  | { type: 'local:masked'; masked: boolean }
  | { type: 'local:customer'; callId: string; customer: CustomerCard }
  | { type: 'local:restore'; call: CallView }
  | { type: 'local:dismiss_call' }
  | { type: 'preview:lead'; lead: PreviewLead }
  | { type: 'preview:done'; leadId: string }
  | { type: 'appointment:new'; notice: AppointmentNotice; receivedAt: number }
  | { type: 'local:clear_notices' };

function blankCall(callId: string, direction: 'inbound' | 'outbound'): CallView {
  return {
    callId,
    direction,
    phase: 'offered',
    customerNumber: '',
    dealerNumber: '',
    queueName: '',
    campaignName: undefined,
    script: undefined,
    waitedMs: 0,
    offerExpiresAt: undefined,
    callback: false,
    ivr: null,
    customer: null,
    customerPending: false,
    dispositionCodes: [],
    connectedAt: undefined,
    onHold: false,
    muted: false,
    masked: false,
    transfer: undefined,
    monitored: null,
    wrapUpUntil: undefined,
    ended: undefined,
    savedCode: undefined,
    restored: false,
    lead: undefined,
  };
}

export function callFromPop(pop: ScreenPop): CallView {
  return {
    ...blankCall(pop.callId, 'inbound'),
    customerNumber: pop.from,
    dealerNumber: pop.to,
    queueName: pop.queueName || pop.queueId,
    waitedMs: pop.waitedMs,
    offerExpiresAt: pop.offerExpiresAt,
    callback: pop.callback,
    ivr: pop.ivr,
    customer: pop.customer,
    customerPending: pop.customerPending,
    dispositionCodes: pop.dispositionCodes,
    ...(pop.inCar ? { inCar: pop.inCar } : {}),
  };
}

export function callFromOutbound(pop: OutboundPop, callerId = ''): CallView {
  return {
    ...blankCall(pop.callId, 'outbound'),
    phase: 'talking',
    customerNumber: pop.phone,
    dealerNumber: callerId,
    campaignName: pop.campaignName,
    script: pop.script,
    customer: pop.customer,
    dispositionCodes: pop.dispositionCodes,
    connectedAt: pop.connectedAt,
  };
}

/** Applies `f` to the call when it is the one named. */
function onCall(s: DeskState, callId: string, f: (c: CallView) => CallView): DeskState {
  return s.call && s.call.callId === callId ? { ...s, call: f(s.call) } : s;
}

export function deskReducer(s: DeskState, e: DeskEvent): DeskState {
  switch (e.type) {
    case 'agent:state': {
      const next = { ...s, status: e.status };
      // an offer the server no longer holds for us (taken elsewhere, timed out while we were away)
      if (s.call?.phase === 'offered' && !['reserved', 'ringing'].includes(e.status.state)) next.call = undefined;
      if (s.call?.phase === 'connecting' && e.status.state === 'talking' && e.status.callId === s.call.callId) next.call = { ...s.call, phase: 'talking' };
      if (s.call && (s.call.phase === 'talking' || s.call.phase === 'connecting') && e.status.state === 'wrap_up' && e.status.callId === s.call.callId) next.call = { ...s.call, phase: 'wrap_up' };
      // wrap-up over: the call is done (its saved outcome stays on screen until the next call)
      if (s.call?.phase === 'wrap_up' && (e.status.state === 'ready' || e.status.state === 'not_ready')) next.call = { ...s.call, phase: 'done' };
      if (e.status.state === 'hold') next.call = next.call && next.call.callId === e.status.callId ? { ...next.call, onHold: true } : next.call;
      return next;
    }
    case 'call:offer':
      return { ...s, call: callFromPop(e.pop) };
    case 'assist:update':
      return onCall(s, e.callId, (c) => ({ ...c, inCar: e.inCar }));
    case 'call:offer_update':
      return onCall(s, e.callId, (c) => ({ ...c, customer: e.customer, customerPending: false }));
    case 'call:offer_withdrawn':
      return s.call?.callId === e.callId && (s.call.phase === 'offered' || s.call.phase === 'connecting') ? { ...s, call: undefined } : s;
    case 'call:accepted':
      return onCall(s, e.callId, (c) => (c.phase === 'offered' ? { ...c, phase: 'connecting' } : c));
    case 'call:connected':
      return onCall(s, e.callId, (c) => ({ ...c, phase: 'talking', connectedAt: e.at }));
    case 'call:outbound': {
      const prev = s.call?.callId === e.pop.callId ? s.call : undefined;
      const lead = s.preview?.leadId === e.pop.leadId ? { name: s.preview.name, grade: s.preview.grade } : undefined;
      return { ...s, preview: undefined, call: { ...callFromOutbound(e.pop, prev?.dealerNumber ?? ''), customer: e.pop.customer ?? prev?.customer ?? null, lead } };
    }
    case 'call:ended':
      return onCall(s, e.notice.callId, (c) => ({
        ...c,
        phase: 'wrap_up',
        onHold: false,
        muted: false,
        masked: false,
        transfer: c.transfer?.state === 'completed' ? c.transfer : undefined,
        monitored: null,
        wrapUpUntil: e.notice.wrapUpUntil,
        ended: { endedBy: e.notice.endedBy, cause: e.notice.cause, talkMs: e.notice.talkMs },
        dispositionCodes: e.notice.dispositionCodes.length ? e.notice.dispositionCodes : c.dispositionCodes,
      }));
    case 'call:hold_state':
      return onCall(s, e.callId, (c) => ({ ...c, onHold: e.onHold }));
    case 'call:transfer_state':
      return onCall(s, e.callId, (c) => ({ ...c, transfer: e.transfer.state === 'cancelled' || e.transfer.state === 'failed' ? { ...e.transfer } : e.transfer }));
    case 'call:monitored':
      return onCall(s, e.callId, (c) => ({ ...c, monitored: e.mode }));
    case 'call:wrap_up_extended':
      return onCall(s, e.callId, (c) => ({ ...c, wrapUpUntil: e.wrapUpUntil }));
    case 'call:disposition_saved':
      return onCall(s, e.callId, (c) => ({ ...c, savedCode: e.code }));
    case 'local:muted':
      return s.call ? { ...s, call: { ...s.call, muted: e.muted } } : s;
    case 'local:masked':
      return s.call ? { ...s, call: { ...s.call, masked: e.masked } } : s;
    case 'local:customer':
      return onCall(s, e.callId, (c) => ({ ...c, customer: e.customer, customerPending: false }));
    case 'local:restore':
      return s.call?.callId === e.call.callId ? s : { ...s, call: e.call };
    case 'local:dismiss_call':
      return { ...s, call: undefined };
    case 'preview:lead':
      return { ...s, preview: e.lead, call: s.call?.phase === 'done' ? undefined : s.call };
    case 'preview:done':
      return s.preview?.leadId === e.leadId ? { ...s, preview: undefined } : s;
    case 'appointment:new':
      return { ...s, notices: [{ ...e.notice, receivedAt: e.receivedAt }, ...s.notices].slice(0, 20) };
    case 'local:clear_notices':
      return { ...s, notices: [] };
  }
}

/** The grades a customer went through, oldest first, without repeats: e.g. ['C', 'B', 'A']. */
export function gradePath(customer: Pick<CustomerCard, 'funnel' | 'grade'>): string[] {
  const out: string[] = [];
  for (const f of customer.funnel) {
    const g = f.grade ?? (f.kind === 'grade_change' ? /→\s*([ABCHOF])/.exec(f.note ?? '')?.[1] : undefined);
    if (g && out[out.length - 1] !== g) out.push(g);
  }
  if (customer.grade && out[out.length - 1] !== customer.grade) out.push(customer.grade);
  return out;
}

/** mm:ss, or h:mm:ss past an hour. */
export function clockText(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Digit hotkeys for disposition codes: 1–9 then 0 for the tenth; further codes have none. */
export function hotkeyOf(index: number): string | undefined {
  if (index < 9) return String(index + 1);
  return index === 9 ? '0' : undefined;
}

export function codeForHotkey(codes: readonly string[], key: string): string | undefined {
  const i = key === '0' ? 9 : /^[1-9]$/.test(key) ? Number(key) - 1 : -1;
  return i >= 0 ? codes[i] : undefined;
}

/** Whether the call is one the agent is on (controls shown). */
export function inConversation(c: CallView | undefined): boolean {
  return !!c && (c.phase === 'talking' || c.phase === 'connecting');
}
