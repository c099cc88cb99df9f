import { io, type Socket } from 'socket.io-client';
import { hashPassword } from '../../src/auth/passwords';
import type { Role } from '../../src/store/models';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * Sessions as users meet them: short-lived access tokens with one-use refresh tokens, logout and
 * deactivation ending every token and open desk, roles read from the user record on each request,
 * failed logins limited, errors in one bounded shape.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await t.app.models.Store.create({ _id: 'sh-pudong', groupId: 'g', name: '浦东' });
});
afterAll(async () => {
  await t.stop();
});

let n = 0;
async function user(roles: Role[] = ['agent'], storeIds = ['sh-pudong']): Promise<string> {
  const username = `u${++n}`;
  await t.app.models.User.create({ username, displayName: username, passwordHash: await hashPassword(`pw-${username}`), roles, storeIds, queueIds: ['sales'] });
  return username;
}

interface Session {
  token: string;
  refreshToken: string;
  expiresAt: number;
  user: { username: string; roles: string[] };
}
async function login(username: string): Promise<Session> {
  const r = await t.login(username, `pw-${username}`);
  expect(r.status).toBe(200);
  return r.body as unknown as Session;
}

async function call(method: string, path: string, opts: { token?: string; scheme?: string; body?: unknown } = {}): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(opts.token ? { authorization: `${opts.scheme ?? 'Bearer'} ${opts.token}` } : {}) },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

function desk(token: string): Socket {
  return io(`${t.url}/agent`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
}
function refusedWith(socket: Socket): Promise<{ message: string; code: string | undefined }> {
  return new Promise((resolve) => socket.once('connect_error', (err: Error & { data?: { code: string } }) => resolve({ message: err.message, code: err.data?.code })));
}

test('login gives a short-lived access token and a refresh token; the refresh token works once and gives a new pair', async () => {
  const u = await user();
  const s = await login(u);
  expect(s.expiresAt - Date.now()).toBeLessThanOrEqual(3600_000);
  expect(s.user).toMatchObject({ username: u, roles: ['agent'] });
  const renewed = await call('POST', '/api/auth/refresh', { body: { refreshToken: s.refreshToken } });
  expect(renewed.status).toBe(200);
  expect(renewed.body.refreshToken).not.toBe(s.refreshToken);
  expect((await call('GET', '/api/me', { token: renewed.body.token as string })).body).toMatchObject({ username: u });
  const again = await call('POST', '/api/auth/refresh', { body: { refreshToken: s.refreshToken } });
  expect(again).toMatchObject({ status: 401, body: { code: 'session_expired' } });
});

test('logout ends every access and refresh token of the user and the desks they have open', async () => {
  const u = await user();
  const other = await login(u); // the same user on another computer
  const s = await login(u);
  const socket = desk(other.token);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const told = new Promise<unknown>((resolve) => socket.once('session:ended', resolve));

  expect(await call('POST', '/api/auth/logout', { token: s.token, body: { refreshToken: s.refreshToken } })).toMatchObject({ status: 200, body: { ok: true } });
  expect(await told).toEqual({ code: 'session_expired', error: 'you logged out' });
  for (const token of [s.token, other.token]) expect(await call('GET', '/api/me', { token })).toMatchObject({ status: 401, body: { code: 'session_expired' } });
  expect(await call('POST', '/api/auth/refresh', { body: { refreshToken: other.refreshToken } })).toMatchObject({ status: 401, body: { code: 'session_expired' } });
  // an old token cannot open a desk either
  const late = desk(other.token);
  expect(await refusedWith(late)).toEqual({ message: 'this session was ended: log in again', code: 'session_expired' });
  late.disconnect();
  socket.disconnect();
  // logging in again works
  expect((await call('GET', '/api/me', { token: (await login(u)).token })).status).toBe(200);
});

test("roles come from the user record: a manager demoted to agent is refused at once with the token they hold", async () => {
  const m = await user(['manager']);
  const s = await login(m);
  expect((await call('GET', '/api/users', { token: s.token })).status).toBe(200);
  const admin = await login(await user(['admin'], []));
  expect((await call('PATCH', `/api/users/${m}`, { token: admin.token, body: { roles: ['agent'] } })).status).toBe(200);
  expect(await call('GET', '/api/users', { token: s.token })).toMatchObject({ status: 403, body: { code: 'forbidden', error: 'requires one of the roles: manager, admin' } });
});

test('a deactivated user is logged out everywhere, their desk told why, and cannot log in again', async () => {
  const a = await user();
  const s = await login(a);
  const socket = desk(s.token);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const told = new Promise<unknown>((resolve) => socket.once('session:ended', resolve));
  const mgr = await login(await user(['manager']));
  const r = await call('POST', `/api/users/${a}/deactivate`, { token: mgr.token });
  expect(r).toMatchObject({ status: 200, body: { username: a, active: false } });
  expect(await told).toEqual({ code: 'account_disabled', error: 'your account was disabled' });
  expect(await call('GET', '/api/me', { token: s.token })).toMatchObject({ status: 401, body: { code: 'account_disabled' } });
  expect(await call('POST', '/api/auth/refresh', { body: { refreshToken: s.refreshToken } })).toMatchObject({ status: 403, body: { code: 'account_disabled' } });
  const again = await t.login(a, `pw-${a}`);
  expect(again).toMatchObject({ status: 403, body: { code: 'account_disabled', error: 'this account is disabled: ask your manager' } });
  socket.disconnect();
});

test('a desk of a disabled account is refused when it connects, saying why', async () => {
  const a = await user();
  const s = await login(a);
  await t.app.models.User.updateOne({ username: a }, { $set: { active: false } });
  const socket = desk(s.token);
  expect(await refusedWith(socket)).toEqual({ message: 'this account is disabled', code: 'account_disabled' });
  socket.disconnect();
});

test('deactivation on one instance ends the desks connected to another instance of the deployment', async () => {
  const other = await startTestApp({ sameDeploymentAs: t });
  try {
    const a = await user();
    const s = await login(a);
    const socket = io(`${other.url}/agent`, { auth: { token: s.token }, transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const told = new Promise<unknown>((resolve) => socket.once('session:ended', resolve));
    const mgr = await login(await user(['manager']));
    expect((await call('POST', `/api/users/${a}/deactivate`, { token: mgr.token })).status).toBe(200);
    expect(await told).toEqual({ code: 'account_disabled', error: 'your account was disabled' });
    socket.disconnect();
  } finally {
    await other.app.stop(1000);
  }
});

test('GET /api/me/sip answers 401 for a user who was deleted', async () => {
  const a = await user();
  const s = await login(a);
  expect((await call('GET', '/api/me/sip', { token: s.token })).status).toBe(200);
  await t.app.models.User.deleteOne({ username: a });
  await t.app.userChanged(a);
  expect(await call('GET', '/api/me/sip', { token: s.token })).toMatchObject({ status: 401, body: { code: 'unauthorized', error: 'this account no longer exists' } });
});

test('the bearer scheme is accepted in any case (RFC 7235); other schemes are not', async () => {
  const s = await login(await user());
  for (const scheme of ['bearer', 'BEARER', 'Bearer']) expect((await call('GET', '/api/me', { token: s.token, scheme })).status).toBe(200);
  expect(await call('GET', '/api/me', { token: s.token, scheme: 'Basic' })).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
});

test('failed logins are limited per user name: 429 with Retry-After and a code; the right password is not even tried meanwhile', async () => {
  const a = await user();
  for (let i = 0; i < 5; i++) expect((await t.login(a, 'wrong')).status).toBe(401);
  const res = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: a, password: `pw-${a}` }) });
  expect(res.status).toBe(429);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(await res.json()).toMatchObject({ code: 'too_many_requests', error: expect.stringContaining('too many failed logins') });
});

test('a successful login clears the user name\'s count of failures', async () => {
  const a = await user();
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 4; i++) expect((await t.login(a, 'wrong')).status).toBe(401);
    expect((await t.login(a, `pw-${a}`)).status).toBe(200);
  }
});

test('failed logins are limited per client address too, whatever user names it tries', async () => {
  const limited = await startTestApp({ loginLimits: { perUser: 100, perAddress: 3, windowMs: 60_000 } });
  try {
    for (let i = 0; i < 3; i++) expect((await limited.login(`nobody${i}`, 'guess')).status).toBe(401);
    expect(await limited.login('someone-else', 'guess')).toMatchObject({ status: 429, body: { code: 'too_many_requests' } });
  } finally {
    await limited.stop();
  }
});

test('every error is { error, code } and bounded, whatever the input', async () => {
  const s = await login(await user(['manager']));
  const huge = 'x'.repeat(100_000);
  const r = await call('PATCH', '/api/users/nobody', { token: s.token, body: { [huge]: 1 } });
  expect(r.status).toBe(400);
  expect(Object.keys(r.body).sort()).toEqual(['code', 'error']);
  expect(r.body.code).toBe('invalid_request');
  expect((r.body.error as string).length).toBeLessThan(400);
  expect(r.body.error).toMatch(/more characters cut\)$/);
  expect(await call('GET', '/api/nothing-here', { token: s.token })).toMatchObject({ status: 404, body: { code: 'not_found', error: 'no such API route' } });
  const wrongMethod = await call('DELETE', '/api/users', { token: s.token });
  expect(wrongMethod).toMatchObject({ status: 405, body: { code: 'method_not_allowed', error: 'this path answers GET, POST only' } });
  expect(wrongMethod.headers.get('allow')).toBe('GET, POST');
  expect(await call('GET', '/api/me')).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
});

test("an agent made manager loses their desk at once (it no longer takes calls); reconnecting is refused", async () => {
  const a = await user();
  const s = await login(a);
  const socket = desk(s.token);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const told = new Promise<unknown>((resolve) => socket.once('session:ended', resolve));
  const admin = await login(await user(['admin'], []));
  expect((await call('PATCH', `/api/users/${a}`, { token: admin.token, body: { roles: ['manager'] } })).status).toBe(200);
  expect(await told).toEqual({ code: 'session_expired', error: 'your account no longer takes calls' });
  const again = desk(s.token);
  expect((await refusedWith(again)).code).toBe('not_a_call_taker');
  again.disconnect();
  socket.disconnect();
});
