import pino from 'pino';
import { quietErrors } from '../../src/util/quiet-errors';

test('a burst of the same worker error is one log line, then one line per interval counting the rest', () => {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  let now = 0;
  const report = quietErrors(log, 'worker error', 30_000, () => now);
  for (let i = 0; i < 300; i++) {
    report(new Error('All sentinels are unreachable'));
    now += 100; // every 100 ms for 30 s
  }
  report(new Error('connect ECONNREFUSED'));
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatchObject({ msg: 'worker error', err: { message: 'All sentinels are unreachable' } });
  expect(lines[1]).toMatchObject({ msg: 'worker error', repeatedSinceLastLine: 299, err: { message: 'connect ECONNREFUSED' } });
});
