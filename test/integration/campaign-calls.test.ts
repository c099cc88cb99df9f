import { io as ioClient } from 'socket.io-client';
import { hashPassword } from '../../src/auth/passwords';
import { readyAgent } from '../support/call-steps';
import { startTestApp, type TestApp } from '../support/test-app';

/** An outbound campaign through the app: REST to start it, a lead answers, the agent's desktop gets the lead, outcome and follow-up. */

let t: TestApp;
let token: string;
beforeEach(async () => {
  t = await startTestApp();
  await t.app.models.Store.create({ _id: 'sh-pudong', groupId: 'g', name: '浦东' });
  await t.app.models.User.create({ username: 'cm', displayName: 'cm', passwordHash: await hashPassword('pw-cm'), roles: ['manager'], storeIds: ['sh-pudong'] });
  token = (await t.login('cm', 'pw-cm')).body.token as string;
});
afterEach(async () => {
  await t.stop();
});

async function api(method: string, url: string, body?: unknown, type = 'application/json') {
  const res = await fetch(`${t.url}${url}`, { method, headers: { 'content-type': type, authorization: `Bearer ${token}` }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: string } };
}

async function advanceUntil(cond: () => boolean | Promise<boolean>, what: string, maxMs = 120_000): Promise<void> {
  for (let waited = 0; !(await cond()); waited += 1000) {
    if (waited >= maxMs) throw new Error(`still waiting for ${what} after ${maxMs} ms of clock time`);
    await t.clock.advance(1000);
  }
}

/** Agents of the store, created unless they exist (a test may connect their desk later). */
async function storeAgents(usernames: string[]) {
  for (const username of usernames) {
    if (!(await t.app.models.User.exists({ username }))) await t.app.models.User.create({ username, displayName: username, passwordHash: await hashPassword(`pw-${username}`), roles: ['agent'], storeIds: ['sh-pudong'], queueIds: [] });
  }
}

async function setUp(leadsCsv: string, extra: Record<string, unknown> = {}) {
  // the manager attests that the leads agreed to be called (the files have no consent column)
  expect((await api('POST', '/api/lead-lists/q4/import?storeId=sh-pudong&consent=all', leadsCsv, 'text/csv')).status).toBe(200);
  await storeAgents((extra.agents as string[] | undefined) ?? ['ob1']);
  const created = await api('POST', '/api/campaigns', {
    campaignId: 'win-back',
    name: '战败回访 Q4',
    storeIds: ['sh-pudong'],
    mode: 'progressive',
    callerId: '02158005678',
    listIds: ['q4'],
    agents: ['ob1'],
    window: { days: [1, 2, 3, 4, 5, 6, 7], from: '09:00', to: '20:00' },
    script: '您好，我是浦东4S店的顾问，上次您来看过车……',
    ...extra,
  });
  expect(created.status).toBe(201);
}

test('a lead who answers is connected to the campaign agent, whose desktop shows the lead; the outcome schedules the follow-up', async () => {
  const agent = await readyAgent(t, 'ob1', { queueIds: [], storeIds: ['sh-pudong'] });
  t.sw.registerEndpoint('+8613600000001', { answer: 'auto', afterMs: 5000 });
  t.sw.registerEndpoint('+8613600000002', { answer: 'busy' });
  await t.app.models.Customer.create({ name: '郑伟', phones: ['+8613600000001'], status: 'defeated', grade: 'A', defeatReason: '价格' });
  await setUp('phone,grade,name\n13600000001,A,郑伟\n13600000002,B,冯丽\n');
  const started = await api('POST', '/api/campaigns/win-back/start');
  expect(started).toMatchObject({ status: 200, body: { status: 'running', mode: 'progressive' } });

  let pop: { callId: string; phone: string; customer: { name: string } | null; script?: string } | undefined;
  agent.next<NonNullable<typeof pop>>('call:outbound', () => true, 20_000).then((p) => (pop = p), () => undefined); // advanceUntil fails if it never comes
  await advanceUntil(() => pop !== undefined, 'the lead on the desktop');
  expect(pop).toMatchObject({ phone: '+8613600000001', customer: { name: '郑伟' }, script: expect.stringContaining('浦东4S店') });
  await agent.state('talking');
  await t.clock.advance(60_000);
  expect((await agent.send('call:hangup', { callId: pop?.callId })).ok).toBe(true);
  await agent.state('wrap_up');
  expect((await agent.send('call:disposition', { callId: pop?.callId, code: 'callback_requested', notes: '下周再打' })).ok).toBe(true);
  await agent.state('ready');

  // The A-grade lead is due again in a day; the busy one is retried in ten minutes.
  await advanceUntil(async () => (await t.app.models.Lead.findById('q4:+8613600000002').lean())?.lastOutcome === 'busy', 'the busy lead');
  const a = await t.app.models.Lead.findById('q4:+8613600000001').lean();
  expect(a).toMatchObject({ status: 'in_progress', attempts: 1, lastOutcome: 'connected' });
  expect((a?.nextDialAt?.getTime() ?? 0) - (a?.lastAttemptAt?.getTime() ?? 0)).toBe(86_400_000);
  const record = await t.app.models.CallRecord.findById(pop?.callId).lean();
  expect(record).toMatchObject({ direction: 'outbound', agentUsername: 'ob1', to: '+8613600000001', disposition: { code: 'callback_requested' } });
  // the conversation was recorded, filed under the Shanghai store's date, and lasted the minute talked
  expect(record?.recording).toMatchObject({ file: expect.stringMatching(new RegExp(`^sim://recordings/\\d{4}/\\d{2}/\\d{2}/${pop?.callId}\\.wav$`)), channels: 2, maskedMs: 0 });
  expect(record?.recording?.durationMs).toBeGreaterThanOrEqual(60_000);
  const live = await api('GET', '/api/campaigns/win-back');
  expect(live.body).toMatchObject({ status: 'running', placed: 2, abandonRate30d: 0, agentsByState: { ready: 1 } });
});

test('a number on the do-not-call list is never dialled; with no agent logged in nothing is dialled; an exhausted list stops the campaign', async () => {
  t.sw.registerEndpoint('+8613600000003', { answer: 'busy' });
  await setUp('phone,grade\n13600000003,A\n13600000004,A\n', { retry: { busyMs: 60_000, noAnswerMs: 60_000, failedMs: 60_000, maxAttempts: 3 } });
  expect((await api('POST', '/api/dnc', { scope: { campaignId: 'win-back' }, phones: ['136-0000-0004', '12'] })).body).toEqual({ added: 1, rejected: [{ index: 1, phone: '12' }] });
  await api('POST', '/api/campaigns/win-back/start');
  await t.clock.advance(5000);
  expect((await api('GET', '/api/campaigns/win-back')).body.placed).toBe(0); // nobody logged in
  await readyAgent(t, 'ob1', { queueIds: [], storeIds: ['sh-pudong'] });
  await advanceUntil(async () => (await t.app.models.Lead.findById('q4:+8613600000003').lean())?.lastOutcome === 'busy', 'the first attempt');
  await advanceUntil(async () => (await t.app.models.Lead.findById('q4:+8613600000004').lean())?.status === 'dnc', 'the DNC lead to be skipped at dial time');
  expect(await t.app.models.Lead.findById('q4:+8613600000004').lean()).toMatchObject({ attempts: 0 }); // never rung
  // Retries of the busy lead a minute apart until max attempts (3), then the list is exhausted.
  await advanceUntil(async () => (await t.app.models.Campaign.findById('win-back').lean())?.status === 'exhausted', 'the campaign to stop', 600_000);
  expect(await t.app.models.Lead.findById('q4:+8613600000003').lean()).toMatchObject({ status: 'done', attempts: 3 });
  // Recycling: not yet two weeks old, so nothing; recycled at once on request; the DNC lead never.
  expect((await api('POST', '/api/campaigns/win-back/recycle', { outcomes: ['busy'], olderThanDays: 14 })).body).toEqual({ recycled: 0 });
  expect((await api('POST', '/api/campaigns/win-back/recycle', { outcomes: ['busy'], olderThanDays: 0 })).body).toEqual({ recycled: 1 });
  expect(await t.app.models.Lead.findById('q4:+8613600000003').lean()).toMatchObject({ status: 'in_progress', attempts: 0 });
  expect((await t.app.models.Lead.findById('q4:+8613600000004').lean())?.status).toBe('dnc');
});

test('a manager\'s live board receives the campaign view over socket.io; an agent may not open it', async () => {
  await setUp('phone,grade\n13600000009,A\n');
  const board = ioClient(`${t.url}/board`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  try {
    const first = await new Promise<{ campaigns: { campaignId: string; status: string; name: string }[] }>((resolve) => board.once('campaigns:live', resolve));
    expect(first.campaigns).toEqual([expect.objectContaining({ campaignId: 'win-back', name: '战败回访 Q4', status: 'draft', callsInProgress: 0 })]);
    await api('POST', '/api/campaigns/win-back/start');
    const next = new Promise<{ campaigns: { status: string }[] }>((resolve) => board.once('campaigns:live', resolve));
    await t.clock.advance(3000);
    expect((await next).campaigns[0]?.status).toBe('running');
  } finally {
    board.close();
  }
  const agentToken = (await t.agent('ag9')).socket.auth as { token: string };
  const refused = ioClient(`${t.url}/board`, { auth: { token: agentToken.token }, transports: ['websocket'], reconnection: false, forceNew: true });
  const err = await new Promise<Error>((resolve) => refused.once('connect_error', resolve));
  expect(err.message).toBe('boards are for supervisors, managers and admins');
  expect((err as Error & { data?: { code: string } }).data?.code).toBe('forbidden');
  refused.close();
});

test('preview: the agent takes a lead card, may skip it (not counted as an attempt), then dials the next one', async () => {
  const agent = await readyAgent(t, 'ob1', { queueIds: [], storeIds: ['sh-pudong'] });
  t.sw.registerEndpoint('+8613600000012', { answer: 'auto', afterMs: 4000 });
  await setUp('phone,grade,name\n13600000011,A,韩梅\n13600000012,B,李雷\n', { mode: 'preview' });
  expect((await api('POST', '/api/campaigns/win-back/start')).body.status).toBe('running');
  expect(await agent.send('preview:next', { campaignId: 'win-back' })).toMatchObject({ ok: true, data: { leadId: 'q4:+8613600000011', name: '韩梅' } });
  const first = await agent.next<{ leadId: string; name: string; grade: string; script: string }>('preview:lead');
  expect(first).toMatchObject({ leadId: 'q4:+8613600000011', name: '韩梅', grade: 'A', script: expect.stringContaining('浦东4S店') });
  await agent.state('reserved');
  expect(await agent.send('preview:next', { campaignId: 'win-back' })).toEqual({ ok: false, code: 'campaign_refused', error: 'dial or skip the lead you hold first' });
  expect(await agent.send('preview:skip', { leadId: first.leadId })).toEqual({ ok: true });
  await agent.state('ready');

  expect((await agent.send('preview:next', { campaignId: 'win-back' })).ok).toBe(true);
  const second = await agent.next<{ leadId: string; name: string }>('preview:lead');
  expect(second.name).toBe('李雷');
  const dialled = agent.send('preview:dial', { leadId: second.leadId });
  let pop: { callId: string } | undefined;
  agent.next<{ callId: string }>('call:outbound', () => true, 20_000).then((p) => (pop = p), () => undefined); // advanceUntil fails if it never comes
  await advanceUntil(() => pop !== undefined, 'the lead to answer');
  expect(await dialled).toEqual({ ok: true, data: { leadId: second.leadId, outcome: 'connected' } });
  expect(await agent.next('preview:result')).toEqual({ leadId: second.leadId, outcome: 'connected' });
  await agent.state('talking');
  await t.clock.advance(30_000);
  await agent.send('call:hangup', { callId: pop?.callId });
  await agent.state('wrap_up');
  // 李雷 is not in the CRM: the follow-up date the agent sets goes on the lead (a callback for the team).
  const callbackAt = new Date(t.clock.now() + 3 * 3600_000).toISOString();
  expect(await agent.send('call:disposition', { callId: pop?.callId, code: 'callback_requested', notes: '下午三点再打', nextFollowUpAt: callbackAt })).toEqual({ ok: true });
  await agent.state('ready');
  expect(await t.app.models.Lead.findById('q4:+8613600000011').lean()).toMatchObject({ attempts: 0 });
  const b = await t.app.models.Lead.findById('q4:+8613600000012').lean();
  expect(b).toMatchObject({ attempts: 1, lastOutcome: 'connected', status: 'in_progress' });
  expect(b?.nextDialAt?.toISOString()).toBe(callbackAt);
  expect(await agent.send('preview:next', { campaignId: 'win-back' })).toEqual({ ok: false, code: 'no_lead_due', error: 'no lead is due now in this campaign' });
  await agent.state('ready');
});

test('a personal callback is made by the agent who promised it, not by whoever is free', async () => {
  const ob1 = await readyAgent(t, 'ob1', { queueIds: [], storeIds: ['sh-pudong'] });
  t.sw.registerEndpoint('+8613600000021', { answer: 'auto', afterMs: 3000 });
  await setUp('phone,grade\n13600000021,B\n', { agents: ['ob1', 'ob2'] });
  await api('POST', '/api/campaigns/win-back/start');
  let pop: { callId: string } | undefined;
  ob1.next<{ callId: string }>('call:outbound', () => true, 20_000).then((p) => (pop = p), () => undefined); // advanceUntil fails if it never comes
  await advanceUntil(() => pop !== undefined, 'the first call');
  await ob1.send('call:hangup', { callId: pop?.callId });
  await ob1.state('wrap_up');
  const at = new Date(t.clock.now() + 3600_000).toISOString();
  expect(await ob1.send('call:disposition', { callId: pop?.callId, code: 'callback_requested', notes: '一小时后我再打', nextFollowUpAt: at, callbackScope: 'personal' })).toEqual({ ok: true });
  await ob1.state('ready');
  expect(await t.app.models.Lead.findById('q4:+8613600000021').lean()).toMatchObject({ callbackAgent: 'ob1' });
  // ob1 goes on a break; ob2 is ready all the while and never gets this lead.
  expect((await ob1.send('agent:not_ready', { reason: 'break' })).ok).toBe(true);
  const ob2 = await readyAgent(t, 'ob2', { queueIds: [], storeIds: ['sh-pudong'] });
  for (let i = 0; i < 65; i++) await t.clock.advance(60_000);
  expect(ob2.received.some((r) => r.event === 'call:outbound')).toBe(false);
  expect((await ob1.send('agent:ready')).ok).toBe(true);
  let again: { phone: string } | undefined;
  ob1.next<{ phone: string }>('call:outbound', () => true, 20_000).then((p) => (again = p), () => undefined); // advanceUntil fails if it never comes
  await advanceUntil(() => again !== undefined, 'the personal callback');
  expect(again?.phone).toBe('+8613600000021');
});

test('one app instance dials a campaign: a start sent to another instance of the deployment reaches it, and the other never dials it too', async () => {
  await setUp('phone,grade\n13600000031,A\n');
  expect((await api('POST', '/api/campaigns/win-back/start')).status).toBe(200);
  const other = await startTestApp({ sameDeploymentAs: t });
  try {
    await other.app.campaigns.start('win-back'); // carried out by the owner
    expect(other.app.campaigns.openCampaign('win-back')).toBeUndefined();
    expect(t.app.campaigns.openCampaign('win-back')).toBeDefined();
    expect(await other.app.campaigns.resume()).toEqual([]);
  } finally {
    await other.app.stop(1000);
  }
});

test('a running campaign is taken over by the next instance when the one dialling it shuts down', async () => {
  await setUp('phone,grade\n13600000032,A\n');
  expect((await api('POST', '/api/campaigns/win-back/start')).status).toBe(200);
  const next = await startTestApp({ sameDeploymentAs: t });
  try {
    expect(await next.app.campaigns.resume()).toEqual([]);
    await t.app.campaigns.stopAll();
    expect(await next.app.campaigns.resume()).toEqual(['win-back']);
    // the instance that took over dials the lead for its ready agent
    next.sw.registerEndpoint('+8613600000032', { answer: 'auto', afterMs: 3000 });
    const agent = await readyAgent(next, 'ob1', { queueIds: [], storeIds: ['sh-pudong'] });
    let phone: string | undefined;
    agent.next<{ phone: string }>('call:outbound', () => true, 20_000).then((p) => (phone = p.phone), () => undefined); // checked below
    for (let waited = 0; phone === undefined && waited < 60_000; waited += 1000) {
      await next.clock.advance(1000);
    }
    expect(phone).toBe('+8613600000032');
  } finally {
    await next.app.stop(1000);
  }
});

test('bad campaign definitions are refused with reasons', async () => {
  const base = { campaignId: 'x', name: 'x', storeIds: ['sh-pudong'], mode: 'progressive', callerId: '02158005678', listIds: ['q4'] };
  expect((await api('POST', '/api/campaigns', { ...base, abandonLimit: 0.05 })).body.error).toContain('the legal abandon limit is 3%');
  expect((await api('POST', '/api/campaigns', { ...base, window: { days: [1], from: '20:00', to: '09:00' } })).body.error).toContain('window: from must be before to');
  expect((await api('POST', '/api/campaigns', { ...base, storeIds: ['bj-chaoyang'] })).status).toBe(422);
  expect((await api('POST', '/api/campaigns', { ...base, machine: 'message' })).body.error).toContain('machinePrompt');
  expect((await api('POST', '/api/campaigns', { ...base, listIds: [] })).body.error).toContain('name at least one lead list');
  expect((await api('POST', '/api/lead-lists/q4/import?storeId=sh-pudong&consent=all', 'phone\n13600000099\n', 'text/csv')).status).toBe(200);
  expect((await api('POST', '/api/campaigns', { ...base, teamId: 'nope' })).body.error).toBe("teamId: no active team nope in the campaign's stores");
  await storeAgents(['ob7', 'ob8', 'ob9']);
  await t.app.models.Team.create({ _id: 'pd-dcc', storeId: 'sh-pudong', name: '浦东 DCC', members: ['ob7', 'ob8'] });
  expect((await api('POST', '/api/campaigns', { ...base, campaignId: 'by-team', teamId: 'pd-dcc', agents: ['ob9'] })).status).toBe(201);
  expect((await t.app.models.Campaign.findById('by-team').lean())?.agents.sort()).toEqual(['ob7', 'ob8', 'ob9']);
});
