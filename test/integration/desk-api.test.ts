import { hashPassword } from '../../src/auth/passwords';
import { DoNotCall } from '../../src/dialer/dnc';
import type { CallbackList, Colleague, ConsultantDay, MeProfile, MyStats } from '../../src/shared/desk-api';
import type { Role } from '../../src/store/models';
import { armed, callIn, readyAgent } from '../support/call-steps';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

/** What the web desk reads and does over REST and the socket beyond the call controls (src/api/desk-routes.ts, agent-dialling.ts). */

let t: TestApp;
const DAY = 86_400_000;

beforeEach(async () => {
  t = await startTestApp({ queues: [{ queueId: 'sales', name: '销售热线', storeId: 'sh-pudong', numbers: ['4008001234'], dispositionCodes: ['appointment_set', 'info_given'], preferredWaitMs: 0 }] });
  await t.app.models.Store.create({ _id: 'sh-pudong', groupId: 'g', name: '浦东 4S 店', timeZone: 'Asia/Shanghai' });
  await t.app.models.Store.create({ _id: 'bj-chaoyang', groupId: 'g', name: '朝阳店', timeZone: 'Asia/Shanghai' });
});
afterEach(async () => {
  await t.stop();
});

async function user(username: string, roles: Role[], extra: Record<string, unknown> = {}): Promise<string> {
  await t.app.models.User.create({ username, displayName: `用户 ${username}`, passwordHash: await hashPassword(`pw-${username}`), roles, storeIds: ['sh-pudong'], queueIds: ['sales'], ...extra });
  return (await t.login(username, `pw-${username}`)).body.token as string;
}

async function api<T = Record<string, unknown>>(token: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T & { error?: string } }> {
  const res = await fetch(`${t.url}${url}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T & { error?: string } };
}

test('GET /api/me gives the shell the name, extension, stores, queues with their codes, break reasons, the softphone mode and the server clock', async () => {
  const token = await user('a1', ['agent'], { extension: '8001' });
  const me = await api<MeProfile>(token, 'GET', '/api/me');
  expect(me.body).toEqual({
    username: 'a1',
    displayName: '用户 a1',
    roles: ['agent'],
    extension: '8001',
    stores: [{ storeId: 'sh-pudong', name: '浦东 4S 店', timeZone: 'Asia/Shanghai' }],
    queues: [{ queueId: 'sales', name: '销售热线', storeId: 'sh-pudong', dispositionCodes: ['appointment_set', 'info_given'] }],
    notReadyReasons: ['break', 'lunch', 'meeting', 'training', 'admin_work', 'outbound_work'],
    softphone: 'sim',
    serverTime: t.clock.now(),
  });
});

test('a customer created from the desk is scoped to the user\'s stores, refused twice, and pops on the next call at once', async () => {
  const token = await user('a1', ['agent']);
  const agent = await readyAgent(t, 'a2');
  // the number calls first, unknown (the unknown answer is cached)
  const first = await callIn(t, '+8613900002222');
  const offer = await agent.next<{ callId: string; customer: unknown }>('call:offer');
  expect(offer.customer).toBeNull();
  await agent.send('call:decline', { callId: offer.callId });
  first.hangup();

  expect((await api(token, 'POST', '/api/customers', { name: '周杰', phone: '139 0000 2222', storeId: 'bj-chaoyang' })).status).toBe(422); // a store that is not theirs
  expect((await api(token, 'POST', '/api/customers', { name: '', phone: 'x', storeId: 'sh-pudong' })).body.error).toMatch(/name: required.*phone: must be a phone number/);
  const created = await api<{ id: string; name: string; phones: string[]; owningUser: string; status: string; funnel: { kind: string; note: string }[] }>(token, 'POST', '/api/customers', { name: '周杰', phone: '139 0000 2222', storeId: 'sh-pudong', grade: 'C', modelsConsidered: ['Model 3'], note: '来电咨询' });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ name: '周杰', phones: ['+8613900002222'], owningUser: 'a1', status: 'prospect', funnel: [{ kind: 'note', note: 'DCC 建档：来电咨询' }] });
  expect((await api(token, 'POST', '/api/customers', { name: '周杰', phone: '13900002222', storeId: 'sh-pudong' })).status).toBe(409);

  await agent.send('agent:ready');
  await agent.state('ready');
  await callIn(t, '+8613900002222');
  const again = await agent.next<{ customer: { name: string } | null }>('call:offer');
  expect(again.customer?.name).toBe('周杰');
});

test('colleagues with presence; a store\'s consultants with their bookings of a day; scheduled callbacks, personal and team', async () => {
  const token = await user('a1', ['agent']);
  await readyAgent(t, 'a2', { roles: ['agent'] });
  await t.app.models.User.updateOne({ username: 'a2' }, { $set: { storeIds: ['sh-pudong'] } });
  await user('sc1', ['sales_consultant'], { queueIds: [] });
  await user('far', ['agent'], { storeIds: ['bj-chaoyang'] });
  const colleagues = await api<Colleague[]>(token, 'GET', '/api/me/colleagues');
  expect(colleagues.body.map((c) => [c.username, c.state]).sort()).toEqual([
    ['a2', 'ready'],
    ['sc1', 'logged_out'],
  ]);

  const c = await t.app.models.Customer.create({ name: '张伟', phones: ['+8613800138000'], status: 'defeated' });
  const tomorrow10 = new Date(Date.parse('2026-01-06T02:00:00Z'));
  await t.app.models.Disposition.create({ _id: 'd1', callId: 'd1', agentUsername: 'a2', customerId: c._id, code: 'appointment_set', at: new Date(t.clock.now()), appointment: { storeId: 'sh-pudong', consultant: 'sc1', at: tomorrow10 } });
  const day = await api<ConsultantDay[]>(token, 'GET', '/api/stores/sh-pudong/consultants?date=2026-01-06');
  expect(day.body).toEqual([{ username: 'sc1', displayName: '用户 sc1', bookings: [{ at: tomorrow10.toISOString(), customerName: '张伟', bookedBy: 'a2' }] }]);
  expect((await api<ConsultantDay[]>(token, 'GET', '/api/stores/sh-pudong/consultants?date=2026-01-07')).body[0]?.bookings).toEqual([]);
  expect((await api(token, 'GET', '/api/stores/bj-chaoyang/consultants')).status).toBe(404);
  expect((await api(token, 'GET', '/api/stores/sh-pudong/consultants?date=tomorrow')).status).toBe(400);

  await t.app.models.Campaign.create({ _id: 'wb', name: '战败回访', storeIds: ['sh-pudong'], mode: 'preview', callerId: '02158005678', listIds: ['q4'], agents: ['a1'] });
  const due = new Date(t.clock.now() + 3600_000);
  await t.app.models.Lead.insertMany([
    { _id: 'q4:+8613600000001', listId: 'q4', phone: '+8613600000001', name: '韩梅', grade: 'A', status: 'in_progress', nextDialAt: due, callbackAgent: 'a1', lastOutcome: 'connected' },
    { _id: 'q4:+8613600000002', listId: 'q4', phone: '+8613600000002', name: '李雷', status: 'in_progress', nextDialAt: due, lastOutcome: 'connected' },
    { _id: 'q4:+8613600000003', listId: 'q4', phone: '+8613600000003', status: 'in_progress', nextDialAt: due, lastOutcome: 'busy' },
    { _id: 'q4:+8613600000004', listId: 'q4', phone: '+8613600000004', status: 'in_progress', nextDialAt: due, callbackAgent: 'someone-else', lastOutcome: 'connected' },
  ]);
  const callbacks = await api<CallbackList>(token, 'GET', '/api/me/callbacks');
  expect(callbacks.body.personal.map((l) => [l.leadId, l.name, l.campaignName, l.scope])).toEqual([['q4:+8613600000001', '韩梅', '战败回访', 'personal']]);
  expect(callbacks.body.team.map((l) => l.leadId)).toEqual(['q4:+8613600000002']);
  expect((await api(token, 'GET', '/api/me/campaigns')).body).toEqual([expect.objectContaining({ campaignId: 'wb', mode: 'preview', callerId: '02158005678' })]);
});

test('my day and my week from call records and outcomes: calls, talk, AHT, visits booked, defeated customers won back', async () => {
  const token = await user('a1', ['agent']);
  const now = t.clock.now(); // Monday 2026-01-05 09:00 Shanghai
  const defeated = await t.app.models.Customer.create({ name: '张伟', phones: ['+8613800138000'], status: 'defeated' });
  const prospect = await t.app.models.Customer.create({ name: '王芳', phones: ['+8613800138001'], status: 'prospect' });
  const rec = (id: string, at: number, talkMs: number, direction: 'inbound' | 'outbound', wrapMs?: number) => ({
    _id: id,
    callId: id,
    direction,
    source: 'trunk',
    from: '+8613800138000',
    to: '4008001234',
    agentUsername: 'a1',
    status: 'ended',
    offeredAt: new Date(at),
    connectedAt: new Date(at),
    endedAt: new Date(at + talkMs),
    talkMs,
    ...(wrapMs !== undefined ? { disposition: { code: 'info_given', agentUsername: 'a1', at: new Date(at + talkMs + wrapMs) } } : {}),
  });
  await t.app.models.CallRecord.insertMany([rec('c1', now - 3600_000, 60_000, 'inbound', 30_000), rec('c2', now - 1800_000, 120_000, 'outbound', 0), rec('c3', now - 2 * DAY, 90_000, 'inbound'), rec('c4', now + 3 * DAY, 10_000, 'inbound')]);
  await t.app.models.Disposition.insertMany([
    { _id: 'c1', callId: 'c1', agentUsername: 'a1', customerId: defeated._id, code: 'appointment_set', at: new Date(now - 3500_000), appointment: { storeId: 'sh-pudong', consultant: 'sc1', at: new Date(now + DAY) } },
    { _id: 'c2', callId: 'c2', agentUsername: 'a1', customerId: prospect._id, code: 'appointment_set', at: new Date(now - 1600_000), appointment: { storeId: 'sh-pudong', consultant: 'sc1', at: new Date(now + DAY) } },
  ]);
  const today = await api<MyStats>(token, 'GET', '/api/me/stats?range=today');
  expect(today.body).toMatchObject({ range: 'today', from: '2026-01-04T16:00:00.000Z', to: '2026-01-05T16:00:00.000Z', callsHandled: 2, inbound: 1, outbound: 1, talkMs: 180_000, ahtMs: 105_000, appointments: 2, wonBack: 1 });
  expect(today.body.series.find((s) => s.label === '08:00')).toEqual({ label: '08:00', calls: 2, appointments: 2 });
  // the week starts on Monday: a call on Saturday before is last week's, one on Thursday this week's
  const week = await api<MyStats>(token, 'GET', '/api/me/stats?range=week');
  expect(week.body).toMatchObject({ callsHandled: 3, from: '2026-01-04T16:00:00.000Z' });
  expect(week.body.series.map((s) => s.label)).toEqual(['2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08', '2026-01-09', '2026-01-10', '2026-01-11']);
  expect((await api(token, 'GET', '/api/me/stats?range=year')).status).toBe(400);
});

test('the agent dials a number from the keypad with the campaign\'s caller id, and calls a personal callback; DNC numbers and strangers to the campaign are refused', async () => {
  await t.app.models.Campaign.create({ _id: 'wb', name: '战败回访', storeIds: ['sh-pudong'], mode: 'preview', callerId: '02158005678', listIds: ['q4'], agents: ['ob1'], window: { days: [1, 2, 3, 4, 5, 6, 7], from: '09:00', to: '20:00' }, script: '您好' });
  await t.app.models.Lead.create({ _id: 'q4:+8613600000001', listId: 'q4', phone: '+8613600000001', name: '韩梅', status: 'in_progress', nextDialAt: new Date(t.clock.now() + DAY), callbackAgent: 'ob1', lastOutcome: 'connected', consent: true });
  await t.app.campaigns.start('wb');
  const agent = await t.agent('ob1', { queueIds: [] });
  await agent.state('not_ready');
  t.sw.registerEndpoint('+8613700000009', { answer: 'auto', afterMs: 1000 });
  t.sw.registerEndpoint('+8613600000001', { answer: 'busy' });

  // from not ready (outbound work): the agent's phone first, then the number, with the campaign's caller id
  const dialled = agent.send('call:dial', { campaignId: 'wb', number: '137 0000 0009' });
  await armed(t, 'auto-answer');
  // the clock moves until the server has connected the call (the desk hears of it over its socket)
  for (let i = 0; i < 30 && (await t.app.agents.get('ob1')).state !== 'talking'; i++) await t.clock.advance(100);
  expect(await dialled).toEqual({ ok: true, data: { outcome: 'connected' } });
  const pop = await agent.next<{ callId: string; campaignName: string; phone: string; script: string }>('call:outbound');
  expect(pop).toMatchObject({ campaignName: '战败回访', phone: '+8613700000009', script: '您好' });
  const record = await eventually(async () => (await t.app.models.CallRecord.findById(pop.callId).lean()) ?? undefined, 'the outbound record');
  expect(record).toMatchObject({ direction: 'outbound', from: '02158005678', to: '+8613700000009' });
  await agent.send('call:hangup', { callId: pop.callId });
  await agent.state('wrap_up');
  expect((await agent.send('call:disposition', { callId: pop.callId, code: 'not_interested', notes: '' })).ok).toBe(true);
  await agent.state('ready');

  // the personal callback, dialled now: busy, the lead rescheduled by the campaign's rules
  const cb = agent.send('callback:dial', { leadId: 'q4:+8613600000001' });
  await armed(t, 'auto-answer');
  await t.clock.advance(400);
  expect(await cb).toEqual({ ok: true, data: { leadId: 'q4:+8613600000001', outcome: 'busy' } });
  expect(await t.app.models.Lead.findById('q4:+8613600000001').lean()).toMatchObject({ attempts: 1, lastOutcome: 'busy' });

  await new DoNotCall(t.app.redis, `t${t.id}`).add('global', ['+8613700000010']);
  expect(await agent.send('call:dial', { campaignId: 'wb', number: '13700000010' })).toMatchObject({ ok: false, code: 'do_not_call' });
  expect(await agent.send('call:dial', { campaignId: 'wb', number: 'abc' })).toMatchObject({ ok: false, code: 'not_a_phone_number' });
  const stranger = await t.agent('st1', { queueIds: [] });
  expect(await stranger.send('call:dial', { campaignId: 'wb', number: '13700000009' })).toMatchObject({ ok: false, code: 'campaign_refused' });
  expect(await stranger.send('callback:dial', { leadId: 'q4:+8613600000001' })).toMatchObject({ ok: false, code: 'campaign_refused' });
});
