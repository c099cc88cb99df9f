import { hashPassword } from '../../src/auth/passwords';
import type { Role } from '../../src/store/models';
import { sipPasswordFor } from '../../src/telephony/freeswitch/digest-auth';
import { startTestApp, type TestApp } from '../support/test-app';

/** Users and teams over REST: admins everywhere, managers within their stores and up to their own role. */

let t: TestApp;
const tokens = new Map<string, string>();
beforeAll(async () => {
  t = await startTestApp({ queues: [{ queueId: 'sales', name: '销售', numbers: ['4008001234'], storeId: 'sh-pudong' }, { queueId: 'bj-sales', name: '朝阳销售', numbers: ['4008002222'], storeId: 'bj-chaoyang' }] });
  await t.app.models.Store.create([
    { _id: 'sh-pudong', groupId: 'g', name: '浦东' },
    { _id: 'bj-chaoyang', groupId: 'g', name: '朝阳' },
  ]);
  await user('mgr', ['manager'], ['sh-pudong']);
  await user('mgr-bj', ['manager'], ['bj-chaoyang']);
  await user('adm', ['admin'], []);
  await user('sup', ['supervisor'], ['sh-pudong']);
});
afterAll(async () => {
  await t.stop();
});

async function user(username: string, roles: Role[], storeIds: string[]): Promise<void> {
  await t.app.models.User.create({ username, displayName: username, passwordHash: await hashPassword(`pw-${username}`), roles, storeIds });
}

async function api(who: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  let token = tokens.get(who);
  if (!token) {
    token = (await t.login(who, `pw-${who}`)).body.token as string;
    tokens.set(who, token);
  }
  const res = await fetch(`${t.url}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('a manager creates an agent in their store, who can log in; the user is listed for their store only', async () => {
  const r = await api('mgr', 'POST', '/api/users', { username: 'new1', displayName: '新人', password: 'first-password', roles: ['agent'], storeIds: ['sh-pudong'], queueIds: ['sales'], skills: [{ skill: 'dcc', level: 5 }], extension: '1201' });
  expect(r).toMatchObject({ status: 201, body: { username: 'new1', displayName: '新人', roles: ['agent'], storeIds: ['sh-pudong'], queueIds: ['sales'], skills: [{ skill: 'dcc', level: 5 }], extension: '1201', active: true } });
  expect(r.body).not.toHaveProperty('passwordHash');
  expect((await t.login('new1', 'first-password')).status).toBe(200);
  expect(((await api('mgr', 'GET', '/api/users?storeId=sh-pudong')).body as unknown as { username: string }[]).map((u) => u.username)).toEqual(['mgr', 'new1', 'sup']);
  expect(((await api('mgr-bj', 'GET', '/api/users')).body as unknown as { username: string }[]).map((u) => u.username)).toEqual(['mgr-bj']);
  expect((await api('mgr-bj', 'GET', '/api/users/new1')).status).toBe(404);
  expect((await api('mgr', 'POST', '/api/users', { username: 'new1', displayName: 'x', password: 'another-one', roles: ['agent'], storeIds: ['sh-pudong'] })).status).toBe(409);
  expect((await api('sup', 'GET', '/api/users')).status).toBe(403);
});

test("a manager cannot grant admin, put users in other stores or queues, nor touch another store's users", async () => {
  const base = { displayName: 'x', password: 'long-enough', storeIds: ['sh-pudong'] };
  expect(await api('mgr', 'POST', '/api/users', { ...base, username: 'boss', roles: ['admin'] })).toMatchObject({ status: 403, body: { code: 'forbidden', error: 'you cannot grant the role admin' } });
  expect(await api('mgr', 'POST', '/api/users', { ...base, username: 'elsewhere', roles: ['agent'], storeIds: ['bj-chaoyang'] })).toMatchObject({ status: 422, body: { error: 'no store bj-chaoyang in your stores' } });
  expect(await api('mgr', 'POST', '/api/users', { ...base, username: 'q', roles: ['agent'], queueIds: ['bj-sales'] })).toMatchObject({ status: 422, body: { error: 'no queue bj-sales in your stores' } });
  expect(await api('mgr', 'POST', '/api/users', { ...base, username: 'short', roles: ['agent'], password: 'x' })).toMatchObject({ status: 400, body: { error: 'password: passwords have at least 8 characters' } });
  await user('bj-agent', ['agent'], ['bj-chaoyang']);
  expect((await api('mgr', 'PATCH', '/api/users/bj-agent', { displayName: 'mine now' })).status).toBe(404);
  expect((await api('mgr', 'POST', '/api/users/bj-agent/deactivate')).status).toBe(404);
  expect((await api('mgr', 'PATCH', '/api/users/adm', { displayName: 'x' })).status).toBe(404);
  // a user of both stores belongs to the other manager too: this one may see but not change them
  await user('both', ['agent'], ['sh-pudong', 'bj-chaoyang']);
  expect((await api('mgr', 'GET', '/api/users/both')).status).toBe(200);
  expect(await api('mgr', 'PATCH', '/api/users/both', { displayName: 'x' })).toMatchObject({ status: 403, body: { code: 'forbidden' } });
  expect(await api('mgr', 'PATCH', '/api/users/mgr', { roles: ['admin'] })).toMatchObject({ status: 403 });
  expect((await t.app.models.User.findOne({ username: 'mgr' }).lean())?.roles).toEqual(['manager']);
  // an admin may do all of it
  expect((await api('adm', 'PATCH', '/api/users/both', { roles: ['supervisor'], storeIds: ['bj-chaoyang'] })).body).toMatchObject({ roles: ['supervisor'], storeIds: ['bj-chaoyang'] });
});

test('a password set by the manager replaces the old one and ends the sessions of the user', async () => {
  await user('pw1', ['agent'], ['sh-pudong']);
  const old = (await t.login('pw1', 'pw-pw1')).body.token as string;
  expect((await api('mgr', 'PATCH', '/api/users/pw1', { password: 'a-new-password', extension: '1301' })).body).toMatchObject({ extension: '1301' });
  expect((await t.login('pw1', 'pw-pw1')).status).toBe(401);
  expect((await t.login('pw1', 'a-new-password')).status).toBe(200);
  const me = await fetch(`${t.url}/api/me`, { headers: { authorization: `Bearer ${old}` } });
  expect(me.status).toBe(401);
  expect((await api('mgr', 'PATCH', '/api/users/pw1', { extension: null })).body).toMatchObject({ extension: null });
  expect(await api('mgr', 'PATCH', '/api/users/pw1', {})).toMatchObject({ status: 422, body: { error: 'body: nothing to change' } });
});

test("an agent's SIP password is reset alone: their own /api/me/sip shows the new one, a colleague's stays", async () => {
  await user('sip1', ['agent'], ['sh-pudong']);
  await user('sip2', ['agent'], ['sh-pudong']);
  const before1 = (await api('sip1', 'GET', '/api/me/sip')).body;
  const before2 = (await api('sip2', 'GET', '/api/me/sip')).body;
  expect(before1).toMatchObject({ username: 'sip1', realm: 'dcc-cti' });
  // not the old scheme (an HMAC of the raw server secret): the password key is derived for this purpose
  const reset = await api('mgr', 'POST', '/api/users/sip1/sip-password/reset');
  expect(reset.status).toBe(200);
  const after1 = (await api('sip1', 'GET', '/api/me/sip')).body;
  expect(after1.password).not.toBe(before1.password);
  expect(reset.body).toEqual({ username: 'sip1', password: after1.password });
  expect((await api('sip2', 'GET', '/api/me/sip')).body.password).toBe(before2.password);
  expect(await t.app.sipAccount('sip1')).toEqual({ sipPasswordVersion: 1 });
  expect((await api('mgr-bj', 'POST', '/api/users/sip1/sip-password/reset')).status).toBe(404);
  expect((await api('sip2', 'POST', '/api/users/sip1/sip-password/reset')).status).toBe(403);
  expect(sipPasswordFor('sip1', `test-deployment-secret-${t.id}`, 1)).toBe(after1.password);
});

test('teams: a manager makes a team of their store with its users, renames it and changes its members', async () => {
  await user('tm1', ['agent'], ['sh-pudong']);
  await user('tm2', ['agent'], ['sh-pudong']);
  await user('tm-bj', ['agent'], ['bj-chaoyang']);
  expect(await api('mgr', 'POST', '/api/teams', { teamId: 'pd-dcc', storeId: 'sh-pudong', name: '浦东 DCC', members: ['tm1'] })).toMatchObject({ status: 201, body: { teamId: 'pd-dcc', storeId: 'sh-pudong', members: ['tm1'] } });
  expect(await api('mgr', 'POST', '/api/teams', { teamId: 'x', storeId: 'sh-pudong', name: 'x', members: ['tm-bj'] })).toMatchObject({ status: 422, body: { error: 'no user tm-bj in store sh-pudong' } });
  expect((await api('mgr', 'POST', '/api/teams', { teamId: 'bj', storeId: 'bj-chaoyang', name: 'x' })).status).toBe(422);
  expect((await api('mgr', 'POST', '/api/teams', { teamId: 'pd-dcc', storeId: 'sh-pudong', name: 'again' })).status).toBe(409);
  expect((await api('mgr', 'PATCH', '/api/teams/pd-dcc', { name: '浦东回访', members: ['tm1', 'tm2'] })).body).toMatchObject({ name: '浦东回访', members: ['tm1', 'tm2'] });
  expect((await api('mgr-bj', 'PATCH', '/api/teams/pd-dcc', { name: 'mine' })).status).toBe(404);
  expect(((await api('sup', 'GET', '/api/teams')).body as unknown as { teamId: string }[]).map((x) => x.teamId)).toEqual(['pd-dcc']);
  expect((await api('mgr-bj', 'GET', '/api/teams')).body).toEqual([]);
});
