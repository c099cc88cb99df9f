import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/embedded/free-port';
import { findProjectRoot } from '../../src/util/project-root';
import { eventually } from '../support/wait';

/**
 * The API against its own OpenAPI document: the real server process (`node dist/src/main.js`, simulated
 * switch, its own data folder) is fuzzed by schemathesis with every check (responses match their
 * documented schemas and status codes, no 5xx, invalid input refused, valid input accepted, 401 without
 * a token, 405 with Allow for undocumented methods, created resources found again), logged in as the
 * demo admin.
 *
 * Left out, because they would change the test itself rather than be tested by it:
 *  - POST /api/auth/logout: it ends the admin's session the run uses (every later request would be 401);
 *  - POST /api/sim/calls: each one starts a simulated call that rings the demo queue and lives on in
 *    the server (calls are exercised by the call tests instead).
 */

const root = findProjectRoot();
const main = path.join(root, 'dist', 'src', 'main.js');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { embedded: { toolsDir: string; schemathesisVersion: string } };
const st = path.join(root, pkg.embedded.toolsDir, `schemathesis-${pkg.embedded.schemathesisVersion}`, 'bin', 'st');

let server: ChildProcess | undefined;

/** Runs a tool to its end without blocking this process (the server's output keeps being read meanwhile). */
function runTool(cmd: string, args: string[], o: { cwd: string; timeoutMs: number; env: NodeJS.ProcessEnv }): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}
let varDir: string;
let serverOutput = '';

beforeAll(() => {
  varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcc-schemathesis-'));
});
afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(varDir, { recursive: true, force: true });
});

test('schemathesis finds no failure and no server error in any documented operation', async () => {
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: npm test builds it`);
  if (!fs.existsSync(st)) throw new Error(`${st} is missing: npm test installs it (scripts/bootstrap.cjs)`);
  const port = await freePort();
  const passThrough = Object.fromEntries(['PATH', 'HOME', 'FERRETDB_BIN', 'REDIS_SERVER_BIN'].flatMap((k) => (process.env[k] ? [[k, process.env[k] as string]] : [])));
  server = spawn(process.execPath, [main], {
    // a token that outlives the run; the rest as `npm start` has it
    env: { ...passThrough, VAR_DIR: varDir, PORT: String(port), LOG_LEVEL: 'warn', AUTH_TOKEN_TTL_MS: String(3600_000) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (d: Buffer) => (serverOutput += d.toString()));
  server.stderr?.on('data', (d: Buffer) => (serverOutput += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, 'the server to be ready', 60_000);

  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'demoadmin' }) });
  expect(login.status).toBe(200);
  const { token } = (await login.json()) as { token: string };

  const varRoot = path.join(root, 'var');
  fs.mkdirSync(varRoot, { recursive: true });
  const started = Date.now();
  const run = await runTool(
    st,
    [
      '--no-color',
      '--config-file',
      path.join(root, 'test', 'schemathesis', 'schemathesis.toml'),
      'run',
      `${base}/api/docs/openapi.json`,
      '--checks',
      'all',
      '--max-examples',
      '10',
      // one worker: with several, hypothesis (4.32.5's) sometimes fails describing its own filters across threads
      '--workers',
      '1',
      '--header',
      `Authorization: Bearer ${token}`,
      '--exclude-path',
      '/api/auth/logout',
      '--exclude-path',
      '/api/sim/calls',
      '--output-truncate',
      'true',
      // the same cases every run (a failure reproduces; CI does not flicker); change it to explore anew
      '--seed',
      '20261202',
    ],
    // run in var/ (ignored by git): schemathesis keeps its cache of crashes in .schemathesis/ of its folder
    { cwd: varRoot, timeoutMs: 420_000, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', SCHEMATHESIS_TELEMETRY: 'false' } },
  );
  const output = run.output;
  const serverState = server.exitCode === null ? 'still running' : `exited with ${String(server.exitCode ?? server.signalCode)}`;
  const results = path.join(varRoot, 'schemathesis.log');
  fs.writeFileSync(results, `${output}\n--- server (${serverState}) ---\n${serverOutput}`);
  const summary = output.trim().split('\n').pop() ?? '';
  const cases = /Test cases:\s*\n?\s*(.*)/.exec(output)?.[1] ?? '';
  process.stderr.write(`[schemathesis] ${cases}; ${summary.replace(/=+/g, '').trim()} (${((Date.now() - started) / 1000).toFixed(0)} s; full output in var/schemathesis.log)\n`);

  expect(serverState).toBe('still running');
  expect({ exit: run.status, failures: output.match(/^.*(ST\d{3}|Server error|Runtime Error|\d+ (failures?|errors?)[, ]).*$/gm) ?? [] }).toEqual({ exit: 0, failures: [] });
  expect(output).toMatch(/Test cases:\s+\d+ generated, \d+ passed/);
  expect(serverOutput).not.toMatch(/"level":50/); // nothing the server logged as an error
}, 480_000);
