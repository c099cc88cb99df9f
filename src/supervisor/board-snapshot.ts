import type { QueueConfig } from '../acd/queue-directory';
import type { LiveCallState } from '../calls/live-calls';
import type { AgentState, AgentStatus, MonitorMode } from '../shared/agent-events';
import type { BoardAgent, BoardCall, BoardQueue, BoardWaitingCall, StoreBoard } from '../shared/board-events';
import { addCounters, emptyCounters, figures, occupancy, type ContactCounters } from '../shared/contact-metrics';
import type { AgentDayTimes } from './board-counters';

/**
 * One store's live board from what Redis and MongoDB hold now. Pure: the publisher gathers the inputs
 * once per tick for every store and calls this per store.
 */

export interface BoardPerson {
  agentId: string;
  name: string;
  storeIds: readonly string[];
  queueIds: readonly string[];
  teamId: string | null;
  teamName: string | null;
}

export interface BoardInputs {
  now: number;
  day: string;
  store: { storeId: string; name: string };
  /** The store's queues. */
  queues: readonly QueueConfig[];
  counters: ReadonlyMap<string, ContactCounters>;
  /** The store's call takers. */
  people: readonly BoardPerson[];
  statuses: ReadonlyMap<string, AgentStatus>;
  times: ReadonlyMap<string, AgentDayTimes>;
  /** The store's live calls. */
  live: readonly (readonly [string, LiveCallState])[];
  voicemailsWaiting: number;
}

/** States counted as handling a contact (occupancy's numerator) and as available (its idle time). */
const TALK: readonly AgentState[] = ['talking', 'outbound'];
const IDLE: readonly AgentState[] = ['ready', 'reserved', 'ringing'];
const ON_CALL: readonly AgentState[] = ['reserved', 'ringing', 'talking', 'hold', 'outbound'];

/**
 * Occupancy counters of agents: closed periods of today plus the open one up to now. Talk is talking
 * and dialler calls, hold, after-call work is wrap-up; idle is ready and being offered a call.
 */
export function agentTimeCounters(times: AgentDayTimes, status: AgentStatus | undefined, now: number): ContactCounters {
  const t: AgentDayTimes = { ...times };
  if (status && status.state !== 'logged_out' && status.since > 0 && now > status.since) t[status.state] = (t[status.state] ?? 0) + (now - status.since);
  const sum = (states: readonly AgentState[]): number => states.reduce((n, s) => n + (t[s] ?? 0), 0);
  return { ...emptyCounters(), talkMs: sum(TALK), holdMs: t.hold ?? 0, acwMs: t.wrap_up ?? 0, idleMs: sum(IDLE) };
}

function parseMonitor(raw: string | undefined): { supervisorId: string; mode: MonitorMode } | null {
  const m = raw ? /^(.*)\|(listen|whisper|barge)$/.exec(raw) : null;
  return m ? { supervisorId: m[1] as string, mode: m[2] as MonitorMode } : null;
}

function customerOf(s: LiveCallState): string {
  return s.customer ?? s.callbackNumber ?? s.from ?? '';
}

export function storeBoard(i: BoardInputs): StoreBoard {
  const waiting: BoardWaitingCall[] = [];
  const calls: BoardCall[] = [];
  const connectedAt = new Map<string, number>();
  for (const [callId, s] of i.live) {
    if (s.direction === 'inbound' && s.queueId && s.enqueuedAt && (s.phase === 'queued' || s.phase === 'offered' || s.phase === 'connecting' || s.phase === 'callback_waiting')) {
      waiting.push({ callId, queueId: s.queueId, customer: customerOf(s), since: s.enqueuedAt, phase: s.phase, offeredTo: s.offeredTo ?? null });
    }
    if (s.phase === 'connected' && s.agentId && s.connectedAt) {
      connectedAt.set(callId, s.connectedAt);
      calls.push({ callId, agentId: s.agentId, queueId: s.queueId ?? null, customer: customerOf(s), direction: s.direction, connectedAt: s.connectedAt, monitor: parseMonitor(s.monitor) });
    }
  }
  waiting.sort((a, b) => a.since - b.since);
  calls.sort((a, b) => a.connectedAt - b.connectedAt);

  const occupancyCounters = new Map<string, ContactCounters>();
  const agents: BoardAgent[] = i.people.map((p) => {
    const status = i.statuses.get(p.agentId);
    const occ = agentTimeCounters(i.times.get(p.agentId) ?? {}, status, i.now);
    occupancyCounters.set(p.agentId, occ);
    const callId = status?.callId || null;
    return {
      agentId: p.agentId,
      name: p.name,
      teamId: p.teamId,
      teamName: p.teamName,
      state: status?.state ?? 'logged_out',
      reason: status?.reason ?? '',
      since: status?.since ?? 0,
      callId,
      callSince: callId ? (connectedAt.get(callId) ?? null) : null,
      queueIds: [...p.queueIds],
      occupancy: occupancy(occ),
    };
  });
  agents.sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));

  const occupancyOf = (members: readonly BoardAgent[]): number | null => occupancy(members.reduce((c, a) => addCounters(c, occupancyCounters.get(a.agentId) ?? {}), emptyCounters()));

  const queues: BoardQueue[] = i.queues.map((q) => {
    const mine = waiting.filter((w) => w.queueId === q.queueId && w.phase !== 'callback_waiting');
    const members = agents.filter((a) => a.queueIds.includes(q.queueId));
    const counters = i.counters.get(q.queueId) ?? emptyCounters();
    return {
      queueId: q.queueId,
      name: q.name,
      waiting: mine.length,
      oldestWaitingSince: mine.length > 0 ? Math.min(...mine.map((w) => w.since)) : null,
      agentsReady: members.filter((a) => a.state === 'ready').length,
      agentsOnCalls: members.filter((a) => ON_CALL.includes(a.state)).length,
      sl: q.serviceLevel,
      counters,
      figures: { ...figures(counters), occupancy: occupancyOf(members) },
    };
  });
  const total = queues.reduce((c, q) => addCounters(c, q.counters), emptyCounters());
  return {
    storeId: i.store.storeId,
    storeName: i.store.name,
    at: i.now,
    day: i.day,
    queues,
    totals: { counters: total, figures: { ...figures(total), occupancy: occupancyOf(agents) } },
    agents,
    waiting,
    calls,
    callbacksWaiting: waiting.filter((w) => w.phase === 'callback_waiting').length,
    voicemailsWaiting: i.voicemailsWaiting,
  };
}
