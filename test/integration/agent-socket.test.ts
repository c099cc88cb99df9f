import { io as ioClient, type Socket } from 'socket.io-client';
import { hashPassword } from '../../src/auth/passwords';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * The desk's socket as a browser uses it: commands sent the moment it connects (or replayed by
 * socket.io after a reconnect) are never dropped, every command is answered, and a refused or ended
 * session says why.
 */

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});

afterAll(async () => {
  await t.stop();
});

async function tokenFor(username: string): Promise<string> {
  await t.app.models.User.create({ username, displayName: username, passwordHash: await hashPassword(`pw-${username}`), roles: ['agent'], queueIds: ['sales'], skills: [] });
  const { body } = await t.login(username, `pw-${username}`);
  return body.token as string;
}

function open(token: string): Socket {
  return ioClient(`${t.url}/agent`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
}

test('a command sent in the same tick as the connection is answered and carried out', async () => {
  const socket = open(await tokenFor('eager'));
  // socket.io buffers these until the connection is up; the server must not have missed them
  const first = socket.timeout(5000).emitWithAck('agent:not_ready', { reason: 'meeting' });
  const second = socket.timeout(5000).emitWithAck('agent:ready', {});
  expect(await first).toEqual({ ok: true });
  expect(await second).toEqual({ ok: true });
  expect((await t.app.agents.get('eager')).state).toBe('ready');
  socket.disconnect();
});

test('a command without a payload still gets its answer; an unknown field is refused with its code', async () => {
  const socket = open(await tokenFor('terse'));
  expect(await socket.timeout(5000).emitWithAck('agent:ready')).toEqual({ ok: true });
  const refused = (await socket.timeout(5000).emitWithAck('agent:not_ready', { reason: 'lunch', extra: 1 })) as { ok: boolean; code: string; error: string };
  expect(refused).toMatchObject({ ok: false, code: 'invalid_request' });
  expect(refused.error).toMatch(/invalid agent:not_ready/);
  socket.disconnect();
});

test('a desk whose account was deleted is refused at once, saying why', async () => {
  const token = await tokenFor('gone');
  await t.app.models.User.deleteOne({ username: 'gone' });
  const socket = open(token);
  const err = await new Promise<Error & { data?: { code: string } }>((resolve) => socket.once('connect_error', resolve));
  expect(err.message).toBe('this account no longer exists');
  expect(err.data).toEqual({ code: 'session_expired' });
  socket.disconnect();
});

test('an account whose roles no longer take calls is refused, whatever its token says', async () => {
  const token = await tokenFor('promoted');
  await t.app.models.User.updateOne({ username: 'promoted' }, { $set: { roles: ['manager'] } });
  const socket = open(token);
  const err = await new Promise<Error & { data?: { code: string } }>((resolve) => socket.once('connect_error', resolve));
  expect(err.data).toEqual({ code: 'not_a_call_taker' });
  socket.disconnect();
});

test('a session ended on the server tells each open desk why before it disconnects', async () => {
  const socket = open(await tokenFor('ended'));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  expect(await socket.timeout(5000).emitWithAck('agent:ready', {})).toEqual({ ok: true });
  const told = new Promise<unknown>((resolve) => socket.once('session:ended', resolve));
  const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
  t.app.endSessions('ended', 'account_disabled', 'your account was disabled');
  expect(await told).toEqual({ code: 'account_disabled', error: 'your account was disabled' });
  expect(await gone).toBe('io server disconnect');
});
