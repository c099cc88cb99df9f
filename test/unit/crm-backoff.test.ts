import { attemptsToCover, retryDelayMs } from '../../src/util/backoff';
import { classifyCrmResponse } from '../../src/outcomes/crm-http-client';

test('retry waits double from the base and stop growing at the cap; jitter stays within ±20%', () => {
  const o = { baseMs: 5_000, maxMs: 300_000 };
  expect([1, 2, 3, 4].map((a) => retryDelayMs(a, o))).toEqual([5_000, 10_000, 20_000, 40_000]);
  expect(retryDelayMs(10, o)).toBe(300_000);
  expect(retryDelayMs(1, o, () => 0)).toBe(4_000);
  expect(retryDelayMs(1, o, () => 1)).toBe(6_000);
  expect(retryDelayMs(20, o, () => 1)).toBe(300_000);
});

test('enough attempts are made to outlast an outage of the configured window', () => {
  const o = { baseMs: 5_000, maxMs: 300_000 };
  const n = attemptsToCover(3_600_000, o);
  let total = 0;
  for (let a = 1; a < n; a++) total += retryDelayMs(a, o);
  expect(total).toBeGreaterThanOrEqual(3_600_000);
  expect(total - retryDelayMs(n - 1, o)).toBeLessThan(3_600_000);
});

test('CRM answers: delivered, retried or refused', () => {
  expect(['200', '201', '204', '409'].map((s) => classifyCrmResponse(Number(s)))).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
  expect([408, 429, 500, 502, 503].map(classifyCrmResponse)).toEqual(['retry', 'retry', 'retry', 'retry', 'retry']);
  expect([400, 401, 403, 404, 422].map(classifyCrmResponse)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
});
