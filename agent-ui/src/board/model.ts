import type { AgentState } from '@shared/agent-events';
import type { BoardAgent, StoreBoard } from '@shared/board-events';

/** Pure helpers of the supervisors' board (tested with vitest). */

export type SlTone = 'good' | 'warn' | 'bad' | 'none';

/** At or above the target: good; within 10 points below it: warn; further below: bad. */
export function slTone(sl: number | null, target: number): SlTone {
  if (sl === null) return 'none';
  if (sl >= target) return 'good';
  if (sl >= target - 0.1) return 'warn';
  return 'bad';
}

export const TONE_COLOR: Record<SlTone, string> = { good: '#389e0d', warn: '#d48806', bad: '#cf1322', none: '#8c8c8c' };

/** m:ss under an hour, h:mm:ss after; never negative. */
export function clockText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export function percentText(v: number | null): string {
  return v === null ? '—' : `${Math.round(v * 100)}%`;
}

export function secondsText(ms: number | null): string {
  return ms === null ? '—' : `${Math.round(ms / 1000)}`;
}

/** States grouped as the board colours them. */
export const STATE_COLOR: Record<AgentState, string> = {
  logged_out: 'default',
  not_ready: 'orange',
  ready: 'green',
  reserved: 'cyan',
  ringing: 'cyan',
  talking: 'blue',
  hold: 'purple',
  wrap_up: 'gold',
  outbound: 'geekblue',
};

export interface AgentFilter {
  storeId: string | 'all';
  teamId: string | 'all';
  state: AgentState | 'all';
}

/** Every agent of the chosen stores once (an agent of two stores is on both boards), filtered. */
export function agentsOf(boards: readonly StoreBoard[], f: AgentFilter): BoardAgent[] {
  const seen = new Map<string, BoardAgent>();
  for (const b of boards) {
    if (f.storeId !== 'all' && b.storeId !== f.storeId) continue;
    for (const a of b.agents) if (!seen.has(a.agentId)) seen.set(a.agentId, a);
  }
  return [...seen.values()].filter((a) => (f.teamId === 'all' || a.teamId === f.teamId) && (f.state === 'all' || a.state === f.state));
}

/** Agents by state (logged-out left out), for the wallboard. */
export function stateCounts(agents: readonly BoardAgent[]): Partial<Record<AgentState, number>> {
  const out: Partial<Record<AgentState, number>> = {};
  for (const a of agents) if (a.state !== 'logged_out') out[a.state] = (out[a.state] ?? 0) + 1;
  return out;
}

/** Boards by store, keeping the newest of each (an older one arriving late is ignored). */
export function mergeBoard(boards: ReadonlyMap<string, StoreBoard>, b: StoreBoard): Map<string, StoreBoard> {
  const next = new Map(boards);
  const cur = next.get(b.storeId);
  if (!cur || cur.at <= b.at) next.set(b.storeId, b);
  return next;
}
