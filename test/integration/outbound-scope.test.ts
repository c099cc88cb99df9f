import { hashPassword } from '../../src/auth/passwords';
import { DoNotCall } from '../../src/dialer/dnc';
import type { Role } from '../../src/store/models';
import { startTestApp, type TestApp } from '../support/test-app';

/** Campaigns and do-not-call lists stay within the caller's stores: their lead lists, agents and DNC lists. */

let t: TestApp;
const tokens = new Map<string, string>();
beforeAll(async () => {
  t = await startTestApp();
  await t.app.models.Store.create([
    { _id: 'sh-pudong', groupId: 'g', name: '浦东' },
    { _id: 'bj-chaoyang', groupId: 'g', name: '朝阳' },
  ]);
  await user('mgr', ['manager'], ['sh-pudong']);
  await user('mgr-bj', ['manager'], ['bj-chaoyang']);
  await user('adm', ['admin'], []);
  await user('sh-agent', ['agent'], ['sh-pudong']);
  await user('bj-agent', ['agent'], ['bj-chaoyang']);
  await t.app.models.LeadList.create([
    { _id: 'sh-list', name: 'sh', storeId: 'sh-pudong', createdBy: 'mgr' },
    { _id: 'bj-list', name: 'bj', storeId: 'bj-chaoyang', createdBy: 'mgr-bj' },
  ]);
});
afterAll(async () => {
  await t.stop();
});

async function user(username: string, roles: Role[], storeIds: string[]): Promise<void> {
  await t.app.models.User.create({ username, displayName: username, passwordHash: await hashPassword(`pw-${username}`), roles, storeIds });
  tokens.set(username, (await t.login(username, `pw-${username}`)).body.token as string);
}

async function api(who: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${t.url}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(who) ?? ''}` }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const campaign = (campaignId: string, extra: Record<string, unknown> = {}) => ({ campaignId, name: campaignId, storeIds: ['sh-pudong'], mode: 'progressive', callerId: '02158005678', listIds: ['sh-list'], agents: ['sh-agent'], ...extra });

test("a campaign takes only lead lists and agents of its stores; the campaign list shows each manager their stores' campaigns", async () => {
  expect(await api('mgr', 'POST', '/api/campaigns', campaign('c-bad-list', { listIds: ['sh-list', 'bj-list'] }))).toMatchObject({ status: 422, body: { code: 'invalid_request', error: "listIds: no lead list bj-list in the campaign's stores" } });
  expect(await api('mgr', 'POST', '/api/campaigns', campaign('c-bad-agent', { agents: ['sh-agent', 'bj-agent'] }))).toMatchObject({ status: 422, body: { error: "agents: no user bj-agent in the campaign's stores" } });
  expect(await api('mgr', 'POST', '/api/campaigns', campaign('c-no-such', { agents: ['ghost'] }))).toMatchObject({ status: 422, body: { error: "agents: no user ghost in the campaign's stores" } });
  expect(await t.app.models.Campaign.countDocuments()).toBe(0);

  expect((await api('mgr', 'POST', '/api/campaigns', campaign('c-sh'))).status).toBe(201);
  expect((await api('mgr-bj', 'POST', '/api/campaigns', campaign('c-bj', { storeIds: ['bj-chaoyang'], listIds: ['bj-list'], agents: ['bj-agent'] }))).status).toBe(201);
  const mine = await api('mgr', 'GET', '/api/campaigns');
  expect(mine).toMatchObject({ status: 200, body: [{ campaignId: 'c-sh', storeIds: ['sh-pudong'], listIds: ['sh-list'], agents: ['sh-agent'], status: 'draft' }] });
  expect(((await api('adm', 'GET', '/api/campaigns')).body as unknown as { campaignId: string }[]).map((c) => c.campaignId)).toEqual(['c-bj', 'c-sh']);
  expect((await api('sh-agent', 'GET', '/api/campaigns')).status).toBe(403);
});

test("the global do-not-call list is for admins; a campaign's list for managers of its stores", async () => {
  await t.app.models.Campaign.updateOne({ _id: 'c-dnc' }, { $setOnInsert: { name: 'dnc', storeIds: ['sh-pudong'], mode: 'progressive', callerId: '02158005678' } }, { upsert: true });
  const dnc = new DoNotCall(t.app.redis, t.app.options.redisNamespace);

  expect(await api('mgr', 'POST', '/api/dnc', { scope: 'global', phones: ['13800009001'] })).toMatchObject({ status: 403, body: { code: 'forbidden', error: 'only admins change the global do-not-call list' } });
  expect(await dnc.blocked('+8613800009001', 'any')).toBe(false);
  expect(await api('mgr-bj', 'POST', '/api/dnc', { scope: { campaignId: 'c-dnc' }, phones: ['13800009002'] })).toMatchObject({ status: 404, body: { code: 'not_found' } });
  expect(await dnc.blocked('+8613800009002', 'c-dnc')).toBe(false);

  expect((await api('mgr', 'POST', '/api/dnc', { scope: { campaignId: 'c-dnc' }, phones: ['13800009002'] })).body).toEqual({ added: 1, rejected: [] });
  expect(await dnc.blocked('+8613800009002', 'c-dnc')).toBe(true);
  expect((await api('adm', 'POST', '/api/dnc', { scope: 'global', phones: ['13800009001'] })).body).toEqual({ added: 1, rejected: [] });
  expect(await dnc.blocked('+8613800009001', 'any')).toBe(true);
});
