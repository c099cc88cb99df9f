import { describe, expect, it } from 'vitest';
import type { BoardAgent, StoreBoard } from '@shared/board-events';
import { agentsOf, clockText, mergeBoard, slTone, stateCounts } from './model';

function agent(agentId: string, state: BoardAgent['state'], teamId: string | null = null): BoardAgent {
  return { agentId, name: agentId, teamId, teamName: teamId, state, reason: '', since: 0, callId: null, callSince: null, queueIds: [], occupancy: null };
}

function board(storeId: string, at: number, agents: BoardAgent[]): StoreBoard {
  const counters = { offered: 0, answered: 0, abandoned: 0, shortAbandoned: 0, answeredInSl: 0, answeredWaitMs: 0, handled: 0, talkMs: 0, holdMs: 0, acwMs: 0, idleMs: 0 };
  const figures = { offered: 0, answered: 0, abandoned: 0, serviceLevel: null, asaMs: null, ahtMs: null, abandonRate: null, occupancy: null };
  return { storeId, storeName: storeId, at, day: '2026-01-05', queues: [], totals: { counters, figures }, agents, waiting: [], calls: [], callbacksWaiting: 0, voicemailsWaiting: 0 };
}

describe('board model', () => {
  it('colours SL against the target: met, within 10 points, below', () => {
    expect(slTone(0.85, 0.8)).toBe('good');
    expect(slTone(0.8, 0.8)).toBe('good');
    expect(slTone(0.72, 0.8)).toBe('warn');
    expect(slTone(0.5, 0.8)).toBe('bad');
    expect(slTone(null, 0.8)).toBe('none');
  });

  it('shows durations as m:ss and h:mm:ss', () => {
    expect(clockText(0)).toBe('0:00');
    expect(clockText(65_400)).toBe('1:05');
    expect(clockText(3_725_000)).toBe('1:02:05');
    expect(clockText(-5)).toBe('0:00');
  });

  it('lists an agent of two stores once and filters by store, team and state', () => {
    const a = agent('a', 'ready', 't1');
    const boards = [board('s1', 1, [a, agent('b', 'talking', 't2')]), board('s2', 1, [a, agent('c', 'not_ready', 't1')])];
    expect(agentsOf(boards, { storeId: 'all', teamId: 'all', state: 'all' }).map((x) => x.agentId)).toEqual(['a', 'b', 'c']);
    expect(agentsOf(boards, { storeId: 's2', teamId: 'all', state: 'all' }).map((x) => x.agentId)).toEqual(['a', 'c']);
    expect(agentsOf(boards, { storeId: 'all', teamId: 't1', state: 'not_ready' }).map((x) => x.agentId)).toEqual(['c']);
    expect(stateCounts(agentsOf(boards, { storeId: 'all', teamId: 'all', state: 'all' }))).toEqual({ ready: 1, talking: 1, not_ready: 1 });
  });

  it('keeps the newest board of a store', () => {
    let m = mergeBoard(new Map(), board('s1', 10, []));
    m = mergeBoard(m, board('s1', 5, [agent('late', 'ready')]));
    expect(m.get('s1')?.at).toBe(10);
    m = mergeBoard(m, board('s1', 11, [agent('new', 'ready')]));
    expect(m.get('s1')?.agents[0]?.agentId).toBe('new');
  });
});
