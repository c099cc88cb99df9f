import type { QueueConfig } from '../../src/acd/queue-directory';
import { DEFAULT_SL, emptyCounters } from '../../src/shared/contact-metrics';
import { agentTimeCounters, storeBoard, type BoardInputs } from '../../src/supervisor/board-snapshot';
import { dayOf } from '../../src/supervisor/board-day';

const T0 = Date.UTC(2026, 0, 5, 1, 0, 0); // 09:00 in Shanghai

function queue(queueId: string, target = 0.8): QueueConfig {
  return { queueId, name: queueId, storeId: 's1', numbers: [], greetingPrompt: 'welcome', offerTimeoutMs: 15_000, wrapUpMs: 60_000, strategy: 'longest_idle', maxWaitMs: undefined, overflow: undefined, preferredWaitMs: 0, dispositionCodes: [], announceEveryMs: undefined, callbackKey: undefined, wrapUpExtendMaxMs: 0, requireDisposition: false, active: true, serviceLevel: { ...DEFAULT_SL, target } };
}

function inputs(over: Partial<BoardInputs>): BoardInputs {
  return { now: T0, day: '2026-01-05', store: { storeId: 's1', name: '浦东' }, queues: [], counters: new Map(), people: [], statuses: new Map(), times: new Map(), live: [], voicemailsWaiting: 0, ...over };
}

describe('the live board of a store (pure)', () => {
  test('the day of the counters is the local day of the board time zone', () => {
    expect(dayOf(Date.UTC(2026, 0, 4, 16, 30), 'Asia/Shanghai')).toBe('2026-01-05'); // 00:30 in Shanghai
    expect(dayOf(Date.UTC(2026, 0, 4, 15, 30), 'Asia/Shanghai')).toBe('2026-01-04');
  });

  test("occupancy counts today's closed periods and the open one: talk, hold and wrap-up over those plus ready and being offered", () => {
    const c = agentTimeCounters({ ready: 60_000, talking: 120_000, wrap_up: 30_000, not_ready: 500_000 }, { state: 'hold', since: T0 - 30_000, reason: '', callId: 'c1' }, T0);
    expect(c).toMatchObject({ talkMs: 120_000, holdMs: 30_000, acwMs: 30_000, idleMs: 60_000 });
    expect(agentTimeCounters({}, { state: 'logged_out', since: T0 - 1000, reason: '', callId: '' }, T0)).toEqual(emptyCounters());
  });

  test('waiting calls, connected calls, agents and figures per queue; callbacks apart; SL from the counters against each queue target', () => {
    const counters = new Map([['sales', { ...emptyCounters(), offered: 10, answered: 8, abandoned: 2, shortAbandoned: 1, answeredInSl: 6, answeredWaitMs: 80_000, handled: 8, talkMs: 800_000, acwMs: 160_000 }]]);
    const b = storeBoard(
      inputs({
        queues: [queue('sales'), queue('service', 0.9)],
        counters,
        people: [
          { agentId: 'a1', name: '王丽', storeIds: ['s1'], queueIds: ['sales'], teamId: 't1', teamName: '一组' },
          { agentId: 'a2', name: '李强', storeIds: ['s1'], queueIds: ['sales', 'service'], teamId: null, teamName: null },
        ],
        statuses: new Map([
          ['a1', { state: 'talking', since: T0 - 20_000, reason: '', callId: 'c2' }],
          ['a2', { state: 'ready', since: T0 - 5_000, reason: '', callId: '' }],
        ]),
        live: [
          ['c1', { owner: 'i1', phase: 'queued', direction: 'inbound', queueId: 'sales', storeId: 's1', enqueuedAt: T0 - 40_000, from: '+8613800000001' }],
          ['c3', { owner: 'i1', phase: 'offered', direction: 'inbound', queueId: 'sales', storeId: 's1', enqueuedAt: T0 - 10_000, from: '+8613800000003', offeredTo: 'a2' }],
          ['c4', { owner: 'i1', phase: 'callback_waiting', direction: 'inbound', queueId: 'service', storeId: 's1', enqueuedAt: T0 - 90_000, from: '+8613800000004', callbackNumber: '+8613900000004' }],
          ['c2', { owner: 'i2', phase: 'connected', direction: 'inbound', queueId: 'sales', storeId: 's1', agentId: 'a1', connectedAt: T0 - 20_000, from: '+8613800000002', monitor: 'sup|whisper' }],
        ],
        voicemailsWaiting: 2,
      }),
    );
    const sales = b.queues.find((q) => q.queueId === 'sales');
    expect(sales).toMatchObject({ waiting: 2, oldestWaitingSince: T0 - 40_000, agentsReady: 1, agentsOnCalls: 1 });
    // SL = 6 / (8 + 2 - 1)
    expect(sales?.figures.serviceLevel).toBeCloseTo(6 / 9);
    expect(sales?.figures.asaMs).toBe(10_000);
    expect(sales?.figures.ahtMs).toBe(120_000);
    expect(b.queues.find((q) => q.queueId === 'service')).toMatchObject({ waiting: 0, oldestWaitingSince: null, sl: { target: 0.9 } });
    expect(b.waiting.map((w) => w.callId)).toEqual(['c4', 'c1', 'c3']);
    expect(b.callbacksWaiting).toBe(1);
    expect(b.waiting.find((w) => w.callId === 'c4')?.customer).toBe('+8613900000004');
    expect(b.calls).toEqual([{ callId: 'c2', agentId: 'a1', queueId: 'sales', customer: '+8613800000002', direction: 'inbound', connectedAt: T0 - 20_000, monitor: { supervisorId: 'sup', mode: 'whisper' } }]);
    expect(b.agents.find((a) => a.agentId === 'a1')).toMatchObject({ state: 'talking', callId: 'c2', callSince: T0 - 20_000, teamName: '一组' });
    expect(b.totals.counters.offered).toBe(10);
    expect(b.voicemailsWaiting).toBe(2);
  });
});
