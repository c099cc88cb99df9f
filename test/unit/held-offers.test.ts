import { HeldOffers } from '../../src/calls/held-offers';
import { VirtualClock } from '../../src/clock/virtual-clock';

function setUp(maxWaitMs = 8_000) {
  const clock = new VirtualClock();
  let up = false;
  const went: string[] = [];
  const refused: string[] = [];
  const held = new HeldOffers({ clock, storesUp: () => up, maxWaitMs, everyMs: 100 });
  const hold = (leg: string) => held.hold(leg, () => went.push(leg), () => refused.push(leg));
  return { clock, held, hold, went, refused, setUp: (v: boolean) => (up = v) };
}

test('a call held while the stores are away goes on within 100 ms of their return', async () => {
  const t = setUp();
  t.hold('leg-1');
  await t.clock.advance(3_000);
  expect(t.went).toEqual([]);
  t.setUp(true);
  await t.clock.advance(100);
  expect(t.went).toEqual(['leg-1']);
  expect(t.refused).toEqual([]);
  expect(t.held.size).toBe(0);
});

test('a call held longer than the wait is refused, once', async () => {
  const t = setUp(8_000);
  t.hold('leg-1');
  await t.clock.advance(7_900);
  expect(t.refused).toEqual([]);
  await t.clock.advance(200);
  expect(t.refused).toEqual(['leg-1']);
  t.setUp(true);
  await t.clock.advance(1_000);
  expect(t.went).toEqual([]);
});

test('a caller who hangs up while held is forgotten; other legs are not held here', async () => {
  const t = setUp();
  t.hold('leg-1');
  expect(t.held.drop('leg-2')).toBe(false);
  expect(t.held.drop('leg-1')).toBe(true);
  t.setUp(true);
  await t.clock.advance(10_000);
  expect(t.went).toEqual([]);
  expect(t.refused).toEqual([]);
});

test('shutdown refuses every held call at once', async () => {
  const t = setUp();
  t.hold('a');
  t.hold('b');
  const now: string[] = [];
  t.held.refuseAll((leg) => now.push(leg));
  expect(now.sort()).toEqual(['a', 'b']);
  await t.clock.advance(10_000);
  expect(t.refused).toEqual([]);
});
