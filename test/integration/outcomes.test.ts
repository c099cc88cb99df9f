import { TestCrm } from '../support/fake-crm';
import { acceptAndConnect, callIn, readyAgent, type Offer } from '../support/call-steps';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

/** What an agent records after a call reaches the CRM: funnel, grade, appointment, follow-up. */

let t: TestApp;
afterEach(async () => {
  await t.stop();
});

async function talkedAndEnded(from: string, agentName: string) {
  const agent = await readyAgent(t, agentName);
  const caller = await callIn(t, from);
  const offer = await agent.next<Offer>('call:offer');
  await acceptAndConnect(t, agent, offer.callId);
  await t.clock.advance(90_000);
  caller.hangup();
  await agent.state('wrap_up');
  return { agent, callId: offer.callId };
}

test('an appointment, a grade change and the next follow-up land on the customer, and the consultant is told at once', async () => {
  t = await startTestApp();
  const customer = await t.app.models.Customer.create({ name: '周杰', phones: ['+8613700001111'], status: 'defeated', grade: 'C', owningStoreId: 'sh-pudong' });
  const consultant = await t.agent('gu', { roles: ['sales_consultant'], queueIds: [] });
  await t.app.models.User.updateOne({ username: 'gu' }, { $set: { storeIds: ['sh-pudong'] } });
  const { agent, callId } = await talkedAndEnded('13700001111', 'ag');
  const at = new Date(t.clock.now() + 3 * 86_400_000).toISOString();
  const ack = await agent.send('call:disposition', {
    callId,
    code: 'appointment_set',
    notes: '周六上午到店看 Model Y',
    appointment: { storeId: 'sh-pudong', consultant: 'gu', at },
    grade: 'A',
    nextFollowUpAt: new Date(t.clock.now() + 86_400_000).toISOString(),
  });
  expect(ack).toEqual({ ok: true });
  const notice = await consultant.next<{ callId: string; at: string; bookedBy: string; storeId: string }>('appointment:new');
  expect(notice).toMatchObject({ callId, at, bookedBy: 'ag', storeId: 'sh-pudong' });
  const after = await t.app.models.Customer.findById(customer._id).lean();
  expect(after?.grade).toBe('A');
  expect(after?.nextFollowUpAt?.getTime()).toBe(t.clock.now() + 86_400_000);
  expect(after?.funnel.map((f) => f.kind)).toEqual(['call', 'grade_change', 'appointment']);
  expect(after?.funnel.find((f) => f.kind === 'grade_change')?.note).toBe('C→A');
  const d = await t.app.models.Disposition.findById(callId).lean();
  expect(d).toMatchObject({ code: 'appointment_set', grade: 'A', appointment: { consultant: 'gu', storeId: 'sh-pudong' } });
  await agent.state('ready');
});

test.each([
  ['a consultant who does not exist', { appointment: { storeId: 'sh-pudong', consultant: 'nobody', at: '2030-01-01T10:00:00+08:00' } }, 'appointment.consultant: no user "nobody"'],
  ['an appointment in the past', { appointment: { storeId: 'sh-pudong', consultant: 'gu2', at: '2020-01-01T10:00:00+08:00' } }, 'appointment.at must be in the future'],
  ['a grade that does not exist', { grade: 'Z' }, 'grade'],
  ['a date that is not a date', { nextFollowUpAt: 'next tuesday' }, 'nextFollowUpAt must be an ISO date-time'],
  ['an unknown field', { colour: 'red' }, 'colour'],
])('a disposition with %s is refused with a reason, nothing is written, and the agent can correct it', async (_what, extra, message) => {
  t = await startTestApp();
  await t.app.models.Customer.create({ name: '吴敏', phones: ['+8613700002222'], status: 'defeated', grade: 'B' });
  await t.agent('gu2', { roles: ['sales_consultant'], queueIds: [] });
  await t.app.models.User.updateOne({ username: 'gu2' }, { $set: { storeIds: ['sh-pudong'] } });
  const { agent, callId } = await talkedAndEnded('13700002222', 'ah');
  const ack = await agent.send('call:disposition', { callId, code: 'appointment_set', notes: '', ...extra });
  expect(ack).toMatchObject({ ok: false, error: expect.stringContaining(message) });
  expect(await t.app.models.Disposition.findById(callId).lean()).toBeNull();
  expect((await t.app.models.Customer.findOne({ name: '吴敏' }).lean())?.funnel).toHaveLength(0);
  expect((await t.app.agents.get('ah')).state).toBe('wrap_up');
  expect(await agent.send('call:disposition', { callId, code: 'info_given', notes: '改为下次再约' })).toEqual({ ok: true });
  await eventually(async () => (await t.app.models.Disposition.findById(callId).lean())?.code === 'info_given', 'the corrected disposition');
});

test('the outcome reaches the external CRM once, with the grade change, after the CRM recovers from an outage', async () => {
  const crm = await TestCrm.start();
  crm.down = true;
  try {
    t = await startTestApp({ crmUrl: crm.url });
    await t.app.models.Customer.create({ name: '郑爽', phones: ['+8613700003333'], status: 'defeated', grade: 'B' });
    const { agent, callId } = await talkedAndEnded('13700003333', 'ai');
    expect(await agent.send('call:disposition', { callId, code: 'callback_requested', notes: '下周再联系', grade: 'A' })).toEqual({ ok: true });
    await eventually(() => crm.requests.filter((r) => r.status === 503).length >= 3, 'attempts during the outage');
    crm.down = false;
    await eventually(() => crm.accepted(callId) === 1, 'the outcome at the CRM', 10_000);
    expect(crm.stored.get(callId)).toMatchObject({ callId, agentUsername: 'ai', code: 'callback_requested', gradeChange: { from: 'B', to: 'A' } });
  } finally {
    await crm.stop();
  }
});
