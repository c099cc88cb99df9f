import { erlangC, serviceLevelFor, staffing } from '../../src/reports/erlang-c';

/** Erlang C against published values (Erlang C tables; the Call Centre Helper worked example). */

test('probability of waiting matches the Erlang C table for 10 Erlangs', () => {
  expect(erlangC(11, 10)).toBeCloseTo(0.6821, 3);
  expect(erlangC(12, 10)).toBeCloseTo(0.4494, 3);
  expect(erlangC(13, 10)).toBeCloseTo(0.2853, 3);
  expect(erlangC(14, 10)).toBeCloseTo(0.1741, 3);
  expect(erlangC(10, 10)).toBe(1); // no more agents than traffic: everyone waits
  expect(erlangC(2, 1)).toBeCloseTo(1 / 3, 6); // M/M/2 with a = 1: C = a²/(2+a)·… = 1/3
});

test('100 calls in 30 minutes, AHT 180 s, 80/20, 30 % shrinkage → 14 agents on the phones, 20 scheduled', () => {
  const r = staffing({ calls: 100, intervalSec: 1800, ahtSec: 180, targetSl: 0.8, thresholdSec: 20, shrinkage: 0.3 });
  expect(r.erlangs).toBe(10);
  expect(r.agents).toBe(14);
  expect(r.scheduled).toBe(20);
  expect(r.serviceLevel).toBeCloseTo(0.8884, 3);
  expect(r.asaSec).toBeCloseTo(7.83, 1);
  expect(r.occupancy).toBeCloseTo(10 / 14, 6);
  // one agent fewer misses the target
  expect(serviceLevelFor(13, 10, 180, 20)).toBeLessThan(0.8);
});

test('no calls need no agents; a higher target needs more; bad input is refused', () => {
  expect(staffing({ calls: 0, intervalSec: 900, ahtSec: 300, targetSl: 0.8, thresholdSec: 20, shrinkage: 0.3 }).agents).toBe(0);
  const base = { calls: 40, intervalSec: 900, ahtSec: 240, thresholdSec: 20, shrinkage: 0 };
  expect(staffing({ ...base, targetSl: 0.95 }).agents).toBeGreaterThan(staffing({ ...base, targetSl: 0.8 }).agents);
  expect(() => staffing({ ...base, targetSl: 0.8, shrinkage: 1 })).toThrow(RangeError);
});
