import { hashPassword } from '../../src/auth/passwords';
import { transferRefusal } from '../../src/calls/transfer-policy';
import { acceptAndConnect, callIn, readyAgent, type Offer } from '../support/call-steps';
import { startTestApp, type TestApp } from '../support/test-app';

/** Transfers go to colleagues of the call's store or to numbers on the store's allow-list; nothing else (toll fraud). */

let t: TestApp;
afterEach(async () => {
  await t.stop();
});

test("an agent cannot transfer a call to a number off the store's list nor to someone of another store; once a manager allows the prefix, the transfer goes ahead", async () => {
  t = await startTestApp({ queues: [{ queueId: 'sales', name: '销售热线', numbers: ['4008001234'], storeId: 'sh-pudong' }] });
  await t.app.models.Store.create([
    { _id: 'sh-pudong', groupId: 'g', name: '浦东' },
    { _id: 'bj-chaoyang', groupId: 'g', name: '朝阳' },
  ]);
  await t.app.models.User.create({ username: 'stranger', displayName: 'bj', passwordHash: 'x', roles: ['sales_consultant'], storeIds: ['bj-chaoyang'] });
  await t.app.models.User.create({ username: 'mgr', displayName: 'mgr', passwordHash: await hashPassword('pw-mgr'), roles: ['manager'], storeIds: ['sh-pudong'] });
  const agent = await readyAgent(t, 'xf1', { storeIds: ['sh-pudong'] });
  const caller = await callIn(t, '13800005555');
  const offer = await agent.next<Offer>('call:offer');
  await acceptAndConnect(t, agent, offer.callId);
  const callId = offer.callId;

  // a premium-rate number abroad, and a consultant of another store: refused, the customer still with the agent
  expect(await agent.send('call:transfer', { callId, to: { number: '+88216000000' }, mode: 'blind' })).toEqual({ ok: false, code: 'transfer_not_allowed', error: "+88216000000 is not on this store's transfer list" });
  expect(await agent.send('call:transfer', { callId, to: { agent: 'stranger' }, mode: 'consult' })).toEqual({ ok: false, code: 'transfer_not_allowed', error: "stranger is not a colleague of this call's store" });
  expect(t.sw.isHearingHoldMusic(caller.legId)).toBe(false);

  // the manager puts the service hotline's prefix on the store's list through the API
  const token = (await t.login('mgr', 'pw-mgr')).body.token as string;
  const patch = await fetch(`${t.url}/api/stores/sh-pudong`, { method: 'PATCH', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ transferAllow: ['+86400800'] }) });
  expect(patch.status).toBe(200);
  expect(await patch.json()).toMatchObject({ storeId: 'sh-pudong', transferAllow: ['+86400800'] });
  const bad = await fetch(`${t.url}/api/stores/sh-pudong`, { method: 'PATCH', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ transferAllow: ['400800'] }) });
  expect(bad.status).toBe(400);

  t.sw.registerEndpoint('+864008005555', { answer: 'auto', afterMs: 1000 });
  expect(await agent.send('call:transfer', { callId, to: { number: '4008005555' }, mode: 'blind' })).toEqual({ ok: true });
  expect(await agent.next('call:transfer_state')).toMatchObject({ state: 'dialling', to: '+864008005555' });
  caller.hangup();
  await t.app.calls.idle();
});

test('the policy: colleagues of the store (active), numbers by prefix', () => {
  const facts = { storeId: 'sh', transferAllow: ['+86400', '+8621'], colleague: undefined };
  expect(transferRefusal({ number: '+864008001234' }, facts)).toBeUndefined();
  expect(transferRefusal({ number: '+862158001234' }, facts)).toBeUndefined();
  expect(transferRefusal({ number: '+8613900001111' }, facts)).toBe("+8613900001111 is not on this store's transfer list");
  expect(transferRefusal({ agent: 'a' }, { ...facts, colleague: { storeIds: ['sh'], active: true } })).toBeUndefined();
  expect(transferRefusal({ agent: 'a' }, { ...facts, colleague: { storeIds: ['sh'], active: false } })).toBeDefined();
  expect(transferRefusal({ agent: 'a' }, { ...facts, colleague: { storeIds: ['bj'], active: true } })).toBeDefined();
  expect(transferRefusal({ agent: 'a' }, { ...facts, storeId: undefined, colleague: { storeIds: ['sh'], active: true } })).toBeDefined();
});
