import YAML from 'yaml';
import { hashPassword } from '../../src/auth/passwords';
import type { Role } from '../../src/store/models';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

/** The REST API as managers and agents use it: roles, store scoping, validation, the OpenAPI file. */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ ivr: true });
  await t.app.models.Store.create({ _id: 'bj-chaoyang', groupId: 'demo-group', name: '朝阳 4S 店', timeZone: 'Asia/Shanghai', hours: {}, holidays: [] });
  await user('mgr', ['manager'], ['sh-pudong']);
  await user('mgr-bj', ['manager'], ['bj-chaoyang']);
  await user('agt', ['agent'], ['sh-pudong']);
  await user('adm', ['admin'], []);
});
afterAll(async () => {
  await t.stop();
});

async function user(username: string, roles: Role[], storeIds: string[]): Promise<void> {
  await t.app.models.User.create({ username, displayName: username, passwordHash: await hashPassword(`pw-${username}`), roles, storeIds });
}

const tokens = new Map<string, string>();
async function api(who: string | undefined, method: string, url: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> & { error?: string } }> {
  let token = who ? tokens.get(who) : undefined;
  if (who && !token) {
    token = (await t.login(who, `pw-${who}`)).body.token as string;
    tokens.set(who, token);
  }
  const res = await fetch(`${t.url}${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') || text.startsWith('[') ? (JSON.parse(text) as Record<string, unknown>) : { text } };
}

test('a manager changes the disposition set of a queue in their store; the change is live at once', async () => {
  const r = await api('mgr', 'PATCH', '/api/queues/dcc-inbound', { dispositionCodes: ['appointment_set', 'test_drive_booked', 'not_interested'] });
  expect(r.status).toBe(200);
  expect(r.body.dispositionCodes).toEqual(['appointment_set', 'test_drive_booked', 'not_interested']);
  expect(t.app.queueDirectory.get('dcc-inbound')?.dispositionCodes).toContain('test_drive_booked');
  const list = await api('agt', 'GET', '/api/queues');
  expect((list.body as unknown as { queueId: string; waiting: number }[]).map((q) => q.queueId).sort()).toEqual(['dcc-callback', 'dcc-inbound', 'sales']);
});

test.each([
  [{ dispositionCodes: [] }, 400, 'dispositionCodes: a queue needs at least one disposition code'],
  [{ dispositionCodes: ['a', 'a'] }, 422, 'dispositionCodes: disposition codes must not repeat'],
  [{ dispositionCodes: ['Has Space'] }, 400, 'dispositionCodes.0: disposition codes are lower-case'],
  [{ strategy: 'random' }, 400, 'strategy'],
  [{ offerTimeoutMs: 10 }, 400, 'offerTimeoutMs'],
  [{ colour: 'red' }, 400, 'colour'],
  [{}, 422, 'nothing to change'],
  [{ overflow: { kind: 'queue', queueId: 'dcc-inbound' } }, 422, 'overflow.queueId: a queue cannot overflow into itself'],
  [{ overflow: { kind: 'queue', queueId: 'nope' } }, 422, 'overflow.queueId: no queue nope'],
  ['{not json', 400, 'request body is not valid JSON'],
])('bad queue changes are refused with a reason and change nothing: %j', async (body, status, message) => {
  const before = await t.app.models.Queue.findOne({ queueId: 'dcc-inbound' }).lean();
  const r = await api('mgr', 'PATCH', '/api/queues/dcc-inbound', body);
  expect(r.status).toBe(status);
  expect(r.body.error).toContain(message);
  expect(r.body.code).toBe('invalid_request');
  const after = await t.app.models.Queue.findOne({ queueId: 'dcc-inbound' }).lean();
  expect(after?.updatedAt).toEqual(before?.updatedAt);
});

test('a change made through one app instance takes effect on the others of the deployment', async () => {
  const other = await startTestApp({ ivr: true, sameDeploymentAs: t });
  try {
    expect((await api('mgr', 'PATCH', '/api/queues/sales', { dispositionCodes: ['test_drive_booked', 'not_interested'] })).status).toBe(200);
    await eventually(() => other.app.queueDirectory.get('sales')?.dispositionCodes.includes('test_drive_booked') ?? false, 'the other instance to reload');
  } finally {
    await other.app.stop(1000);
  }
});

test('roles and stores are checked: agents may not change queues; another store\'s manager does not see them', async () => {
  expect((await api(undefined, 'PATCH', '/api/queues/dcc-inbound', { name: 'x' })).status).toBe(401);
  expect((await api('agt', 'PATCH', '/api/queues/dcc-inbound', { name: 'x' })).status).toBe(403);
  const other = await api('mgr-bj', 'PATCH', '/api/queues/dcc-inbound', { name: 'x' });
  expect(other).toMatchObject({ status: 404, body: { error: 'no queue dcc-inbound in your stores' } });
  expect(((await api('mgr-bj', 'GET', '/api/queues')).body as unknown as unknown[]).length).toBe(0);
  expect(((await api('mgr-bj', 'GET', '/api/stores')).body as unknown as { storeId: string }[]).map((s) => s.storeId)).toEqual(['bj-chaoyang']);
  expect((await api('mgr', 'POST', '/api/ivr/reload')).status).toBe(403);
  expect((await api('adm', 'POST', '/api/ivr/reload')).status).toBe(200);
});

test('store hours: validated, and the IVR follows new hours at once', async () => {
  expect((await api('mgr', 'PUT', '/api/stores/sh-pudong/hours', { timeZone: 'Asia/Shanghai', hours: { '1': ['9:00-18:00'] }, holidays: [] })).body.error).toContain('hours.1.0: opening intervals are "HH:MM-HH:MM"');
  expect((await api('mgr', 'PUT', '/api/stores/sh-pudong/hours', { timeZone: 'Asia/Shanghai', hours: { '1': ['18:00-09:00'] }, holidays: [] })).body.error).toContain('hours.1: "18:00-09:00" ends before it starts');
  expect((await api('mgr', 'PUT', '/api/stores/sh-pudong/hours', { timeZone: 'Moon/Base', hours: {}, holidays: [] })).body.error).toContain('timeZone: must be an IANA time zone');
  expect((await api('mgr', 'PUT', '/api/stores/sh-pudong/hours', { timeZone: 'Asia/Shanghai', hours: {}, holidays: ['01/01/2027'] })).body.error).toContain('holidays.0');
  expect((await api('mgr-bj', 'PUT', '/api/stores/sh-pudong/hours', { timeZone: 'Asia/Shanghai', hours: {}, holidays: [] })).status).toBe(404);
  // Monday 09:00 on the test clock: open; moving Monday's hours to the afternoon closes the line now.
  const r = await api('mgr', 'PUT', '/api/stores/sh-pudong/hours', { timeZone: 'Asia/Shanghai', hours: { '1': ['13:00-18:00'] }, holidays: [] });
  expect(r.status).toBe(200);
  const caller = t.sw.placeCall({ from: '13900009999', to: '4008009999' });
  await eventually(() => caller.heard.includes('prompt:closed'), 'the closed message under the new hours');
  caller.hangup();
});

test('a customer card is visible to staff of the owning store and to the owner only', async () => {
  const c = await t.app.models.Customer.create({ name: '孙丽', phones: ['+8613900001010'], owningStoreId: 'sh-pudong', status: 'defeated', grade: 'B', funnel: [{ at: new Date(), kind: 'visit', storeId: 'sh-pudong', model: 'Model 3' }] });
  const mine = await api('agt', 'GET', `/api/customers/${String(c._id)}`);
  expect(mine.status).toBe(200);
  expect(mine.body).toMatchObject({ name: '孙丽', grade: 'B', funnel: [{ kind: 'visit', model: 'Model 3' }] });
  expect((await api('mgr-bj', 'GET', `/api/customers/${String(c._id)}`)).status).toBe(404);
  expect((await api('agt', 'GET', '/api/customers/not-an-id')).body.error).toBe('customerId: not a customer id');
});

test('the OpenAPI document describes every route the server answers, with its error responses', async () => {
  const page = await fetch(`${t.url}/api/docs`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('/api/queues/{queueId}');
  const spec = (await (await fetch(`${t.url}/api/docs/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  expect(spec.openapi).toBe('3.1.0');
  const documented = new Set(Object.entries(spec.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)));
  const served = t.app.httpRoutes().map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
  expect(served.length).toBeGreaterThan(40);
  expect(served.filter((r) => !documented.has(r))).toEqual([]);
  expect([...documented].filter((d) => !served.includes(d))).toEqual([]);
  // the errors a caller can meet are documented with the error schema
  const patchQueue = spec.paths['/api/queues/{queueId}']?.patch?.responses ?? {};
  expect(Object.keys(patchQueue).sort()).toEqual(['200', '400', '401', '403', '404', '413', '415', '422', '503']);
  expect(spec.paths['/api/auth/login']?.post?.responses).toHaveProperty('429');
  const yaml = await fetch(`${t.url}/api/docs/openapi.yaml`);
  expect(YAML.parse(await yaml.text())).toEqual(spec);
});

test("voicemails of the caller's stores are listed even when other stores have hundreds newer", async () => {
  const at = Date.now();
  await t.app.models.Voicemail.create({ _id: 'vm-mine', callId: 'vm-mine', queueId: 'dcc-inbound', storeId: 'sh-pudong', from: '+8613800000001', durationMs: 5000, file: '/x.wav', at: new Date(at - 3600_000) });
  await t.app.models.Voicemail.insertMany(
    Array.from({ length: 520 }, (_, i) => ({ _id: `vm-bj-${i}`, callId: `vm-bj-${i}`, queueId: 'bj', storeId: 'bj-chaoyang', from: '+8613800000002', durationMs: 5000, file: '/y.wav', at: new Date(at - i * 1000) })),
  );
  const mine = await api('mgr', 'GET', '/api/voicemails');
  expect(mine.status).toBe(200);
  expect((mine.body as unknown as { callId: string }[]).map((v) => v.callId)).toEqual(['vm-mine']);
  const theirs = await api('mgr-bj', 'GET', '/api/voicemails');
  expect((theirs.body as unknown as unknown[]).length).toBe(500);
});
