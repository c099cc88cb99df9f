import { addCounters, countQueuedCall, emptyCounters, figures } from '../../src/shared/contact-metrics';

describe('contact-center figures', () => {
  it('computes SL, ASA, AHT and abandon rate from a scripted set of calls, leaving short abandons out', () => {
    let c = emptyCounters();
    const calls = [
      countQueuedCall({ kind: 'answered', waitMs: 5_000, talkMs: 60_000, holdMs: 0, acwMs: 30_000 }),
      countQueuedCall({ kind: 'answered', waitMs: 20_000, talkMs: 120_000, holdMs: 10_000, acwMs: 20_000 }),
      countQueuedCall({ kind: 'answered', waitMs: 40_000, talkMs: 30_000, holdMs: 0, acwMs: 0 }),
      countQueuedCall({ kind: 'abandoned', waitMs: 3_000 }), // short
      countQueuedCall({ kind: 'abandoned', waitMs: 30_000 }),
    ];
    for (const one of calls) c = addCounters(c, one);
    const f = figures(c);
    expect(f.offered).toBe(5);
    expect(f.answered).toBe(3);
    expect(f.abandoned).toBe(2);
    // answered within 20 s: 2; counted: 3 answered + 2 abandoned - 1 short = 4
    expect(f.serviceLevel).toBeCloseTo(0.5);
    expect(f.asaMs).toBeCloseTo(65_000 / 3);
    expect(f.ahtMs).toBeCloseTo(270_000 / 3);
    // (2 - 1) / (5 - 1)
    expect(f.abandonRate).toBeCloseTo(0.25);
  });

  it('has no figure before any call and adds counters of two intervals field by field', () => {
    expect(figures(emptyCounters()).serviceLevel).toBeNull();
    const a = addCounters(emptyCounters(), { talkMs: 30_000, idleMs: 10_000 });
    const b = addCounters(a, { talkMs: 30_000, idleMs: 30_000 });
    expect(figures(b).occupancy).toBeCloseTo(0.6);
  });
});
