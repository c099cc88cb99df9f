import { ABANDON_QUIET_MS, afterAttempt, type CallWindow, gradeRank, nextWindowStart, type RetryRules, withinWindow } from '../../src/dialer/campaign-rules';

const window: CallWindow = { days: [1, 2, 3, 4, 5, 6], from: '09:00', to: '20:00', holidays: ['2026-01-07'] };
const rules: RetryRules = { busyMs: 10 * 60_000, noAnswerMs: 2 * 3600_000, failedMs: 30 * 60_000, machine: 'next_day', maxAttempts: 5 };
const SH = 'Asia/Shanghai';
// Monday 2026-01-05, 09:00 in Shanghai
const MON_0900 = Date.UTC(2026, 0, 5, 1, 0);
const H = 3600_000;

test('call windows are in the lead\'s own time zone, with weekdays and holidays', () => {
  expect(withinWindow(window, SH, MON_0900)).toBe(true);
  expect(withinWindow(window, 'Asia/Urumqi', MON_0900)).toBe(false); // 07:00 there
  expect(withinWindow(window, 'Asia/Urumqi', MON_0900 + 2 * H)).toBe(true);
  expect(withinWindow(window, SH, MON_0900 + 11 * H)).toBe(false); // 20:00 closes
  expect(withinWindow(window, SH, MON_0900 + 48 * H)).toBe(false); // Wednesday 7 Jan: a holiday
  expect(withinWindow(window, SH, MON_0900 + 6 * 24 * H)).toBe(false); // Sunday
  expect(nextWindowStart(window, 'Asia/Urumqi', MON_0900)).toBe(MON_0900 + 2 * H);
  expect(nextWindowStart(window, SH, MON_0900 + 11 * H)).toBe(MON_0900 + 24 * H); // Tuesday 09:00
  expect(nextWindowStart(window, SH, MON_0900 + 35 * H)).toBe(MON_0900 + 72 * H); // Tuesday 20:00 → Thursday 09:00 (holiday skipped)
});

test('retries follow the outcome: busy in minutes, no answer in hours, machine the next day, abandoned not within 72 h', () => {
  const lead = { grade: 'B', attempts: 0, timeZone: SH };
  expect(afterAttempt(lead, 'busy', MON_0900, rules, window)).toEqual({ kind: 'retry', at: MON_0900 + 10 * 60_000 });
  expect(afterAttempt(lead, 'no_answer', MON_0900, rules, window)).toEqual({ kind: 'retry', at: MON_0900 + 2 * H });
  expect(afterAttempt(lead, 'machine', MON_0900 + 3 * H, rules, window)).toEqual({ kind: 'retry', at: MON_0900 + 24 * H });
  const ab = afterAttempt(lead, 'abandoned', MON_0900 + H, rules, window);
  expect(ab.kind).toBe('retry');
  expect((ab as { at: number }).at - (MON_0900 + H)).toBeGreaterThanOrEqual(ABANDON_QUIET_MS);
  // No answer late in the day: the retry lands in the next window, not at night.
  expect(afterAttempt(lead, 'no_answer', MON_0900 + 10 * H, rules, window)).toEqual({ kind: 'retry', at: MON_0900 + 24 * H });
  expect(afterAttempt({ ...lead, attempts: 4 }, 'busy', MON_0900, rules, window)).toEqual({ kind: 'done', reason: 'max_attempts' });
});

test('after a conversation the grade sets the follow-up: A daily, B weekly, C monthly; an agent\'s date wins', () => {
  const at = (grade: string) => (afterAttempt({ grade, attempts: 1, timeZone: SH }, 'connected', MON_0900 + H, rules, window) as { at: number }).at - (MON_0900 + H);
  expect(at('A')).toBe(24 * H);
  expect(at('B')).toBe(7 * 24 * H);
  expect(at('C')).toBe(30 * 24 * H); // Wed 4 Feb 10:00, a weekday in the window
  const chosen = MON_0900 + 3 * 24 * H;
  expect(afterAttempt({ grade: 'C', attempts: 1, timeZone: SH, nextFollowUpAt: chosen }, 'connected', MON_0900, rules, window)).toEqual({ kind: 'follow_up', at: chosen });
  expect([gradeRank('A'), gradeRank('B'), gradeRank('C'), gradeRank(undefined)]).toEqual([0, 1, 2, 3]);
});
