import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/embedded/free-port';
import { findProjectRoot } from '../../src/util/project-root';
import { eventually } from '../support/wait';

/**
 * The server as `npm start` runs it (the compiled dist/src/main.js, embedded Redis and FerretDB as
 * child processes), checked from outside: readiness, data kept across restarts, clean shutdown.
 */

const root = findProjectRoot();
const main = path.join(root, 'dist', 'src', 'main.js');

interface Running {
  proc: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function binaries(): Record<string, string> {
  return Object.fromEntries(['FERRETDB_BIN', 'REDIS_SERVER_BIN'].flatMap((k) => (process.env[k] ? [[k, process.env[k] as string]] : [])));
}

function start(varDir: string, port: number, env: Record<string, string> = {}): Running {
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: npm test builds it (npm run build)`);
  const proc = spawn(process.execPath, [main], {
    // the binaries npm test was told to use (FERRETDB_BIN, REDIS_SERVER_BIN) when set
    env: { ...binaries(), PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', VAR_DIR: varDir, PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  return { proc, port, output: () => out, exited };
}

async function readyz(port: number): Promise<{ status: number; body: Record<string, string | boolean> } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: res.status, body: (await res.json()) as Record<string, string | boolean> };
  } catch {
    return undefined;
  }
}

function childPids(varDir: string): number[] {
  const run = path.join(varDir, 'run');
  return ['redis.pid', 'ferretdb.pid'].flatMap((f) => {
    try {
      return [Number.parseInt(fs.readFileSync(path.join(run, f), 'utf8'), 10)];
    } catch {
      return [];
    }
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes whose command line mentions the folder: the embedded servers of that run. */
function processesUsing(varDir: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(varDir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function login(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: '1001', password: 'demo1001' }) });
  return res.status;
}

let varDir: string;
beforeAll(() => {
  varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-e2e-'));
});
afterAll(() => {
  for (const pid of processesUsing(varDir)) process.kill(pid, 'SIGKILL');
  fs.rmSync(varDir, { recursive: true, force: true });
});

test('starts its own Redis and FerretDB, becomes ready, and leaves no process behind after SIGTERM', async () => {
  const s = start(varDir, await freePort());
  const ready = await eventually(async () => ((await readyz(s.port))?.status === 200 ? readyz(s.port) : undefined), 'readyz 200', 60_000);
  expect(ready?.body).toEqual({ ready: true, redis: 'up', mongodb: 'up', switch: 'up', instance: expect.any(String), role: expect.stringMatching(/^(leader|member)$/) });
  const pids = childPids(varDir);
  expect(pids).toHaveLength(2);
  expect(pids.every(alive)).toBe(true);
  expect(await login(s.port)).toBe(200);

  const bad = await fetch(`http://127.0.0.1:${s.port}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: string }).error).toMatch(/not valid JSON/);

  s.proc.kill('SIGTERM');
  expect(await s.exited).toEqual({ code: 0, signal: null });
  expect(pids.filter(alive)).toEqual([]);
  expect(processesUsing(varDir)).toEqual([]);
}, 90_000);

test('a second start reuses the data folder: the demo accounts are still there, not seeded twice', async () => {
  const s = start(varDir, await freePort());
  await eventually(async () => (await readyz(s.port))?.status === 200, 'readyz 200', 60_000);
  expect(await login(s.port)).toBe(200);
  expect(s.output()).not.toContain('seeded demo data');
  s.proc.kill('SIGINT');
  expect(await s.exited).toEqual({ code: 0, signal: null });
  expect(processesUsing(varDir)).toEqual([]);
}, 90_000);

test('a second start in the same folder refuses with one line naming the running server, and the first one keeps serving', async () => {
  const first = start(varDir, await freePort());
  await eventually(async () => (await readyz(first.port))?.status === 200, 'readyz 200', 60_000);
  const children = childPids(varDir);
  const second = start(varDir, await freePort());
  const { code } = await second.exited;
  expect(code).not.toBe(0);
  const lines = second.output().trim().split('\n');
  expect(lines).toEqual([`another server is running from ${varDir} (pid ${first.proc.pid}); stop it first, or give this one its own VAR_DIR`]);
  // nothing of the first run was touched
  expect(children.every(alive)).toBe(true);
  expect(childPids(varDir)).toEqual(children);
  expect((await readyz(first.port))?.status).toBe(200);
  expect(await login(first.port)).toBe(200);
  first.proc.kill('SIGTERM');
  expect(await first.exited).toEqual({ code: 0, signal: null });
}, 120_000);

test('servers left behind by a killed run are stopped by the next start', async () => {
  const first = start(varDir, await freePort());
  await eventually(async () => (await readyz(first.port))?.status === 200, 'readyz 200', 60_000);
  const orphans = childPids(varDir);
  first.proc.kill('SIGKILL');
  await first.exited;
  expect(orphans.every(alive)).toBe(true);

  const second = start(varDir, await freePort());
  await eventually(async () => (await readyz(second.port))?.status === 200, 'readyz 200 after restart', 60_000);
  expect(orphans.filter(alive)).toEqual([]);
  second.proc.kill('SIGTERM');
  expect(await second.exited).toEqual({ code: 0, signal: null });
  expect(processesUsing(varDir)).toEqual([]);
}, 120_000);

test('a malformed MONGODB_URI stops start-up with one line naming it, and starts nothing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-e2e-bad-'));
  const s = start(dir, await freePort(), { MONGODB_URI: 'not-a-uri' });
  const { code } = await s.exited;
  expect(code).not.toBe(0);
  const lines = s.output().trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/MONGODB_URI is not a MongoDB connection string/);
  expect(processesUsing(dir)).toEqual([]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('an unreachable Redis given by REDIS_URL: start-up fails with a clear message and a non-zero exit', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-e2e-noredis-'));
  const s = start(dir, await freePort(), { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, MONGODB_URI: `mongodb://127.0.0.1:${await freePort()}/x` });
  const { code } = await s.exited;
  expect(code).toBe(1);
  expect(s.output()).toMatch(/start-up failed: Redis at redis:\/\/127\.0\.0\.1:\d+\/? is unreachable \(.*ECONNREFUSED/);
  fs.rmSync(dir, { recursive: true, force: true });
}, 40_000);

test('`npm start` stopped with SIGTERM (sent to npm) leaves no process behind', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-e2e-npm-'));
  const port = await freePort();
  const npm = spawn('npm', ['start'], {
    cwd: root,
    env: { ...process.env, VAR_DIR: dir, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  try {
    await eventually(async () => (await readyz(port))?.status === 200, 'readyz 200 under npm start', 90_000);
    const pids = childPids(dir);
    expect(pids).toHaveLength(2);
    npm.kill('SIGTERM');
    await exited;
    await eventually(() => pids.every((p) => !alive(p)) && processesUsing(dir).length === 0, 'every process of that run to be gone', 20_000);
  } finally {
    npm.kill('SIGKILL');
    for (const pid of [...childPids(dir), ...processesUsing(dir)]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
