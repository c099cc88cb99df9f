import { within } from '../../src/clock/clock';
import { VirtualClock } from '../../src/clock/virtual-clock';

test('timers fire in due order as time is advanced, never before', async () => {
  const clock = new VirtualClock(0);
  const fired: string[] = [];
  clock.setTimer('b', 200, () => fired.push(`b@${clock.now()}`));
  clock.setTimer('a', 100, () => fired.push(`a@${clock.now()}`));
  clock.setTimer('c', 200, () => fired.push(`c@${clock.now()}`));
  await clock.advance(99);
  expect(fired).toEqual([]);
  await clock.advance(101);
  expect(fired).toEqual(['a@100', 'b@200', 'c@200']);
  expect(clock.now()).toBe(200);
});

test('a timer set by a firing timer, within the advanced span, fires in the same advance', async () => {
  const clock = new VirtualClock(0);
  const fired: number[] = [];
  clock.setTimer('first', 10, () => clock.setTimer('second', 10, () => fired.push(clock.now())));
  await clock.advance(50);
  expect(fired).toEqual([20]);
});

test('work awaited between timers runs before the next timer', async () => {
  const clock = new VirtualClock(0);
  const log: string[] = [];
  const sleeper = (async () => {
    await clock.sleep('x', 10);
    log.push('slept');
    await Promise.resolve();
    log.push('after await');
  })();
  clock.setTimer('later', 20, () => log.push('later'));
  await clock.advance(30);
  await sleeper;
  expect(log).toEqual(['slept', 'after await', 'later']);
});

test('cleared timers never fire and pending() names the owners of the rest', async () => {
  const clock = new VirtualClock(0);
  const h = clock.setTimer('call:1:offer', 100, () => {
    throw new Error('should not fire');
  });
  clock.setTimer('call:2:wrap-up', 300, () => undefined);
  clock.clearTimer(h);
  expect(clock.pending().map((p) => p.owner)).toEqual(['call:2:wrap-up']);
  await clock.advance(1000);
  expect(clock.pending()).toEqual([]);
});

test('an async timer callback finishes before the next timer fires', async () => {
  const clock = new VirtualClock(0);
  const log: string[] = [];
  clock.setTimer('slow', 10, async () => {
    await new Promise((r) => setTimeout(r, 30)); // real I/O-like delay
    log.push('slow done');
  });
  clock.setTimer('next', 11, () => log.push('next'));
  await clock.advance(20);
  expect(log).toEqual(['slow done', 'next']);
});

test('a wait with a time limit gives the work its value and leaves no timer behind, or the fallback once the limit passes', async () => {
  const clock = new VirtualClock(0);
  let finish: (v: string) => void = () => undefined;
  const early = within(clock, 'bridge-wait', 2000, new Promise<string>((r) => (finish = r)), 'timed out');
  finish('bridged');
  expect(await early).toBe('bridged');
  expect(clock.pending()).toEqual([]);
  const late = within(clock, 'record-stop', 2000, new Promise<string>(() => undefined), 'timed out');
  await clock.advance(1999);
  expect(clock.pending().map((t) => t.owner)).toEqual(['record-stop']);
  await clock.advance(1);
  expect(await late).toBe('timed out');
});
