import { hashPassword } from '../../src/auth/passwords';
import { startTestApp, type TestApp } from '../support/test-app';

/** The manager console's REST gaps: campaigns edited and filtered, DNC listed, queues created and deactivated, teams deactivated. */

let t: TestApp;
let token: string;
let adminToken: string;
beforeAll(async () => {
  t = await startTestApp({ queues: [] });
  await t.app.models.Store.create([{ _id: 'sh-pudong', groupId: 'g', name: '浦东' }]);
  await t.app.models.User.create({ username: 'mm', displayName: 'mm', passwordHash: await hashPassword('pw-mm'), roles: ['manager'], storeIds: ['sh-pudong'] });
  await t.app.models.User.create({ username: 'aa', displayName: 'aa', passwordHash: await hashPassword('pw-aa'), roles: ['admin'], storeIds: [] });
  await t.app.models.User.create({ username: 'ag1', displayName: 'ag1', passwordHash: await hashPassword('pw-ag1'), roles: ['agent'], storeIds: ['sh-pudong'] });
  await t.app.models.LeadList.create({ _id: 'l1', name: 'l1', storeId: 'sh-pudong', createdBy: 'mm' });
  token = (await t.login('mm', 'pw-mm')).body.token as string;
  adminToken = (await t.login('aa', 'pw-aa')).body.token as string;
});
afterAll(async () => {
  await t.stop();
});

async function api(method: string, path: string, body?: unknown, as = token) {
  const res = await fetch(`${t.url}${path}`, { method, headers: { authorization: `Bearer ${as}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> & { error?: string; code?: string } };
}

test('campaigns: created, listed with their definition and filters, edited, refused edits with reasons', async () => {
  const made = await api('POST', '/api/campaigns', { campaignId: 'win-back', name: '战败回访', storeIds: ['sh-pudong'], mode: 'progressive', callerId: '02158001234', listIds: ['l1'], agents: ['ag1'], recycle: { outcomes: ['no_answer'], olderThanDays: 3 } });
  expect(made.status).toBe(201);
  const list = await api('GET', '/api/campaigns?status=draft&q=%E5%9B%9E%E8%AE%BF');
  expect(list.body).toEqual([expect.objectContaining({ campaignId: 'win-back', name: '战败回访', callerId: '02158001234', abandonLimit: 0.03, recycle: { outcomes: ['no_answer'], olderThanDays: 3 } })]);
  expect((await api('GET', '/api/campaigns?status=running')).body).toEqual([]);
  const edited = await api('PATCH', '/api/campaigns/win-back', { name: '战败客户回访', window: { days: [1, 2, 3, 4, 5], from: '10:00', to: '19:00', holidays: [] }, abandonLimit: 0.02 });
  expect(edited.status).toBe(200);
  expect(edited.body).toMatchObject({ name: '战败客户回访', abandonLimit: 0.02, window: { from: '10:00', to: '19:00' } });
  expect((await api('PATCH', '/api/campaigns/win-back', { abandonLimit: 0.05 })).status).toBe(400);
  expect((await api('PATCH', '/api/campaigns/win-back', { window: { days: [1], from: '19:00', to: '10:00', holidays: [] } })).status).toBe(422);
  expect((await api('PATCH', '/api/campaigns/win-back', { agents: ['nobody'] })).status).toBe(422);
  expect((await api('PATCH', '/api/campaigns/win-back', { machine: 'message' })).status).toBe(422);
  expect((await api('PATCH', '/api/campaigns/nope', { name: 'x' })).status).toBe(404);
});

test('DNC: added, listed page by page and filtered, removed; the global list is read by managers, changed by admins', async () => {
  expect((await api('POST', '/api/dnc', { scope: { campaignId: 'win-back' }, phones: ['13800000001', '13800000002', '13900000003', 'x'] })).status).toBe(400);
  const added = await api('POST', '/api/dnc', { scope: { campaignId: 'win-back' }, phones: ['13800000001', '13800000002', '13900000003', '123'] });
  expect(added.body).toMatchObject({ added: 3, rejected: [{ index: 3, phone: '123' }] });
  expect((await api('GET', '/api/dnc?campaignId=win-back&limit=2')).body).toMatchObject({ total: 3, phones: ['+8613800000001', '+8613800000002'] });
  expect((await api('GET', '/api/dnc?campaignId=win-back&contains=139')).body).toMatchObject({ total: 1, phones: ['+8613900000003'] });
  await api('POST', '/api/dnc', { scope: { campaignId: 'win-back' }, phones: ['13800000001'], remove: true });
  expect((await api('GET', '/api/dnc?campaignId=win-back')).body.total).toBe(2);
  expect((await api('POST', '/api/dnc', { scope: 'global', phones: ['13700000000'] })).status).toBe(403);
  expect((await api('POST', '/api/dnc', { scope: 'global', phones: ['13700000000'] }, adminToken)).status).toBe(200);
  expect((await api('GET', '/api/dnc')).body).toMatchObject({ scope: 'global', total: 1 });
});

test('queues: created (a taken number refused), deactivated (no longer routes or lists), reactivated', async () => {
  const q = await api('POST', '/api/queues', { queueId: 'aftersales', name: '售后', storeId: 'sh-pudong', numbers: ['4008009999'] });
  expect(q.status).toBe(201);
  expect(q.body).toMatchObject({ queueId: 'aftersales', numbers: ['4008009999'], active: true });
  expect((await api('POST', '/api/queues', { queueId: 'other', name: 'x', storeId: 'sh-pudong', numbers: ['4008009999'] })).status).toBe(409);
  expect(t.app.queueDirectory.forDialled('4008009999')?.queueId).toBe('aftersales');
  const off = await api('POST', '/api/queues/aftersales/deactivate');
  expect(off.body).toMatchObject({ active: false });
  expect(t.app.queueDirectory.forDialled('4008009999')).toBeUndefined();
  expect(((await api('GET', '/api/queues')).body as unknown as { queueId: string }[]).map((x) => x.queueId)).not.toContain('aftersales');
  expect(((await api('GET', '/api/queues?all=1')).body as unknown as { queueId: string }[]).map((x) => x.queueId)).toContain('aftersales');
  expect((await api('PATCH', '/api/queues/aftersales', { active: true })).body).toMatchObject({ active: true });
});

test('teams: deactivated teams leave the list and cannot be given a campaign', async () => {
  expect((await api('POST', '/api/teams', { teamId: 'dcc-a', storeId: 'sh-pudong', name: 'A 组', members: ['ag1'] })).status).toBe(201);
  expect((await api('POST', '/api/teams/dcc-a/deactivate')).body).toMatchObject({ active: false });
  expect(((await api('GET', '/api/teams')).body as unknown as unknown[]).length).toBe(0);
  expect((await api('PATCH', '/api/campaigns/win-back', { teamId: 'dcc-a' })).status).toBe(422);
});
