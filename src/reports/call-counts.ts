import { countQueuedCall, DEFAULT_SL, type ContactCounters, type SlTarget } from '../shared/contact-metrics';
import type { Dimension } from './interval-keys';

/**
 * What one finished call adds to the report rows, pure: the contact-center counters (through
 * contact-metrics' own countQueuedCall, never a second definition) plus the DCC counters the funnel
 * reads (contacts: conversations with a customer), and the rows (dimension and key) it counts in.
 */

export interface ReportCounters extends ContactCounters {
  /** Conversations with a customer (answered inbound, connected outbound): the funnel's first step. */
  contacts: number;
  /** Outbound attempts placed by the dialer or an agent. */
  dialled: number;
  /** Agents' logged-in time (for actual staffing beside Erlang C). */
  staffedMs: number;
}

export const REPORT_COUNTER_FIELDS: (keyof ReportCounters)[] = ['offered', 'answered', 'abandoned', 'shortAbandoned', 'answeredInSl', 'answeredWaitMs', 'handled', 'talkMs', 'holdMs', 'acwMs', 'idleMs', 'contacts', 'dialled', 'staffedMs'];

export function emptyReportCounters(): ReportCounters {
  return Object.fromEntries(REPORT_COUNTER_FIELDS.map((f) => [f, 0])) as unknown as ReportCounters;
}

/** The fields of a call record the counts need. */
export interface FinishedCall {
  direction: 'inbound' | 'outbound';
  queueId?: string | null | undefined;
  agentUsername?: string | null | undefined;
  outcome?: string | null | undefined;
  queuedAt?: Date | null | undefined;
  connectedAt?: Date | null | undefined;
  endedAt?: Date | null | undefined;
  waitMs?: number | null | undefined;
  talkMs?: number | null | undefined;
  holdMs?: number | null | undefined;
}

export interface CallCount {
  /** When it counts (the call's end). */
  at: number;
  rows: { dim: Dimension; key: string }[];
  inc: Partial<ReportCounters>;
}

/** The campaign of an outbound call's queue id ("campaign:<id>"). */
export function campaignOf(queueId: string | null | undefined): string | undefined {
  return queueId?.startsWith('campaign:') ? queueId.slice('campaign:'.length) : undefined;
}

/**
 * The counts of a finished call with its after-call work (0 when the agent's wrap-up has not ended,
 * or the call had no agent), or undefined when it counts in no report (an IVR-only call, say).
 */
export function countCall(c: FinishedCall, acwMs: number, storeId: string | undefined, sl: SlTarget = DEFAULT_SL): CallCount | undefined {
  const at = (c.endedAt ?? c.connectedAt ?? c.queuedAt)?.getTime();
  if (at === undefined) return undefined;
  const campaignId = campaignOf(c.queueId);
  const rows: CallCount['rows'] = [];
  if (campaignId) rows.push({ dim: 'campaign', key: campaignId });
  else if (c.queueId) rows.push({ dim: 'queue', key: c.queueId });
  if (c.agentUsername) rows.push({ dim: 'agent', key: c.agentUsername });
  if (storeId) rows.push({ dim: 'store', key: storeId });
  if (rows.length === 0) return undefined;

  const talked = c.connectedAt !== null && c.connectedAt !== undefined && (c.talkMs ?? 0) >= 0 && c.agentUsername !== undefined && c.agentUsername !== null;
  if (c.direction === 'outbound') {
    const inc: Partial<ReportCounters> = { dialled: 1 };
    if (talked) Object.assign(inc, { contacts: 1, handled: 1, talkMs: c.talkMs ?? 0, holdMs: c.holdMs ?? 0, acwMs });
    return { at, rows, inc };
  }
  if (!c.queuedAt) return undefined; // never reached a queue: not offered
  if (talked && (c.outcome === 'answered' || c.outcome === 'transferred')) {
    const waitMs = c.waitMs ?? Math.max(0, (c.connectedAt as Date).getTime() - c.queuedAt.getTime());
    return { at, rows, inc: { ...countQueuedCall({ kind: 'answered', waitMs, talkMs: c.talkMs ?? 0, holdMs: c.holdMs ?? 0, acwMs }, sl), contacts: 1 } };
  }
  if (c.outcome === 'abandoned') return { at, rows, inc: countQueuedCall({ kind: 'abandoned', waitMs: c.waitMs ?? 0 }, sl) };
  // overflowed, sent to voicemail or a callback, lost: offered, neither answered nor abandoned
  return { at, rows, inc: { offered: 1 } };
}
