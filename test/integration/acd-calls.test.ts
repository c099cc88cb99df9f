import type { AgentClient } from '../support/agent-client';
import { acceptAndConnect, armed, callIn, readyAgent, type Offer } from '../support/call-steps';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

/** Queue behaviour as callers and agents live it, on the simulated switch with the virtual clock. */

let t: TestApp;
afterEach(async () => {
  await t.stop();
});

function offered(agent: AgentClient): boolean {
  return agent.received.some((r) => r.event === 'call:offer');
}

test('ring-all: every ready agent sees the call; the first to accept gets it and the others are free again', async () => {
  t = await startTestApp({ queues: [{ queueId: 'sales', name: '销售', numbers: ['4008001234'], strategy: 'ring_all' }] });
  const [a, b, c] = [await readyAgent(t, 'ra'), await readyAgent(t, 'rb'), await readyAgent(t, 'rc')];
  await callIn(t, '13800001111');
  const offers = await Promise.all([a, b, c].map((x) => x.next<Offer>('call:offer')));
  expect(new Set(offers.map((o) => o.callId)).size).toBe(1);
  const callId = offers[0]?.callId as string;
  await acceptAndConnect(t, b, callId);
  for (const other of [a, c]) {
    await other.next('call:offer_withdrawn', (p: { reason: string }) => p.reason === 'taken');
    await other.state('ready');
    expect(await other.send('call:accept', { callId })).toMatchObject({ ok: false });
  }
});

test('a known customer waits for their owner; when the window closes another agent takes the call', async () => {
  t = await startTestApp({ queues: [{ queueId: 'sales', name: '销售', numbers: ['4008001234'], preferredWaitMs: 30_000 }] });
  await t.app.models.Customer.create({ name: '李娜', phones: ['+8613811112222'], owningUser: 'owner', status: 'defeated', grade: 'A' });
  const owner = await t.agent('owner'); // logged in, not ready
  await owner.state('not_ready');
  const other = await readyAgent(t, 'other');
  await callIn(t, '13811112222');
  await armed(t, ':preferred');
  await t.app.calls.idle();
  expect(offered(other)).toBe(false);
  await t.clock.advance(29_000);
  await t.app.calls.idle();
  expect(offered(other)).toBe(false);
  await t.clock.advance(1_000);
  const offer = await other.next<Offer>('call:offer');
  expect(offer.customer?.owningUser).toBe('owner');
  expect(offered(owner)).toBe(false);
});

test('a known customer whose owner is ready goes straight to the owner, ahead of a longer-idle agent', async () => {
  t = await startTestApp();
  await t.app.models.Customer.create({ name: '王芳', phones: ['+8613822223333'], owningUser: 'own2', status: 'defeated', grade: 'B' });
  const idle = await readyAgent(t, 'idle2');
  await t.clock.advance(60_000);
  const owner = await readyAgent(t, 'own2');
  await callIn(t, '13822223333');
  const offer = await owner.next<Offer>('call:offer');
  expect(offer.customer?.grade).toBe('B');
  expect(offered(idle)).toBe(false);
});

test('a call that waits past the queue maximum overflows to the next queue, keeping its record', async () => {
  t = await startTestApp({
    queues: [
      { queueId: 'sales', name: '销售', numbers: ['4008001234'], maxWaitMs: 60_000, overflow: { kind: 'queue', queueId: 'backup' } },
      { queueId: 'backup', name: '后备', numbers: [] },
    ],
  });
  const backupAgent = await readyAgent(t, 'bk', { queueIds: ['backup'] });
  const caller = await callIn(t, '13833334444');
  await armed(t, ':max-wait');
  await t.clock.advance(59_000);
  await t.app.calls.idle();
  expect(offered(backupAgent)).toBe(false);
  await t.clock.advance(1_000);
  const offer = await backupAgent.next<Offer>('call:offer');
  expect(offer.queueId).toBe('backup');
  caller.hangup();
  const record = await eventually(async () => {
    const r = await t.app.models.CallRecord.findById(offer.callId).lean();
    return r?.status === 'ended' ? r : undefined;
  }, 'the ended record');
  expect(record).toMatchObject({ queueId: 'backup', overflowedFrom: ['sales'], outcome: 'abandoned' });
});

test('with nowhere to overflow to, the caller hears a goodbye and the call ends as overflowed', async () => {
  t = await startTestApp({ queues: [{ queueId: 'sales', name: '销售', numbers: ['4008001234'], maxWaitMs: 120_000, overflow: { kind: 'hangup' } }] });
  const caller = await callIn(t, '13844445555');
  await armed(t, ':max-wait');
  await t.clock.advance(120_000);
  await eventually(() => caller.heard.includes('prompt:queue_overflow_goodbye'), 'the goodbye prompt');
  await t.clock.advance(2_000);
  await caller.until('ended');
  const record = await eventually(async () => {
    const r = await t.app.models.CallRecord.findOne({ from: '13844445555' }).lean();
    return r?.status === 'ended' ? r : undefined;
  }, 'the call record');
  expect(record).toMatchObject({ outcome: 'overflowed', endedBy: 'system', waitMs: 120_000 });
  expect(await t.app.queues.waitingCount('sales')).toBe(0);
});

test('overflow to voicemail: the caller leaves a message ended by #, it is stored for the queue\'s store, and a supervisor can mark it handled', async () => {
  t = await startTestApp({ queues: [{ queueId: 'sales', name: '销售', storeId: 'sh-pudong', numbers: ['4008001234'], maxWaitMs: 60_000, overflow: { kind: 'voicemail' } }] });
  const caller = await callIn(t, '13855556666');
  await armed(t, ':max-wait');
  await t.clock.advance(60_000);
  await eventually(() => caller.heard.includes('prompt:voicemail_prompt'), 'the voicemail prompt');
  await t.clock.advance(2_000); // the prompt (2 s on the simulated switch)
  await eventually(() => caller.heard.includes('record:start'), 'the recording');
  await t.clock.advance(8_000);
  await caller.sendDigits('#');
  await eventually(() => caller.heard.includes('prompt:voicemail_saved'), 'the thank-you');
  await t.clock.advance(5_000);
  await caller.until('ended');
  const record = await eventually(async () => {
    const r = await t.app.models.CallRecord.findOne({ from: '13855556666' }).lean();
    return r?.status === 'ended' ? r : undefined;
  }, 'the call record');
  expect(record).toMatchObject({ outcome: 'voicemail', waitMs: 60_000 });
  const vm = await t.app.models.Voicemail.findById(record.callId).lean();
  expect(vm).toMatchObject({ queueId: 'sales', storeId: 'sh-pudong', from: '13855556666', durationMs: 8_000 });
  await t.agent('sup1', { roles: ['supervisor'], queueIds: [] });
  await t.app.models.User.updateOne({ username: 'sup1' }, { $set: { storeIds: ['sh-pudong'] } });
  const { body } = await t.login('sup1', 'pw-sup1');
  const auth = { authorization: `Bearer ${body.token as string}`, 'content-type': 'application/json' };
  const list = (await (await fetch(`${t.url}/api/voicemails`, { headers: auth })).json()) as { callId: string }[];
  expect(list.map((v) => v.callId)).toEqual([record.callId]);
  expect((await fetch(`${t.url}/api/voicemails/${record.callId}/handled`, { method: 'POST', headers: auth })).status).toBe(200);
  expect((await fetch(`${t.url}/api/voicemails/${record.callId}/handled`, { method: 'POST', headers: auth })).status).toBe(409);
  expect(((await (await fetch(`${t.url}/api/voicemails`, { headers: auth })).json()) as unknown[]).length).toBe(0);
});
