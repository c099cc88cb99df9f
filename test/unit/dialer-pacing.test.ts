import { adaptAveragePacer } from '../../src/dialer/pacing/adapt-average';
import { normalCdf, LiveStats } from '../../src/dialer/pacing/live-stats';
import { type PacingSnapshot, previewWithReview, progressivePacer } from '../../src/dialer/pacing/pacer';
import { abandonTarget, expectedOutcome, freeAgentsDistribution, predictivePacer } from '../../src/dialer/pacing/predictive';
import { MemoryAbandonLedger, windowDays } from '../../src/dialer/abandon-ledger';

const snap = (o: Partial<PacingSnapshot> = {}): PacingSnapshot => ({
  now: 0,
  loggedIn: 10,
  ready: 0,
  soonFree: [],
  inFlight: 0,
  talking: 10,
  liveAnswerRate: 0.25,
  answered30d: 1000,
  abandoned30d: 10,
  abandonRate30d: 0.01,
  abandonLimit: 0.03,
  ...o,
});

test('nobody logged in: no pacer dials', () => {
  for (const p of [progressivePacer, predictivePacer(), adaptAveragePacer()]) expect(p.decide(snap({ loggedIn: 0, ready: 0, talking: 0 }))).toBe(0);
});

test('progressive: one call per ready agent without a call ringing for them', () => {
  expect(progressivePacer.decide(snap({ ready: 3, inFlight: 1 }))).toBe(2);
  expect(progressivePacer.decide(snap({ ready: 1, inFlight: 2 }))).toBe(0);
});

test('preview: a free agent dials only after reading the card for the review time', () => {
  const p = previewWithReview(10_000);
  expect(p.decide(snap({ now: 0, ready: 2 }))).toBe(0);
  expect(p.decide(snap({ now: 9_000, ready: 2 }))).toBe(0);
  expect(p.decide(snap({ now: 10_000, ready: 2 }))).toBe(2);
});

test('free-agent and answer distributions: exact expectations', () => {
  const free = freeAgentsDistribution(1, [0.5]);
  expect(free).toEqual([0, 0.5, 0.5]);
  // 2 calls, p = 0.5, exactly 1 free agent: abandons = P(A = 2) × 1 = 0.25
  expect(expectedOutcome(2, 0.5, [0, 1]).abandons).toBeCloseTo(0.25, 10);
  expect(expectedOutcome(2, 0.5, [0, 1]).answers).toBeCloseTo(1, 10);
  expect(expectedOutcome(3, 0.25, [1]).abandons).toBeCloseTo(0.75, 10); // nobody free: every answer is abandoned
});

test('predictive dials ahead of agents about to be free, and less as the 30-day ledger fills up', () => {
  const busy = new Array(10).fill(0.5);
  const roomy = predictivePacer().decide(snap({ soonFree: busy, answered30d: 2000, abandoned30d: 10 }));
  const tight = predictivePacer().decide(snap({ soonFree: busy, answered30d: 2000, abandoned30d: 45 }));
  expect(roomy).toBeGreaterThan(0);
  expect(tight).toBeLessThan(roomy);
  // At the limit it falls back to progressive: no agent ready, no call.
  expect(predictivePacer().decide(snap({ soonFree: busy, answered30d: 2000, abandoned30d: 70 }))).toBe(0);
  expect(abandonTarget(1000, 50, 0.03, 0.8, 200)).toBe(0);
  expect(abandonTarget(1000, 0, 0.03, 0.8, 200)).toBeCloseTo(0.024, 10); // slack is not spent faster than the aim
  expect(abandonTarget(100, 0, 0.03, 0.8, 200)).toBe(0); // a young ledger: progressive only
});

test('ADAPT_AVERAGE reference: the dial level rises while agents wait and falls when drops exceed the target', () => {
  const p = adaptAveragePacer({ target: 0.03, maxLevel: 4, intervalMs: 15_000, step: 0.2 });
  p.decide(snap({ now: 0, ready: 5, talking: 5, abandonRate30d: 0.01 }));
  expect(p.level()).toBeCloseTo(1.1, 10);
  p.decide(snap({ now: 15_000, ready: 5, talking: 5, abandonRate30d: 0.06 }));
  expect(p.level()).toBe(1); // bounded below by 1.0
  // Lines = level × (ready + incall) − (ringing + incall)
  expect(p.decide(snap({ now: 16_000, ready: 4, talking: 6, inFlight: 1 }))).toBe(3);
});

test('live statistics: talk-time hazard grows with the horizon; normal CDF is accurate', () => {
  const s = new LiveStats({ priorTalkMs: 180_000 });
  expect(s.endsWithin(60_000, 10_000)).toBeLessThan(s.endsWithin(60_000, 60_000));
  expect(normalCdf(0)).toBeCloseTo(0.5, 6);
  expect(normalCdf(1.96)).toBeCloseTo(0.975, 3);
  for (let i = 0; i < 200; i++) s.callOutcome(i % 2 === 0, 8000);
  expect(s.liveAnswerRate).toBeGreaterThan(0.45);
});

test('abandon ledger: a rolling 30-day window', async () => {
  const day = 86_400_000;
  const l = new MemoryAbandonLedger();
  await l.record('c', 0, { answered: 100, abandoned: 10 });
  await l.record('c', 20 * day, { answered: 100, abandoned: 0 });
  expect((await l.rate30d('c', 20 * day)).rate).toBeCloseTo(0.05, 10);
  expect((await l.rate30d('c', 31 * day)).rate).toBe(0); // the first day left the window
  expect(windowDays(29 * day)).toHaveLength(30);
});
