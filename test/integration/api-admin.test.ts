import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { hashPassword } from '../../src/auth/passwords';
import type { Role } from '../../src/store/models';
import { findProjectRoot } from '../../src/util/project-root';
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
  [{ dispositionCodes: [] }, 'dispositionCodes: a queue needs at least one disposition code'],
  [{ dispositionCodes: ['a', 'a'] }, 'dispositionCodes: disposition codes must not repeat'],
  [{ dispositionCodes: ['Has Space'] }, 'dispositionCodes.0: disposition codes are lower-case'],
  [{ strategy: 'random' }, 'strategy'],
  [{ offerTimeoutMs: 10 }, 'offerTimeoutMs'],
  [{ colour: 'red' }, 'colour'],
  [{}, 'nothing to change'],
  [{ overflow: { kind: 'queue', queueId: 'dcc-inbound' } }, 'overflow.queueId: a queue cannot overflow into itself'],
  [{ overflow: { kind: 'queue', queueId: 'nope' } }, 'overflow.queueId: no queue nope'],
  ['{not json', 'request body is not valid JSON'],
])('bad queue changes are refused with a reason and change nothing: %j', async (body, message) => {
  const before = await t.app.models.Queue.findOne({ queueId: 'dcc-inbound' }).lean();
  const r = await api('mgr', 'PATCH', '/api/queues/dcc-inbound', body);
  expect(r.status).toBe(400);
  expect(r.body.error).toContain(message);
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

test('the OpenAPI file describes every route, and each documented route exists', async () => {
  const page = await fetch(`${t.url}/api/docs`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('/api/queues/{queueId}');
  const spec = YAML.parse(fs.readFileSync(path.join(findProjectRoot(), 'src', 'api', 'openapi.yaml'), 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  for (const [p, ops] of Object.entries(spec.paths)) {
    for (const method of Object.keys(ops)) {
      const url = p.replace(/\{[^}]+\}/g, 'x');
      const r = await api('adm', method.toUpperCase(), url, method === 'get' ? undefined : {});
      expect(`${method} ${p} → ${r.status} ${r.body.error ?? ''}`).not.toMatch(/no such API route/);
    }
  }
  // Every route the server answers is documented: routes are registered in src/api/*.ts.
  const source = ['http-app.ts', 'admin-routes.ts', 'lead-routes.ts', 'campaign-routes.ts', 'desk-routes.ts'].map((f) => fs.readFileSync(path.join(findProjectRoot(), 'src', 'api', f), 'utf8')).join('\n');
  const registered = [...source.matchAll(/app\.(get|post|put|patch|delete)\('([^']+)'/g)].map((m) => `${m[1]} ${(m[2] ?? '').replace(/:(\w+)/g, '{$1}')}`);
  const documented = new Set(Object.entries(spec.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)));
  expect(registered.filter((r) => !documented.has(r))).toEqual([]);
});
