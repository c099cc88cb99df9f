import { callIn, readyAgent } from '../support/call-steps';
import { TestCrm } from '../support/fake-crm';
import { startTestApp, type TestApp } from '../support/test-app';

/** Screen-pops from the dealer's own CRM: never more than 300 ms late, completed when it answers. */

interface Pop {
  callId: string;
  customerPending: boolean;
  customer: null | { name: string; externalId?: string; grade?: string; funnel: { kind: string }[]; lastCalls: unknown[] };
}

let t: TestApp;
let crm: TestCrm;
beforeEach(async () => {
  crm = await TestCrm.start();
  crm.cards.set('+8613600001111', {
    id: 'DMS-88001',
    name: '黄磊',
    phones: ['+8613600001111'],
    grade: 'B',
    status: 'defeated',
    defeatReason: '等新款',
    modelsConsidered: ['Model Y'],
    funnel: [
      { at: '2026-10-01T10:00:00+08:00', kind: 'visit', storeId: 'sh-pudong', model: 'Model Y', grade: 'C' },
      { at: '2026-10-08T10:00:00+08:00', kind: 'grade_change', grade: 'B' },
    ],
  });
  t = await startTestApp({ crmUrl: crm.url });
});
afterEach(async () => {
  await t.stop();
  await crm.stop();
});

test('a CRM that answers in time fills the pop in the first push', async () => {
  const agent = await readyAgent(t, 'x1');
  await callIn(t, '13600001111');
  const pop = await agent.next<Pop>('call:offer');
  expect(pop.customerPending).toBe(false);
  expect(pop.customer).toMatchObject({ name: '黄磊', externalId: 'DMS-88001', grade: 'B', funnel: [{ kind: 'visit' }, { kind: 'grade_change' }] });
});

test('a slow CRM does not hold the pop more than the budget; the card follows in an update, and the next call is served from cache', async () => {
  crm.lookupDelayMs = 1500;
  const agent = await readyAgent(t, 'x2');
  await callIn(t, '13600001111');
  const pop = await agent.next<Pop>('call:offer', () => true, 1400);
  expect(crm.lookupsAnswered).toBe(0); // the pop went out before the CRM answered
  expect(pop).toMatchObject({ customerPending: true, customer: null });
  const update = await agent.next<{ callId: string; customer: Pop['customer'] }>('call:offer_update', () => true, 3000);
  expect(update).toMatchObject({ callId: pop.callId, customer: { name: '黄磊', externalId: 'DMS-88001' } });

  // Same caller again, CRM still slow: the cached card is in the first push.
  const lookups = crm.lookups;
  const agent2 = await readyAgent(t, 'x3');
  await callIn(t, '13600001111');
  const again = await agent2.next<Pop>('call:offer', () => true, 1400);
  expect(again).toMatchObject({ customerPending: false, customer: { name: '黄磊' } });
  expect(crm.lookups).toBe(lookups);
});

test('a CRM that is down leaves the built-in card in the pop, without delay', async () => {
  crm.down = true;
  await t.app.models.Customer.create({ name: '林峰', phones: ['+8613600002222'], status: 'defeated', grade: 'C' });
  const agent = await readyAgent(t, 'x4');
  await callIn(t, '13600002222');
  const pop = await agent.next<Pop>('call:offer');
  expect(pop).toMatchObject({ customerPending: false, customer: { name: '林峰', grade: 'C' } });
});
