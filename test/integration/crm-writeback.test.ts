import { randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import type { CrmOutcomeEvent } from '../../src/calls/dispositions';
import { createLogger } from '../../src/log';
import { HttpCrmClient } from '../../src/outcomes/crm-http-client';
import { CrmWriteback } from '../../src/outcomes/crm-writeback';
import { TestCrm } from '../support/fake-crm';
import { testServices } from '../support/test-app';
import { eventually } from '../support/wait';

/** Outcomes reach an external CRM exactly once, through outages, via the Redis job queue. */

let crm: TestCrm;
let wb: CrmWriteback;
const prefix = `t-crm-${randomUUID().slice(0, 8)}`;

function outcome(n: number): CrmOutcomeEvent {
  return { callId: randomUUID(), customerId: undefined, agentUsername: '1001', queueId: 'dcc-inbound', code: 'info_given', notes: `call ${n}`, at: new Date().toISOString() };
}

function start(crmUrl: string, surviveMs = 20_000): CrmWriteback {
  const w = new CrmWriteback({
    redisUrl: testServices().redisUrl,
    prefix: `${prefix}-${randomUUID().slice(0, 4)}`,
    client: new HttpCrmClient({ baseUrl: crmUrl, token: 'crm-token', timeoutMs: 2000 }),
    backoff: { baseMs: 50, maxMs: 400 },
    surviveMs,
    log: createLogger('silent'),
  });
  w.start();
  return w;
}

beforeEach(async () => {
  crm = await TestCrm.start();
});
afterEach(async () => {
  await wb.stop();
  await crm.stop();
  const admin = new IORedis(testServices().redisUrl);
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length) await admin.del(...keys);
  admin.disconnect();
});

test('a CRM that is down receives every outcome exactly once when it comes back; duplicates are queued once', async () => {
  crm.down = true;
  wb = start(crm.url);
  const outcomes = Array.from({ length: 30 }, (_, i) => outcome(i));
  for (const o of outcomes) await wb.enqueue(o);
  for (const o of outcomes.slice(0, 5)) await wb.enqueue(o); // recorded twice (e.g. a retried socket event)
  await eventually(() => crm.requests.length >= 60, 'retries during the outage');
  expect(crm.stored.size).toBe(0);
  crm.down = false;
  await eventually(() => crm.stored.size === 30, 'all outcomes delivered after the outage', 15_000);
  await eventually(async () => (await wb.counts()).completed === 30, 'every job completed');
  for (const o of outcomes) expect(crm.accepted(o.callId)).toBe(1);
  expect(crm.stored.get(outcomes[7]?.callId ?? '')).toMatchObject({ notes: 'call 7', code: 'info_given' });
  expect(await wb.deadLetters()).toEqual([]);
});

test('an outcome the CRM refuses goes to the dead-letter list after one attempt, and can be replayed once fixed', async () => {
  wb = start(crm.url);
  const [bad, good] = [outcome(1), outcome(2)];
  crm.rejectKeys.add(bad.callId);
  await wb.enqueue(bad);
  await wb.enqueue(good);
  await eventually(async () => (await wb.deadLetters()).length === 1, 'the dead letter');
  const [dead] = await wb.deadLetters();
  expect(dead).toMatchObject({ outcome: { callId: bad.callId }, attempts: 1, error: expect.stringContaining('400') });
  expect(crm.requests.filter((r) => r.key === bad.callId)).toHaveLength(1);
  await eventually(() => crm.accepted(good.callId) === 1, 'the good outcome');
  crm.rejectKeys.clear();
  expect(await wb.replayDeadLetters()).toBe(1);
  await eventually(() => crm.accepted(bad.callId) === 1, 'the replayed outcome');
  expect(await wb.deadLetters()).toEqual([]);
});

test('a CRM that cannot be reached at all is retried, and dead-lettered only when the survival window is over', async () => {
  const closed = await TestCrm.start();
  const url = closed.url;
  await closed.stop(); // connection refused from now on
  wb = start(url, 1_000);
  const o = outcome(3);
  await wb.enqueue(o);
  await eventually(async () => (await wb.deadLetters()).length === 1, 'the dead letter after the window', 10_000);
  const [dead] = await wb.deadLetters();
  expect(dead?.attempts).toBeGreaterThan(3);
  expect(dead?.error).toMatch(/CRM unreachable/);
});
