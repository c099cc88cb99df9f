import type { CustomerCard, IvrStepView } from '@shared/agent-events';
import type { QueueRef } from '@shared/desk-api';
import { callFromPop, type CallView } from './model';

/** The fields of GET /api/calls/:callId the desk reads back after a reload. */
export interface CallRecordView {
  callId: string;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  queueId?: string;
  customerId?: string;
  connectedAt?: string;
  endedAt?: string;
  talkMs?: number;
  waitMs?: number;
  ivr?: { flowId: string; path: IvrStepView[]; vars: Record<string, string> };
  disposition?: { code: string };
}

export function callFromRecord(r: CallRecordView, customer: CustomerCard | null, agentState: string, queues: readonly QueueRef[]): CallView {
  const queue = queues.find((q) => q.queueId === r.queueId);
  const inbound = r.direction === 'inbound';
  const base = callFromPop({
    callId: r.callId,
    from: inbound ? r.from : r.to,
    to: inbound ? r.to : r.from,
    source: 'trunk',
    queueId: r.queueId ?? '',
    queueName: queue?.name ?? r.queueId ?? '',
    waitedMs: r.waitMs ?? 0,
    offerExpiresAt: 0,
    customer,
    dispositionCodes: queue?.dispositionCodes ?? ['appointment_set', 'callback_requested', 'not_interested', 'bought_elsewhere', 'wrong_number'],
    ivr: r.ivr ?? null,
    callback: false,
    customerPending: false,
  });
  return {
    ...base,
    direction: r.direction,
    phase: agentState === 'wrap_up' ? 'wrap_up' : 'talking',
    connectedAt: r.connectedAt ? Date.parse(r.connectedAt) : undefined,
    onHold: agentState === 'hold',
    savedCode: r.disposition?.code,
    restored: true,
    lead: undefined,
  };
}
