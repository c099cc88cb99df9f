import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/embedded/free-port';
import { kill, readyz, startServer, type Running } from '../support/server-process';
import { testServices } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * The production entry point with the FreeSWITCH adapter (SWITCH=freeswitch, as docker-compose runs
 * it), before drachtio-server and FreeSWITCH are reachable: it stays up, keeps trying, and /readyz
 * says 503 naming what it waits for. (Against a real drachtio + FreeSWITCH: npm run test:realstack.)
 */

const servers: Running[] = [];
const dirs: string[] = [];
let silent: net.Server | undefined;

afterAll(async () => {
  for (const s of servers) if (s.proc.exitCode === null) await kill(s, 'SIGKILL');
  silent?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function freeswitchEnv(drachtioPort: number, freeswitchPort: number): Promise<Record<string, string>> {
  const { redisUrl, mongoBase } = testServices();
  const id = randomBytes(3).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-fs-mode-'));
  dirs.push(dir);
  return {
    SWITCH: 'freeswitch',
    REDIS_URL: redisUrl,
    REDIS_PREFIX: `fs${id}`,
    MONGODB_URI: `${mongoBase}/fsmode_${id}`,
    AUTH_SECRET: randomBytes(24).toString('hex'),
    DRACHTIO_HOST: '127.0.0.1',
    DRACHTIO_PORT: String(drachtioPort),
    DRACHTIO_SECRET: 'not-used-here',
    FREESWITCH_HOST: '127.0.0.1',
    FREESWITCH_PORT: String(freeswitchPort),
    FREESWITCH_SECRET: 'not-used-here',
    ESL_LISTEN_ADDRESS: '127.0.0.1',
    VAR_DIR: dir,
  };
}

async function staysUpWaiting(s: Running, drachtioPort: number, freeswitchPort: number): Promise<void> {
  const waiting = await eventually(async () => {
    const r = await readyz(s.port);
    return r && r.body.switch === 'down' ? r : undefined;
  }, () => `the instance to report the switch down (output: ${s.output().slice(-1500)})`, 40_000);
  expect(waiting.status).toBe(503);
  expect(waiting.body).toMatchObject({
    ready: false,
    redis: 'up',
    mongodb: 'up',
    switch: 'down',
    switchParts: { [`drachtio-server 127.0.0.1:${drachtioPort}`]: 'down', [`FreeSWITCH 127.0.0.1:${freeswitchPort}`]: 'down' },
  });
  // still up and still trying a while later
  await new Promise((r) => setTimeout(r, 3_000));
  expect(s.proc.exitCode).toBeNull();
  expect((await readyz(s.port))?.status).toBe(503);
  expect(s.output()).toMatch(/FreeSWITCH not reachable/);
}

test('closed ports: the server starts, stays up, keeps retrying, and readyz names the switch parts it waits for', async () => {
  const [d, f] = [await freePort(), await freePort()];
  const s = startServer(await freePort(), await freeswitchEnv(d, f));
  servers.push(s);
  await staysUpWaiting(s, d, f);
  s.proc.kill('SIGTERM');
  expect(await s.exited).toEqual({ code: 0, signal: null });
}, 90_000);

test('a TCP listener that is not drachtio-server (answering garbage, or nothing): the same, nothing crashes', async () => {
  let connections = 0;
  silent = net.createServer((socket) => {
    // someone else's service: the first connections get an answer that is not drachtio's framing
    // (it used to throw out of drachtio-srf's socket handler and end the process), later ones silence
    const garbage = connections++ < 2;
    socket.on('data', () => garbage && socket.write('HTTP/1.1 400 Bad Request\r\n\r\n5#hello'));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent?.listen(0, '127.0.0.1', () => resolve()));
  const d = (silent.address() as net.AddressInfo).port;
  const f = await freePort();
  const s = startServer(await freePort(), await freeswitchEnv(d, f));
  servers.push(s);
  await staysUpWaiting(s, d, f);
  expect(s.output()).toMatch(/does not speak the drachtio protocol/);
  await eventually(() => /no drachtio handshake on the admin connection/.test(s.output()), 'the silent connection given up', 15_000);
  expect(connections).toBeGreaterThan(2); // it keeps trying
  s.proc.kill('SIGTERM');
  expect(await s.exited).toEqual({ code: 0, signal: null });
}, 90_000);
